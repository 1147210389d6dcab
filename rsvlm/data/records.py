"""Instruction records (DESIGN.md "Instruction record"): validation and loading.

A record is a superset of LLaVA's ``conversations`` format. ``normalize_record`` turns one
parsed JSON object into the canonical form (``images`` list, ``task``, ``meta``) or raises
``RecordError`` naming the field; ``read_records`` does that for a JSONL (or LLaVA JSON array)
file, plain or gzip-compressed, and either raises at the first bad line (``strict``) or skips it and
counts the reason.
"""

from __future__ import annotations

import gzip
import io
import json
import re
import zlib
from collections.abc import Iterator
from itertools import chain
from pathlib import Path
from typing import Any

from rsvlm.data import records_shape
from rsvlm.data.read_report import BLIND, ReadReport
from rsvlm.data.record_advice import as_record_fields  # noqa: F401 (re-exported: callers import it from records)
from rsvlm.data.record_fields import (
    SEG_NOT_REGION,
    georef_problem,
    id_problem,
    images_clash,
    pair_problem,
    seg_answer_problem,
)
from rsvlm.data.records_path import check_records_path, pattern_note, records_in  # noqa: F401 (re-exported)
from rsvlm.data.records_shape import (
    JSON_KINDS,
    Constants,
    Twice,
    cut_repr,
    json_line,  # noqa: F401 (re-exported: callers import it from records)
    long_line_wrapper,
    one_object,
    read_head,
    record_line,
)
from rsvlm.geometry import decode
from rsvlm.geometry.codec import CAPTION_DROPPED, REPAIRED, plain_numbers
from rsvlm.progress import counted, plural
from rsvlm.tokens import IMAGE_TOKEN, MODALITIES, MODALITY_WORDS, TASKS, opening_tag, opening_task, task_name

ROLES = {"human": "user", "user": "user", "gpt": "assistant", "assistant": "assistant", "system": "system"}
_BLANK = " \t\n\r\f\v\u00a0\u200b\u200c\u200d\u2060\ufeff"  # str.strip() keeps the zero-width ones
GZIP_MAGIC = b"\x1f\x8b"  # what a gzip file starts with, whatever its name
GZIP_ERRORS = (OSError, EOFError, zlib.error)  # a gzip file cut short or corrupt, found while reading it
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")  # PowerShell's `>` writes UTF-16 with one
# a line's end: not splitlines() (U+2028 in a string); a bare CR (an old Mac's line end) can be no JSON string's
LINE_END = re.compile(r"\r\n|\r|\n")
_SURROGATE = re.compile("[\ud800-\udfff]")  # half a UTF-16 pair: json reads a lone "\\ud800" as one
_UNDECODED = re.compile("[\udc80-\udcff]")  # bytes "surrogateescape" kept that are not UTF-8
_GEOMETRY_RE = re.compile(r"<(?:loc_\d|/?(?:ref|box|obb|point|poly|mask|grid|row|run)>)")  # a turn with shapes
# a record's shape that decode repairs (its problem ends REPAIRED) is refused, not repaired: the way out (eval's wording too)
REENCODE = ": a record is not repaired; re-encode it with rsvlm.geometry.encode, which writes the corners in order"


class RecordError(ValueError):
    """A record does not follow the format; the message names the source, line and field."""

    def __init__(self, message: str, field_name: str = "record", reason: str | None = None):
        super().__init__(message)
        self.field = field_name
        # how a reader counts it skipped: "invalid JSON", "a JSON array, not an object", "bad field task"
        self.reason = reason or ("invalid JSON" if field_name == "json" else f"bad field {field_name}")


def twice_error(where: str, field_name: str, why: str) -> RecordError:
    """The refusal of a record naming a key twice (``Twice.said``'s ``field_name``, ``why``), counted as "duplicate
    key" whether the record's own field (``"task"`` twice: was "bad field task", as a task that is none) or an object
    inside it (``meta``'s, a turn's) holds it: one reason for one mistake."""
    return RecordError(f"{where}: {why}", field_name, "duplicate key")


