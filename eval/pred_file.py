"""Reading a predictions file (``eval.inputs.load_predictions``): JSONL or one JSON array, plain or gzip-compressed,
a pipe read once; bad lines and repeated ids counted, never fatal; another tool's file (a COCO results file, an
``{id: answer}`` mapping, DOTA's text) refused naming what it is. The bytes and lines under it: ``eval.pred_bytes``."""

from __future__ import annotations

import codecs
import contextlib
import itertools
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from eval.counts import counted
from eval.errors import ScoreError
from rsvlm.data import records_shape
from rsvlm.data.records import LINE_END, UTF16_BOMS, text_encoding
from rsvlm.data.records_shape import JSON_KINDS, Constants, json_line, not_json


@dataclass
class PredictionFile:
    by_id: dict[str, tuple[int, dict]]  # id -> (line order, prediction)
    n_bad_lines: int = 0
    n_question_ids: int = 0  # lines without an "id", matched by their "question_id"
    n_text_answers: int = 0  # lines without an "answer" (or "objects"), scored on their "text"
    repeats: Counter = field(default_factory=Counter)  # id -> later lines that repeat it, in the order first repeated
    differing: list[str] = field(default_factory=list)  # repeated ids whose later line answers otherwise (same_answer)
    # ids whose first line is an error row rsvlm eval wrote and a later line answers: that answer is the one scored
    past_errors: list[str] = field(default_factory=list)
    bad_examples: list[str] = field(default_factory=list)
    json_array: bool = False  # the file is one JSON array of predictions, not JSONL

    @property
    def n_duplicates(self) -> int:
        """Lines that repeat an id already read, every task's."""
        return sum(self.repeats.values())


def load_predictions(path: str | Path) -> PredictionFile:
    """Predictions by id, from JSONL (or one JSON array of such objects, ``json_array``), plain or
    gzip-compressed; a line without an ``id`` is matched by its
    ``question_id`` (the key LLaVA's and GeoChat's eval scripts write), one without an ``answer`` (or
    ``objects``) is scored on its ``text`` (LLaVA's ``model_vqa``). Bad lines (not JSON, no id) and repeated
    ids are counted, never fatal: the records they were meant for are then scored as missing (first
    prediction of an id wins, but for an error row ``rsvlm eval`` wrote, which the id's first line without an
    ``error`` replaces: ``past_errors``; the ids whose later lines answer otherwise are listed in ``differing``). A file
    that is one JSON object without an id (an ``{id: answer}`` mapping) raises ScoreError saying what to do."""
    path = Path(path)
    if path.exists() and not path.is_file() and not path.is_dir():  # --pred <(jq …), /dev/stdin: read once, whole
        return _read_predictions(path)
    if not path.is_file():
        from rsvlm.predictions import answer_files

        parts = "" if path.is_dir() else ", ".join(f.name for f in answer_files(path))
        raise ScoreError(f"predictions file {'is a folder' if path.is_dir() else 'not found'}: {path}" + (
            f" (rank parts beside it, {parts}: rsvlm eval on several processes has not merged them, a process still "
            "running or stopped; run it again with the same --out, on any number of processes, to merge)"
            if parts else "; give the answers file that rsvlm eval --data GT.jsonl --out PRED.jsonl wrote" if not
            path.is_dir() else "; give the JSONL file in it"))
    return _read_predictions(path)


