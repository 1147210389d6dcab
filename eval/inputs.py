"""Reading the scoring scripts' two inputs and pairing them: ground-truth instruction records
and a predictions file, matched by id.

Ground truth must be well formed (a bad line, a repeated id: ``ScoreError`` / ``RecordError``
naming it); predictions are read leniently, their bad lines and repeated ids counted, never fatal.
"""

from __future__ import annotations

import ast
import codecs
import contextlib
import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from eval.counts import counted
from rsvlm.data import records_shape
from rsvlm.data.records import (
    GZIP_ERRORS,
    LINE_END,
    REENCODE,
    UTF16_BOMS,
    json_line,
    open_bytes,
    text_encoding,
)
from rsvlm.data.records_shape import is_report, is_score_file
from rsvlm.geometry.codec import REPAIRED


class ScoreError(ValueError):
    """Input that cannot be scored; the message names the file, line or record."""


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


@dataclass
class PredictionFile:
    by_id: dict[str, tuple[int, dict]]  # id -> (line order, prediction)
    n_bad_lines: int = 0
    n_question_ids: int = 0  # lines without an "id", matched by their "question_id"
    n_text_answers: int = 0  # lines without an "answer" (or "objects"), scored on their "text"
    repeats: Counter = field(default_factory=Counter)  # id -> later lines that repeat it, in the order first repeated
    differing: list[str] = field(default_factory=list)  # repeated ids whose later line answers otherwise
    bad_examples: list[str] = field(default_factory=list)
    json_array: bool = False  # the file is one JSON array of predictions, not JSONL

    @property
    def n_duplicates(self) -> int:
        """Lines that repeat an id already read, every task's."""
        return sum(self.repeats.values())


CROSSING_OBB = "has crossing edges"  # rsvlm.geometry.decode's problem of an <obb> whose corners are out of order


def crossing_obb_advice(refusal: str) -> str:
    """``refusal`` of a reference holding an ``<obb>`` whose corners are out of order (``CROSSING_OBB``) with the way
    out: a reference is not repaired, but rsvlm.geometry.encode writes its corners in order (said once: the records
    reader's own way out, ``REENCODE``, gives way to this one, which says how)."""
    return (refusal.removesuffix(REPAIRED).removesuffix(REENCODE) + ": a reference is not repaired; write its corners in order around the "
            "box, or re-encode the answer with rsvlm.geometry.encode, which puts them in order: "
            "encode(decode(answer, width, height).objects, width, height)")


def load_gt(path: str | Path, tasks: tuple[str, ...], keep: Callable[[dict], bool] | None = None, geometry: bool = True,
            decoded: dict | None = None) -> tuple[list[dict], Counter, set[str]]:
    """Records of ``tasks`` (and passing ``keep``) from a ground-truth file, a count of the
    others by task (``"change (not kept)"`` for a record of ``tasks`` that ``keep`` refused), and
    the ids of every record in the file.

    A malformed ground-truth line raises (``rsvlm.data.records.RecordError``, naming the line); a
    file of predictions given as ground truth raises ``ScoreError`` saying so. The turns' shapes are checked
    (``records.check_shapes``: each decoded in full, half the reading's time) in the records of ``tasks`` alone, and
    in none where ``geometry=False`` (a scorer that reads no shapes: vqa, classification, captioning); a bad one is
    a RecordError naming its line. The check decodes a checked record's reference answer at its ``meta`` size and
    keeps it in ``decoded`` by id where given (``_check_keeping_reference``): the scorer reads it from there, not
    decoding it twice.
    """
    from rsvlm.data.records import ReadReport, RecordError, read_records

    kept, other = [], Counter()
    ids, report = set(), ReadReport(str(path))
    records = []
    try:
        for rec in read_records(path, strict=True, report=report, check_geometry=False):  # or gzip-compressed
            if geometry and rec["task"] in tasks:  # another task's shapes are its scorer's to check
                # kept for the records scored alone: a worded change is eval.captioning's, its decoding unread here
                _check_keeping_reference(rec, f"{report.at[1]}{report.at[2]}",
                                         decoded if keep is None or keep(rec) else None)
            records.append(rec)
    except RecordError as e:
        from rsvlm.eval_reading import head_row, is_llava_question, is_prediction, llava_questions

        if is_llava_question(row := head_row(path)):  # one rule with rsvlm eval's --data check
            raise ScoreError(f"--gt {llava_questions(path)}; --gt takes records with their answers") from e
        if is_prediction(row):
            raise ScoreError(f"{path} holds predictions ({{id, task, answer}} lines), not ground-truth records: "
                             f"are --gt and --pred swapped? (read as records: {e})") from e
        if CROSSING_OBB in str(e):  # decode's repair of a model's obb said as a refusal's "; swapped": the way out
            raise ScoreError(crossing_obb_advice(str(e))) from e
        if str(e).endswith("has no gpt (assistant) turn"):  # a blind record: said as the format's fault alone
            raise ScoreError(f"{e}: a blind record (its question without the reference answer, as a benchmark's public "
                             "questions come) cannot be scored; give --gt the set with its answers (rsvlm eval answers "
                             "a blind set; its scores come from the benchmark's own server or answer key)") from e
        raise
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