def text_encoding(head: bytes) -> str:
    """The codec of a text file that opens with ``head``: UTF-16 where that is its byte-order mark, else UTF-8
    with a BOM (Windows editors) dropped where there is one."""
    return "utf-16" if head[:2] in UTF16_BOMS else "utf-8-sig"


def as_text(f) -> io.TextIOWrapper:
    """The binary file ``f`` (``open_bytes``'s, at its start) read as text in its ``text_encoding``, lines
    ending at CR LF, LF or a bare CR; UTF-8 bytes that do not decode are kept as "surrogateescape" has them."""
    enc = text_encoding(f.read(2))
    f.seek(0)
    return io.TextIOWrapper(f, encoding=enc, errors="surrogateescape" if enc != "utf-16" else "strict", newline=None)


def blank_records_file(path: str | Path) -> bool:
    """Whether the records file ``path`` holds nothing but white space (a byte-order mark aside; plain or
    gzip, UTF-8 or UTF-16): an empty split. Read up to its first other character; a file that cannot be read
    is left to the reader."""
    try:
        with open_bytes(path) as f:
            text = as_text(f)
            while chunk := text.read(1 << 16):
                if chunk.strip():
                    return False
    except (*GZIP_ERRORS, UnicodeDecodeError):
        return False
    return True


def _fail(where: str, field_name: str, msg: str) -> RecordError:
    return RecordError(f"{where}: field '{field_name}': {msg}", re.sub(r"\[\d+\]", "[]", field_name))


def _not_a_role(role: object) -> str:
    """Why a turn's ``role`` is refused, naming every role read (``ROLES``'s keys: ``user`` and ``assistant`` were
    left unsaid) and the way out for a capitalised one or OpenAI's ``developer``."""
    said = f"{role!r} is not one of {', '.join(ROLES)}"
    low = role.strip().lower() if isinstance(role, str) else None
    if low in ROLES:
        return f"{said} (roles are lower-case: write {low!r})"
    if low == "developer":  # data_gen's llava converter reads it as system
        return f"{said} (OpenAI's developer turn is a system turn: write 'system', or convert the file with " \
               "python -m data_gen convert llava, which reads it so)"
    return said


def _check_turn_shapes(value: str, where: str, turn: str) -> None:
    """RecordError where a turn's text ``value`` holds shapes that do not follow the grammar (each decoded in full);
    a shape decode repairs (a reversed box, a crossing obb: ``REPAIRED``) is refused with the way out, not repaired;
    another tool's plain numbers (``<bbox>12, 13, 40, 50</bbox>``, no location token) too, with no ``<ref>`` beside."""
    if (_GEOMETRY_RE.search(value) or plain_numbers(value)) and (problems := decode(value, 1000, 1000).problems):
        said = problems[0].removesuffix(REPAIRED)
        said += REENCODE * (said != problems[0])
        if said.endswith(CAPTION_DROPPED):  # the record is refused, not its label dropped as decode says
            said = said.removesuffix(": the label dropped") + "; write the phrase as one sentence"
        raise _fail(where, f"{turn}.value", f"geometry does not follow the grammar: {said}")


def check_shapes(record: dict, where: str) -> None:
    """``normalize_record``'s check of the shapes of a canonical ``record`` read with ``check_geometry=False``
    (``where``: its file and line), for a reader that checks some records' alone (eval's geometry scorers, their
    task's): the same RecordError."""
    for i, turn in enumerate(record["conversations"]):
        _check_turn_shapes(turn["value"], f"{where} (id {record['id']})", f"conversations[{i}]")


def task_turn(turns: list[dict], meta=None) -> tuple[int, str]:
    """(Its number among the user turns, 1 for the first, 0 where none; its text) of the user turn of ``turns``
    whose tag a record's ``task`` is: the question ``rsvlm eval`` answers (the last before the last answer; a chained
    chat record's, ``meta`` holding ``turn_tasks``, tagged or not), else the first. Another's tag is its own: no clash."""
    roles = [ROLES.get(t.get("from")) for t in turns]
    end = max((i for i, r in enumerate(roles) if r == "assistant"), default=len(turns))
    users = [i for i, r in enumerate(roles) if r == "user"]
    k = max((n for n, i in enumerate(users, 1) if i < end), default=len(users))
    chained = isinstance(meta, dict) and "turn_tasks" in meta
    k = k if chained or k < 2 or opening_task(turns[users[k - 1]]["value"]) else 1
    return k, turns[users[k - 1]]["value"] if k else ""


