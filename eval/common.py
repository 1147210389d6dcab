"""Shared plumbing of the scoring scripts: the command line, the printed table and the scores JSON
(reading and pairing the inputs: ``eval.inputs``; reading records and answers into objects:
``eval.answers``; the notes about a predictions file as a whole: ``eval.notes``, about the objects its answers
give: ``eval.object_notes``; what ``rsvlm eval`` marks in a row and its counts: ``eval.flags``).

Ground truth is a file of DESIGN.md instruction records; the reference answer is the last
``gpt`` turn. Predictions are ``{"id", "task", "answer", optional "objects"}`` lines. Every
ground-truth record of the script's tasks is scored: a record without a prediction is
*missing*, one whose answer cannot be read is *unparseable*; both count as wrong and are
reported. A geometry record whose ``meta`` lacks ``width``/``height`` takes its image's size, or where that cannot
be read is left out, counted and noted (``image_sizes.with_sizes``); a meta size that is no pixel count raises.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from eval.answers import (  # noqa: F401  (re-exported: the scorers and tests use them as common.X)
    COCO_CLASS_ADVICE,
    FORMAT_MARKS,
    FORMATS,
    MISSING,
    NO_ANSWER,
    OK,
    PARTIAL,
    UNPARSEABLE,
    Parsed,
    coco_unlabelled,
    foreign_reference,
    gt_answer,
    gt_difficult,
    gt_objects,
    image_size,
    kept,
    modality,
    norm_label,
    not_text,
    number_text,
    pred_objects,
    prompt,
    read_as_known,
    ref_objects,
    single_label_fill,
)
from eval.counts import counted
from eval.flags import (  # noqa: F401  (re-exported: tests and scripts import them from here)
    PRED_FLAGS,
    is_cut,
    is_errored,
    is_past_context,
    pred_flags,
)
from eval.gt_refusal import all_unscorable  # noqa: F401  (common.all_unscorable, as before)
from eval.gt_skips import LineReport, blind_and_fields, clashed_note, n_lines
from eval.headline import Headline, headline_results  # noqa: F401  (re-exported: the benches use common.X)
from eval.image_sizes import with_sizes
from eval.inputs import (  # noqa: F401  (re-exported: the scorers and bench scripts use them as common.X)
    BadReference,
    Item,
    PredictionFile,
    ScoreError,
    check_predictions,
    foreign_tasks,
    load_gt,
    load_predictions,
    n_unscorable,
    pair,
    record_line,
)
from eval.model_args import (  # noqa: F401  (re-exported: bench and scripts use them as common.X)
    check_model_args,
    require_at_least_one,
    require_out_file,
)
from eval.notes import (
    bad_gt_note,
    change_left,
    count_notes,
    prediction_notes,
    read_run,
    scripts_for,
    unknown_note,
)
from eval.out_file import (  # noqa: F401  (re-exported: report, loc_error and tests use them as common.X)
    not_scores,
    other_scores,
    ours_or_empty,
    out_dir,
    out_name_problem,
    unlisted_scores,
    write_out,
)
from rsvlm.argparsing import Parser
from rsvlm.out_paths import in_place  # noqa: F401  (common.in_place: report and tests use it)

# ----------------------------------------------------------------------------- output


def fmt_value(v: Any) -> str:
    return f"{v:.4f}" if isinstance(v, float) else "-" if v is None else str(v)


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
        prepare: Callable[[list[Item]], None] | None = None, geometry: bool = True, references: bool = True,
        check: Callable[[dict], object] | None = None) -> dict:
    """The command line shared by every ``python -m eval.TASK``: read, score overall and per
    modality, print a table, write ``--out``. Returns the scores dict. ``keep(args)`` gives the
    filter on ground-truth records of ``tasks`` from the parsed options (None: every record);
    ``prepare(items)`` notes in each item's ``extra`` what needs the whole set, before the set is
    scored whole and per modality; ``geometry=False``: the scorer reads no shapes (``load_gt``); ``references=False``:
    it checks its records' shapes but reads no decoded reference (counting reads the count's words). ``check``: a
    record's ``BadReference`` (default, geometry: another tool's), skipped and counted as ``load_gt`` says."""
    ap = Parser(prog=f"python -m eval.{task_name}",
                description=f"Score {task_name} predictions (rsvlm eval's --out, or another tool's by --format) against "
                "the ground truth they answer: prints the headline metrics by modality, writes every score and note to "
                "--out as JSON for python -m eval.report; exit status 2 on input it cannot score (docs/eval.md).")
    ap.add_argument("--gt", required=True, help="ground-truth instruction records (JSONL)")
    ap.add_argument("--pred", required=True, help="predictions JSONL: {id, task, answer[, objects]}")
    ap.add_argument("--out", help="write the scores here as JSON, or - for standard output (default: printed only)")
    ap.add_argument("--format", type=str.lower, choices=FORMATS, default="rsvlm",  # any case, as rsvlm's --tta
                    help="geometry format of the answers: rsvlm <loc_N>, geochat {<x><y>...}, falcon <box><x>... "
                    "(default rsvlm)")
    ap.add_argument("--image-root", help="folder the records' relative image paths start from, as rsvlm eval's "
                    "--image-root (default: the --gt file's folder); read for the meta-size note only")
    if extra_args:
        extra_args(ap)
    args, extra = ap.parse_known_args(argv)
    if extra:  # --iou 0.7: was "did you mean --out?"; the thresholds are fixed, and said
        from eval.thresholds import threshold_hint

        asked, hint = threshold_hint(task_name, extra)
        ap.explained = tuple(asked)
        ap.error(f"unrecognized arguments: {' '.join(extra)}{hint}")
    if err := out_name_problem(args.out) or next((f"--{k} {v!r} names no file (an unset shell variable?)" for k in (
            "gt", "pred") if not (v := getattr(args, k)).strip()), None):  # was read as '.', "a folder"
        ap.error(err)
    from rsvlm.eval_reading import image_root_problem, long_name, no_file  # rsvlm eval's, loc_error's words

    if err := next(filter(None, (long_name(k, getattr(args, k)) for k in ("gt", "pred"))), None):  # was [Errno 36]
        ap.error(err)
    if err := image_root_problem(args.image_root) or no_file(  # else no note; "records file not found": whose?
            "gt", args.gt, "the ground-truth records file (the --data that rsvlm eval answered)"):
        ap.error(err)
    held = None  # another task's scores at --out, said once replaced
    if args.out == "-" and sys.stdout is None:  # `>&-`: else said after the scoring
        ap.error("--out -: standard output is closed; give a file name")
    if args.out and args.out != "-":  # before scoring, which can take minutes; `-` is standard output
        for name in ("gt", "pred"):
            if Path(args.out).resolve() == Path(getattr(args, name)).resolve():
                ap.error(f"--out {args.out} is the --{name} file: the scores would overwrite it")
        if err := not_scores(args.out):
            ap.error(err)
        held = other_scores(args.out, task_name)  # read now, said once replaced: a scoring that fails replaces nothing
        out_dir(args.out)
        from rsvlm.temp_files import sweep_temps

        if not in_place(args.out) and (swept := sweep_temps(Path(args.out))):  # a scoring killed writing --out
            print(f"note: {swept}")
    scores = evaluate(task_name, tasks, score_fn, headline, args, keep(args) if keep else None, prepare, geometry,
                      references, check)
    shown = False  # whether --out was standard output: said so at the end (was "scores written to -", a file's words)
    if args.out:  # before printing: `… --out s.json | head` closed stdout under the table, and no scores were written
        shown = write_out(args.out, json.dumps(scores, indent=1, sort_keys=False) + "\n", dash=True)
        if held:  # a loop of the scripts over one --out: each replaced the last
            print(f"warning: --out {args.out} held {held}: the {task_name} scores replaced them; give each task its "
                  "own file to keep both", file=sys.stderr)
        if unlisted := unlisted_scores(args.out):  # vqa.jsonl: written, as a script's vqa.json.tmp is, and said
            print(f"note: {unlisted}", file=sys.stderr)
    print(f"{task_name}: {args.pred} against {args.gt} ({args.format} format)")
    print(summary_table(scores))
    if details:
        print(details(scores))
    for note in scores.get("notes", []) + count_notes(scores):
        print("note:", note)
    if args.out:
        print(f"scores written to {'standard output' if args.out == '-' else args.out}" + (
            " (the JSON above the table)" if shown else ""))
    return scores


def evaluate(task_name: str, tasks: tuple[str, ...], score_fn: ScoreFn, headline: list[str],
             args: argparse.Namespace, keep: Callable[[dict], bool] | None = None,
             prepare: Callable[[list[Item]], None] | None = None, geometry: bool = True,
             references: bool = True, check: Callable[[dict], object] | None = None) -> dict:
    """Scores as a dict: headline metrics and counts at top level, ``by_modality`` beside."""
    decoded: dict | None = {} if references else None  # id -> the reference decoded as load_gt checked it, read
    check = check or (foreign_reference if geometry and references else None)
    unscorable: dict[str, str] = {}  # id -> why, of the records check skipped: their predictions go unscored, said

    def checked(rec: dict) -> object:
        try:
            return check(rec)
        except BadReference as e:
            unscorable[rec["id"]] = str(e)
            raise

    records, other, all_ids = load_gt(args.gt, tasks, keep, geometry, decoded, report := LineReport(str(args.gt)),
                                      checked if check else None, skipped := set())  # ids read
    preds = load_predictions(args.pred)
    check_predictions(args.gt, args.pred, preds)
    answered = sum(i in preds.by_id for i in skipped)  # a bad shape's too: was unscored unsaid
    if not records:  # no task: plain LLaVA data, or GeoChat's own tags ([refer], [identify]) left unconverted
        untasked = (f"; 'None' is {counted(other['None'], 'record')} with no \"task\" field and no tag such as [vqa] opening the "
                    "question (python -m data_gen convert llava rewrites GeoChat's tags and takes --task)") if other["None"] else ""
        left = f"; {change_left(n, task_name)}" if (n := other.get("change (not kept)")) else ""  # was the count alone
        bad = f"; {note}" if (note := bad_gt_note(report, answered, n_lines(report, skipped))) else ""  # the task's own all bad: was 'found {vqa: 10}' alone
        if unscorable:  # the way out first: was "no records of task det (found …)", the advice at the note's end
            raise ScoreError(f"{all_unscorable(args.gt, tasks, report, list(unscorable.values()))}; so no records of task "
                             f"{'/'.join(tasks)} are left to score (found {dict(other)}){bad}")
        raise ScoreError(f"{args.gt}: no records of task {'/'.join(tasks)} (found {dict(other) or 'no record at all: an empty file, blank lines alone or an empty JSON array'}){untasked}{left}{scripts_for(other)}{bad}")
    h = hashlib.sha256()  # the set's records, sized or not, a record at a time (not the whole set's JSON in one string)
    for r in sorted(records, key=lambda r: str(r.get("id"))):
        h.update((json.dumps(r, sort_keys=True, default=str) + "\n").encode())
    digest = h.hexdigest()[:16]  # eval.report's
    records, unsized, size_notes = with_sizes(records, args) if geometry and references else (records, 0, [])
    items = pair(records, preds, decoded)
    if decoded:
        decoded.clear()  # held by the items now, each let go once read (ref_objects)
    scores = {"task": task_name, "gt": str(args.gt), "gt_digest": digest, "pred": str(args.pred),
              "format": args.format, "headline": headline}
    try:
        if prepare:
            prepare(items)
        scores.update(_scored(items, score_fn, args))
    except ScoreError as e:  # "record 'x': …" named no file: which of the ground-truth files, which line
        if not (where := record_line(args.gt, str(e))):
            raise
        raise ScoreError(f"{where}: {e}") from e
    scores.setdefault("notes", []).extend(size_notes + [n for n in [bad_gt_note(report, answered, n_lines(report, skipped)), unknown_note(items)] if n])
    scores["n_gt_other_tasks"], scores["n_gt_unsized"] = dict(other), unsized  # unsized: left out, named in a note
    scores["n_gt_bad_records"] = report.n_skipped  # malformed or unscorable: skipped, named in a note
    scores["n_gt_bad_references"] = n_unscorable(report)  # of them, the unscorable: their ids are known
    # of them, a bad shape's, a blind one's and another bad field's (their ids read too); the rest, of unknown id (no
    # JSON, a bad id): all five add up
    scores["n_gt_bad_shapes"] = report.shapes  # lines, not ids (a blind line sharing a bad shape's id hid it)
    scores["n_gt_bad_blind"], scores["n_gt_bad_fields"] = blind_and_fields(report)  # lines, not ids
    scores["n_gt_no_task"] = other["None"]  # no rsvlm task: no script scores them
    scored = {it.id for it in items}  # the records scored (their ids); another task's repeats are that script's to say
    scores["n_gt_task_clashes"], clash = clashed_note(report, scored)  # [cls] asked, scored as vqa: was unsaid
    scores["notes"] += [clash] if clash else []
    scores["n_pred_other_task"] = dict(foreign_tasks(preds, scored))  # scored by their ids
    scores["n_pred_bad_lines"] = preds.n_bad_lines
    repeated = [i for i in preds.repeats if i in scored]
    scores["n_pred_duplicate_ids"] = sum(preds.repeats[i] for i in repeated)
    scores["n_pred_duplicate_ids_differing"] = sum(i in scored for i in preds.differing)
    scores["n_pred_error_rows_passed"] = sum(i in scored for i in preds.past_errors)  # an answer after an error row
    not_in_gt = [pid for pid in preds.by_id if pid not in all_ids]  # other tasks' are not
    scores["n_pred_not_in_gt"] = len(not_in_gt)
    # every line accounted for: scored, a record not scored here (another task's, no task's, unsized), a skipped
    # record's, of no record, unreadable, repeated
    scores["n_pred_lines"] = len(preds.by_id) + preds.n_bad_lines + preds.n_duplicates
    scores["n_pred_skipped_records"] = answered
    scores["n_pred_other_records"] = sum(p in all_ids and p not in scored and p not in skipped for p in preds.by_id)
    firsts = (("n_missing", next((it.id for it in items if it.pred is None), None)),
              ("n_pred_duplicate_ids", next(iter(repeated), None)), ("n_pred_not_in_gt", next(iter(not_in_gt), None)))
    scores["first_ids"] = {k: i for k, i in firsts if i is not None}  # counted, and named: which to look at
    scores["run"], run_note = read_run(args.pred, scores["n_missing"])
    scores.setdefault("notes", []).extend(prediction_notes(items, preds, records, tasks, task_name, args, scores,
                                                            run_note, not_in_gt))
    return scores


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


def progress(items: list[Item], desc: str):
    """A tqdm bar over the records (on stderr) where there are enough of them to wait for."""
    from rsvlm.progress import bar

    return bar(items, desc=desc, unit="record", disable=len(items) < 500, leave=False)


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


def main_guard(fn: Callable[[], Any]) -> None:
    """Run a CLI entry point; input errors print one line and exit 2 instead of a traceback, Ctrl-C one
    line and exit 130, stdout closed by its reader (``| head``) nothing (exit 0)."""
    top = sys.modules["__main__"]  # run as python eval/detection.py: no spec, its file named (was "python -m eval")
    main = (getattr(top.__spec__, "name", None) or (f := getattr(top, "__file__", None)) and f"eval.{Path(f).stem}"
            if fn.__module__ == "__main__" else fn.__module__)
    try:
        fn()
        sys.stdout.flush()  # a pipe's buffer: its broken pipe surfaces here, not at the interpreter's exit (status 120)
    except BrokenPipeError:  # stdout piped into `head`: the reader stopped, nothing went wrong (--out is written)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # Python's recipe: the exit flush raised again
        sys.exit(0)
    except KeyboardInterrupt:  # Ctrl-C minutes into a large set: a traceback from deep in pycocotools
        print("interrupted: nothing was written", file=sys.stderr)
        sys.exit(130)
    except (OSError, ValueError) as e:  # OSError: a file that cannot be read or written, named in it
        if not isinstance(e, (ScoreError, OSError)) and type(e).__name__ != "RecordError":  # the ground-truth reader's
            raise
        print(f"python -m {main or 'eval'}: error: {e}", file=sys.stderr)  # as the usage errors
        sys.exit(2)


if __name__ == "__main__":  # python -m eval.common: no command line; say so, and which scripts have one
    from eval.__main__ import library_main

    raise SystemExit(library_main("common"))
