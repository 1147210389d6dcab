"""The notes a score file carries about its predictions file as a whole: what was read past, what
looks like another test set's or another tool's answers, what ``rsvlm eval`` flagged (errors, cut
answers, answers past the LLM's context, unmerged rank parts), why answers could not be read; and the lines
under the printed table (``count_notes``); the run stamp beside the predictions (``read_run``), the ground-truth
records left out (``unknown_note``; ``bad_gt_note`` and the count lines are ``eval.count_notes``'s). Those about the objects the predictions give: ``eval.object_notes``.
Each is a sentence a reader can act on; none changes a score."""

from __future__ import annotations

import argparse
import contextlib
import json
import re
from collections import Counter
from pathlib import Path

from eval.answers import FORMAT_MARKS, UNPARSEABLE, gt_answer, modality, not_text, number_text, pred_objects
from eval.count_notes import (  # noqa: F401  (eval.notes.NAME, as before the split: tests use them)
    bad_gt_note,
    change_left,
    count_notes,
    scripts_for,
)
from eval.counts import counted, their
from eval.flags import is_cut, is_errored, is_past_context
from eval.image_sizes import image_root, size_note
from eval.inputs import Item, PredictionFile, ScoreError, load_predictions
from eval.object_notes import (
    normalised_objects_note,
    objects_answer_note,
    outside_objects_note,
    partial_note,
    unread_coordinates_note,
    worded_answers_note,
)
from rsvlm import tokens
from rsvlm.run_stamp import stamp_note

GEOMETRY_SCRIPTS = ("detection", "grounding", "segmentation", "change")  # the scripts that score shapes