def task_from_prompt(text: str) -> str | None:
    """The task tag that opens a user turn (``"<image>\\n[det] …"`` → ``"det"``), or None."""
    return opening_task(text)


def raw_task(obj: dict, turns: list | None = None):
    """A record's task as ``normalize_record`` reads it: its ``task`` field (``task_name``'s: "DET", "[det]"), else,
    where that is none or "chat", the tag of its ``task_turn``'s question (``turns``: its checked turns, else its own
    as written; None where they cannot be read: a skipped record's). Not checked: "detx" or 3 is given back."""
    task = obj.get("task")
    if isinstance(task, str) and task.strip():
        task = task_name(task)
    if task not in (None, "chat"):
        return task
    try:
        return task_from_prompt(task_turn(obj.get("conversations") if turns is None else turns, obj.get("meta"))[1])
    except (TypeError, KeyError, AttributeError, IndexError):  # a skipped record's turns, as written
        return None


def normalize_record(obj: Any, where: str = "record", need_answer: bool = True,
                     check_geometry: bool = True) -> dict[str, Any]:
    """Validate one record and return it in canonical form. Raises ``RecordError``.

    Plain LLaVA records (``"image": "path"``) become one image; ``"image": [a, b]`` two (a top-level
    ``"modality"`` beside ``"image"`` is theirs); beside ``images`` it must name the same files (``images_clash``). An
    empty ``"meta": []`` (PHP's ``json_encode`` of an empty map) is ``{}``. An image
    whose record does not name its modality gets ``"modality": None`` (unsaid: the reader infers it,
    ``rsvlm.data.modality`` before training, and ``with_modalities`` writes what was found back).
    ``task`` is taken from the first user turn's tag when the record has none (a chained chat record's, one whose
    ``meta`` holds ``turn_tasks``: the last's).
    ``need_answer=False`` takes a record with no gpt turn if it ends on a question (a blind test
    set, which ``rsvlm eval`` answers); training and scoring need the answers. A system turn after the first
    is kept: whether the chat template writes one is the template's to say (``train.sft_index.late_system``).
    ``check_geometry=False`` reads a turn's shapes unchecked (each is decoded in full otherwise, and, with
    ``need_answer``, a [seg] answer holding a box refused, ``record_fields.seg_answer_problem``: trained on, it
    teaches an answer decoding cannot give; ``rsvlm eval --data`` asks its question still): a reader that never
    reads them leaves that half of the reading out, or checks some records' alone with ``check_shapes`` (eval's
    ground truth: a geometry scorer's own task's, a text scorer's none).
    """
    if not isinstance(obj, dict):  # a JSONL line [1, 2] was "bad field record"
        kind = JSON_KINDS.get(type(obj), type(obj).__name__)
        raise RecordError(f"{where}: a record must be a JSON object ({{\"id\": …}}), got {kind}", "record",
                          f"{kind}, not an object")
    rid = obj.get("id")
    if rid is None:
        raise _fail(where, "id", "missing")
    if why := id_problem(rid):
        raise _fail(where, "id", why)
    where = f"{where} (id {rid})"

    images = obj.get("images")
    if images is not None and obj.get("image") is not None and (why := images_clash(obj["image"], images)):
        raise _fail(where, "image", why)
    if images is None and "image" in obj:
        img = obj["image"]
        paths = img if isinstance(img, list) else [img]
        mod = obj.get("modality")  # a plain record's own "modality" names its images' (as the llava converter reads it)
        images = [{"path": p, **({"modality": mod} if mod is not None else {})} for p in paths]
    images = images or []
    if not isinstance(images, list):
        raise _fail(where, "images", "must be a list")
    out_images = []
    for i, im in enumerate(images):
        f = f"images[{i}]"
        if isinstance(im, str):
            im = {"path": im}
        if not isinstance(im, dict):
            raise _fail(where, f, "must be an object with 'path' or 'band_files'")
        if not im.get("path") and not im.get("band_files"):
            raise _fail(where, f"{f}.path", "missing (and no band_files)")
        if im.get("path") and not isinstance(im["path"], str):
            raise _fail(where, f"{f}.path", f"must be a file path (a string), got {type(im['path']).__name__}")
        mod = im.get("modality")  # None (absent, null or blank): unsaid, inferred from the file when read
        if isinstance(mod, str):  # "SAR", as --modality takes it
            mod = mod.strip().lower() or None
        if mod is not None and mod not in MODALITIES:
            meant = f" ({mod!r} is {MODALITY_WORDS[mod]} here)" if mod in MODALITY_WORDS else ""  # "rgb"
            raise _fail(where, f"{f}.modality", f"{mod!r} is not one of {', '.join(MODALITIES)}{meant}")
        bf = im.get("band_files")
        if bf is not None and (not isinstance(bf, list) or not all(isinstance(p, str) for p in bf)):
            raise _fail(where, f"{f}.band_files", "must be a list of paths")
        bands = im.get("bands")
        if bands is not None and (not isinstance(bands, list) or not all(isinstance(b, str) for b in bands)):
            raise _fail(where, f"{f}.bands", "must be a list of band names")
        if bad := georef_problem(im, f):
            raise _fail(where, *bad)
        out_images.append({**im, "modality": mod})

    convs = obj.get("conversations")
    if not isinstance(convs, list) or not convs:
        other = next((k for k in ("messages", "conversation", "turns") if k in obj), None) if convs is None else None
        if convs is not None and not isinstance(convs, list):  # {"a": 1} or "hi" was said "missing or empty"
            kind = "a JSON object" if isinstance(convs, dict) else JSON_KINDS.get(type(convs), type(convs).__name__)
            raise _fail(where, "conversations", f"must be a list of turns ([{{\"from\": \"human\", \"value\": …}}, …]), "
                                                f"got {kind} {cut_repr(convs)}")
        raise _fail(where, "conversations", "missing or empty" + (  # a ShareGPT / OpenAI style record said nothing more
            f" (the record has {other!r}: name that key 'conversations'; role/content turns are read)" if other else ""))
    out_convs = []
    for i, turn in enumerate(convs):
        f = f"conversations[{i}]"
        if not isinstance(turn, dict):
            raise _fail(where, f, "must be an object with 'from' and 'value'")
        role = turn.get("from", turn.get("role"))
        if not isinstance(role, str) or role not in ROLES:  # a list was a TypeError (unhashable), no record named
            raise _fail(where, f"{f}.from", _not_a_role(role))
        value = turn.get("value", turn.get("content"))
        if not isinstance(value, str):
            raise _fail(where, f"{f}.value", "must be a string")
        if half := _SURROGATE.search(value):  # JSON's "\ud800": no tokenizer takes it (a TypeError later, no record)
            raise _fail(where, f"{f}.value", f"holds a lone surrogate U+{ord(half[0]):04X} (a JSON escape of half a "
                                             "character), which no tokenizer takes")
        if ROLES[role] == "assistant" and not value.strip(_BLANK):
            raise _fail(where, f"{f}.value", "an empty answer")
        if ROLES[role] == "assistant" and IMAGE_TOKEN in value:
            raise _fail(where, f"{f}.value", f"an answer with an {IMAGE_TOKEN} placeholder; images go in human turns")
        if check_geometry:
            _check_turn_shapes(value, where, f)
        out_convs.append({"from": role, "value": value})
    if not any(ROLES[t["from"]] == "assistant" for t in out_convs):
        if need_answer:
            raise _fail(where, "conversations", BLIND)
        if ROLES[out_convs[-1]["from"]] != "user":
            raise _fail(where, "conversations", "has no gpt (assistant) turn and ends on no question")

    n_ph = sum(t["value"].count(IMAGE_TOKEN) for t in out_convs)
    if n_ph != len(out_images):
        raise _fail(where, "conversations", f"{n_ph} {IMAGE_TOKEN} {plural('placeholder', n_ph)} but "
                    f"{counted(len(out_images), 'image')}: "
                    f"put one {IMAGE_TOKEN} per image, in order, in the human turns (e.g. "
                    f"'{IMAGE_TOKEN}\\n[vqa] Is there a ship?')")

    # "DET", "[det]": tokens.task_name, the rule eval reads a prediction's by; a blank one stays malformed. (A
    # prompt's "[DET]" is no tag, tokens.opening_task: the model learnt "[det]".) "chat": the group data.task_weights
    # calls untagged records (a chained chat record's tag is its last question's, which eval answers)
    task = raw_task(obj, out_convs)
    if task is not None and task not in TASKS:
        raise _fail(where, "task", f"{task!r} is not one of {', '.join(TASKS)}, or chat (untagged)")
    meta = {} if obj.get("meta") is None or obj["meta"] == [] else obj["meta"]  # []: PHP's json_encode of an empty map
    if not isinstance(meta, dict):  # "", false or [1] were read as {}
        raise _fail(where, "meta", f"must be an object, got {type(meta).__name__} {cut_repr(meta)}")
    if check_geometry and need_answer and (bad := seg_answer_problem(out_convs, task, meta, lambda: task_turn(out_convs, meta)[0])):
        raise RecordError(f"{where}: field '{bad[0]}': {bad[1]}", "conversations[].value", SEG_NOT_REGION)
    return {**obj, "id": str(rid), "images": out_images, "conversations": out_convs, "task": task, "meta": meta}


