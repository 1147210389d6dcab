"""A records file that opens a JSON object over many lines (``rsvlm.data.records._iter_raw``): a wrapper of the
records (``{"data": [...]}``), one record pretty-printed, or ``jq '.[]'``'s stream of them, refused saying so,
or JSONL after all (a first line ``{`` alone). Told from a bounded read-ahead, never the whole file:

    lines, problem = read_head(path, first_line, text.readline)   # problem: the refusal's message, or None

and one JSONL line read as JSON, with what to do about a common slip (``json_line``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from rsvlm.progress import plural

HEAD_START = 1 << 14  # characters read ahead before the first try to decode the opening object
HEAD_CAP = 4 << 20  # most characters read ahead; an object still open there is a wrapper or no records file
LINE_CAP = 64 << 20  # most characters of one JSONL line (a record of a few KB; a seg answer's, 100 KB): one longer
# is read past in pieces and counted as a bad line, not held (a file with no line ends, an image inlined as base64)
_SPACE = re.compile(r"\s*")


def one_object(path: Path | str, text: str) -> str | None:
    """What is wrong with a records file that opens with one JSON object (``text``: the file, its first line, or
    its head up to the first non-blank line after that object): a wrapper of the records (``{"data": [...]}``,
    each of its lines was 'invalid JSON', or its one line 'field id: missing'), or records written over many
    lines each (one, or `jq '.[]'`'s stream of them); None where ``text`` opens with no such object."""
    text = text.strip()
    try:
        obj, end = json.JSONDecoder().raw_decode(text)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    one_line = "\n" not in text
    if isinstance(obj, dict) and _predict_result(obj):  # its lists were named as records: "jq '.objects'"
        return PREDICT_RESULT
    if isinstance(obj, dict) and (kind := _eval_output(obj)):  # a report's lists were named: "jq '.metrics'"
        # read as training data as well as a test set: "the records file of the test set" misled the former
        return (f"{kind}, not records: give a records file (each record a line with its images and conversations; "
                "to score, the test set's)" + (f"; these scores were made against {obj['gt']}"
                                                if isinstance(obj.get("gt"), str) else ""))
    if end == len(text) and (by := _pandas(obj)):
        return (f"one JSON object of the records by {by} (pandas' DataFrame.to_json, orient='records' not given): "
                "give JSONL, a record a line (df.to_json(path, orient='records', lines=True))")
    if not isinstance(obj, dict) or ("conversations" in obj and one_line):
        return None  # a record's line
    if end < len(text) and "conversations" in obj and "\n" not in text[:end]:  # `{…},` a line: was 'over 1 line'
        return ("records a line each, each followed by a comma (a JSON array's items without its [ ]): give JSONL "
                "without the commas, or the JSON array with its brackets")
    if end < len(text):  # more after it: `jq '.[]'` without -c writes each record over many lines
        return (f"records written over many lines each (the first over {text[:end].count(chr(10)) + 1}): give "
                "JSONL, a record a line (`jq -c`), or a JSON array") if "conversations" in obj else None
    if "conversations" in obj:
        return (f"one record written over {text.count(chr(10)) + 1} lines: give JSONL (a record a line) or a JSON "
                "array of records")
    lists = [k for k, v in obj.items() if isinstance(v, list) and _of_records(v, one_line)]
    if not lists and one_line:  # one line of another object: the record reader names its fields
        return None
    return _wrapper(lists)


PREDICT_RESULT = ("the result `rsvlm predict --out` writes (one image's answer, objects, task and prompt), not "
                  "records: give a JSONL of records, each with its images and conversations (`rsvlm eval --data` "
                  "takes a test set's: docs/eval-run.md; docs/data.md's Records)")  # read by train and eval alike


def _predict_result(keys) -> bool:
    """Whether an object's top-level ``keys`` (those read so far) are those of ``rsvlm predict --out``'s result:
    "answer" and "objects", no "conversations" (a record's) and no "id" (an ``rsvlm eval`` answer row's)."""
    return {"answer", "objects"} <= set(keys) and not {"conversations", "id"} & set(keys)


def _eval_output(obj: dict) -> str | None:
    """What ``obj`` is where eval wrote it: a score file (``python -m eval.TASK --out``) or a report's JSON
    (``python -m eval.report``); None otherwise."""
    if is_score_file(obj):
        return f"a score file (python -m eval.{str(obj['task'])[:40]}'s --out)"
    if is_report(obj):
        return "a report (python -m eval.report's JSON beside its markdown)"
    return None


def is_score_file(obj: object) -> bool:
    """Whether ``obj`` is a score file's JSON (``python -m eval.TASK --out``: its ``task`` and ``headline``); the one
    rule of the records reader, the scorers' --pred and eval.report's --scores."""
    return isinstance(obj, dict) and {"task", "headline"} <= set(obj)


def is_report(obj: object) -> bool:
    """Whether ``obj`` is ``python -m eval.report``'s JSON (beside its markdown: its ``metrics`` and ``counts``)."""
    return isinstance(obj, dict) and {"metrics", "counts"} <= set(obj)


def _pandas(obj: object) -> str | None:
    """How pandas' ``to_json`` laid records out in ``obj``, where it did: by column (its default,
    ``{"id": {"0": …}, "conversations": {"0": […]}}``) or by row index (``orient='index'``); else None."""
    if not isinstance(obj, dict) or not obj or not all(isinstance(v, dict) for v in obj.values()):
        return None
    if isinstance(obj.get("conversations"), dict):
        return "column"
    return "row index" if all("conversations" in v for v in obj.values()) else None


def _wrapper(lists: list[str], note: str = "") -> str:
    return f"one JSON object{note}, not JSONL or a JSON array of records" + (
        f"; its {plural('list', len(lists))} under {', '.join(map(repr, lists[:3]))}: save the records list alone "
        f"(jq '.{lists[0]}')"
        if lists else "")


def _of_records(items: list, one_line: bool) -> bool:
    """Whether a wrapper's list ``items`` holds objects; ``one_line`` (the wrapper on one line): records, with
    "conversations" (a record's own images list is no wrapper)."""
    return bool(items) and isinstance(items[0], dict) and ("conversations" in items[0] or not one_line)


def _open_lists(text: str, one_line: bool = False) -> tuple[list[str], list[str]]:
    """(top-level keys whose lists hold objects, the top-level keys read) of ``text``, a JSON
    object's head still open at its end; the list left open counts where its first item decodes to an object.
    ``one_line``: only lists of records count (``_of_records``)."""
    dec, lists, keys, i = json.JSONDecoder(), [], [], _SPACE.match(text, 1).end()

    while i < len(text):
        try:
            key, i = dec.raw_decode(text, i)
        except json.JSONDecodeError:
            break
        i = _SPACE.match(text, i).end()
        if not isinstance(key, str) or text[i:i + 1] != ":":
            break
        keys.append(key)
        i = _SPACE.match(text, i + 1).end()
        try:
            value, i = dec.raw_decode(text, i)
        except json.JSONDecodeError:  # the value left open: a list of records?
            if text[i:i + 1] == "[":
                try:
                    first, _ = dec.raw_decode(text, _SPACE.match(text, i + 1).end())
                except json.JSONDecodeError:
                    first = None
                lists += [key] if _of_records([first], one_line) else []
            break
        lists += [key] if isinstance(value, list) and _of_records(value, one_line) else []
        i = _SPACE.match(text, i).end()
        if text[i:i + 1] != ",":
            break
        i = _SPACE.match(text, i + 1).end()
    return lists, keys


def long_line_wrapper(head: str) -> str | None:
    """The refusal of a first line longer than ``HEAD_CAP`` whose ``head`` (its first ``HEAD_CAP`` characters)
    opens a wrapper of records on one line (``json.dump``'s ``{"data": [{…}, …]}``), as ``one_object`` names it;
    None where it is none (one big record, say), for the line to be read whole."""
    lists, keys = _open_lists(head.strip(), one_line=True)
    if _predict_result(keys):  # a tiled scene's thousands of objects, `jq -c`-ed to one line
        return PREDICT_RESULT
    return _wrapper(lists) if lists and "conversations" not in keys else None


def _open_object(text: str, cut: bool) -> str:
    """The refusal of a head ``text`` that opens a JSON object still open at its end: the file's end (``cut``:
    an export cut short) or ``HEAD_CAP``'s. Its top-level keys so far whose lists hold objects are named."""
    lists, keys = _open_lists(text)
    n = text.count("\n") + 1
    note = " (the file ends before it closes: cut short?)" if cut else ""
    if _predict_result(keys):  # a tiled scene's objects, past the read-ahead
        return PREDICT_RESULT + note
    if "conversations" in keys:  # its lists are the record's own (images, conversations)
        return (f"one record written over {'' if cut else 'more than '}{n} line{'s' * (n > 1)}{note}: give JSONL "
                "(a record a line) or a JSON array of records")
    return _wrapper(lists, note or ("" if lists else f" (its first {n} lines read without its end)"))


def read_head(path: Path | str, first: str, readline: Callable[[], str],
              cap: int | None = None) -> tuple[list[str], str | None]:
    """(lines read, ``first`` the first of them; what is wrong or None) for a records file whose first
    non-blank line ``first`` opens a JSON object without closing it; ``readline`` reads its next line ("" at
    the end). Read until the object decodes (and up to the next non-blank line after it), fails to (JSONL:
    the lines are read again as such), or ``cap`` characters (``HEAD_CAP``): the answer ``one_object`` gives the
    whole file, but a file that ends (or a head that is cut) inside a valid object's text is refused as that object."""
    lines, size, goal, eof, cap = [first], len(first), HEAD_START, False, cap or HEAD_CAP
    while True:
        while not eof and size < goal:
            if line := readline():
                lines.append(line)
                size += len(line)
            eof = not line
        text = "".join(lines).strip()
        try:
            _, end = json.JSONDecoder().raw_decode(text)
        except json.JSONDecodeError as e:  # a head cut at a line's end breaks no string, literal or number
            if e.pos < len(text):  # no JSON there, as in the whole file
                return lines, None
            if eof or size >= cap:
                return lines, _open_object(text, cut=eof)
        else:
            if end < len(text) or eof or size >= cap:
                return lines, one_object(path, text)
        goal = min(2 * size, cap)  # still open, or white space only after it: read on


JSON_KINDS = {list: "a JSON array", str: "a JSON string", int: "a JSON number", float: "a JSON number",
              bool: "a JSON true or false", type(None): "JSON null", dict: "a JSON object without keys"}
"""What a JSONL line holds where a record (``rsvlm.data.records``) or a prediction (``eval.pred_file``) is an object
with keys: one table for both readers' refusals (``[1, 2]``: "a JSON array"). Each caller names its own fallback
for a type JSON does not give."""


def json_line(line: str, hook: Callable[[list], dict] | None = None, constant: Callable[[str], Any] | None = None):
    """One JSONL line read as JSON. A BOM opening it is read past (files of a Windows editor's joined by
    ``cat a.jsonl b.jsonl``); ValueError ``not valid JSON (…)`` otherwise, saying what to do where the line opens
    with a record separator (``jq --seq``'s \\x1e), ends in a comma (a JSON array's item) or quotes with ' (a
    Python dict's repr). Shared by the records reader and eval's predictions reader. The line's end is no part of
    it: a line cut inside a string was "Invalid control character" (the newline read into the string) where the
    file's last line, cut so, was "Unterminated string", and ``{"id": 1`` was "at column 1" (of the next line).
    ``hook``: json's ``object_pairs_hook`` (``record_line``'s); ``constant``: its ``parse_constant``, called for NaN,
    Infinity and -Infinity, which Python's json reads (and writes) though JSON has none (``refuse_constant``)."""
    text = line.removeprefix("\ufeff").rstrip("\r\n")
    try:
        return json.loads(text, object_pairs_hook=hook, parse_constant=constant)
    except json.JSONDecodeError as e:
        # json's own text may end in "at" ("Unterminated string starting at"): say it once
        raise ValueError(f"not valid JSON ({e.msg.removesuffix(' at')} at column {e.colno}){_json_hint(text, e)}") \
            from None


def _json_hint(text: str, e: json.JSONDecodeError) -> str:
    """What to do about ``text``'s JSON error ``e`` where it is a common slip, "" otherwise: "Extra data" that is a
    comma alone (a JSON array's items one a line) and "Expecting property name / value" at a ' (Python's repr) said
    nothing of either; nor did "Extra data" that is a second object (two files joined, the first's last line end
    missing), nor a record split over two lines (its head ends early, its tail closes what it does not open)."""
    if text.lstrip(" \t").startswith("\x1e"):
        return "; it opens with a record separator (\\x1e, jq --seq's): give JSONL (jq -c)"
    if e.msg == "Extra data" and text[e.pos:].strip() == ",":
        return "; a trailing comma: remove it"
    if e.msg == "Extra data" and text[e.pos:].lstrip(" \t\ufeff").startswith("{"):  # said no more than "Extra data"
        return ("; a second JSON object starts there, on the same line (cat a.jsonl b.jsonl where a.jsonl lacked its "
                "last line end?): break the line before it")
    if e.msg.startswith("Expecting") and text[e.pos:e.pos + 1] == "'":
        return "; Python's repr? write JSON (json.dumps)"
    if e.msg.startswith("Unterminated string"):
        return "; the line ends inside it: cut short? (a line break inside a string is written \\n)"
    if e.msg.startswith("Expecting") and e.pos >= len(text.rstrip()) and text.lstrip(" \t").startswith("{"):
        return ("; the line ends before its record does: cut short, or one record split over lines? (JSONL holds "
                "each record on one line: jq -c)")
    tail = text.rstrip().endswith("}") and not text.lstrip(" \t").startswith(("{", "["))  # '"b"}': a record's end
    # more closed than opened: 'data: {"id": 1}' or ',{"id": 1}' holds a whole record after other text
    if tail and text.count("}") > text.count("{") and "\x00" not in text:  # zeros: eval's reader says (pred_file)
        return ("; the line closes a record it does not open: the rest of one record split over lines? (JSONL "
                "holds each record on one line: jq -c)")
    return ""


def _pairs_hook(found: list) -> Callable[[list], dict]:
    """``Twice``'s hook, appending to ``found``: a closure over the list, not a method (15 % more of the parse) nor
    over the ``Twice`` (a cycle per line, left to the garbage collector)."""
    def pairs(items: list, dict=dict, len=len) -> dict:
        obj = dict(items)
        if len(obj) != len(items):
            seen: dict = {}
            for k, v in items:
                if k in seen and json.dumps(seen[k]) != json.dumps(v):
                    found.append((obj, k, seen[k], v))
                    break
                seen.setdefault(k, v)
        return obj
    return pairs


class Twice:
    """``json.loads``'s ``object_pairs_hook`` that notes each object it builds naming a key twice with two values (JSON
    keeps the last, silently: a second ``"task"`` written over the first; a key written with escapes, ``"\\u0069d"``,
    is the same key), at any depth: ``found`` (the object, its key, first value, last), in the order they close. The
    same value twice loses nothing and passes. A call per object: on 100k records of 520 characters, 0.71-0.74 s of
    parse against 0.37 s plain json and 0.67-0.69 s the quoted-key count it replaced (a line's keys found twice only);
    a full read takes 2.6 s either way."""

    def __init__(self):
        self.found: list[tuple[dict, str, object, object]] = []
        self.hook = _pairs_hook(self.found)

    @property
    def first(self) -> tuple[dict, str, object, object] | None:
        return self.found[0] if self.found else None

    def said(self, top: object, found: tuple[dict, str, object, object] | None = None) -> tuple[str, str] | None:
        """(The field, why it is refused) of the key given twice (``found``, else the first), ``top`` the record read;
        None where none is."""
        if (found := found or self.first) is None:
            return None
        obj, key, first, last = found
        said = f"given twice ({cut_repr(first)}, then {cut_repr(last)}); JSON keeps the last: write it once"
        return (key, f"field {key!r}: {said}") if obj is top else (
            "record", f"key {key!r} of an object in the record {said}")

    def refused_items(self, items: list) -> dict[int, tuple[str, str]]:
        """Of a JSON array file's ``items``, each that is or holds an object given a key twice: its index -> ``said``
        (the first such object it holds). Every one: the first alone was refused, a second item's ``"task"`` written
        twice read as the last."""
        if not self.found:
            return {}
        where = {id(f[0]): n for n, f in enumerate(self.found)}
        out = {}
        for at, item in enumerate(items):
            if hits := [where[id(n)] for n in _nodes(item) if isinstance(n, dict) and id(n) in where]:
                out[at] = self.said(item, self.found[min(hits)])
        return out


def not_json(name: str) -> str:
    """Why ``name`` (NaN, Infinity, -Infinity), read by Python's json, is refused in a record: JSON has no such value;
    a record keeping one trained or was scored on a nan (``json.dumps`` of a float nan writes it)."""
    return f"{name} is not JSON, though Python's json.dumps writes a float nan or inf so: write null, or a number"


def refuse_constant(name: str):
    """``json_line``'s ``constant`` for a records file's line: ValueError ``not valid JSON (NaN is not JSON …)``."""
    raise ValueError(f"not valid JSON ({not_json(name)})")


class _Constant(str):
    """What a JSON array file's NaN (Infinity, -Infinity) is read as: a mark that ``Constants`` finds again."""


class Constants:
    """``json.loads``' ``parse_constant`` for a JSON array file: each NaN, Infinity or -Infinity read as a mark
    (``_Constant``), and the items holding one named (``refused_items``), each refused alone as a line is."""

    def __init__(self):
        self.found = False

    def constant(self, name: str) -> _Constant:
        self.found = True
        return _Constant(name)

    def refused_items(self, items: list) -> dict[int, str]:
        """Of ``items``, each holding a mark: its index -> why it is refused (``not_json``'s, of its first)."""
        if not self.found:
            return {}
        out = {}
        for at, item in enumerate(items):
            if (mark := next((n for n in _nodes(item) if isinstance(n, _Constant)), None)) is not None:
                out[at] = f"not valid JSON ({not_json(str(mark))})"
        return out


def _nodes(item: object) -> Iterator[object]:
    """Every value ``item`` (JSON as read: dicts, lists, scalars) holds, at any depth, it too, depth first."""
    stack = [item]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


def cut_repr(value: object, width: int = 40) -> str:
    """``value``'s repr, cut to ``width`` characters with "…" where it is longer (``{v!r:.40}`` cut unsaid)."""
    said = repr(value)
    return said if len(said) <= width else said[: width - 1] + "…"


def record_line(line: str) -> tuple[object, tuple[str, str] | None]:
    """``json_line`` of a records file's line, with ``key_given_twice``'s finding (None where no key is given twice
    with two values, at any depth, escaped or not): a record's line parsed once. NaN, Infinity or -Infinity
    anywhere is refused (``refuse_constant``): ValueError."""
    twice = Twice()
    obj = json_line(line, twice.hook, refuse_constant)
    return obj, twice.said(obj)


def key_given_twice(text: str, obj) -> tuple[str, str] | None:
    """(The field, why it is refused) where the JSON line ``text`` (read as ``obj``) names a key twice with two
    values, at any depth (``record_line``'s finding; ``obj`` is read again); None otherwise."""
    return record_line(text)[1] if isinstance(obj, dict) else None