def prediction_notes(items: list[Item], preds: PredictionFile, records: list[dict], tasks: tuple[str, ...],
                     task_name: str, args: argparse.Namespace, scores: dict, run_note: str | None,
                     not_in_gt: list[str] = ()) -> list[str]:
    """The notes of ``eval.common.evaluate``'s scores (``scores``: the counts so far; ``not_in_gt``: the
    predictions' ids that no ground-truth record has)."""
    notes: list[str] = []
    if note := near_ids_note(items, not_in_gt):
        notes.append(note)
    if preds.json_array:  # read as it was meant, but said: rsvlm eval's resume and other tools take JSONL only
        notes.append(f"{args.pred} is one JSON array, read item by item as JSONL's lines would be (predictions are "
                     "JSONL, one {id, task, answer} object a line, as rsvlm eval writes them)")
    notes += preds.bad_examples
    if preds.n_question_ids:
        notes.append(f"{counted(preds.n_question_ids, 'prediction line', 'has/have')} no 'id' and {'is' if preds.n_question_ids == 1 else 'are'} matched by {their(preds.n_question_ids)} 'question_id' "
                     "(as LLaVA's and GeoChat's eval scripts write them)")
    if preds.n_text_answers:
        notes.append(f"{counted(preds.n_text_answers, 'prediction line', 'has/have')} no 'answer' and {'is' if preds.n_text_answers == 1 else 'are'} scored on {their(preds.n_text_answers)} 'text' (as "
                     "LLaVA's model_vqa writes it)")
        # LLaVA's question file ({question_id, image, text}: model_vqa's input) given as --pred: its questions scored
        if asked := [it for it in items if it.pred is not None and "image" in it.pred and "prompt" not in it.pred
                     and "answer_id" not in it.pred and "text" in it.pred and it.pred.get("answer") is it.pred["text"]]:
            # (an "answer": null beside an "image" is no text read as the answer: it was asked[0]'s KeyError 'text')
            notes.append(f"{len(asked)} of them carry an 'image' and no 'prompt' (first: {asked[0].id}: "
                         f"{asked[0].pred['text'][:60]!r}): the lines of LLaVA's question file (question_id, image, "
                         "text), questions scored as answers? model_vqa's --answers-file holds the answers")
    if run_note:
        notes.append(run_note)
    # two runs' answers in one file (appended, or concatenated): which one counts matters, for the records scored here
    scored = {it.id for it in items}  # once: built in the comprehension's test, it was built anew for every id
    if differing := [i for i in preds.differing if i in scored]:
        notes.append(f"{counted(len(differing), 'id')} repeated with another answer than {their(len(differing))} first line's, which "
                     f"is the one scored (first: {differing[0]}); two runs' answers in one file? (a location one bin or "
                     "pixel apart is the same answer)")
    if past := [i for i in preds.past_errors if i in scored]:  # was the error row scored, the answer after it unread
        notes.append(f"{counted(len(past), 'id')} {'has' if len(past) == 1 else 'have'} an error row rsvlm eval wrote (\"error\") on "
                     f"{their(len(past))} first line and an answer on a later one, which is the one scored (first: {past[0]}); "
                     "two runs' answers joined by cat? (rsvlm eval --retry-errors with one --out answers its error rows again)")
    if note := unmerged_note(args.pred, [it for it in items if it.pred is None]):
        notes.append(note)
    if note := normalised_objects_note(items) or outside_objects_note(items):
        notes.append(note)
    if other := _other_task(items):  # ids such as "0", "1" that two test sets both use: answers to other questions
        it = other[0]
        notes.append(f"{counted(len(other), 'prediction', 'names/name')} another task than {their(len(other))} record's (first: {it.id!r}, a "
                     f"{it.record.get('task')} record answered as {it.pred['task']}): the answers to another test "
                     "set whose ids repeat these? They are scored as they are")
    failed = [it for it in items if is_errored(it)]
    if failed:  # answered empty by rsvlm eval (an unreadable image, a prompt past the context): wrong here
        notes.append(f"{counted(len(failed), 'prediction', 'carries/carry')} an 'error' from rsvlm eval and {'scores' if len(failed) == 1 else 'score'} as wrong "
                     f"(first: {failed[0].record['id']}: {failed[0].pred['error'][:200]})")
    if cut := [it for it in items if is_cut(it)]:  # under the grammar a cut answer reads as a whole one
        options = (scores["run"] or {}).get("options") or {}
        limit = options.get("max_new_tokens")
        at = f" of {limit} tokens ({stamp_of(args.pred).name})" if isinstance(limit, int) else ""
        # a fused answer is cut where one view's was: a 'None.' the views voted for was told 'a detection without …'
        tta = options.get("tta") not in (None, "none")
        views = " (with --tta: its plain answer or a view's did, and the fused answer may be whole)" * tta
        notes.append(f"{counted(len(cut), 'answer')} reached rsvlm eval's token limit{at} (\"cut\": true) and may be cut{views}; "
                     f"{'it is scored as it stands' if len(cut) == 1 else 'they are scored as they stand'}, as if whole: a detection without its later objects, a caption "
                     f"without its end (first: {cut[0].record['id']}); raise --max-new-tokens (rsvlm eval into "
                     "another --out) if they are not few")
    if past := [it for it in items if is_past_context(it)]:  # the model read past what it was trained on
        notes.append(f"{counted(len(past), 'answer')} ran past the LLM's context (\"past_context\": true) and "
                     + ("is scored as it stands: its end is" if len(past) == 1 else "are scored as they stand: their ends are")
                     + f" unreliable (first: {past[0].record['id']}); shorter prompts or a "
                     "lower --max-new-tokens keep answers inside it")
    if scores.get("n_unparseable"):
        notes += unparseable_examples(items, task_name, args.format)
    if task_name in GEOMETRY_SCRIPTS:
        if scores.get("n_partially_parsed") and (note := partial_note(items, args.format)):
            notes.append(note)
        if empty := [it for it in items if it.pred is not None and not is_errored(it) and it.pred.get("objects") is None
                     and isinstance(it.pred.get("answer"), str) and not it.pred["answer"].strip()]:  # not even "None."
            notes.append(f"{counted(len(empty), 'prediction', 'has/have')} an empty answer, scored as finding nothing (first: "
                         f"{empty[0].id}): a tool that wrote nothing there?")
        notes += filter(None, (unread_coordinates_note(items, args.format), objects_answer_note(items, args.format),
                               size_note(items, *image_root(args)),
                               worded_answers_note(items, args.format)))
    if ignored := scores.get("n_pred_objects_ignored"):
        notes.append(f"{counted(sum(ignored.values()), 'predicted object')} of a kind {task_name} does not score, left out: "
                     f"{ignored}")
    answers = [it.pred["answer"] for it in items if it.pred and isinstance(it.pred.get("answer"), str)]
    for fmt, mark in FORMAT_MARKS.items():
        n = sum(1 for a in answers if mark.search(a) and not FORMAT_MARKS[args.format].search(a))
        if fmt != args.format and n:
            notes.append(f"{counted(n, 'answer', 'holds/hold')} {fmt} geometry, which the {args.format} reader does not read "
                         f"(--format {fmt}?)")
    if task_name in ("classification", "vqa", "captioning") and (geo := [  # were a class "ref large vehicle ref box loc 4…"
            it for it in items if it.pred and not is_errored(it) and isinstance(it.pred.get("answer"), str)
            and FORMAT_MARKS["rsvlm"].search(it.pred["answer"]) and not FORMAT_MARKS["rsvlm"].search(gt_answer(it.record))]):
        notes.append(f"{counted(len(geo), 'answer', 'holds/hold')} geometry (<loc_N>) where {task_name} asks for text, and {'scores' if len(geo) == 1 else 'score'} as "
                     f"wrong (first: {geo[0].id}: {geo[0].pred['answer'][:80]!r}): the model answered another task's "
                     "way; does the question open with its task's tag?")
    if not any(it.pred is not None for it in items):  # a score of 0 that says more about the file
        if not preds.by_id:
            notes.append(f"{args.pred} holds no prediction: every record is missing")
        elif (scores.get("run") or {}).get("limit") is None or not_in_gt:  # a --limit run's first N, all records
            # here: its run note says why; ids of no record here are another set's answers, limit or not
            # no "task" (another tool's lines) was {'None': 1} and "a predictions file of another task?"
            by_task = Counter(str(t) if (t := p.get("task")) is not None and str(t).strip() else "(no task)"
                              for _, p in preds.by_id.values())
            # the task is right ("COUNT", "[count]" too, as tokens.task_name reads it), or unsaid: the ids are not
            n_ours = sum(n for t, n in by_task.items() if tokens.task_name(t) in tasks)
            if n_ours or set(by_task) == {"(no task)"}:
                notes.append(f"none of the {len(preds.by_id)} predictions names a {'/'.join(tasks)} record of "
                             f"{args.gt}, though {n_ours} of them are {'/'.join(tasks)} predictions" if n_ours else
                             f"none of the {len(preds.by_id)} predictions (none naming its task) names a "
                             f"{'/'.join(tasks)} record of {args.gt}")
                if not not_in_gt:  # every id is a record here, of a kind not scored (a worded change): was "another set?"
                    notes[-1] += (f": each names a record of {args.gt} that this script does not score "
                                  "(n_gt_other_tasks), and the records it scores have no prediction (n_missing)")
                else:
                    notes[-1] += (f": the answers to another test set? (ids such as {next(iter(preds.by_id))!r} in "
                                  f"the predictions, {records[0]['id']!r} in the ground truth)")
            else:
                notes.append(f"none of the {len(preds.by_id)} predictions names a {'/'.join(tasks)} record of "
                             f"{args.gt} ({their(len(preds.by_id), 'its task/their tasks')}: {dict(by_task)}); a predictions file of another task?")
    elif not any("answer" in p or "objects" in p for _, p in preds.by_id.values()):
        # {"id", "response": …}: another tool's name for the answer was told "a records file?"
        held = _text_keys([p for _, p in preds.by_id.values()])
        path = (f".{held[0]}" if re.fullmatch(r"[A-Za-z_]\w*", held[0]) else f".[{json.dumps(held[0])}]") if held else ""
        notes.append(f"no line of {args.pred} has an 'answer' (or 'objects')" + (
            f"; their text is under {', '.join(repr(k) for k in held[:3])}: another tool's name for the "
            f"answer? jq -c '.answer = {path}' writes it as one" if held else
            ": is it a records file, --gt and --pred swapped?"))
    return notes


