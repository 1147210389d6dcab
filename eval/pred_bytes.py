"""A predictions file's bytes, a chunk at a time (``ByteStream``; a pipe too, read once) and decompressed where it is
gzip, whatever its name: every member of a ``cat a.gz b.gz``; a stream cut short read up to its last whole line, with
a note; one cut in its 8-byte trailer alone read whole, saying nothing is lost; corrupt data, or bytes after it that
are no gzip member, a ScoreError. ``ByteLines`` splits them into lines, decoded a line at a time; ``whole_bytes``
joins them, for a file read whole (one JSON document, UTF-16). What a file given as --pred is where it is no
predictions (another compression, UTF-16 without its BOM, a score file, a DOTA text file) is told here too."""

from __future__ import annotations

import codecs
import contextlib
import re
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path

from eval.counts import counted
from eval.inputs import ScoreError
from rsvlm.data import records_shape
from rsvlm.data.records import GZIP_MAGIC, UTF16_BOMS
from rsvlm.data.records_shape import is_report, is_score_file, json_line

BLANK = re.compile(r"\s*")  # a line of whitespace alone: read past, its number counted
_LINE_END = re.compile(rb"\r\n|\r|\n")
CHUNK = 1 << 20  # bytes read at a time, and at most given at a time of a gzip stream's data


class ByteStream:
    """The bytes of ``path`` (a file, or a pipe read once), a chunk at a time, gzip decompressed as they come:
    iterating again goes on where the last iteration stopped. After
    the last chunk: ``cut`` where the gzip stream was cut short (its last line split: the reader drops what follows
    its last line end and says so by ``cut_note``), ``note`` where its trailer alone was cut (nothing lost). It
    cannot tell a cut in a plain file: that is its last line without its end, the reader's to say."""

    def __init__(self, path: Path):
        self.path, self.cut, self.note = path, False, None
        self._chunks = self._read()

    def __iter__(self) -> Iterator[bytes]:
        return self._chunks

    def _read(self) -> Iterator[bytes]:
        with self.path.open("rb") as f:
            rest = f.read(CHUNK)
            while len(rest) < 2 and (more := f.read(CHUNK)):  # a pipe's short read: its magic told whole
                rest += more
            if rest[:2] != GZIP_MAGIC:
                while rest:
                    yield rest
                    rest = f.read(CHUNK)
                return
            yield from self._gunzip(f, rest)

    def _gunzip(self, f, rest: bytes) -> Iterator[bytes]:
        """Each member's data decompressed, chunk by chunk; gzip's zero padding between members read past."""
        while True:
            while len(rest) < 2 and (more := f.read(CHUNK)):
                rest += more
            if not (rest[:2] == GZIP_MAGIC or rest == GZIP_MAGIC[:1]):  # one byte of a member's: cut in its header
                break
            unzip, crc, size, data = zlib.decompressobj(wbits=31), 0, 0, rest
            while True:
                try:
                    out = unzip.decompress(data, CHUNK)
                except zlib.error as e:
                    raise ScoreError(f"{self.path}: a gzip file that cannot be decompressed ({e})") from None
                if out:
                    crc, size = zlib.crc32(out, crc), size + len(out)
                    yield out
                if unzip.eof:
                    break
                if unzip.unconsumed_tail or len(out) == CHUNK:  # more to come of what it was given
                    data = unzip.unconsumed_tail
                elif not (data := f.read(CHUNK)):
                    break
            if not unzip.eof:  # the file ends inside the member
                if lacking := trailer_lacking(unzip, crc, size):  # its data whole: nothing lost
                    checked = ("the data matches its checksum" if lacking <= 4 else "its checksum is cut, so the data "
                               "could not be checked against it")
                    self.note = (f"{self.path}: the gzip file lacks the last {lacking} of the 8 bytes gzip ends with "
                                 f"(its trailer: a copy stopped just short of its end): every line was read, none "
                                 f"lost, and {checked}; compress the whole file again")
                else:
                    self.cut = True
                return
            rest = unzip.unused_data
            while not (rest := rest.lstrip(b"\x00")) and (more := f.read(CHUNK)):
                rest = more
        if rest:  # not gzip (a file appended uncompressed, a member's header corrupt): its records were lost unsaid
            while len(rest) < 8 and (more := f.read(CHUNK)):
                rest += more
            n = len(rest) + sum(len(c) for c in iter(lambda: f.read(CHUNK), b""))
            raise ScoreError(f"{self.path}: a gzip file that cannot be decompressed (the {counted(n, 'byte')} after its "
                             f"gzip data, from {rest[:8]!r}, {'is' if n == 1 else 'are'} no gzip member: a corrupt "
                             "member, or a file appended to it uncompressed?); compress the whole predictions file again")


