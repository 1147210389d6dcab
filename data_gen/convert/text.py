"""Reading text and JSON annotation files: UTF-8 (a BOM dropped) or UTF-16 (Windows Notepad's "Unicode", with or
without its BOM); JSON also UTF-32. Errors are ``ConversionError`` naming the file. (Once in ``common``, whose
names still import these.)"""

from __future__ import annotations

import json
from pathlib import Path

from data_gen.convert.common import ConversionError, Output


class Lines(list):
    """``read_lines``'s lines; ``utf16``: the file was read as UTF-16 (its BOM, or its NUL bytes, said so)."""

    utf16 = False


def read_lines(path: Path) -> Lines:
    """A text annotation file's lines: UTF-8 (a BOM dropped; bytes that are not UTF-8 read as U+FFFD, which
    the callers skip by ``skip_undecodable``), or UTF-16 where it starts with that BOM (Windows Notepad's
    "Unicode": every line was ``not_utf8``) or has none but its NUL bytes say so (``_bomless_utf16``)."""
    data = Path(path).read_bytes()
    enc = text_codec(data)
    lines = Lines(data.decode(enc, errors="replace").splitlines())
    lines.utf16 = enc != "utf-8-sig"
    return lines


def text_codec(data: bytes) -> str:
    """The codec of a text file's bytes: ``utf-16`` by its BOM, ``utf-16-le`` / ``-be`` where it has none
    but its NUL bytes say so (``_bomless_utf16``), else ``utf-8-sig`` (a UTF-8 BOM dropped)."""
    from rsvlm.data.records import text_encoding  # the records reader's rule: UTF-16 by its BOM, else UTF-8

    enc = text_encoding(data)
    return enc if enc != "utf-8-sig" else _bomless_utf16(data) or enc


def _bomless_utf16(data: bytes) -> str | None:
    """``utf-16-le`` / ``-be`` for text that is UTF-16 without a BOM (some exporters, a BOM cut off):
    NUL bytes on odd (even) offsets, which UTF-8 text never holds; its lines were each
    ``unparsable_line`` (``1\\x000\\x00 …``). None otherwise."""
    head = data[:4096]
    if b"\x00" not in head:
        return None
    odd, even = head[1::2].count(0), head[0::2].count(0)
    return "utf-16-le" if odd > 4 * even and odd * 4 >= len(head) else \
        "utf-16-be" if even > 4 * odd and even * 4 >= len(head) else None


def skip_undecodable(out: Output, lines: Lines, where: str, detail: str) -> None:
    """Skip a line of ``lines`` holding U+FFFD: ``broken_utf16`` in a file read as UTF-16 (an odd byte
    count, a lone surrogate: it was reported as not UTF-8), else ``not_utf8``."""
    out.skip("broken_utf16" if lines.utf16 else "not_utf8", where, detail)


def read_json(path: Path):
    """``path``'s JSON, UTF-8 (a BOM dropped) or UTF-16/32 (``json.loads`` of bytes tells which: a COCO file
    saved as Notepad's "Unicode" was "cannot read JSON ('utf-8' codec can't decode byte 0xff …)")."""
    try:
        data = Path(path).read_bytes()
        if not data.strip():  # "Expecting value: line 1 column 1 (char 0)" did not say the file is empty
            raise ConversionError(f"{path}: empty file ({len(data)} bytes), no JSON")
        text = data.decode(json.detect_encoding(data), "surrogatepass")  # as json.loads(bytes) does, but
        del data  # the bytes let go before parsing: a 50 MB file held them through it too
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise ConversionError(f"{path}: cannot read JSON ({json_problem(e)})") from e
    except (OSError, UnicodeDecodeError) as e:  # JSON is UTF-8: a Latin-1 file was a traceback
        raise ConversionError(f"{path}: cannot read JSON ({e})") from e
    except RecursionError as e:  # lists in lists thousands deep: it was a traceback
        raise ConversionError(f"{path}: cannot read JSON (nested deeper than Python's json reads: {e})") from e