def _read_predictions(path: Path) -> PredictionFile:
    """``load_predictions`` of ``path``, read once (``pred_bytes.ByteStream``: a pipe too, gzip decompressed as it
    comes) and a line at a time: a UTF-8 file whose first line is a JSON object holds a line's text, not the
    file's. Read whole (as the old reader read every file: the bytes, then the text) where it cannot be one line at a
    time: UTF-16 (its BOM), or a first line that is no JSON object alone (a JSON array, a pretty-printed document)."""
    from eval.pred_bytes import (
        ByteLines,
        ByteStream,
        first_line_at,
        object_line,
        other_pack,
        unmarked_utf16,
        whole_bytes,
    )

    stream, head = ByteStream(path), bytearray()  # bytearray: a first line of 64 chunks is no quadratic copy
    for chunk in stream:  # enough to tell the first line: a JSON object alone, or a whole document
        head += chunk
        if (head[:2] in UTF16_BOMS or (b"\n" in chunk or b"\r" in chunk) and first_line_at(head) is not None
                or len(head) > records_shape.LINE_CAP):  # a chunk without a line end ends no line: not scanned again
            break
    other_pack(path, head)
    unmarked_utf16(path, head)
    found = None if head[:2] in UTF16_BOMS else first_line_at(head)
    if (obj := object_line(found[0], (constants := Constants()).constant) if found else None) is None:
        return _read_text(path, *whole_bytes(path, stream, bytes(head)))
    out = PredictionFile(by_id={})
    if "\ufffd" in found[0]:  # bytes that may be no UTF-8: ByteLines decodes the line again, and says where
        first_obj = _parse(path, lines := ByteLines(path, head, stream), None, out)
    else:  # the first line read once (was decoded twice, parsed twice: a 60 MB line peaked at 300 MiB, now 184)
        lines = ByteLines(path, head, stream, skip=found[2])
        # a first line holding NaN is read again as any line is: refused, counted
        first = found[0] if constants.found else Parsed(obj)
        number, head, found = found[1], None, None  # let go: ByteLines holds what follows the line alone
        first_obj = _parse(path, itertools.chain([(f"{number}", first)], lines), None, out)
    if stream.note:
        out.bad_examples.insert(0, stream.note)
    if out.n_bad_lines == 1 and lines.n_lines == 1 and isinstance(first_obj, dict):  # a one-line {id: answer} mapping
        _refuse_object(path, first_obj)
    return out


@dataclass
class Parsed:
    """A line ``_read_predictions`` read as JSON already (the first): ``_parse`` takes ``obj`` as it is."""

    obj: dict


def _refuse_object(path: Path, whole: dict) -> None:
    """ScoreError where ``whole``, all the file held, is one JSON object without an id: a mapping, a score file."""
    from eval.pred_bytes import whole_kind

    if not {"id", "question_id"} & set(whole):
        raise ScoreError(f"{path} is one JSON object, not JSONL: predictions are one {{id, task, answer}} object a line"
                         + ("; an {id: answer} mapping becomes that with jq -c 'to_entries[] | {id: .key, answer: "
                            ".value}'" if whole and all(isinstance(v, str) for v in whole.values()) else
                            "; it is rsvlm predict's --out, one image's answer: answer a test set with rsvlm eval "
                            "--data TEST.jsonl --out PRED.jsonl" if {"answer", "prompt", "task"} <= set(whole) else
                            f"; it is {kind}" if (kind := whole_kind(path, whole)) else ""))