def _text_keys(preds: list[dict]) -> list[str]:
    """The keys of ``preds`` that hold text other than an id, task or question, the likeliest answer first: the one of
    the most different values (an answer differs from line to line; a model's name or a split, beside it, does
    not), then the most lines."""
    values: dict[str, list[str]] = {}
    for p in preds:
        for k, v in p.items():
            if isinstance(v, str) and k not in ("id", "task", "question_id", "prompt", "question", "image",
                                                "conversations", "error"):
                values.setdefault(k, []).append(v)
    return sorted(values, key=lambda k: (-len(set(values[k])), -len(values[k])))


def unmerged_note(pred: str | Path, missing: list[Item]) -> str | None:
    """A note when records with no prediction in ``pred`` are answered in the rank parts beside it
    (``PRED.rankR``): an ``rsvlm eval`` on several processes that has not merged them yet (one still
    running, or stopped), whose answers would otherwise score as missing without a word."""
    from rsvlm.predictions import answer_files

    parts = [f for f in answer_files(Path(pred)) if f != Path(pred)]
    if not parts or not missing:
        return None
    answered = set()
    for f in parts:
        with contextlib.suppress(ScoreError, OSError):
            answered |= set(load_predictions(f).by_id)
    if not (n := sum(it.id in answered for it in missing)):
        return None
    return (f"{counted(n, 'record')} without a prediction in {Path(pred).name} {'is' if n == 1 else 'are'} answered in the rank parts beside it "
            f"({', '.join(f.name for f in parts)}): rsvlm eval has not merged them into it (a process still "
            "running, or stopped); run rsvlm eval again with the same --out, on any number of processes, to merge")


