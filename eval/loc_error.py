"""Teacher-forced location error: how far the model's most likely ``<loc_N>`` is from the true one.

    python -m eval.loc_error --model runs/x/final --data test.jsonl [--tasks ground,det] [--out err.json]

Every location token of every answer is predicted with the true answer prefix fed in (one forward
pass per batch, no generation), so the figure moves long before acc@0.5 or mAP do: a learning-curve
metric for localisation, not a task score. Reported per task and modality: the mean absolute error
in bins (1000 per image side) of the most likely bin and of the expected bin (the mean of the
model's distribution over bins), the share of most likely bins within 10 (one pixel of a 96-px
image), and the error of always answering bin 500 (the image centre), a baseline with no model.

``--shuffle-images SEED`` is the control: every record gets the images of another record of the
same modality and task from a different scene, the answers stay. If the error barely changes, the
model's locations come from the text and its priors, not from the image. A group that cannot be shuffled
so (a modality and task with one record, or records that all share a scene) is left out of the shuffled
run, counted under ``unshuffled`` and said on stderr.

Limits: the error is on bins, not on boxes (no IoU); it says nothing about the number of objects
written or their classes.
"""

from __future__ import annotations

import json
import random
import sys
from collections import Counter, defaultdict
from pathlib import Path

from eval.common import (
    ScoreError,
    at_least_one,
    in_place,
    main_guard,
    ours_or_empty,
    out_dir,
    out_name_problem,
    write_out,
)
from eval.counts import counted
from eval.tags import TAGS  # "detection": the scorer's name, whose task is det
from rsvlm.argparsing import Parser
from rsvlm.tokens import TASKS, task_name


def with_records(index, keep: list[int], records: list[str]):
    """``index``'s rows ``keep`` with ``records`` for their record column. Past 1000 rows datasets drew its own
    "Flattening the indices" bar into the default build's log at every shuffled run: kept out, the bars'
    setting as it was."""
    import datasets

    was_off = datasets.are_progress_bars_disabled()
    datasets.disable_progress_bars()
    try:
        return index.select(keep).remove_columns("record").add_column("record", records)
    finally:
        if not was_off:
            datasets.enable_progress_bars()


def shuffle_images(records: list[str], seed: int, left_out: list[tuple[int, str]] | None = None) -> list[str | None]:
    """JSON records with their ``images`` exchanged among records of the same modality and task, so
    no record keeps an image path it had. A group that cannot be shuffled that way (one record, or
    records sharing images) raises ScoreError, unless ``left_out`` is given: then its records come
    back as None and each is appended to ``left_out`` as (index, "modality/task")."""
    recs = [json.loads(r) for r in records]
    groups: dict[tuple, list[int]] = defaultdict(list)
    for i, r in enumerate(recs):
        groups[(tuple(im["modality"] for im in r["images"]), r["task"])].append(i)
    rng = random.Random(seed)
    out: list[dict | None] = list(recs)
    for key, idx in groups.items():
        paths = [{im["path"] for im in recs[i]["images"]} for i in idx]
        for _ in range(100 if len(idx) > 1 else 0):  # a random cycle through the group; retry if neighbours share
            order = rng.sample(range(len(idx)), len(idx))
            if all(not (paths[a] & paths[b]) for a, b in zip(order, order[1:] + order[:1])):
                break
        else:
            if left_out is None:
                raise ScoreError(f"cannot give the {len(idx)} records of {key} each another scene's images")
            name = f"{'+'.join(str(m) for m in key[0]) or 'text'}/{key[1]}"
            left_out += [(i, name) for i in idx]
            for i in idx:
                out[i] = None
            continue
        for a, b in zip(order, order[1:] + order[:1]):
            out[idx[a]] = {**recs[idx[a]], "images": recs[idx[b]]["images"]}
    return [None if r is None else json.dumps(r) for r in out]


def max_length(model) -> int:
    """The tokens a teacher-forced sample is cut at: the LLM's context (``answering.context_of``; past a RoPE
    model's positions its logits are garbage, without a word), 1024 where it says none."""
    from rsvlm.answering import context_of

    return context_of(model) or 1024


def teacher_forced(model, data, pad_id: int, batch_size: int, progress: bool = False):
    """(batch, logits (B,T,V)) per batch of an ``SFTDataset``, answers given as input (no grad);
    with ``progress`` a bar on stderr counts the batches."""
    import torch

    from rsvlm.progress import bar
    from rsvlm.train import data as D
    from rsvlm.train.loop import _to

    device = next(model.parameters()).device
    for start in bar(range(0, len(data), batch_size), desc="loc_error", unit="batch", disable=not progress):
        batch = D.collate([data[i] for i in range(start, min(len(data), start + batch_size))], pad_id)
        if not batch["ids"]:
            yield batch, None
            continue
        with torch.no_grad():
            yield batch, model(**_to(batch, device)).logits