def open_bytes(path: str | Path):
    """``path`` opened for reading bytes, decompressed on the fly where it is gzip (told by its first two
    bytes, not its name: ``test.jsonl.gz``, or a gzip file named ``.jsonl``)."""
    f = Path(path).open("rb")
    if f.read(2) != GZIP_MAGIC:
        f.seek(0)
        return f
    f.close()
    return gzip.open(path, "rb")


def _file_key(path: Path) -> tuple[str, int, int]:
    """(absolute path, size, mtime in ns): a file rewritten since is another key."""
    st = path.stat()
    return str(path.resolve()), st.st_size, st.st_mtime_ns


def _iter_raw(path: Path, arrays: dict | None = None) -> Iterator[tuple[str, str | Any]]:
    """(":line number", text line) for JSONL; ("[index]", object) for a LLaVA-style JSON array file; either
    plain or gzip-compressed, UTF-8 or UTF-16 with its BOM (``as_text``). A line whose bytes are not UTF-8, or
    one over ``records_shape.LINE_CAP`` characters, comes as the ``RecordError`` saying so; a gzip file that
    does not decompress, or UTF-16 that does not decode, raises ``RecordError`` naming it. ``arrays``: a JSON
    array file's parsed items are kept there (by ``_file_key``) and a later read of the same file given the same
    dict takes them, unparsed again."""
    key = _file_key(path) if arrays is not None else None
    if key is not None and key in arrays:
        yield from ((f"[{i}]", obj) for i, obj in enumerate(arrays[key]))
        return
    f = open_bytes(path)  # a file that cannot be opened raises its own OSError, naming it
    try:
        with f:
            lines, lineno, seen = as_text(f), 0, False
            # the file's lines, its first text's cut at HEAD_CAP (a wrapper on one line of GB), later ones at one
            # character over LINE_CAP (a line of GB was read whole, then parsed); read_head's again
            cap = records_shape.LINE_CAP
            more = iter(lambda: lines.readline(cap + 1 if seen else records_shape.HEAD_CAP), "")
            while line := next(more, ""):
                lineno += 1
                if not seen and len(line) >= records_shape.HEAD_CAP and not line.endswith("\n"):  # a long line's head
                    if line.lstrip().startswith("{") and (problem := long_line_wrapper(line)):
                        raise RecordError(f"{path}: {problem}", "json")
                    line += lines.readline(max(cap + 1 - len(line), 1))  # a JSON array's rest is read below
                if not line.strip():
                    continue
                if not seen and line.lstrip().startswith("["):  # the file's first text: a JSON array
                    whole = line + lines.read()
                    try:
                        if _UNDECODED.search(whole):
                            whole.encode("utf-8", "surrogateescape").decode("utf-8")
                        data = json.loads(whole, object_pairs_hook=(twice := Twice()).hook,
                                          parse_constant=(odd := Constants()).constant)  # NaN: none of JSON's
                    except (json.JSONDecodeError, UnicodeDecodeError) as e:
                        raise RecordError(f"{path}: not valid JSON ({e})") from e
                    for at, (field, why) in (twice.refused_items(data) if isinstance(data, list) else {}).items():
                        data[at] = twice_error(f"{path}[{at}]", field, why)  # each item holding one, kept so
                    for at, why in (odd.refused_items(data) if isinstance(data, list) else {}).items():
                        data[at] = RecordError(f"{path}[{at}]: {why}", "json")
                    if key is not None and isinstance(data, list):
                        arrays[key] = data
                    yield from ((f"[{i}]", obj) for i, obj in enumerate(data))
                    return
                if len(line.rstrip("\n")) > cap:  # read past, not kept: counted as a bad line
                    seen, size = True, len(line)
                    while not line.endswith("\n") and (line := lines.readline(cap)):
                        size += len(line)
                    size -= line.endswith("\n")  # "64 M characters, over the 64 M" said nothing: the counts
                    yield f":{lineno}", RecordError(f"{path}:{lineno}: a line of {size:,} characters, over the {cap:,} "
                                                    f"({cap / 2**20:g} M) a record may take: no record (an image "
                                                    "inlined as text? a file with no line ends?)", "json")
                    continue
                if not seen and line.lstrip().startswith("{"):  # a wrapper object, or one record over many lines
                    if line.strip() == "{" or line.rstrip().endswith(("[", "{", ",")):
                        # a few MB at most: each line is read to HEAD_CAP there (a 150 MB line was read whole, 472
                        # MB peak); a line so cut is read on to a line's cap, as the lines after it
                        head, problem = read_head(path, line, lambda: lines.readline(records_shape.HEAD_CAP))
                        if len(head) > 1 and not head[-1].endswith("\n"):
                            head[-1] += lines.readline(max(cap + 1 - len(head[-1]), 0))
                        more = chain(head[1:], more)  # no JSON object: read line by line, as JSONL
                    else:
                        problem = one_object(path, line)
                    if problem is not None:
                        raise RecordError(f"{path}: {problem}", "json")
                seen = True
                if _UNDECODED.search(line):
                    try:
                        line.encode("utf-8", "surrogateescape").decode("utf-8")
                    except UnicodeDecodeError as e:
                        yield f":{lineno}", RecordError(f"{path}:{lineno}: not UTF-8 text ({e.reason} at byte "
                                                        f"{e.start})", "json")
                        continue
                yield f":{lineno}", line
    except UnicodeDecodeError as e:  # UTF-16 (strict)
        raise RecordError(f"{path}: not UTF-16 text ({e.reason})", "json") from None
    except GZIP_ERRORS as e:
        if not isinstance(f, gzip.GzipFile):
            raise
        raise RecordError(f"{path}: a gzip file that cannot be decompressed ({e})", "json") from None