# what a file compressed other than gzip opens with, and how to read it (was "not UTF-8 text (… at byte 0)")
OTHER_PACKS = {b"BZh": "a bzip2 file (bunzip2 -k it)", b"\xfd7zXZ\x00": "an xz file (unxz -k it)",
               b"PK\x03\x04": "a zip archive (unzip it)", b"\x28\xb5\x2f\xfd": "a zstd file (unzstd it)",
               b"7z\xbc\xaf\x27\x1c": "a 7z archive (7z x it)"}


def other_pack(path: Path, head: bytes) -> None:
    """ScoreError where ``head``, a file's first bytes, is that of a compression other than gzip (bzip2, xz, zip,
    zstd, 7z), naming it and how to read it; None otherwise. Cannot tell a bzip2 file from text opening "BZh"."""
    for magic, what in OTHER_PACKS.items():
        if head.startswith(magic) and (magic != b"BZh" or head[3:4].isdigit()):
            kind, how = what.removesuffix(")").split(" (")
            raise ScoreError(f"{path} is {kind}, not JSONL: predictions are read plain or gzip-compressed; {how} "
                             "and give the JSONL file (or gzip it)")


def unmarked_utf16(path: Path, head: bytes) -> None:
    """ScoreError where ``head``, a file's first bytes (decompressed), is UTF-16 text without its byte-order mark:
    every other byte of its first 200 NUL, the others not (each line was "not valid JSON", its NULs blamed on a
    crash). Cannot tell text of other scripts than Latin so written: it is read as UTF-8."""
    sample = head[:200] if len(head) >= 8 and head[:2] not in UTF16_BOMS else b""  # with its BOM: read as UTF-16
    for order, zeros, chars in (("little-endian", sample[1::2], sample[0::2]), ("big-endian", sample[0::2], sample[1::2])):
        if sample and zeros.count(0) >= 0.9 * len(zeros) and chars.count(0) <= 0.1 * len(chars):
            raise ScoreError(f"{path}: UTF-16 text ({order}) without its byte-order mark (every other byte a NUL): "
                             "predictions are UTF-8 JSONL (or UTF-16 with its BOM, as PowerShell writes it); save it "
                             "as UTF-8")


def cut_note(path: Path, n_lines: int, dropped: int) -> str:
    """What a gzip stream cut short lost: ``n_lines`` line ends were read before the cut, ``dropped`` bytes after the
    last of them (the line the cut splits) were not (was a refusal of the whole file, every answer before the cut
    with it)."""
    lost = (f"the {counted(dropped, 'byte')} of the line the cut splits (line {n_lines + 1}) dropped with whatever "
            "followed" if dropped else f"whatever followed the cut (at a line's end) lost, after line {n_lines}")  # was "0 byte(s)"
    return (f"{path}: the gzip file is cut short (its end-of-stream marker missing: a copy or a compression stopped "
            f"midway): its {counted(n_lines, 'whole line')} before the cut {'is' if n_lines == 1 else 'are'} read, and "
            f"{lost}; the records whose answers were there count as missing: compress the whole file again")


