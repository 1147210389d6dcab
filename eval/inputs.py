"""Reading the scoring scripts' two inputs and pairing them: ground-truth instruction records
and a predictions file (read by ``eval.pred_file``), matched by id.

A malformed ground-truth record is skipped and counted as ``rsvlm eval`` skips it, a file half malformed or more
refused, a repeated id refused (``ScoreError`` naming the file, the line); predictions are read leniently, their bad
lines and repeated ids counted, never fatal.
"""

from __future__ import annotations

import ast
import contextlib
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from eval.counts import counted
from eval.errors import ScoreError
from eval.gt_refusal import (  # noqa: F401  (eval.inputs.NAME, as before the split)
    BLIND,
    MALFORMED_SHARE,
    gt_reasons,
    malformed_refusal,
    n_unscorable,
    task_refusal,
    too_malformed,
)
from eval.gt_skips import LineReport
from eval.pred_file import (  # noqa: F401  (eval.inputs.NAME, as before the split: the scorers and tests use them)
    PredictionFile,
    _read_text,
    check_predictions,
    foreign_tasks,
    load_predictions,
)
from rsvlm.data.records import GZIP_ERRORS, REENCODE, RecordError, open_bytes
from rsvlm.data.records_shape import json_line
from rsvlm.geometry.codec import REPAIRED


class BadReference(ScoreError):
    """A record's reference answer no answer could be scored against (nothing left once normalised, another tool's
    geometry, no count): ``load_gt`` skips the record, counted under ``reason``, as it skips a malformed one."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


class MalformedGT(ScoreError, RecordError):
    """A ground truth with ``MALFORMED_SHARE`` of its records or more malformed: a scorer's refusal, and the records
    reader's error (which a malformed ground truth raised before its records were skipped, counted)."""


@dataclass
class Item:
    """One ground-truth record paired with its prediction (None when missing)."""

    record: dict
    pred: dict | None
    order: int  # position of the prediction in the predictions file (missing ones last)
    extra: dict = field(default_factory=dict)  # a script's notes made over the whole set (``run(prepare=)``)

    @property
    def id(self) -> str:
        return self.record["id"]


CROSSING_OBB = "has crossing edges"  # rsvlm.geometry.decode's problem of an <obb> whose corners are out of order


def crossing_obb_advice(refusal: str) -> str:
    """``refusal`` of a reference holding an ``<obb>`` whose corners are out of order (``CROSSING_OBB``) with the way
    out: a reference is not repaired, but rsvlm.geometry.encode writes its corners in order (said once: the records
    reader's own way out, ``REENCODE``, gives way to this one, which says how)."""
    return (refusal.removesuffix(REPAIRED).removesuffix(REENCODE) + ": a reference is not repaired; write its corners in order around the "
            "box, or re-encode the answer with rsvlm.geometry.encode, which puts them in order: "
            "encode(decode(answer, width, height).objects, width, height)")