def _parse(path: Path, entries, array: list | None, out: PredictionFile, noted: int = 0):
    """Each of ``entries`` (``(where, line)``, or of a JSON ``array`` ``(where, item)``) read into ``out``: a
    prediction by its id, or a bad line counted (the first 5 said, after ``noted`` notes); the first JSON value read (of a line that is one), or None."""
    from eval.pred_bytes import dota_kind

    differing: set[str] = set()
    first_bad, first_obj = None, None  # the first unreadable line: a DOTA-style text file's, where none is read
    for where, entry in entries:
        try:
            if array is None and not isinstance(entry, Parsed) and len(entry) > (cap := records_shape.LINE_CAP):  # the records' cap: a line of GB not parsed
                raise ValueError(f"a line of {len(entry):,} characters, over the {cap:,} ({cap / 2**20:g} M) a prediction "
                                 "may take: no prediction (an image inlined as text? a file with no line ends?)")
            if isinstance(entry, Refused):
                raise NotFinite(entry.why)
            obj = entry if array is not None else entry.obj if isinstance(entry, Parsed) else _json_or_nul(entry)
            first_obj = obj if first_obj is None else first_obj
            if isinstance(obj, dict) and "id" not in obj and "question_id" in obj:  # LLaVA's, GeoChat's eval scripts
                obj = {**obj, "id": obj["question_id"]}
                out.n_question_ids += 1
            if isinstance(obj, dict) and "answer" not in obj and "objects" not in obj and isinstance(obj.get("text"), str):
                obj = {**obj, "answer": obj["text"]}  # LLaVA's model_vqa: {"question_id", "prompt", "text", ...}
                out.n_text_answers += 1
            if isinstance(obj, dict) and "id" not in obj and "image_id" in obj and ("bbox" in obj or "segmentation" in obj):
                raise ValueError("not an object with an 'id': a COCO results file's detection (image_id, category_id, "
                                 "bbox or segmentation), one a line? predictions are one line a record: {\"id\": its "
                                 "id, \"objects\": [{\"kind\": \"box\", \"coords\": [x1, y1, x2, y2], \"label\", "
                                 "\"score\"}, …]}, corners where COCO's bbox is [x, y, width, height] (docs/eval.md)")
            if not isinstance(obj, dict) or "id" not in obj:  # which JSON it is, what keys it has: was this alone
                raise ValueError("not an object with an 'id' (" + (
                    f"its keys: {', '.join(list(map(str, obj))[:6])}" if isinstance(obj, dict) and obj else
                    f"{JSON_KINDS.get(type(obj), 'a JSON value')}, where a prediction is one {{\"id\", \"task\", "
                    "\"answer\"} object a line") + ")")
            if not isinstance(obj["id"], (str, int)) or isinstance(obj["id"], bool):  # null read as the id "None"
                raise ValueError(f"'id' is {json.dumps(obj['id'])[:40]}, not a string")
        except ValueError as e:
            out.n_bad_lines += 1
            first_bad = first_bad if out.n_bad_lines > 1 else entry
            cut = array is None and where.endswith("$") and str(e).startswith(
                "not valid JSON") and not isinstance(e, NotFinite)  # a run killed while writing its last answer
            if len(out.bad_examples) < 5 + noted or cut:  # json_line's "cut short? (… written \\n)" fits no killed run
                said = str(e).partition("; the line ends inside it")[0] if cut else str(e)
                out.bad_examples.append(f"{path}:{where.rstrip('$')}: {said}" + (
                    "; the last line, without its line end: cut short, a run killed while writing it? (rerun "
                    "`rsvlm eval` with the same --out: it resumes)" if cut else ""))
            continue
        pid = str(obj["id"])
        if pid in out.by_id:
            out.repeats[pid] += 1
            order, first = out.by_id[pid]
            if is_error_row(first) and not is_error_row(obj):  # two runs joined by `cat`: the run that answered
                out.by_id[pid] = (order, obj)
                out.past_errors.append(pid)
                continue
            if pid not in differing and not same_answer(first, obj):
                differing.add(pid)  # a set beside the list: the list's `in` made two appended runs' file quadratic
                out.differing.append(pid)
            continue
        out.by_id[pid] = (len(out.by_id), obj)
    if not out.by_id and isinstance(first_bad, str) and (kind := dota_kind(first_bad)):
        raise ScoreError(f"{path} is {kind} (its first line: {first_bad.strip()[:80]!r}), not JSONL: predictions are "
                         "one {id, task, answer} object a line, with \"objects\" in pixels where given (docs/eval.md)")
    return first_obj


def is_error_row(row: dict | None) -> bool:
    """A row ``rsvlm eval`` answered empty with an ``error`` (a string: ``"error": null`` is none); the one rule of
    this reader's error-row-then-answer repeat and ``eval.flags.is_errored``, the scorers' count (each had its own)."""
    return isinstance(row, dict) and isinstance(row.get("error"), str)


LOC_TOLERANCE = 1  # <loc_N> bins (0.1% of a side): two runs' answers this close are one answer (a GPU's rounding)
PIXEL_TOLERANCE = 1.0  # the same for the coordinates of "objects", in pixels
SCORE_TOLERANCE = 0.01  # and for an object's "score" (a confidence: 0.2 and 0.9 are two runs' answers)
_LOC = re.compile(r"<loc_(\d+)>")