def location_errors(model, processor, records_path: Path, tasks: set[str] | None, batch_size: int = 16,
                    shuffle_seed: int | None = None, image_root: Path | None = None) -> dict:
    """{group: {"n", "mae_bins", "mae_expected_bins", "within10", "centre_mae_bins"}} for groups all,
    task:T and modality:M; relative image paths are read against ``image_root`` (by default the
    records file's folder), and records that cannot be read are counted under ``skipped``, those that
    ``shuffle_seed`` cannot give another scene's images under ``unshuffled``, those the index leaves out (a bad
    line, a system turn the chat format cannot write) under ``malformed_records``, the first few by
    ``FILE:LINE`` under ``malformed_first``."""
    import torch

    from rsvlm.data.records import ReadReport
    from rsvlm.eval_answers import late_system_of
    from rsvlm.tokens import NUM_BINS, loc_token
    from rsvlm.train import data as D

    tok = processor.tokenizer
    loc0 = tok.convert_tokens_to_ids(loc_token(0))
    report = ReadReport(str(records_path))
    try:  # a later system turn the chat format cannot write: left out and counted, as training and rsvlm eval do
        index = D.build_index(records_path, tok, dict(processor.n_tokens), report,
                              roots=[image_root or records_path.parent], late_system=late_system_of(processor))
    except ValueError as e:  # no usable record (an empty file, every line malformed): was a traceback
        raise ScoreError(str(e)) from None
    if tasks:  # select, not filter: datasets' own "Filter:" bar drew its \r redraws into a log (rsvlm.progress.bar's rule)
        index = index.select([i for i, t in enumerate(index["task"]) if t in tasks])
    if len(index) == 0:
        raise ScoreError(f"{records_path}: no record of {'task' if len(tasks or []) == 1 else 'tasks'} {sorted(tasks or [])}")
    unshuffled = None  # measured in the plain run, not in the shuffled one
    if shuffle_seed is not None:  # a group of one record cannot be shuffled: left out, not the whole run failed
        records, left_out = index["record"], []
        shuffled = shuffle_images(records, shuffle_seed, left_out)
        keep = [i for i, r in enumerate(shuffled) if r is not None]
        groups = dict(Counter(g for _, g in left_out))
        if not keep:
            raise ScoreError(f"{records_path}: no record can be given another scene's images of its modality and task "
                             f"({counted(len(left_out), 'record')}, by modality/task: {groups})")
        if left_out:
            unshuffled = {"n": len(left_out), "groups": groups, "first": json.loads(records[left_out[0][0]])["id"]}
        index = with_records(index, keep, [shuffled[i] for i in keep])
    # past the LLM's positions a RoPE model's logits are garbage, without a word: a long answer is cut there
    ctx = max_length(model)
    data = D.SFTDataset(index, image_root or records_path.parent, processor, processor.prompt, ctx)
    errs: dict[str, list[torch.Tensor]] = defaultdict(list)
    skipped, cut = [], []
    device = next(model.parameters()).device
    for batch, logits in teacher_forced(model, data, tok.pad_token_id, batch_size, progress=True):
        skipped += batch["bad"]
        cut += batch["cut"]
        if logits is None:
            continue
        logits = logits[:, :-1]  # (B,T-1,V)
        labels = batch["labels"][:, 1:].to(device)  # (B,T-1)
        is_loc = (labels >= loc0) & (labels < loc0 + NUM_BINS)
        loc_logits = logits[..., loc0:loc0 + NUM_BINS].float()  # (B,T-1,1000)
        pred = loc_logits.argmax(-1)  # (B,T-1) best bin
        mean = (loc_logits.softmax(-1) * torch.arange(NUM_BINS, device=device)).sum(-1)  # (B,T-1) expected bin
        err = (pred - (labels - loc0)).abs().float()  # (B,T-1)
        err_mean = (mean - (labels - loc0)).abs()  # (B,T-1)
        for b in range(len(batch["ids"])):
            if not is_loc[b].any():  # a 'None.' answer: nothing to average (a group of such gave NaN)
                continue
            e, em = err[b][is_loc[b]].cpu(), err_mean[b][is_loc[b]].cpu()
            centre = ((labels[b][is_loc[b]] - loc0) - 500).abs().float().cpu()
            for group in ("all", f"task:{batch['tasks'][b]}", f"modality:{batch['modalities'][b]}"):
                errs[group].append(torch.stack([e, em, centre]))
    out = {}
    for group, parts in sorted(errs.items()):
        e, em, c = torch.cat(parts, dim=1)
        out[group] = {"n": int(e.numel()), "mae_bins": round(float(e.mean()), 2),
                      "mae_expected_bins": round(float(em.mean()), 2),
                      "within10": round(float((e <= 10).float().mean()), 4),
                      "centre_mae_bins": round(float(c.mean()), 2)}
    if skipped:
        out["skipped"] = {"n": len(skipped), "first": skipped[:3]}
    if cut:  # their later locations are not measured
        out["cut"] = {"n": len(cut), "max_length": ctx, "first": cut[:3]}
    if unshuffled:
        out["unshuffled"] = unshuffled
    if report.n_skipped:  # counts, and where the first few are (was the counts alone: which of 10k records?)
        out["malformed_records"] = report.summary()
        out["malformed_first"] = report.examples[:3]  # "FILE:LINE: why"
    return out


