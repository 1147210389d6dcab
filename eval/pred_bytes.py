"""A predictions file's bytes, read whole (a pipe too, read once) and decompressed where it is gzip, whatever its
name: every member of a ``cat a.gz b.gz``; a stream cut short read up to its last whole line, with a note; one cut
in its 8-byte trailer alone read whole, saying nothing is lost; corrupt data, or bytes after it that are no gzip
member, a ScoreError."""

from __future__ import annotations

import contextlib
import struct
import zlib
from pathlib import Path

from eval.counts import counted
from eval.inputs import ScoreError
from rsvlm.data.records import GZIP_MAGIC


def whole_bytes(path: Path) -> tuple[bytes, str | None]:
    """What a predictions file or pipe (``--pred <(…)``, ``/dev/stdin``: read once, as it can be) holds, read whole,
    and ``gunzip``'s note: decompressed where it is gzip, whatever its name (read as it is, every line is a bad one)."""
    data = path.read_bytes()
    return gunzip(path, data) if data[:2] == GZIP_MAGIC else (data, None)



def gunzip(path: Path, data: bytes) -> tuple[bytes, str | None]:
    """gzip ``data`` (every member) decompressed, and None; where the stream is cut short (a copy or a run stopped
    midway), its complete lines before the cut and a note naming the file and the lost tail (was a refusal of the
    whole file, every answer before the cut with it); where it is cut in its 8-byte trailer alone
    (``trailer_lacking``), all of it and a note saying nothing is lost. Corrupt data (a bad CRC, not deflate), or
    a cut before the first line's end, is a ScoreError, as are bytes after the gzip data that are no gzip member
    (were dropped unsaid)."""
    out, rest = [], data
    while rest[:2] == GZIP_MAGIC or rest == GZIP_MAGIC[:1]:  # one byte of the next member's: cut in its header
        unzip = zlib.decompressobj(wbits=31)
        try:
            out.append(unzip.decompress(rest))
        except zlib.error as e:
            raise ScoreError(f"{path}: a gzip file that cannot be decompressed ({e})") from None
        if not unzip.eof and (lacking := trailer_lacking(unzip, out[-1])):  # its data whole: nothing lost
            checked = ("the data matches its checksum" if lacking <= 4 else "its checksum is cut, so the data could "
                       "not be checked against it")
            return b"".join(out), (f"{path}: the gzip file lacks the last {lacking} of the 8 bytes gzip ends with "
                                   f"(its trailer: a copy stopped just short of its end): every line was read, none "
                                   f"lost, and {checked}; compress the whole file again")
        if not unzip.eof:  # cut short: whole lines up to the cut, the line it splits dropped
            text = b"".join(out)
            end = {b"\xff\xfe": b"\n\x00", b"\xfe\xff": b"\x00\n"}.get(text[:2], b"\n")  # UTF-16's line end
            whole = text[:text.rfind(end) + len(end)] if end in text else b""
            if not whole.strip():
                raise ScoreError(f"{path}: a gzip file that cannot be decompressed (cut short before its first line "
                                 "ends: Compressed file ended before the end-of-stream marker was reached)")
            lost = (f"the {counted(len(text) - len(whole), 'byte')} of the line the cut splits dropped with whatever followed"
                    if len(text) > len(whole) else "whatever followed the cut (at a line's end) lost")  # was "0 byte(s)"
            return whole, (f"{path}: the gzip file is cut short (its end-of-stream marker missing: a copy or a "
                           f"compression stopped midway): its {counted(whole.count(end), 'whole line')} before the cut {'is' if whole.count(end) == 1 else 'are'} "
                           f"read, and {lost}; the records whose answers were there count as missing: compress the whole "
                           "file again")
        rest = unzip.unused_data.lstrip(b"\x00")  # the next member (cat a.gz b.gz), gzip's zero padding read past
    if rest:  # not gzip (a file appended uncompressed, a member's header corrupt): its records were lost unsaid
        raise ScoreError(f"{path}: a gzip file that cannot be decompressed (the {counted(len(rest), 'byte')} after its gzip "
                         f"data, from {rest[:8]!r}, {'is' if len(rest) == 1 else 'are'} no gzip member: a corrupt member, or a file appended to it "
                         "uncompressed?); compress the whole predictions file again")
    return b"".join(out), None


def trailer_lacking(unzip, member: bytes) -> int | None:
    """How many bytes of its 8-byte trailer (CRC-32, then size) a gzip member lacks whose deflate data is whole
    (``unzip`` fed all of it, no end reached; ``member``: what it decompressed to); None where the data itself is
    cut. Tried by completing the trailer as ``member`` makes it, on a copy: zlib checks the file's own bytes of it
    with the rest (a cut in the trailer was "0 byte(s) dropped" of a cut midway, the checksum unsaid)."""
    trailer = struct.pack("<II", zlib.crc32(member), len(member) & 0xFFFFFFFF)
    for present in range(8):
        test = unzip.copy()
        with contextlib.suppress(zlib.error):  # a wrong count of bytes present: no trailer, or no data's end
            if not test.decompress(trailer[present:]) and test.eof and not test.unused_data:
                return 8 - present
    return None


if __name__ == "__main__":  # python -m eval.pred_bytes: no command line; say so, and which scripts have one
    from eval.__main__ import library_main

    raise SystemExit(library_main("pred_bytes"))