def read_records(path: str | Path, strict: bool = True, report: ReadReport | None = None,
                 need_answer: bool = True, arrays: dict | None = None, check_geometry: bool = True) -> Iterator[dict]:
    """Yield canonical records from a JSONL (or JSON array) file, plain or gzip-compressed.

    ``strict``: the first bad line raises ``RecordError`` naming file, line and field.
    Otherwise bad lines are skipped and counted in ``report`` (pass one in to read it after).
    ``need_answer``: see ``normalize_record``. ``arrays``: a dict shared by reads of the same JSON array
    file, which parse it once (``_iter_raw``; training checks the records, then indexes them).
    ``check_geometry``: see ``normalize_record``.
    """
    given, path = path, Path(path)
    check_records_path(path)
    report = report if report is not None else ReadReport(str(path))
    for loc, raw in _iter_raw(path, arrays):
        report.n_lines += 1
        where = f"{path}{loc}"
        try:
            if isinstance(raw, RecordError):  # a line that is not UTF-8 (_iter_raw)
                raise raw
            if isinstance(raw, str):
                try:
                    raw, twice = record_line(raw)
                except ValueError as e:
                    raise RecordError(f"{where}: {e}", "json") from e
                if twice:  # a second "task" (or meta's, or "\u0069d") silently written over the first
                    raise twice_error(where, *twice)
            rec = normalize_record(raw, where, need_answer, check_geometry)
        except RecordError as e:
            if strict:
                raise
            report.skipped[e.reason] += 1
            if isinstance(raw, dict) and not id_problem(raw.get("id")):  # its id read: eval's (gt_skips) by id
                report.note_skipped_id(raw, raw_task(raw), e.reason, str(e))
                if str(e).endswith(BLIND):  # rsvlm eval answered it (skipped_ids)
                    report.skipped_ids.add(str(raw["id"]))
            if len(report.examples) < 5:
                report.examples.append(str(e))
            continue
        report.n_ok += 1
        report.note_id(rec["id"], where)
        report.at = (str(given), str(path), loc, rec["id"])  # for a reader leaving it out after (ReadReport.drop)
        _check_tags(rec, report, where)
        yield rec