def load_predictions(path: str | Path) -> PredictionFile:
    """Predictions by id, from JSONL (or one JSON array of such objects, ``json_array``), plain or
    gzip-compressed; a line without an ``id`` is matched by its
    ``question_id`` (the key LLaVA's and GeoChat's eval scripts write), one without an ``answer`` (or
    ``objects``) is scored on its ``text`` (LLaVA's ``model_vqa``). Bad lines (not JSON, no id) and repeated
    ids are counted, never fatal: the records they were meant for are then scored as missing (first
    prediction of an id wins; the ids whose later lines answer otherwise are listed in ``differing``). A file
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


def _whole_kind(path: Path, whole: dict) -> str | None:
    """What a one-object file given as --pred is where it is one of eval's or rsvlm eval's own: a score file (the
    first one of several passed by a glob), the run stamp beside the predictions."""
    if is_score_file(whole):
        return f"a score file (python -m eval.{whole['task']}'s --out), not predictions"
    if is_report(whole):  # eval.report's report.json: was "one JSON object" alone
        runs = whole.get("runs") if isinstance(whole.get("runs"), list) else []
        preds = list(dict.fromkeys(r["pred"] for r in runs if isinstance(r, dict) and isinstance(r.get("pred"), str)))
        return ("a report (python -m eval.report's JSON beside its markdown), not predictions" + (
            f"; give one of the predictions files it tables: {', '.join(preds[:3])}" + (
                f" and {len(preds) - 3} more" if len(preds) > 3 else "") if preds else ""))
    if path.name.endswith(".run.json"):
        return (f"rsvlm eval's run stamp of the predictions beside it: give {path.name.removesuffix('.run.json')}, "
                "the answers")
    return None


def _read_predictions(path: Path) -> PredictionFile:
    """``load_predictions`` of ``path``, read once (``pred_bytes.ByteStream``: a pipe too, gzip decompressed as it
    comes) and a line at a time: a UTF-8 file whose first line is a JSON object holds a line's text, not the
    file's. Read whole (as the old reader read every file: the bytes, then the text) where it cannot be one line at a
    time: UTF-16 (its BOM), or a first line that is no JSON object alone (a JSON array, a pretty-printed document)."""
    from eval.pred_bytes import (
        ByteLines,
        ByteStream,
        first_line,
        opens_with_object,
        other_pack,
        unmarked_utf16,
        whole_bytes,
    )

    stream, head = ByteStream(path), bytearray()  # bytearray: a first line of 64 chunks is no quadratic copy
    for chunk in stream:  # enough to tell the first line: a JSON object alone, or a whole document
        head += chunk
        if (head[:2] in UTF16_BOMS or (b"\n" in chunk or b"\r" in chunk) and first_line(head) is not None
                or len(head) > records_shape.LINE_CAP):  # a chunk without a line end ends no line: not scanned again
            break
    head = bytes(head)
    first = first_line(head)
    other_pack(path, head)
    unmarked_utf16(path, head)
    if head[:2] in UTF16_BOMS or first is None or not opens_with_object(first):
        return _read_text(path, *whole_bytes(path, stream, head))
    out = PredictionFile(by_id={})
    lines = ByteLines(path, head, stream)
    first_obj = _parse(path, lines, None, out)
    if stream.note:
        out.bad_examples.insert(0, stream.note)
    if out.n_bad_lines == 1 and lines.n_lines == 1 and isinstance(first_obj, dict):  # a one-line {id: answer} mapping
        _refuse_object(path, first_obj)
    return out


def _refuse_object(path: Path, whole: dict) -> None:
    """ScoreError where ``whole``, all the file held, is one JSON object without an id: a mapping, a score file."""
    if not {"id", "question_id"} & set(whole):
        raise ScoreError(f"{path} is one JSON object, not JSONL: predictions are one {{id, task, answer}} object a line"
                         + ("; an {id: answer} mapping becomes that with jq -c 'to_entries[] | {id: .key, answer: "
                            ".value}'" if whole and all(isinstance(v, str) for v in whole.values()) else
                            "; it is rsvlm predict's --out, one image's answer: answer a test set with rsvlm eval "
                            "--data TEST.jsonl --out PRED.jsonl" if {"answer", "prompt", "task"} <= set(whole) else
                            f"; it is {kind}" if (kind := _whole_kind(path, whole)) else ""))


def _parse(path: Path, entries, array: list | None, out: PredictionFile, noted: int = 0):
    """Each of ``entries`` (``(where, line)``, or of a JSON ``array`` ``(where, item)``) read into ``out``: a
    prediction by its id, or a bad line counted (the first 5 said, after ``noted`` notes); the first JSON value read (of a line that is one), or None."""
    differing: set[str] = set()
    first_bad, first_obj = None, None  # the first unreadable line: a DOTA-style text file's, where none is read
    for where, entry in entries:
        try:
            if array is None and len(entry) > (cap := records_shape.LINE_CAP):  # the records' cap: a line of GB not parsed
                raise ValueError(f"a line of {len(entry):,} characters, over the {cap:,} ({cap / 2**20:g} M) a prediction "
                                 "may take: no prediction (an image inlined as text? a file with no line ends?)")
            obj = entry if array is not None else _json_or_nul(entry)
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
                    f"a JSON {_JSON_KINDS.get(type(obj), 'value')}, where a prediction is one {{\"id\", \"task\", "
                    "\"answer\"} object a line") + ")")
            if not isinstance(obj["id"], (str, int)) or isinstance(obj["id"], bool):  # null read as the id "None"
                raise ValueError(f"'id' is {json.dumps(obj['id'])[:40]}, not a string")
        except ValueError as e:
            out.n_bad_lines += 1
            first_bad = first_bad if out.n_bad_lines > 1 else entry
            cut = array is None and where.endswith("$") and str(e).startswith(
                "not valid JSON")  # a run killed while writing its last answer
            if len(out.bad_examples) < 5 + noted or cut:  # json_line's "cut short? (… written \\n)" fits no killed run
                said = str(e).partition("; the line ends inside it")[0] if cut else str(e)
                out.bad_examples.append(f"{path}:{where.rstrip('$')}: {said}" + (
                    "; the last line, without its line end: cut short, a run killed while writing it? (rerun "
                    "`rsvlm eval` with the same --out: it resumes)" if cut else ""))
            continue
        pid = str(obj["id"])
        if pid in out.by_id:
            out.repeats[pid] += 1
            first = out.by_id[pid][1]
            if any(first.get(k) != obj.get(k) for k in ("answer", "objects")) and pid not in differing:
                differing.add(pid)  # a set beside the list: the list's `in` made two appended runs' file quadratic
                out.differing.append(pid)
            continue
        out.by_id[pid] = (len(out.by_id), obj)
    if not out.by_id and isinstance(first_bad, str) and (kind := _dota_kind(first_bad)):
        raise ScoreError(f"{path} is {kind} (its first line: {first_bad.strip()[:80]!r}), not JSONL: predictions are "
                         "one {id, task, answer} object a line, with \"objects\" in pixels where given (docs/eval.md)")
    return first_obj


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
    whole = _whole_json(text)
    if isinstance(whole, dict):
        _refuse_object(path, whole)
    array = whole if isinstance(whole, list) else None
    if array is not None:  # a JSON array of predictions (LLaVA's own answers files are such): each item a line
        out.json_array = True
    _parse(path, [(f"item {i}", obj) for i, obj in enumerate(array)] if array is not None else _text_lines(text),
           array, out, bool(cut_note))
    return out


_JSON_KINDS = {list: "array", str: "string", int: "number", float: "number", bool: "true or false",
               type(None): "null", dict: "object without keys"}


def _json_or_nul(line: str):
    """``json_line`` of ``line``, its error saying where the line holds NUL bytes (what a crash or a full disk leaves
    in a file being written: was "Invalid control character" or "Expecting value" alone)."""
    try:
        return json_line(line)
    except ValueError as e:
        if (at := line.find("\0")) < 0:
            raise
        raise ValueError(f"{e}; it holds {counted(line.count(chr(0)), 'NUL byte')} (\\x00), the first at column "
                         f"{at + 1}: a file a crash or a full disk left zeros in? (the prediction there is lost)") from None


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


def _dota_kind(line: str) -> str | None:
    """What DOTA-style text ``line`` is, where it is one: the devkit's results (``Task1_ship.txt``: image, score,
    4 corners; Task2's: image, score, a box; a class after them, as some tools write) or its labels (4 corners, class, difficult; a header line of ``gsd:`` or
    ``imagesource:``); None otherwise."""
    words = line.split()
    if words and words[0].lower().startswith(("imagesource:", "gsd:")):
        return "a DOTA label file"
    if len(words) in (6, 7, 10, 11) and all(_number(w) for w in words[1:len(words) // 2 * 2]):  # a class after them
        return "a DOTA devkit results file (image, score, shape)"
    if len(words) in (9, 10) and all(_number(w) for w in words[:8]) and not _number(words[8]):
        return "a DOTA label file"
    return None


def _number(word: str) -> bool:
    try:
        float(word)
    except ValueError:
        return False
    return True


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


def _whole_json(text: str):
    """``text`` read as one JSON object or array (a mapping of ids, a score file, LLaVA's answers, pretty-printed),
    where it is one: its lines were each unreadable, and every record missing; None otherwise (JSONL of several
    lines)."""
    if (text := text.lstrip())[:1] not in ("{", "["):
        return None
    if text[0] == "{" and ((end := LINE_END.search(text)) and end.start() or len(text)) > records_shape.LINE_CAP:
        return None  # a first line over the records' cap: refused as a JSONL line, not parsed whole
    with contextlib.suppress(ValueError):
        return json.loads(text)
    return None


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
    if not side.is_file():
        return None, (f"no {side.name} beside the predictions: the model and options that gave them are not "
                      "recorded (an older rsvlm eval, or another tool)")
    try:
        stamp = json.loads(side.read_text(encoding="utf-8"))
        if not isinstance(stamp, dict):
            raise ValueError("not a JSON object")
    except (OSError, ValueError) as e:
        return None, f"{side} cannot be read ({e}): the model and options that gave the predictions are not known"
    run = {k: stamp.get(k) for k in ("model", "weights", "options", "unchecked_answers", "limit")}
    notes = [] if side.name == f"{pred.name}.run.json" else [  # gzip pred.jsonl: "no pred.jsonl.gz.run.json beside"
        f"{side.name} is read as the run stamp of {pred.name}, its answers compressed"]
    if (lim := stamp.get("limit")) is not None and n_missing:  # a partial run's scores passed as the full set's
        notes.append(f"{side.name} says the last rsvlm eval to write {pred.name} ran with --limit {lim}: it answered "
                     f"the first records of its --data alone, so this is no full set's score (the {n_missing} "
                     f"{'record without an answer counts' if n_missing == 1 else 'records without an answer count'} as missing)")
    if n := stamp.get("unchecked_answers"):
        notes.append(f"{counted(n, 'answer')} in {pred.name} {'was' if n == 1 else 'were'} there before {side.name} was written (an older rsvlm "
                     "eval, or another tool): which model and options gave those is not recorded")
    return run, "; ".join(notes) or None


if __name__ == "__main__":  # python -m eval.inputs: no command line; say so, and which scripts have one
    from eval.__main__ import library_main

    raise SystemExit(library_main("inputs"))