def load_gt(path: str | Path, tasks: tuple[str, ...], keep: Callable[[dict], bool] | None = None, geometry: bool = True,
            decoded: dict | None = None, report: LineReport | None = None,
            check: Callable[[dict], object] | None = None,
            skipped: set[str] | None = None) -> tuple[list[dict], Counter, set[str]]:
    """Records of ``tasks`` (and passing ``keep``) from a ground-truth file, a count of the
    others by task (``"change (not kept)"`` for a record of ``tasks`` that ``keep`` refused), and
    the ids of every record in the file.

    A malformed record (not JSON, a bad field, a blind one) is skipped and counted in ``report`` (pass one in to read
    it after: ``bad_gt_note`` says it), as ``rsvlm eval`` skips it; a file with ``MALFORMED_SHARE`` of its records or
    more malformed raises ``MalformedGT`` naming the file (``ScoreError`` where it holds predictions), and so does one
    where that share of one of ``tasks``' own records is (``task_refusal``: a broken task beside sound ones was scored
    on what was left), unless none of ``tasks`` is left at all (the scorer's "no records" error says it). The turns' shapes
    are checked (``records.check_shapes``: each decoded in full, half the reading's time) in the records of ``tasks``
    alone, and in none where ``geometry=False`` (a scorer that reads no shapes: vqa, classification, captioning); a
    bad one is skipped as a malformed one. The check decodes a checked record's reference answer at its ``meta`` size
    and keeps it in ``decoded`` by id where given (``_check_keeping_reference``): the scorer reads it from there, not
    decoding it twice. ``check`` (a kept record of ``tasks``) raises ``BadReference`` for a reference the scorer cannot
    score: skipped and counted as a malformed record is (``reference: …`` reasons), the file refused by the same share.
    ``skipped`` (where given) gets the ids of the skipped records whose id was read: those two kinds, the blind ones
    and those of another bad field (``eval.gt_skips``: as the reader's report keeps them); not the id of a record
    whose JSON or id is what is wrong. ``report``: a ``LineReport`` (it counts the skipped lines, not ids)."""
    from eval.gt_skips import id_read_skips, n_lines, reader_skips, task_lines, untasked_lines
    from rsvlm.data.records import read_records

    kept, other, records = [], Counter(), []
    ok, bad, whys = Counter(), Counter(), {t: Counter() for t in tasks}  # of tasks' own records, by task
    firsts: dict[str, str] = {}
    ids, report = set(), report if report is not None else LineReport(str(path))
    n_mine = 0  # the records skipped here (shape, reference), their task read
    report.keep_skipped = keep  # asked of the skipped records whose id is read (eval.gt_skips)
    try:
        for rec in read_records(path, strict=False, report=report, check_geometry=False):  # or gzip-compressed
            try:
                mine = rec["task"] in tasks
                wanted = mine and (keep is None or keep(rec))  # once a record: was asked again for the shapes' check
                if check and wanted:
                    check(rec)
                if geometry and mine:  # another task's shapes are its scorer's to check
                    # kept for the records scored alone: a worded change is eval.captioning's, its decoding unread here
                    _check_keeping_reference(rec, f"{report.at[1]}{report.at[2]}", decoded if wanted else None)
            except (RecordError, BadReference) as e:  # skipped, counted, the first named; no prediction "of no record"
                ids.add(rec["id"])
                if skipped is not None:
                    skipped.add(rec["id"])
                if isinstance(e, BadReference):  # one "." reference refused the whole file
                    reason, said = e.reason, f"{report.at[1]}{report.at[2]}: {e}"
                else:  # as rsvlm eval skips it (its check_geometry)
                    reason, said = f"bad field {e.field}", crossing_obb_advice(str(e)) if CROSSING_OBB in str(e) else str(e)
                n_said, n_mine = len(report.examples), n_mine + 1
                report.shapes += not isinstance(e, BadReference)  # a line each (n_gt_bad_shapes)
                report.drop(reason, said)
                said = report.examples[-1] if len(report.examples) > n_said else said  # at its line
                if wanted:
                    bad[rec["task"]] += 1
                    whys[rec["task"]][reason] += 1
                    firsts.setdefault(rec["task"], said)
                continue
            ok[rec["task"]] += wanted
            records.append(rec)
    except RecordError as e:  # the whole file's fault (a cut JSON array, bytes that are no UTF-8 in one)
        _refuse_other_file(path, str(e))
        raise
    ids |= report.skipped_ids  # a blind record's: its prediction is unscored with it, not "of no record"
    if id_read_skips(report):  # a bad field's: the ids and tasks the reader kept (was "names no record")
        found = reader_skips(report, ids | {r["id"] for r in records})  # the blind ones' ids are in ids: not found
        ids.update(found.task)
        for rid in found.task:
            # each line of a repeated id under its own task and reason (the reader keeps the last line's task: a cap
            # line sharing a regcap line's id was a regcap one); one keep cannot tell is the file's share alone
            for (task, reason), n in task_lines(report, rid).items():
                if task in tasks:
                    bad[task] += n
                    whys[task][reason] += n
                    firsts.setdefault(task, report.skipped_first.get(task, found.why[rid][1]))
        if skipped is not None:
            skipped.update(found.task)
    if skipped is not None:
        skipped |= report.skipped_ids
    if too_malformed(report):
        _refuse_other_file(path, report.examples[0])
        raise MalformedGT(malformed_refusal(report))
    if sum(ok.values()) and (t := next((t for t in tasks if bad[t] and bad[t] >= MALFORMED_SHARE * (ok[t] + bad[t])),
                                       None)):  # a task's own records broken beside sound ones: was scored on the rest
        read = n_lines(report, set(report.skipped_read_ids)) - untasked_lines(report)  # their task read too
        raise MalformedGT(task_refusal(str(path), t, bad[t], ok, whys[t], firsts[t], report.n_skipped - n_mine - read))
    if report.duplicates:  # which line: was the id alone, in a file of thousands
        raise ScoreError(f"{path}: duplicate record id {report.first_duplicate} ({counted(report.duplicates, 'repeated id')}); "
                         "predictions are matched to records by id: give each record its own")
    for rec in records:
        ids.add(rec["id"])
        if rec.get("task") in tasks and (keep is None or keep(rec)):
            kept.append(rec)
        elif rec.get("task") in tasks:
            other[f"{rec['task']} (not kept)"] += 1
        else:
            other[str(rec.get("task"))] += 1
    return kept, other, ids