def same_answer(a: dict, b: dict) -> bool:
    """Whether two lines of one id answer alike: their ``answer`` texts equal but for locations ``LOC_TOLERANCE`` bins
    apart or less, their ``objects`` equal but for coordinates ``PIXEL_TOLERANCE`` pixels apart or less and scores
    ``SCORE_TOLERANCE`` apart (one bin apart was "another answer", though it scores the same to a thousandth of the
    image). Other geometry (GeoChat's, Falcon's) is compared as text, an answer that is no string exactly (a count of
    3 and of 4)."""
    return _alike(a.get("answer"), b.get("answer"), None) and _alike(a.get("objects"), b.get("objects"), PIXEL_TOLERANCE)


def _alike(x, y, tolerance: float | None) -> bool:
    """``same_answer`` of one field: ``tolerance`` None for an answer (a string's locations compared as numbers, any
    other value exactly), else the numbers' within ``objects`` (``SCORE_TOLERANCE`` for a ``score``)."""
    if x == y:
        return True
    if tolerance is None:
        if not (isinstance(x, str) and isinstance(y, str)):
            return False
        bins = [list(map(int, _LOC.findall(t))) for t in (x, y)]
        return (_LOC.sub("<loc>", x) == _LOC.sub("<loc>", y) and len(bins[0]) == len(bins[1])
                and all(abs(u - v) <= LOC_TOLERANCE for u, v in zip(*bins)))
    if isinstance(x, (int, float)) and isinstance(y, (int, float)) and not isinstance(x, bool) and not isinstance(y, bool):
        return abs(x - y) <= tolerance
    if isinstance(x, list) and isinstance(y, list):
        return len(x) == len(y) and all(_alike(u, v, tolerance) for u, v in zip(x, y))
    if isinstance(x, dict) and isinstance(y, dict):
        return x.keys() == y.keys() and all(_alike(x[k], y[k], SCORE_TOLERANCE if k == "score" else tolerance) for k in x)
    return False


def _read_text(path: Path, data: bytes, cut_note: str | None) -> PredictionFile:
    """``load_predictions`` of the whole bytes ``data`` (``cut_note``: what a gzip cut lost): UTF-16 by its BOM
    (PowerShell's `>`), one JSON array or object, or text whose first line is no JSON object."""
    out = PredictionFile(by_id={}, bad_examples=[cut_note] if cut_note else [])
    try:
        text = data.decode(enc := text_encoding(data))  # the records' rule: UTF-16 by its BOM, a UTF-8 BOM dropped
    except UnicodeDecodeError as e:
        try:  # a last line a kill cut inside a character was the whole file refused: read up to it, and told below
            text = codecs.getincrementaldecoder(enc)().decode(data)  # not final: strict but for the cut character
        except UnicodeDecodeError:
            raise ScoreError(f"{path}: not {'UTF-16' if e.encoding.startswith('utf-16') else 'UTF-8'} text ({e.reason} at "
                             f"byte {e.start}); predictions are JSONL") from None
    del data  # the bytes: the text alone is read from here
    whole = _whole_json(text, constants := Constants())
    if isinstance(whole, dict):
        _refuse_object(path, whole)
    array = whole if isinstance(whole, list) else None
    if array is not None:  # a JSON array of predictions (LLaVA's own answers files are such): each item a line
        out.json_array = True
    refused = constants.refused_items(array) if array is not None else {}  # NaN or Infinity: each item alone
    _parse(path, [(f"item {i}", Refused(refused[i]) if i in refused else obj) for i, obj in enumerate(array)]
           if array is not None else _text_lines(text), array, out, bool(cut_note))
    return out


def _json_or_nul(line: str):
    """``json_line`` of ``line``, its error saying where the line holds NUL bytes (what a crash or a full disk leaves
    in a file being written: was "Invalid control character" or "Expecting value" alone)."""
    try:
        return json_line(line, constant=_refuse_constant)
    except ValueError as e:
        if (at := line.find("\0")) < 0 or isinstance(e, NotFinite):
            raise
        raise ValueError(f"{e}; it holds {counted(line.count(chr(0)), 'NUL byte')} (\\x00), the first at column "
                         f"{at + 1}: a file a crash or a full disk left zeros in? (the prediction there is lost)") from None