def unparseable_examples(items: list[Item], task_name: str, fmt: str, n: int = 3) -> list[str]:
    """Why the first ``n`` unreadable predictions could not be read: an ``answer`` that is not a
    string, (geometry scripts) the decoder's problems, (counting) no count, (others) an empty answer; a last line
    counts those past ``n`` (they went unsaid). ``rsvlm eval``'s error rows are left to their own note, which gives
    the error (was also "answer '' is empty")."""
    from eval.text import normalize_answer, parse_count, unscored_why, whole_number
    from rsvlm.answer_text import no_count_why

    out = []
    for it in items:
        if it.pred is None or is_errored(it):
            continue
        ans = it.pred.get("answer")
        if number_text(ans) and (task_name == "counting" or task_name == "vqa" and whole_number(gt_answer(it.record))
                                 is not None):
            ans = number_text(ans)  # a number is an answer here, read as its digits
        objs = it.pred.get("objects")  # read by the geometry scripts alone: elsewhere such a row went unsaid
        if not isinstance(ans, str) and (objs is None or task_name not in GEOMETRY_SCRIPTS):
            out.append(f"unparseable {it.id!r}: " + (f"'answer' is {not_text(ans)}" if "answer" in it.pred else
                                                     "no 'answer'") + f", where a {task_name} answer is text"
                       + (" (a JSON number is read as a count only in counting, and in vqa where the reference is "
                          "a whole number)" if number_text(ans) else "")
                       + (f"; its 'objects' ({len(objs) if isinstance(objs, list) else 'given'}) are read by "
                          f"{', '.join(GEOMETRY_SCRIPTS)} alone" if objs is not None else ""))
        elif task_name in GEOMETRY_SCRIPTS:
            got = pred_objects(it, fmt)
            if got.status == UNPARSEABLE:
                out.append(f"unparseable {it.id!r}: {'; '.join(map(str, got.problems[:2]))}")
        elif not isinstance(ans, str):
            continue
        elif task_name == "counting":
            if parse_count(ans) is None:
                # boxes for a count: a detection answer; any size counts them (no meta)
                from rsvlm import geometry

                shapes = len(geometry.decode(ans, 1000, 1000).objects)
                out.append(f"unparseable {it.id!r}: {ans[:60]!r} {no_count_why(ans)}" + (
                    f" (it holds {counted(shapes, 'shape')}: a count is read from a number or from <point>s alone; score "
                    "shapes with eval.detection)" if shapes else ""))
        elif not (ans.strip() if task_name == "captioning" else normalize_answer(ans)):
            out.append(f"unparseable {it.id!r}: answer {ans[:40]!r} {unscored_why(ans)}")
    more = f"(and {counted(len(out) - n, 'more unparseable prediction')}, not quoted)"
    return out[:n] + [more] * (len(out) > n)


_IMAGE_EXT = re.compile(r"\.(?:png|jpe?g|tiff?|bmp|webp|jp2)$")


def _id_key(rid: str) -> str:
    """An id as a near miss reads it: surrounding whitespace, case, an image file's extension and the leading zeros
    of its numbers put aside (``0012`` for ``12``: a tool's integer ids, or a spreadsheet's, against zero-padded
    file names; ``P12`` for ``P0012``)."""
    return re.sub(r"\d+", lambda m: m[0].lstrip("0") or "0", _IMAGE_EXT.sub("", rid.strip().casefold()))


def near_ids_note(items: list[Item], not_in_gt: list[str]) -> str | None:
    """A note when predictions that name no record would name a record without a prediction but for
    surrounding whitespace, case, an image extension or leading zeros (``'P0001.png '`` for ``P0001``, ``12`` for
    ``0012``): ids match exactly, so both were counted, as missing and as naming no record, and the note that named
    them showed no difference (a trailing space); None where there is none. They are not paired: ``12`` and ``0012``
    may be two scenes (where both are records, the one named scores), and a score must not hang on a guess."""
    if not not_in_gt:
        return None
    missing = {_id_key(it.id): it.id for it in items if it.pred is None}
    near = [(pid, missing[k]) for pid in not_in_gt if (k := _id_key(pid)) in missing]
    if not near:
        return None
    return (f"{counted(len(near), 'prediction', 'names/name')} no record, but a record without a prediction by its id written otherwise "
            f"(first: {near[0][0]!r} for {near[0][1]!r}: surrounding spaces, case, an image extension or leading zeros); ids are "
            "matched exactly, so these records score as missing: write the records' ids in the predictions")