def is_result(s) -> bool:
    """Whether JSON ``s`` is this script's result: groups ("all", "task:det", …) of ``mae_bins``."""
    return isinstance(s, dict) and isinstance(s.get("all"), dict) and "mae_bins" in s["all"]


def what_ran(a, tasks: set[str]) -> dict:
    """What a result is of, as its ``run``: the checkpoint (full path) and its weights as rsvlm eval's run stamp
    hashes them (a retrained checkpoint in the same folder is told apart), the records file, tasks and
    ``--shuffle-images`` seed (None: the right images)."""
    from rsvlm.loading import resolve_model_dir
    from rsvlm.predictions import run_stamp

    stamp = run_stamp(resolve_model_dir(a.model), a)  # the folder load_model loaded
    return {"model": stamp["model"], "weights": stamp["weights"], "data": str(Path(a.data).resolve()),
            "tasks": sorted(tasks), "shuffle_images": a.shuffle_images}


def main(argv: list[str] | None = None) -> int:
    p = Parser(prog="python -m eval.loc_error", description=__doc__.split("\n\n")[0])
    p.add_argument("--model", default=None, help="checkpoint folder (default: the bundled model)")
    p.add_argument("--data", required=True, help="JSONL records with ground-truth answers")
    p.add_argument("--tasks", default="ground,det", help="comma-separated task tags (default ground,det)")
    p.add_argument("--batch-size", type=at_least_one, default=16,
                   help="records a forward pass (default 16; lower it where memory runs out)")
    p.add_argument("--shuffle-images", type=int, default=None, metavar="SEED",
                   help="control: give each record another scene's images (same modality and task)")
    p.add_argument("--out", default=None,
                   help="write the result JSON here instead, or - for standard output (default: printed only)")
    p.add_argument("--image-root", default=None, help="folder that the records' relative image paths start from "
                                                      "(default: the --data file's folder), as rsvlm eval's")
    p.add_argument("--device", default=None, help="cuda, cuda:N or cpu (default: CUDA when there is one)")
    a, extra = p.parse_known_args(argv)
    if extra:  # --iou: was "did you mean --out?"
        from eval.thresholds import threshold_hint

        asked, hint = threshold_hint("loc_error", extra)
        p.explained = tuple(asked)
        p.error(f"unrecognized arguments: {' '.join(extra)}{hint}")
    path = Path(a.data)
    from rsvlm.eval_reading import long_name

    if err := long_name("data", path):  # is_file() raised "[Errno 36] File name too long", naming no option
        p.error(err)
    if not path.is_file():
        p.error(f"--data: no such file {path}")
    tasks = {task_name(t) for t in a.tasks.split(",") if t.strip()}  # as records' tasks read: "DET", "[det]" are det
    if blank := [t.strip() for t in a.tasks.split(",") if t.strip() and not task_name(t)]:  # "[]": was "unknown ['']"
        p.error(f"--tasks: {', '.join(map(repr, blank))} names no task (give task tags, such as ground,det or [det])")
    if not tasks:  # '' (an unset variable) scored every task's records, as if no --tasks were given, unsaid
        p.error(f"--tasks {a.tasks!r} names no task (give a comma-separated list, such as ground,det)")
    if unknown := sorted(tasks - set(TASKS)):  # a misspelt one was silently left out of the figure
        tags = [f"{u!r} is python -m eval.{u}'s, whose task{'s are' if len(ts) > 1 else ' is'} {' and '.join(ts)}"
                for u in unknown if (ts := [t for t, s in TAGS.items() if s == u])]
        p.error(f"--tasks: unknown {'task' if len(unknown) == 1 else 'tasks'} {unknown} (known: {', '.join(TASKS)})" + (
            f"; the names are the records' task tags, not the scorers': {'; '.join(tags)}" if tags else ""))
    if err := out_name_problem(a.out):  # '' (an unset variable) skipped --out without a word
        p.error(err)
    if a.out == "-":  # standard output, as the scorers' --out - (was a file named '-'): where the JSON goes anyway
        a.out = None
    if a.out:  # before the model loads and the set is run
        if Path(a.out).resolve() == path.resolve():
            p.error(f"--out {a.out} is the --data file: the result would overwrite it")
        if not in_place(a.out) and not ours_or_empty(Path(a.out), lambda text: is_result(json.loads(text))):
            p.error(f"--out {a.out} is a file that holds no loc_error result (predictions, scores or another file): "
                    "the result would replace it; give a new path, or delete it")  # a slip replaced predictions
        out_dir(a.out)
    from rsvlm.eval_reading import image_root_problem, predictions_given

    if err := image_root_problem(a.image_root):  # '' was read as not given
        p.error(err)

    if err := predictions_given(path):  # was "no usable record … 'conversations': missing", once the model loaded
        raise ScoreError(err)
    from rsvlm.inference import load_model  # torch: not for --help or a usage error

    try:
        # float32 on a GPU too (load_model's auto would take a bf16 checkpoint's own): one curve, one precision
        model, processor = load_model(a.model, device=a.device, dtype="float32")
    except ValueError as e:  # a --device this machine does not have, a folder that is no checkpoint
        raise ScoreError(str(e)) from None
    res = location_errors(model, processor, path, tasks, a.batch_size, a.shuffle_images,
                          Path(a.image_root) if a.image_root else None)
    res = {"run": what_ran(a, tasks), **res}  # two models' (or a shuffled run's) files were told apart by name alone
    if "all" not in res and (skipped := res.get("skipped")):  # was "hold no <loc_N>": the images were not found
        first = skipped["first"][0]
        raise ScoreError(f"{path}: none of its {a.tasks} records could be read ({skipped['n']} skipped; first: "
                         f"{first[0]}: {first[1][:200]}); relative image paths are read against "
                         f"{Path(a.image_root or path.parent).resolve()}: --image-root names another folder")
    if "all" not in res:
        raise ScoreError(f"{path}: the answers of its {a.tasks} records hold no <loc_N> to score")
    if cut := res.get("cut"):
        print(f"note: {counted(cut['n'], 'record', 'is/are')} longer than the LLM's context ({cut['max_length']} tokens) and "
              f"{'is' if cut['n'] == 1 else 'are'} cut there: {'its' if cut['n'] == 1 else 'their'} later locations are not measured (first: {cut['first'][0][0]}, {cut['first'][0][1]} "
              "tokens)", file=sys.stderr)
    if skipped := res.get("skipped"):  # were in the JSON alone: a figure over fewer records than asked, silently
        first = skipped["first"][0]
        print(f"note: {counted(skipped['n'], 'record')} could not be read and {'is' if skipped['n'] == 1 else 'are'} left out (first: {first[0]}: {first[1][:200]})",
              file=sys.stderr)
    if un := res.get("unshuffled"):
        print(f"note: {counted(un['n'], 'record', 'is/are')} left out of the shuffled run: no other scene's images of {'its' if un['n'] == 1 else 'their'} modality "
              f"and task to give them ({', '.join(f'{g}: {n}' for g, n in un['groups'].items())}; first: {un['first']})",
              file=sys.stderr)
    if res.get("malformed_records"):
        print(f"note: {res['malformed_records']}; left out, first:" + "".join(
            f"\n  {line[:300]}" for line in res.get("malformed_first", [])), file=sys.stderr)
    text = json.dumps(res, indent=1)
    if not a.out:
        print(text)
    # a kill leaves the old result or the new; /dev/stdout is written into, once (was the JSON twice in `> log`);
    # a file's JSON is not printed too (was: 65 lines of each build's loc_error runs in its log), as the scorers'
    elif not write_out(a.out, text + "\n"):
        print(f"result written to {a.out}")
    return 0


if __name__ == "__main__":
    main_guard(main)