def json_problem(e: json.JSONDecodeError) -> str:
    """``e`` (its line, column and character), and where the text ends inside a value, that it was cut short:
    a download or copy stopped midway said only 'Unterminated string starting at: line 1 column 49999973'. A comma
    after a list's or object's last item, and a string in single quotes, are said so (a hand-edited palette's
    ``"sea": 0,}`` was 'Expecting property name enclosed in double quotes')."""
    cut = e.msg.startswith("Unterminated string") or e.pos >= len(e.doc.rstrip())
    if cut:
        return f"{e}; the file ends there, inside a value: cut short?"
    before, at = e.doc[:e.pos].rstrip(), e.doc[e.pos:e.pos + 1]
    closes = "}" if e.msg.startswith("Expecting property name") else "]"  # after an object's comma, a list's
    if before.endswith(",") and at == closes and e.msg.startswith(("Expecting property name", "Expecting value")):
        line = e.doc.count("\n", 0, len(before)) + 1
        return f"{e}; a comma after the last item, which JSON does not allow (line {line})"
    if e.msg.startswith(("Expecting property name", "Expecting value")) and at == "'":
        return f"{e}; a string in single quotes: JSON's take double quotes (a Python dict printed?)"
    return str(e)


def geojson_feature_count(path: Path) -> int | None:
    """The number of features of the GeoJSON file ``path`` (1 for a lone ``"type": "Feature"``; 0 without a
    ``features`` list), streamed with ijson, one feature held at a time; None where it cannot be read. A file that
    ijson refuses and ``json`` may read (UTF-16/32, a ``NaN``; one cut short) is parsed whole, as it always was:
    parsed whole, a 111 MB FeatureCollection took 32 s and 710 MB only to be counted, streamed about 2 s and 13 MB
    (docs/benchmarks/large_inputs.md)."""
    import ijson

    try:
        with open(path, "rb") as f:
            f.seek(3 if f.read(3) == b"\xef\xbb\xbf" else 0)  # a UTF-8 BOM, which ijson refuses
            n = 0
            try:
                for item in _streamed_features(f):
                    if item == "Feature":  # the top-level "type", mostly its first key: read no further
                        return 1
                    n += 1
                return n
            except ijson.JSONError:
                pass
        data = read_json(path)
    except (OSError, ConversionError):
        return None
    if not isinstance(data, dict):
        return 0
    return 1 if data.get("type") == "Feature" else len(fs) if isinstance(fs := data.get("features"), list) else 0


def geojson_features_before_error(path: Path) -> int:
    """The features of the FeatureCollection ``path`` that ``json`` cannot read, streamed up to where it breaks (cut
    short, a byte that is not UTF-8, a stray comma): those a skip of the whole file loses. 0 where none comes before
    the break, or ijson cannot read it at all (UTF-16/32). Cannot: say how many lay past the break."""
    import ijson

    n = 0
    try:
        with open(path, "rb") as f:
            f.seek(3 if f.read(3) == b"\xef\xbb\xbf" else 0)
            for item in _streamed_features(f):
                n += item != "Feature"
    except (OSError, ijson.JSONError):
        pass
    return n


def _streamed_features(f):
    """Yield 1 for each whole item of the top-level ``features`` list of the JSON bytes ``f``, and "Feature" for a
    top-level ``"type": "Feature"``: ijson's bare events, nothing built (``ijson.items`` held 4 GB for a list nested
    50000 deep in a 100 KB file, 200000 deep was a kill). Raises ``ijson.JSONError`` where ``f`` breaks."""
    import ijson

    depth, key, inside = 0, None, False  # open lists and maps; the last top-level key; in the features list
    for event, value in ijson.basic_parse(f):
        if event in ("start_map", "start_array"):
            inside = inside or (depth == 1 and key == "features" and event == "start_array")
            depth += 1
        elif event in ("end_map", "end_array"):
            depth -= 1
            if inside and depth == 2:
                yield 1
            inside = inside and depth > 1
        elif event == "map_key" and depth == 1:
            key = value
        elif inside and depth == 2:
            yield 1  # a bare value in the list, as ijson.items counts it
        elif depth == 1 and key == "type" and value == "Feature" and event == "string":
            yield "Feature"
