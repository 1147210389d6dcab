"""Whether a PNG's pixel data is whole: its IDAT stream inflates, with a good checksum, to exactly the
bytes its header promises, each row led by a known filter type (``check_png_data``). The image reader checks
each PNG PIL decodes so (``check_whole_png``; GDAL's checksum finds it), ``data_gen.convert`` each it copies.

PIL's ``verify`` checks the chunks' CRCs only. A PNG whose IDAT bytes were damaged and its CRC written
anew passed it (an untiled conversion copied it; only a tiled one, decoding it, failed), and one whose
stream ends early decodes in PIL without an error, the missing rows black. Inflating without
unfiltering costs a fraction of a decode and holds no more than ``CHUNK`` bytes at once.
"""

from __future__ import annotations

import contextlib
import struct
import zlib
from pathlib import Path

SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}  # colour type -> samples a pixel
ADAM7 = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2))
CHUNK = 1 << 24  # inflated bytes at most per step


def is_png(path: Path) -> bool:
    """Whether ``path`` starts with the PNG signature (whatever its name)."""
    with open(path, "rb") as f:
        return f.read(8) == SIGNATURE


def file_key(p) -> tuple[str, int, int]:
    """(resolved path, size, mtime_ns) of the file ``p``: the same file, not rewritten since."""
    st = Path(p).stat()
    return str(Path(p).resolve()), st.st_size, st.st_mtime_ns


def check_whole_png(p, checked: set | None = None) -> None:
    """ImageReadError naming ``p`` where it is a PNG (by its signature) whose pixel data is not whole: one whose
    stream stops early decodes in PIL without a word, its missing rows black (``check_png_data``).

    ``checked``: the ``file_key`` of files found whole before, not checked again; ``p`` is added once found
    whole. Training re-reads each PNG every epoch (its dataset keeps one such set); the check costs 30-65% of
    a decode, so a reader that reads a file once passes none."""
    from rsvlm.io.sources import ImageReadError  # sources reads through this module

    with contextlib.suppress(OSError):  # unreadable: the decoder said so already
        if not Path(p).is_file() or (key := file_key(p)) in (checked if checked is not None else ()):
            return
        if is_png(Path(p)):
            try:
                check_png_data(Path(p))
            except ValueError as e:
                raise ImageReadError(f"{p}: PNG pixel data not whole, truncated or corrupt ({e})") from None
        if checked is not None:
            checked.add(key)


def _rows(width: int, height: int, bits: int, interlaced: bool) -> list[tuple[int, int]]:
    """(rows, bytes a row with its filter byte) of each pass: one pass, or Adam7's seven."""
    passes = ADAM7 if interlaced else ((0, 0, 1, 1),)
    out = []
    for x0, y0, dx, dy in passes:
        w, h = -(-(width - x0) // dx), -(-(height - y0) // dy)
        if w > 0 and h > 0:
            out.append((h, 1 + -(-(w * bits) // 8)))
    return out


def check_png_data(path: Path) -> None:
    """Raise ValueError saying what is wrong unless the PNG at ``path`` holds its whole pixel data."""
    with open(path, "rb") as f:
        if f.read(8) != SIGNATURE:
            raise ValueError("not a PNG file")
        layout, inflate, done = None, zlib.decompressobj(), 0
        row, rows_left = 0, []  # the filter bytes' next offset, the passes' (rows, stride) still to come
        while True:
            head = f.read(8)
            if len(head) < 8:
                raise ValueError("the file ends before its IEND chunk (truncated)")
            n, kind = struct.unpack(">I4s", head)
            if kind == b"IEND":
                break
            if kind == b"IHDR":
                width, height, depth, colour, _, _, lace = struct.unpack(">IIBBBBB", f.read(13))
                if colour not in CHANNELS:
                    raise ValueError(f"colour type {colour} in IHDR is no PNG colour type")
                layout = _rows(width, height, CHANNELS[colour] * depth, bool(lace))
                rows_left = list(layout)
                f.seek(n - 13 + 4, 1)
                continue
            if kind != b"IDAT":
                f.seek(n + 4, 1)
                continue
            if layout is None:
                raise ValueError("IDAT before IHDR")
            data = f.read(n)
            f.seek(4, 1)
            if len(data) < n:
                raise ValueError("the file ends inside an IDAT chunk (truncated)")
            while data and not inflate.eof:
                try:
                    got = inflate.decompress(data, CHUNK)
                except zlib.error as e:
                    raise ValueError(f"broken compressed pixel data ({e})") from None
                data = inflate.unconsumed_tail
                row = _check_filters(got, done, row, rows_left)
                done += len(got)
    if layout is None:
        raise ValueError("no IHDR chunk")
    want = sum(h * stride for h, stride in layout)
    if not inflate.eof:
        raise ValueError(f"the compressed pixel data ends early: {done} of {want} bytes "
                         f"({width} x {height} px; a reader fills the rest with black)")
    if done != want:
        raise ValueError(f"the pixel data holds {done} bytes where {width} x {height} px need {want}"
                         + (" (a reader fills the rest with black)" if done < want else ""))


def _check_filters(got: bytes, start: int, row: int, rows_left: list) -> int:
    """ValueError where a row of ``got`` (inflated bytes from offset ``start``) does not begin with
    filter type 0-4; returns the offset of the next row's filter byte (``rows_left`` is used up)."""
    end = start + len(got)
    while rows_left and row < end:
        h, stride = rows_left[0]
        stop = min(end, row + h * stride)  # this pass's filter bytes within got
        filters = got[row - start:stop - start:stride]  # bytes: one a row
        if filters and max(filters) > 4:
            bad = next(k for k, v in enumerate(filters) if v > 4)
            raise ValueError(f"the pixel row at inflated byte {row + bad * stride} has filter type "
                             f"{filters[bad]} (0-4 exist): the data is damaged")
        taken = -(-(stop - row) // stride)
        row += taken * stride
        if taken >= h:
            rows_left.pop(0)
        else:
            rows_left[0] = (h - taken, stride)
    return row