def _other_task(items: list[Item]) -> list[Item]:
    """The items whose prediction names an rsvlm task (``rsvlm.tokens.TASKS``; other tools may name
    theirs otherwise) other than its record's."""
    from rsvlm.tokens import TASKS

    return [it for it in items if it.pred is not None and tokens.task_name(it.pred.get("task")) in TASKS
            and it.record.get("task") in TASKS and tokens.task_name(it.pred["task"]) != it.record["task"]]


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
    return (f"{counted(len(unknown), 'record', 'is/are')} tabled under modality 'unknown': the ground truth does not name an image's "
            f"modality and {'its' if len(unknown) == 1 else 'their'} prediction is {', '.join(f'{k} ({n})' for k, n in kinds.most_common())}; name it in "
            "the ground truth's images to table them by it")


def stamp_of(pred: str | Path) -> Path:
    """The run stamp ``rsvlm eval`` wrote beside ``pred``: ``PRED.run.json``, or for a ``PRED.gz`` without one,
    ``PRED.run.json`` where it is there (``gzip pred.jsonl`` leaves pred.jsonl.run.json as it was)."""
    pred = Path(pred)
    side = pred.with_name(pred.name + ".run.json")
    plain = pred.with_name(pred.name.removesuffix(".gz") + ".run.json")
    return plain if not side.is_file() and pred.name.endswith(".gz") and plain.is_file() else side


def read_run(pred: str | Path, n_missing: int = 1) -> tuple[dict | None, str | None]:
    """What ``rsvlm eval`` recorded about the answers in ``pred`` (``PRED.run.json``: the model, its weights, the
    options, ``unchecked_answers``: answers already there when it was first written, ``limit``: its ``--limit``), and
    a note when that is not known: no such file (an older rsvlm eval, another tool), or one that cannot be read; or
    when a ``--limit`` left ``n_missing`` records scored here unanswered (none: the limit cut no record of them)."""
    pred = Path(pred)
    side = stamp_of(pred)
    if pred.exists() and not pred.is_file() and not pred.is_dir():  # no "no stdin.run.json beside" /dev/stdin
        return None, (f"the predictions were read from a pipe ({pred}): the model and options that gave them are not "
                      "known (rsvlm eval records them in PRED.run.json beside its --out)")
    if not side.is_file() and (part := re.fullmatch(r"(.+)\.rank(\d+)", pred.name)):  # was "an older rsvlm eval"
        return None, (f"{pred.name} is rank {part[2]}'s part of an rsvlm eval on several processes, its share of the "
                      f"records alone (the others' scored as missing): score {part[1]}, which the parts are merged "
                      f"into (rsvlm eval again with the same --out merges them); the run is stamped in {part[1]}.run.json")
    if not side.is_file():
        return None, (f"no {side.name} beside the predictions: the model and options that gave them are not "
                      "recorded (an older rsvlm eval, or another tool)")
    try:
        stamp = json.loads(side.read_text(encoding="utf-8"))
        if not isinstance(stamp, dict):
            raise ValueError("not a JSON object")
    except (OSError, ValueError) as e:
        return None, f"{side} cannot be read ({e}): the model and options that gave the predictions are not known"
    run = {k: stamp.get(k) for k in ("model", "weights", "options", "unchecked_answers", "limit", "stopped")}
    notes = [] if side.name == f"{pred.name}.run.json" else [  # gzip pred.jsonl: "no pred.jsonl.gz.run.json beside"
        f"{side.name} is read as the run stamp of {pred.name}, its answers compressed"]
    # a partial run's scores passed as the full set's; a run stopped early (Ctrl-C) was blamed on its --limit
    if note := stamp_note(stamp, pred.name, side.name, n_missing):
        notes.append(note)
    if n := stamp.get("unchecked_answers"):
        notes.append(f"{counted(n, 'answer')} in {pred.name} {'was' if n == 1 else 'were'} there before {side.name} was written (an older rsvlm "
                     "eval, or another tool): which model and options gave those is not recorded")
    return run, "; ".join(notes) or None


if __name__ == "__main__":  # python -m eval.notes: no command line; say so, and which scripts have one
    from eval.__main__ import library_main

    raise SystemExit(library_main("notes"))
