"""Detection decoding: time and mAP of ``--min-objects`` and ``--det-by-class`` against a plain pass.

    OMP_NUM_THREADS=2 .venv/bin/python bench/det_decoding.py --data TEST.jsonl [--model DIR] [--min-objects 10]
        [--limit N]

The detection records of a test set with references are answered by one model, one decoding
after the other in this process: plain, with ``--min-objects N`` (answers kept writing objects,
``GrammarConstraint.push``), with ``--det-by-class`` (a question naming none of the model's
classes asked once per class, ``inference.class_questions``), and with both. Each is scored with
``eval.detection`` over all records and over the two kinds of question apart. Prints wall and host CPU
seconds per record (after an untimed warm-up batch; the model is on the CPU, a CUDA device or not), their
ratios to the plain pass, and mAP@0.5 (hbb, obb), COCO mAP, AR100 and how many answers reached
``--max-new-tokens`` (scored as written); progress goes to stderr. The records and each pass's predictions go
to a temporary folder, removed at the end (stderr says so); ``--keep DIR`` keeps them. Det records without
``meta.width``/``meta.height`` (which ``eval.detection`` needs) are refused before the model loads.
The model defaults to the bundled one; ``--det-by-class`` needs a model whose config lists its
classes (``prompt.det_classes``).
"""

from __future__ import annotations

import functools
import json
import sys
import time
from pathlib import Path

from common import (
    absolute_paths,
    check_keep,
    cpu_note,
    cut_answers,
    every_or_count,
    fmt,
    keep_option,
    markdown_table,
    model_options,
    no_score,
    no_score_note,
    run_script,
    skipped_note,
    warm_up,
    work_dir,
)

from eval import common, detection
from eval.answers import image_size
from eval.inputs import ScoreError
from rsvlm import evaluate, inference
from rsvlm.argparsing import Parser
from rsvlm.data.records import RecordError, read_records
from rsvlm.progress import counted

SCORERS = {"hbb": (detection, "mAP50"), "obb": (detection, "mAP50_obb"), "COCO": (detection, "mAP"),
           "AR100": (detection, "AR100")}
GROUPS = {"generic": "'all objects'", "named": "named class"}  # the sets beside "all": which questions ask


def det_records(data: Path, limit: int | None):
    """The det records of ``data`` the bench takes, the first ``limit`` (every line is read: a bad one is a
    RecordError naming it; blank lines are skipped)."""
    n = 0
    for rec in read_records(data):
        if rec["task"] == "det" and not (limit and n >= limit):
            n += 1
            yield rec


def detection_sets(data: Path, dest: Path, prompt, limit: int | None) -> dict[str, Path]:
    """The det records of ``data`` (image paths made absolute) as ``dest/all.jsonl``, and split by
    whether ``--det-by-class`` would ask them class by class (``generic``) or as they are (``named``)."""
    rows: dict[str, list[str]] = {"all": [], "generic": [], "named": []}
    for rec in det_records(data, limit):
        absolute_paths(rec, data.parent)
        kind = "generic" if inference.class_questions(evaluate.prompt_of(rec, prompt), prompt) else "named"
        rows["all"].append(json.dumps(rec))
        rows[kind].append(json.dumps(rec))
    out = {}
    for name, lines in rows.items():
        if lines:
            out[name] = dest / f"{name}.jsonl"
            out[name].write_text("\n".join(lines) + "\n")
    return out


def unsized(data: Path, limit: int | None) -> tuple[int, int, str | None]:
    """How many of the det records ``detection_sets`` takes lack a usable ``meta.width``/``meta.height``, of how
    many, and the first such record's id: read before the model loads (``eval.detection`` refuses each one)."""
    n, bad = 0, []
    for rec in det_records(data, limit):
        n += 1
        try:
            image_size(rec)
        except ScoreError:
            bad.append(rec["id"])
    return len(bad), n, (bad[0] if bad else None)