class NotFinite(ValueError):
    """A prediction holding NaN, Infinity or -Infinity, which JSON has not (Python's json reads and writes them): a
    box ``[NaN, 1, 2, 3]`` or a count of NaN was scored as a number, an IoU of NaN or an answer of "nan". Its line
    is skipped and counted as a bad line, named by file and line."""


def _refuse_constant(name: str):
    """``json_line``'s ``constant`` for a predictions line: ``NotFinite``, in the records reader's words."""
    raise NotFinite(f"not valid JSON ({not_json(name)})")


@dataclass
class Refused:
    """An item of a JSON array of predictions that holds NaN or Infinity (``records_shape.Constants``): ``_parse``
    counts it as a bad line, saying ``why``."""

    why: str


def _text_lines(text: str):
    """``(number, line)`` of each line of ``text`` that is not blank, one at a time, the number ending in ``$`` for
    a last line without its line end (a run killed while writing it). Not splitlines(): U+2028 in a string; a bare
    CR (an old Mac's line end) can be no JSON string's."""
    start, n = 0, 0
    for n, m in enumerate(LINE_END.finditer(text), 1):
        if not _BLANK.fullmatch(text, start, m.start()):
            yield f"{n}", text[start:m.start()]
        start = m.end()
    if start < len(text) and not _BLANK.fullmatch(text, start):
        yield f"{n + 1}$", text[start:]


_BLANK = re.compile(r"\s*")


def check_predictions(gt: str | Path, pred: str | Path, preds: PredictionFile) -> None:
    """ScoreError where ``pred`` is no predictions file: the ``gt`` file itself, or a records file (every
    line a record with ``conversations``, none with an ``answer`` or ``objects``), whose records were
    scored as unparseable answers, every one."""
    rows = [p for _, p in preds.by_id.values()]
    same = Path(pred).resolve() == Path(gt).resolve()
    if same or rows and all("conversations" in p and "answer" not in p and "objects" not in p for p in rows):
        raise ScoreError(f"--pred {pred} {'is the --gt file' if same else 'holds records (conversations), not predictions'}"
                         f": give the predictions ({{id, task, answer}} lines; rsvlm eval --data {gt} --out PRED.jsonl "
                         "writes them)")


def foreign_tasks(preds: PredictionFile, ids: set[str]) -> Counter:
    """How many predictions for ``ids`` (the records scored) name a task that is no rsvlm task
    (``rsvlm.tokens.TASKS``, read by ``tokens.task_name`` as records are: any case, a tag's brackets read past), by
    that task; one without a ``task``, ``null``, blank or ``chat`` (the records' word for untagged) names none (other tools write none; was tallied under ``""``). They are scored
    against the record of their id: another tool's name for the task ("referring"), or another benchmark's
    answers under ids that repeat these."""
    from rsvlm.tokens import TASKS, task_name

    named = ((str(p.get("task")), pid) for pid, (_, p) in preds.by_id.items() if p.get("task") is not None)
    return Counter(task[:40] for task, pid in named if pid in ids and task_name(task) not in (*TASKS, "", "chat"))


def _whole_json(text: str, constants: Constants | None = None):
    """``text`` read as one JSON object or array (a mapping of ids, a score file, LLaVA's answers, pretty-printed),
    where it is one: its lines were each unreadable, and every record missing; None otherwise (JSONL of several
    lines)."""
    if (text := text.lstrip())[:1] not in ("{", "["):
        return None
    if text[0] == "{" and ((end := LINE_END.search(text)) and end.start() or len(text)) > records_shape.LINE_CAP:
        return None  # a first line over the records' cap: refused as a JSONL line, not parsed whole
    with contextlib.suppress(ValueError):
        return json.loads(text, parse_constant=constants.constant if constants else None)
    return None


if __name__ == "__main__":  # python -m eval.pred_file: no command line; say so, and which scripts have one
    from eval.__main__ import library_main

    raise SystemExit(library_main("pred_file"))