def _check_tags(rec: dict, report: ReadReport, where: str) -> None:
    """Count in ``report`` a record ``rec`` (read at ``where``) whose task is not its ``task_turn``'s tag, or questions
    opening with a tag that is no task, an untagged record's apart (a later turn's own task tag is neither), a
    ``change`` record of other than two images, or one of another task with several (chat's may hold any)."""
    users = [t["value"] for t in rec["conversations"] if ROLES[t["from"]] == "user"]
    unknown = [tag for turn in users if (tag := opening_tag(turn)) and tag not in TASKS]  # "[detect] …": a typo
    (report.unknown_tags if rec["task"] is None else report.unknown_tags_tagged).update(unknown)
    report.at_several, report.at_clash = None, False  # what the record counts in, for ReadReport.drop
    if why := pair_problem(rec["task"], rec["images"]):  # kept: a scorer reads no image; counted, the first named
        report.unpaired_changes += 1
        report.unpaired_first = report.unpaired_first or f"{where} (id {rec['id']}): {why}"
    elif rec["task"] not in (None, "change") and len(rec["images"]) > 1:  # a [det] of two: the boxes of which?
        report.several_images[rec["task"]] += 1
        report.at_several = rec["task"]  # a reader's ReadReport.drop of it takes it off
        report.several_first = report.several_first or f"{where} (id {rec['id']}): {counted(len(rec['images']), 'image')}"
    if rec["task"] is None:  # plain chat
        return
    if (tag := opening_task((turn := task_turn(rec["conversations"], rec["meta"]))[1])) and tag != rec["task"]:
        several = len(users) > 1 and "turn_tasks" not in rec["meta"]  # a chained record's task is its last's, unsaid
        report.note_task_clash(f"{where} (id {rec['id']})", rec["task"], tag, turn[0] if several else None)


