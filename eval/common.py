"""Shared plumbing of the scoring scripts: parsing answers into objects, the command line, the
printed table and the scores JSON (reading and pairing the inputs: ``eval.inputs``; the notes about a
predictions file as a whole: ``eval.notes``; what ``rsvlm eval`` marks in a row and its counts:
``eval.flags``).

Ground truth is a file of DESIGN.md instruction records; the reference answer is the last
``gpt`` turn. Predictions are ``{"id", "task", "answer", optional "objects"}`` lines. Every
ground-truth record of the script's tasks is scored: a record without a prediction is
*missing*, one whose answer cannot be read is *unparseable*; both count as wrong and are
reported. Nothing here can score a record whose ``meta`` lacks ``width``/``height`` when
geometry is involved: that raises ``ScoreError`` naming the record.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import math
import os
import re
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eval.flags import (  # noqa: F401  (re-exported: tests and scripts import them from here)
    PRED_FLAGS,
    is_cut,
    is_errored,
    is_past_context,
    pred_flags,
)
from eval.inputs import (  # noqa: F401  (re-exported: the scorers and bench scripts use them as common.X)
    Item,
    PredictionFile,
    ScoreError,
    check_predictions,
    foreign_tasks,
    load_gt,
    load_predictions,
    pair,
    read_run,
)
from rsvlm.argparsing import Parser

FORMATS = ("rsvlm", "geochat", "falcon")
# what each format's geometry looks like: an answer of another format decodes to nothing, silently
FORMAT_MARKS = {"rsvlm": re.compile(r"<loc_\d+>"), "geochat": re.compile(r"\{\s*<\s*-?\d"),
                "falcon": re.compile(r"<(?:box|quad|poly)>\s*<\d")}
MISSING, UNPARSEABLE, PARTIAL, OK = "missing", "unparseable", "partial", "ok"


@dataclass
class Parsed:
    """Objects read from one prediction; ``status`` is ok, missing or unparseable."""

    objects: list[dict]
    status: str
    problems: list[str] = field(default_factory=list)


# ----------------------------------------------------------------------------- record fields


def gt_answer(record: dict) -> str:
    """The reference answer: the last assistant turn."""
    for turn in reversed(record["conversations"]):
        if turn["from"] in ("gpt", "assistant"):
            return turn["value"]
    raise ScoreError(f"record {record['id']!r}: no gpt turn")


def prompt(record: dict) -> str:
    """The last user turn before the reference answer."""
    users = [t["value"] for t in record["conversations"] if t["from"] in ("human", "user")]
    return users[-1] if users else ""


def modality(record: dict, pred: dict | None = None) -> str:
    """The record's modality; bi-temporal pairs of two modalities read ``optical+sar``, a record
    without an image ``text`` (as training groups it). An image the record does not name the
    modality of takes the one ``rsvlm eval`` inferred reading it (the prediction's ``modalities``),
    else reads ``unknown``: never taken for optical."""
    from rsvlm.data.modality import UNKNOWN
    from rsvlm.tokens import MODALITIES

    images = record.get("images") or []
    run = pred.get("modalities") if isinstance(pred, dict) else None
    run = run if isinstance(run, list) and len(run) == len(images) else [None] * len(images)
    mods = [im.get("modality") or (m if m in MODALITIES else UNKNOWN) for im, m in zip(images, run)]
    return "+".join(dict.fromkeys(mods)) or "text"


def image_size(record: dict) -> tuple[int, int]:
    meta = record.get("meta") or {}
    w, h = meta.get("width"), meta.get("height")
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and v >= 1 for v in (w, h)):
        raise ScoreError(f"record {record['id']!r}: meta.width/meta.height missing or not positive numbers (got "
                         f"{w!r:.20} x {h!r:.20}); geometry cannot be put in pixels without them")  # NaN: a traceback
    return int(w), int(h)


def number_text(answer: Any) -> str | None:
    """An answer given as a JSON number (``"answer": 7``, ``7.0``; not ``true``, not NaN) as its digits,
    where a number is an answer (a count, a VQA answer that is a number); None for anything else."""
    if isinstance(answer, int) and not isinstance(answer, bool):
        return str(answer)
    if isinstance(answer, float) and math.isfinite(answer):
        return f"{answer:f}".rstrip("0").rstrip(".")  # 1e+20 is no "1e 20", a count of 20; 7.0 is "7"
    return None


def not_text(answer: Any) -> str:
    """What an ``answer`` that is no string is, for the note naming its row: ``the number 7``, ``null``."""
    if isinstance(answer, bool) or answer is None:
        return json.dumps(answer)
    if number_text(answer) is not None:
        return f"the number {answer}"
    return f"{type(answer).__name__} {json.dumps(answer, default=str)[:40]}"


def norm_label(label: Any) -> str:
    """Class names compare lowercased, with ``-``/``_`` as spaces and whitespace collapsed."""
    if label is None:
        return ""
    return " ".join(re.sub(r"[-_]", " ", str(label)).lower().split())


# ----------------------------------------------------------------------------- answers → objects


def gt_objects(record: dict) -> list[dict]:
    """Objects of the reference answer in pixels as the scripts score them (``regions.for_scoring``: a box
    narrower than one bin made one bin wide); a malformed reference raises ScoreError."""
    from rsvlm import geometry

    w, h = image_size(record)
    answer = gt_answer(record)
    dec = geometry.decode(answer, w, h)
    if dec.problems:
        raise ScoreError(f"record {record['id']!r}: ground-truth answer does not parse: {dec.problems[:3]}")
    # a GeoChat set scored unconverted: its boxes read as no object, and every answer as a false positive
    if other := next((f for f, mark in FORMAT_MARKS.items() if f != "rsvlm" and mark.search(answer)), None):
        raise ScoreError(f"record {record['id']!r}: the ground-truth answer holds {other} geometry ({answer[:80]!r}), "
                         "which reads as no object: convert the set first (python -m data_gen convert llava rewrites "
                         "GeoChat's boxes); --format is the predictions' format")
    from eval import regions

    return regions.for_scoring(list(dec.objects), w, h)


def gt_difficult(record: dict, n_objects: int) -> set[int]:
    """Indices of the reference answer's difficult objects, from ``meta.difficult`` (indices from 0
    into the decoded objects, in answer order, as the DOTA and VOC converters write it); empty
    when the key is absent. A value that is not a list of such indices raises ScoreError."""
    flags = (record.get("meta") or {}).get("difficult")
    if flags is None:
        return set()
    ok = isinstance(flags, list) and all(
        isinstance(i, int) and not isinstance(i, bool) and 0 <= i < n_objects for i in flags)
    if not ok:
        raise ScoreError(f"record {record['id']!r}: meta.difficult must list indices 0..{n_objects - 1} "
                         f"of the reference answer's objects, got {flags!r:.80}")
    return set(flags)


def pred_objects(item: Item, fmt: str = "rsvlm") -> Parsed:
    """Objects of a prediction, in pixels, each with a ``score`` (1.0 where none was given, or null).

    An explicit ``objects`` list in the prediction is used as it is (pixel coordinates, the
    form ``rsvlm eval`` writes), a reversed box put in order (status ``partial``, as the decoder does),
    a mask array not of the image's size unparseable; otherwise ``answer`` is decoded in ``fmt``.
    Either way the objects are put as the scripts score them (``regions.for_scoring``: an obb's crossed
    corners in order, a box of zero width or height one bin wide), as the reference's are. An answer
    with problems keeps what was recovered (status ``partial``) unless nothing usable was (no object,
    or only polygons of under 3 vertices): then, like an answer that is not a string, it is
    ``unparseable``. An answer that cleanly says nothing spatial is an empty list (``ok``).
    """
    from eval import regions

    if item.pred is None:
        return Parsed([], MISSING)
    objs = item.pred.get("objects")
    if objs is not None:
        bad = "" if not isinstance(objs, list) else next(
            (f" (object {i}: {json.dumps(o, default=str)[:160]})" for i, o in enumerate(objs) if not regions.valid_object(o)),
            None)  # which one: a NaN corner among hundreds of objects
        if bad is not None:
            return Parsed([], UNPARSEABLE, ["'objects' is not a list of {kind, coords[, label, score]} with finite "
                                            f"coordinates fitting the kind{bad}"])
        w, h = image_size(item.record)
        if bad := regions.mask_size_problems(objs, w, h):
            return Parsed([], UNPARSEABLE, bad)
        objs, problems = regions.ordered_boxes(objs)
        objs = regions.for_scoring(objs, w, h)
        return Parsed([{**o, "score": 1.0 if o.get("score") is None else float(o["score"])} for o in objs],
                      PARTIAL if problems else OK, problems)
    answer = item.pred.get("answer")
    if not isinstance(answer, str):
        return Parsed([], UNPARSEABLE, [f"'answer' is {not_text(answer)}, not text"])
    w, h = image_size(item.record)
    if fmt == "rsvlm":
        from rsvlm import geometry

        dec = geometry.decode(answer, w, h)
        objects, problems = list(dec.objects), list(dec.problems)
    else:
        from eval import foreign

        objects, problems = foreign.decode(answer, w, h, fmt)
    objects = regions.for_scoring(objects, w, h)
    usable = [o for o in objects if o.get("kind") not in ("poly", "obb") or len(o.get("coords") or []) >= 3]
    if problems and not usable:
        return Parsed([], UNPARSEABLE, problems)
    return Parsed([{**o, "score": float(o.get("score", 1.0))} for o in objects], PARTIAL if problems else OK,
                  problems)


def single_label_fill(objects: list[dict], gt: list[dict]) -> list[dict]:
    """Unlabelled predicted objects take the class of a record whose ground truth has one class."""
    labels = {norm_label(o.get("label")) for o in gt}
    if len(labels) != 1:
        return objects
    (only,) = labels
    return [o if o.get("label") else {**o, "label": only} for o in objects]


# ----------------------------------------------------------------------------- output


def fmt_value(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4f}"
    return "-" if v is None else str(v)


def table(rows: list[list[Any]], header: list[str]) -> str:
    """A markdown table (also readable as plain text)."""
    cells = [[fmt_value(c) for c in r] for r in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(header)]
    line = lambda r: "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |"  # noqa: E731
    return "\n".join([line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(line, cells)])


def summary_table(scores: dict) -> str:
    """The headline metrics, overall and per modality, as a table; ``n_pred_errors``, ``n_pred_cut``
    and ``n_pred_past_context`` (answers ``rsvlm eval`` gave up on, its token limit cut, or that ran
    past the LLM's context) as columns where any."""
    keys = scores["headline"] + ["n_records", "n_missing", "n_unparseable"]
    keys += [k for k in PRED_FLAGS if scores.get(k)]
    rows = [["all", *(scores.get(k) for k in keys)]]
    rows += [[m, *(s.get(k) for k in keys)] for m, s in scores.get("by_modality", {}).items()]
    return table(rows, ["modality", *keys])


ScoreFn = Callable[[list[Item], argparse.Namespace], dict]


def run(task_name: str, tasks: tuple[str, ...], score_fn: ScoreFn, headline: list[str],
        argv: list[str] | None = None, extra_args: Callable[[argparse.ArgumentParser], None] | None = None,
        details: Callable[[dict], str] | None = None,
        keep: Callable[[argparse.Namespace], Callable[[dict], bool]] | None = None,
        prepare: Callable[[list[Item]], None] | None = None) -> dict:
    """The command line shared by every ``python -m eval.TASK``: read, score overall and per
    modality, print a table, write ``--out``. Returns the scores dict. ``keep(args)`` gives the
    filter on ground-truth records of ``tasks`` from the parsed options (None: every record);
    ``prepare(items)`` notes in each item's ``extra`` what needs the whole set, before the set is
    scored whole and per modality."""
    ap = Parser(prog=f"python -m eval.{task_name}",
                description=f"Score {task_name} predictions against ground truth.")
    ap.add_argument("--gt", required=True, help="ground-truth instruction records (JSONL)")
    ap.add_argument("--pred", required=True, help="predictions JSONL: {id, task, answer[, objects]}")
    ap.add_argument("--out", help="write the scores here as JSON")
    ap.add_argument("--format", choices=FORMATS, default="rsvlm", help="answer format of the predictions")
    if extra_args:
        extra_args(ap)
    args = ap.parse_args(argv)
    if args.out:  # before scoring, which can take minutes
        for name in ("gt", "pred"):
            if Path(args.out).resolve() == Path(getattr(args, name)).resolve():
                ap.error(f"--out {args.out} is the --{name} file: the scores would overwrite it")
        out_dir(args.out)
        from rsvlm.predictions import sweep_temps

        if swept := sweep_temps(Path(args.out)):  # a scoring killed while writing --out
            print(f"note: {swept}")
    scores = evaluate(task_name, tasks, score_fn, headline, args, keep(args) if keep else None, prepare)
    if args.out:  # before printing: `… --out s.json | head` closed stdout under the table, and no scores were written
        from rsvlm.predictions import replace_text  # a kill leaves the old scores or the new, not half a file

        replace_text(Path(args.out), json.dumps(scores, indent=1, sort_keys=False) + "\n")
    print(f"{task_name}: {args.pred} against {args.gt} ({args.format} format)")
    print(summary_table(scores))
    if details:
        print(details(scores))
    from eval.notes import count_notes

    for note in scores.get("notes", []) + count_notes(scores):
        print("note:", note)
    if args.out:
        print(f"scores written to {args.out}")
    return scores


def require_at_least_one(p: argparse.ArgumentParser, a: argparse.Namespace, flags: tuple[str, ...]) -> None:
    """A usage error (one line, exit 2) for the first of ``flags`` (attributes of ``a``; None is unset)
    below 1."""
    for flag in flags:
        if getattr(a, flag) is not None and getattr(a, flag) < 1:
            p.error(f"--{flag.replace('_', '-')} {getattr(a, flag)}: give 1 or more")


def require_out_file(p: argparse.ArgumentParser, out: str | Path | None) -> None:
    """A usage error for an ``--out`` that is a folder or in no existing folder: found before the
    work rather than after it."""
    if out and (Path(out).is_dir() or not Path(out).parent.is_dir()):
        p.error(f"--out {out}: give a file in an existing folder")


def check_model_args(p: argparse.ArgumentParser, a: argparse.Namespace,
                     counts: tuple[str, ...] = ("limit", "batch_size", "max_new_tokens")) -> None:
    """Usage errors (one line, exit 2) for the arguments of a script that answers a test set with a
    model (bench/tta.py, det_decoding.py, missing_bands.py): a count below 1, a ``--data`` file
    that is not there, a ``--model`` folder that is no rsvlm checkpoint."""
    require_at_least_one(p, a, counts)
    if not Path(a.data).is_file():
        p.error(f"--data {a.data}: no such file")
    if a.model and not (Path(a.model) / "config.yaml").is_file():
        p.error(f"--model {a.model}: not an rsvlm checkpoint (no config.yaml)")


def evaluate(task_name: str, tasks: tuple[str, ...], score_fn: ScoreFn, headline: list[str],
             args: argparse.Namespace, keep: Callable[[dict], bool] | None = None,
             prepare: Callable[[list[Item]], None] | None = None) -> dict:
    """Scores as a dict: headline metrics and counts at top level, ``by_modality`` beside."""
    records, other, all_ids = load_gt(args.gt, tasks, keep)
    preds = load_predictions(args.pred)
    check_predictions(args.gt, args.pred, preds)
    if not records:  # no task: plain LLaVA data, or GeoChat's own tags ([refer], [identify]) left unconverted
        untasked = (f"; 'None' is {other['None']} record(s) with no \"task\" field and no tag such as [vqa] opening the "
                    "question (python -m data_gen convert llava rewrites GeoChat's tags and takes --task)") if other["None"] else ""
        raise ScoreError(f"{args.gt}: no records of task {'/'.join(tasks)} (found {dict(other) or 'no record at all: an empty file'}){untasked}")
    items = pair(records, preds)
    if prepare:
        prepare(items)
    scores = {"task": task_name, "gt": str(args.gt), "pred": str(args.pred), "format": args.format,
              "headline": headline}
    scores.update(_scored(items, score_fn, args))
    if note := unknown_note(items):
        scores.setdefault("notes", []).append(note)
    scores["n_gt_other_tasks"] = dict(other)
    scores["n_gt_no_task"] = other["None"]  # no rsvlm task: no script scores them
    scores["n_pred_other_task"] = dict(foreign_tasks(preds, {r["id"] for r in records}))  # scored by their ids
    scores["n_pred_bad_lines"] = preds.n_bad_lines
    scores["n_pred_duplicate_ids"] = preds.n_duplicates
    scored = {it.id for it in items}  # another task's repeats are that script's to say
    scores["n_pred_duplicate_ids_differing"] = sum(i in scored for i in preds.differing)
    not_in_gt = [pid for pid in preds.by_id if pid not in all_ids]  # other tasks' are not
    scores["n_pred_not_in_gt"] = len(not_in_gt)
    firsts = (("n_missing", next((it.id for it in items if it.pred is None), None)),
              ("n_pred_duplicate_ids", preds.first_duplicate), ("n_pred_not_in_gt", next(iter(not_in_gt), None)))
    scores["first_ids"] = {k: i for k, i in firsts if i is not None}  # counted, and named: which to look at
    scores["run"], run_note = read_run(args.pred)
    from eval.notes import prediction_notes  # here: the notes read answers with this module's parsers

    scores.setdefault("notes", []).extend(prediction_notes(items, preds, records, tasks, task_name, args, scores,
                                                            run_note))
    return scores


def unknown_note(items: list[Item]) -> str | None:
    """Why records are tabled under modality ``unknown`` (``modality``), by what their predictions lack;
    None where none is."""
    from rsvlm.data.modality import UNKNOWN

    unknown = [it for it in items if UNKNOWN in modality(it.record, it.pred).split("+")]
    if not unknown:
        return None
    kinds = Counter("missing" if it.pred is None else "answered empty with an error (image not read)" if is_errored(it)
                    else "without the \"modalities\" rsvlm eval writes (another tool or an older rsvlm eval)"
                    for it in unknown)
    return (f"{len(unknown)} record(s) are tabled under modality 'unknown': the ground truth does not name an image's "
            f"modality and their prediction is {', '.join(f'{k} ({n})' for k, n in kinds.most_common())}; name it in "
            "the ground truth's images to table them by it")


def _scored(items: list[Item], score_fn: ScoreFn, args: argparse.Namespace) -> dict:
    out = {**score_fn(items, args), **pred_flags(items)}
    groups: dict[str, list[Item]] = {}
    for it in items:
        groups.setdefault(modality(it.record, it.pred), []).append(it)
    if len(groups) == 1:  # one modality: its scores are the overall ones
        (mod,) = groups
        out["by_modality"] = {mod: {k: v for k, v in out.items() if k != "notes"}}
        return out
    out["by_modality"] = {}
    for mod, sub in sorted(groups.items()):
        sub_scores = {**score_fn(sub, args), **pred_flags(sub)}
        sub_scores.pop("notes", None)
        out["by_modality"][mod] = sub_scores
    return out


def headline_scores(gt: str | Path, pred: str | Path, scorers: dict[str, tuple[Any, str]]) -> dict[str, float | None]:
    """``{name: score}`` for ``scorers`` ``{name: (eval module, score key)}``, each module's ``main``
    run on ``gt`` and ``pred`` without printing; None where ``gt`` holds none of its task."""
    out = {}
    for name, (mod, key) in scorers.items():
        with contextlib.redirect_stdout(io.StringIO()):
            try:
                out[name] = mod.main(["--gt", str(gt), "--pred", str(pred)]).get(key)
            except ScoreError:
                out[name] = None
    return out


def progress(items: list[Item], desc: str):
    """A tqdm bar over the records (on stderr) where there are enough of them to wait for."""
    from tqdm import tqdm

    return tqdm(items, desc=desc, unit="rec", disable=len(items) < 500, leave=False)


def counts(items: list[Item], statuses: list[str]) -> dict:
    """The counts every score carries (``n_partially_parsed``: answers scored on what could be
    read of them, their problems notwithstanding)."""
    c = Counter(statuses)
    return {"n_records": len(items), "n_missing": c[MISSING], "n_unparseable": c[UNPARSEABLE],
            "n_partially_parsed": c[PARTIAL]}


def at_least_one(v: str) -> int:
    """argparse type: a whole number of at least 1."""
    if not v.strip().isdigit() or int(v) < 1:
        raise argparse.ArgumentTypeError(f"needs a whole number of at least 1, got {v!r}")
    return int(v)


def out_dir(path: str | Path) -> None:
    """Create the folder of an ``--out`` file and check that a file can be written in it; ScoreError
    naming it when that cannot be done or ``path`` is a folder: before the scoring, not after it."""
    import tempfile

    parent = Path(path).parent
    if Path(path).is_dir():
        raise ScoreError(f"--out {path} is a folder; give a file name")
    if file := next((p for p in [parent, *parent.parents] if p.exists() and not p.is_dir()), None):
        raise ScoreError(f"--out {path}: cannot create its folder: {file} is a file")  # was "File exists: FILE": a folder?
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ScoreError(f"--out {path}: cannot create its folder ({e.strerror}: {e.filename})") from e
    try:  # a folder it may not write in: found after the scoring, naming a temp file
        with tempfile.TemporaryFile(dir=parent):
            pass
    except OSError as e:
        raise ScoreError(f"--out {path}: cannot write a file in {parent} ({e.strerror})") from e


def main_guard(fn: Callable[[], Any]) -> None:
    """Run a CLI entry point; input errors print one line and exit 2 instead of a traceback, Ctrl-C one
    line and exit 130, stdout closed by its reader (``| head``) nothing (exit 0)."""
    try:
        fn()
        sys.stdout.flush()  # a pipe's buffer: its broken pipe surfaces here, not at the interpreter's exit (status 120)
    except BrokenPipeError:  # stdout piped into `head`: the reader stopped, nothing went wrong (--out is written)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # Python's recipe: the exit flush raised again
        sys.exit(0)
    except KeyboardInterrupt:  # Ctrl-C minutes into a large set: a traceback from deep in pycocotools
        print("interrupted: nothing was written", file=sys.stderr)
        sys.exit(130)
    except (ScoreError, OSError) as e:  # OSError: a file that cannot be read or written, named in it
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)
    except ValueError as e:  # RecordError from the ground-truth reader
        if type(e).__name__ != "RecordError":
            raise
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)