def _refuse_other_file(path: str | Path, fault: str) -> None:
    """ScoreError where ``path``, given as ground truth, opens with LLaVA's questions or a prediction (``fault``: how
    reading it as records failed)."""
    from rsvlm.eval_reading import head_row, is_llava_question, is_prediction, llava_questions

    if is_llava_question(row := head_row(path)):  # one rule with rsvlm eval's --data check
        raise ScoreError(f"--gt {llava_questions(path)}; --gt takes records with their answers")
    if is_prediction(row):
        raise ScoreError(f"{path} holds predictions ({{id, task, answer}} lines), not ground-truth records: "
                         f"are --gt and --pred swapped? (read as records: {fault})")


def _check_keeping_reference(rec: dict, where: str, decoded: dict | None) -> None:
    """``records.check_shapes`` of ``rec`` (``where``: its file and line), its reference answer decoded at its ``meta``
    size (``rsvlm.geometry.decode``, as ``answers.gt_objects`` reads it) and kept in ``decoded`` by id where given: the
    check decoded it at a size of its own, and the scorer once more. Without a reference or a size, the check alone
    (the scorer says what is missing)."""
    from rsvlm import geometry
    from rsvlm.data.records import check_shapes

    turns = rec["conversations"]
    last = next((i for i in range(len(turns) - 1, -1, -1) if turns[i]["from"] in ("gpt", "assistant")), None)
    meta = rec.get("meta") or {}
    size = meta.get("width"), meta.get("height")
    if last is None or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in size):
        check_shapes(rec, where)  # a float size is answers.image_size's to read (as int) or refuse
        return
    dec = geometry.decode(turns[last]["value"], *size)
    if dec.problems:  # the check's own error, naming the turn (on the way to an error: decoded again)
        check_shapes(rec, where)
    else:  # the questions' shapes (a region asked about), the reference's read
        check_shapes({**rec, "conversations": [*turns[:last], {**turns[last], "value": ""}, *turns[last + 1:]]}, where)
    if decoded is not None:
        decoded[rec["id"]] = dec


def pair(records: list[dict], preds: PredictionFile, decoded: dict | None = None) -> list[Item]:
    """Ground-truth records paired with predictions, in predictions-file order, missing last; a record's reference
    answer as ``load_gt`` decoded it (``decoded``) in its item's ``extra["ref_decoded"]``."""
    n = len(preds.by_id)
    items = []
    for i, rec in enumerate(records):
        order, p = preds.by_id.get(rec["id"], (n + i, None))
        items.append(Item(rec, p, order, {"ref_decoded": decoded[rec["id"]]} if decoded and rec["id"] in decoded else {}))
    return sorted(items, key=lambda it: it.order)


def record_line(gt: str | Path, error: str) -> str | None:
    """Where the record an ``error`` opens with (``record 'ID': …``, the id as repr writes it) is in the ground
    truth: ``GT:LINE`` in a JSONL file (plain or gzip-compressed), ``GT`` where the line cannot be told (a JSON
    array, a file since changed); None for an error about no one record."""
    if not (m := re.match(r"record ('(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"): ", error)):
        return None
    rid = m[1][1:-1]
    with contextlib.suppress(ValueError, SyntaxError):  # read back from its repr: 'a\\b' is the id a\b
        rid = ast.literal_eval(m[1])
    with contextlib.suppress(*GZIP_ERRORS, OSError, ValueError), open_bytes(gt) as f:
        for n, line in enumerate(f, 1):
            with contextlib.suppress(ValueError):
                row = json_line(line.decode("utf-8"))
                if isinstance(row, dict) and str(row.get("id")) == rid:
                    return f"{gt}:{n}"
    return str(gt)


if __name__ == "__main__":  # python -m eval.inputs: no command line; say so, and which scripts have one
    from eval.__main__ import library_main

    raise SystemExit(library_main("inputs"))