def main() -> None:
    ap = Parser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, required=True,
                    help="a test set's records with references (JSONL); its det records are answered")
    ap.add_argument("--limit", type=functools.partial(every_or_count, unit="det records"), default=None,
                    help="only the first N detection records (default 'all': every one)")
    ap.add_argument("--min-objects", type=int, default=10, help="N of the --min-objects passes (default 10)")
    model_options(ap)
    keep_option(ap)
    a = ap.parse_args()
    common.check_model_args(ap, a, ("batch_size", "max_new_tokens", "min_objects"))  # --limit: every_or_count
    check_keep(ap, a.keep)
    try:  # was: every pass answered, then a dash per score and the scorer's reason after the table
        bad, n_det, first = unsized(a.data, a.limit)
    except RecordError as e:
        ap.error(f"--data: {e}")
    if bad:
        ap.error(f"--data {a.data}: {bad} of {counted(n_det, 'det record')} {'has' if bad == 1 else 'have'} no "
                 f"meta.width/meta.height (first: id {first!r}), which eval.detection needs to score their boxes; add "
                 "each image's size to the record's meta, or leave those records out")
    model, processor = inference.load_model(a.model, "cpu")
    if err := inference.no_det_classes(processor, a.model):
        raise SystemExit(err)
    variants = {"plain": (0, False), f"--min-objects {a.min_objects}": (a.min_objects, False),
                "--det-by-class": (0, True), "both": (a.min_objects, True)}
    rows = []
    with work_dir(a.keep, "det_decoding") as tmp:
        try:
            sets = detection_sets(a.data, tmp, processor.prompt, a.limit)
        except RecordError as e:
            ap.error(f"--data: {e}")
        if "all" not in sets:  # else a KeyError
            ap.error(f"--data {a.data}: no det record")
        n = {k: sum(1 for _ in p.open()) for k, p in sets.items()}
        warm_up(model, processor, sets["all"], tmp / "warm.jsonl", a.batch_size, a.max_new_tokens)
        for name, (min_objects, by_class) in variants.items():
            pred = tmp / f"pred{len(rows)}.jsonl"
            print(f"det_decoding: pass {len(rows) + 1} of {len(variants)}, {name}", file=sys.stderr)  # its bar follows
            t, cpu = time.perf_counter(), time.process_time()
            evaluate.run(model, processor, sets["all"], pred, a.batch_size, a.max_new_tokens, progress=True,
                         min_objects=min_objects, by_class=by_class)
            sec = ((time.perf_counter() - t) / n["all"], (time.process_time() - cpu) / n["all"])
            rows.append((name, sec, {k: common.headline_results(gt, pred, SCORERS) for k, gt in sets.items()},
                         cut_answers(pred)))
    base, base_cpu = rows[0][1]
    print(f"{n['all']} detection records of {a.data}: {n.get('generic', 0)} naming no class, "
          f"{n.get('named', 0)} naming one\n")
    table, dashes = [], []
    for name, (sec, cpu), sc, cut in rows:
        cells = [fmt(sc["all"][k].score) for k in SCORERS]
        # was: '–' for a kind of question no record asks, as for a score with no reference
        cells += ["n/a (no record)" if k not in sc else f"{fmt(sc[k]['hbb'].score)} / {fmt(sc[k]['obb'].score)}"
                  for k in ("generic", "named")]
        table.append([name, f"{sec:.3f}", f"{sec / base:.2f}", f"{cpu:.3f}", f"{cpu / base_cpu:.2f}", *cells, str(cut)])
        dashes += [(name, k if group == "all" else f"{GROUPS[group]} {k}", why) for group, got in sc.items()
                   for k, h in got.items() if (why := no_score(h)) and (group == "all" or k in ("hbb", "obb"))]
    print(markdown_table(["decoding", "s / record", "× plain", "CPU s / record", "× plain CPU", *SCORERS,
                          f"{GROUPS['generic']} hbb / obb", f"{GROUPS['named']} hbb / obb", "cut at --max-new-tokens"],
                         table))
    print(cpu_note())
    if dashes:
        print("\n" + no_score_note(dashes, {row[0] for row in rows}))
    if skipped := skipped_note([(k if group == "all" else f"{GROUPS[group]} {k}", h) for _, _, sc, _ in rows
                                for group, got in sc.items() for k, h in got.items()]):
        print("\n" + skipped)


if __name__ == "__main__":
    sys.exit(run_script(main))