FIRST_LINE_CUT = ("a gzip file that cannot be decompressed (cut short before its first line ends: Compressed file "
                  "ended before the end-of-stream marker was reached)")


def whole_bytes(path: Path, stream: ByteStream | None = None, head: bytes = b"") -> tuple[bytes, str | None]:
    """What a predictions file or pipe holds, read whole (``head``: what ``stream`` gave already), and the note of a
    cut gzip stream or trailer: decompressed where it is gzip, whatever its name (read as it is, every line is a bad
    one); where the stream is cut short, its lines up to the last line end (UTF-16's where it opens with its BOM)."""
    stream = stream or ByteStream(path)
    data = head + b"".join(stream)
    if not stream.cut:
        return data, stream.note
    end = {b"\xff\xfe": b"\n\x00", b"\xfe\xff": b"\x00\n"}.get(data[:2], b"\n")  # UTF-16's line end
    whole = data[:data.rfind(end) + len(end)] if end in data else b""
    if not whole.strip():
        raise ScoreError(f"{path}: {FIRST_LINE_CUT}")
    return whole, cut_note(path, whole.count(end), len(data) - len(whole))


def first_line_at(head: bytes) -> tuple[str, int, int] | None:
    """The first line of ``head`` that is not blank, as ``ByteLines`` gives it (a BOM opening it dropped, not
    stripped), its number (blank lines counted) and the offset of its line end; None where no line end closes one."""
    start = 0  # each line end found once: a regex of the line and its end tried every start of a line without
    for n, m in enumerate(_LINE_END.finditer(head), 1):  # one (a one-line JSON array: 140 KB took 100 s)
        if (text := str(memoryview(head)[start:m.start()], "utf-8", "replace").removeprefix("\ufeff")).strip():
            return text, n, m.start()
        start = m.end()
    return None


def object_line(line: str, constant=None) -> dict | None:
    """``line`` read as JSON, as ``eval.inputs`` reads a line (``json_line``: a record separator or other
    whitespace JSON has not before it is no JSON), where it is one JSON object alone (``{`` opening it, within the
    records' cap); None otherwise. ``constant``: ``json_line``'s, for NaN, Infinity and -Infinity."""
    if not line.lstrip().startswith("{") or len(line) > records_shape.LINE_CAP:
        return None
    with contextlib.suppress(ValueError):
        return obj if isinstance(obj := json_line(line, constant=constant), dict) else None
    return None