def load_records(path: str | Path, strict: bool = True, need_answer: bool = True) -> tuple[list[dict], ReadReport]:
    """All records of a file plus the report of what was skipped (non-strict mode)."""
    report = ReadReport(str(path))
    return list(read_records(path, strict=strict, report=report, need_answer=need_answer)), report


def with_modalities(record: dict, found: list[str | None]) -> dict:
    """``record`` with each image whose modality it leaves unsaid (None) given the one in ``found``
    (one per image: what reading or ``rsvlm.data.modality`` inferred); the record itself when it
    names them all."""
    if all(im["modality"] is not None for im in record["images"]):
        return record
    if len(found) != len(record["images"]):
        raise ValueError(f"record {record['id']}: {counted(len(found), 'modality')} for "
                         f"{counted(len(record['images']), 'image')}")
    return {**record, "images": [im if im["modality"] is not None else {**im, "modality": m}
                                 for im, m in zip(record["images"], found)]}


def image_paths(record: dict, root: str | Path) -> list[list[Path]]:
    """Per image, the file(s) to read: ``[path]`` or its ``band_files``, resolved against ``root``, a GDAL name's
    archive or file too (``rsvlm.data.image_names``, whose import reads rsvlm.io's: on use)."""
    from rsvlm.data.image_names import image_paths as resolved

    return resolved(record, root)
