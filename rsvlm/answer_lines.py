"""The lines of ``rsvlm eval``'s predictions file and its rank parts read one at a time from the open file
(``answer_lines``), where each is in it (``placed_lines``, ``line_at``: a merge keeps where a row is, not the row),
and a file rewritten from lines as they come (``replace_lines``): a run of millions of answers held its files'
text and every row at resume and merge.

Cannot: stream a file without line ends (its one line is read whole, as any line is).
"""

from __future__ import annotations

import codecs
import os
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO


def placed_lines(f: BinaryIO) -> Iterator[tuple[int | tuple[int, int], str]]:
    """``(place, line)`` of each line of the binary file ``f`` read as UTF-8, its line end kept, lines as
    ``str.splitlines`` splits the whole text (a CR, U+2028 too: the k-th line of the bytes at ``offset`` up to a
    b"\\n"; ``place`` is ``offset`` where k is 0, one int to hold, else ``(offset, k)``). The bytes of a character a
    kill cut at the file's very end are left out; UnicodeDecodeError for others no UTF-8, naming the file and byte."""
    decode, offset = codecs.getincrementaldecoder("utf-8")().decode, 0  # not final: a cut character waits
    for chunk in f:  # up to each b"\n", which no UTF-8 character holds, and splitlines ends a line at
        try:
            text = decode(chunk)
        except UnicodeDecodeError as e:  # "position" is in the line: say where in which file
            where = f"byte {offset + e.start} of {getattr(f, 'name', 'the file')}"
            raise UnicodeDecodeError(e.encoding, e.object, e.start, e.end, f"{e.reason} ({where})") from None
        for k, line in enumerate(text.splitlines(keepends=True)):
            yield (offset, k) if k else offset, line
        offset += len(chunk)


def answer_lines(path: Path) -> Iterator[str]:
    """Each line of ``path`` as ``placed_lines`` reads it; none where there is no file (not yet, or an empty part its
    rank just removed)."""
    try:
        f = path.open("rb")
    except FileNotFoundError:
        return
    with f:
        for _, line in placed_lines(f):
            yield line


def line_at(f: BinaryIO, place: int | tuple[int, int]) -> str:
    """The line ``placed_lines`` gave at ``place`` of ``f``, read again."""
    offset, k = place if isinstance(place, tuple) else (place, 0)
    f.seek(offset)
    return codecs.getincrementaldecoder("utf-8")().decode(f.readline()).splitlines(keepends=True)[k]


def after_last_line_end(f: BinaryIO, block: int = 1 << 20) -> int:
    """The offset in the binary file ``f`` just past its last b"\\n" (0 where it has none), read from its end back, a
    ``block`` at a time (``f`` is left anywhere)."""
    end = f.seek(0, os.SEEK_END)
    while end > 0:
        start = max(0, end - block)
        f.seek(start)
        if (at := f.read(end - start).rfind(b"\n")) >= 0:
            return start + at + 1
        end = start
    return 0