class ByteLines:
    """``(number, line)`` of each line that is not blank of the UTF-8 bytes ``head`` and then ``stream``'s, numbered as
    ``eval.pred_file._text_lines`` numbers them, decoded a line at a time (a UTF-8 BOM opening the file dropped); ``n_lines``: how
    many were not blank. Where ``stream`` was cut short, the bytes after the last line end are dropped, said in its
    ``note`` (``pred_bytes.cut_note``; a cut before any line's end: ScoreError). Bytes that are no UTF-8: ScoreError
    naming the line and byte, but in the last line of a file without its line end (a kill cut inside a character:
    read up to it)."""

    def __init__(self, path: Path, head: bytes, stream, skip: int = 0):
        """``skip``: where in ``head`` the first line that is not blank ends (``first_line_at``), its caller having read
        it: the lines from there on are given, numbered as in the file (its bytes were decoded twice, parsed twice)."""
        self.path, self.stream, self.n_lines = path, stream, int(skip > 0)
        self.head = head[skip:] if skip else head  # the line read already let go
        self._before = (sum(1 for _ in _LINE_END.finditer(head, 0, skip)), head.count(b"\n", 0, skip), skip)

    def __iter__(self):
        n, n_lf, at = self._before  # line ends and LFs before the bytes given, and their offset in the file
        said, pending = at > 0, bytearray(self.head if at else self.head.removeprefix(b"\xef\xbb\xbf"))
        at += len(self.head) - len(pending)  # a byte's offset in the file, as the error names it (a BOM read past)
        self.head = b""
        chunks, scan = iter(self.stream), 0  # scan: where an LF may be, past the bytes searched already
        while True:
            start, end = 0, pending.find(b"\n", scan)
            while end >= 0:  # no list of the chunk's lines: a copy of it
                for part in self._decode(pending, start, end, n, at, final=False):
                    n += 1
                    if not BLANK.fullmatch(part):
                        said, self.n_lines = True, self.n_lines + 1
                        yield f"{n}", part
                at, n_lf, start = at + end + 1 - start, n_lf + 1, end + 1
                end = pending.find(b"\n", start)
            del pending[:start]
            scan = len(pending)  # a line over many chunks: each searched once (was all of it again, a chunk at a time)
            if (chunk := next(chunks, None)) is None:
                break
            pending += chunk  # a bytearray: a line over many chunks is no quadratic copy
        if self.stream.cut:  # gzip cut short: the line the cut splits is dropped, and said
            if not said:
                raise ScoreError(f"{self.path}: {FIRST_LINE_CUT}")
            self.stream.note = cut_note(self.path, n_lf, len(pending))
            return
        parts = self._decode(pending, 0, len(pending), n, at, final=True)
        for i, part in enumerate(parts):
            n += 1
            if not BLANK.fullmatch(part):
                self.n_lines += 1
                yield f"{n}$" if i == len(parts) - 1 else f"{n}", part

    def _decode(self, pending: bytearray, start: int, end: int, n: int, at: int, final: bool) -> list[str]:
        """The lines of ``pending[start:end]`` (bytes up to an LF, without it: a bare CR in them ends a line, a CR
        closing them is CR LF's; ``final``: the file's last bytes, no LF after them), the first numbered ``n + 1``,
        from byte ``at``; a line over ``CHUNK`` decoded in place (a slice was a copy: a 600 MB line held three times),
        a shorter one from a slice (a memoryview a line cost 10 % more CPU)."""
        raw = memoryview(pending)[start:end] if end - start > CHUNK else pending[start:end]
        try:
            try:
                text = str(raw, "utf-8")
            except UnicodeDecodeError as e:
                try:  # a last line a kill cut inside a character: read up to it, its JSON error said as a cut
                    if not final:
                        raise
                    text = codecs.getincrementaldecoder("utf-8")().decode(raw)  # not final: strict but for the cut character
                except UnicodeDecodeError:
                    line = n + 1 + bytes(raw[:e.start]).count(b"\r")  # a bare CR before it ends a line
                    raise ScoreError(f"{self.path}: not UTF-8 text ({e.reason} at byte {at + e.start}, line {line}); "
                                     "predictions are JSONL") from None
        finally:
            if isinstance(raw, memoryview):
                raw.release()  # pending may grow again
        return (text if final else text.removesuffix("\r")).split("\r")


def whole_kind(path: Path, whole: dict) -> str | None:
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


def dota_kind(line: str) -> str | None:
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


def trailer_lacking(unzip, crc: int, size: int) -> int | None:
    """How many bytes of its 8-byte trailer (CRC-32, then size) a gzip member lacks whose deflate data is whole
    (``unzip`` fed all of it, no end reached; ``crc`` and ``size``: of what it decompressed to); None where the data
    itself is cut. Tried by completing the trailer as the data makes it, on a copy: zlib checks the file's own bytes
    of it with the rest (a cut in the trailer was "0 byte(s) dropped" of a cut midway, the checksum unsaid)."""
    trailer = struct.pack("<II", crc, size & 0xFFFFFFFF)
    for present in range(8):
        test = unzip.copy()
        with contextlib.suppress(zlib.error):  # a wrong count of bytes present: no trailer, or no data's end
            if not test.decompress(trailer[present:]) and test.eof and not test.unused_data:
                return 8 - present
    return None


if __name__ == "__main__":  # python -m eval.pred_bytes: no command line; say so, and which scripts have one
    from eval.__main__ import library_main

    raise SystemExit(library_main("pred_bytes"))
