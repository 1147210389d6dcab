"""An uncompressed TIFF whose header disagrees with its pixel data: SamplesPerPixel or BitsPerSample written over
(4 → 3, 16 → 8) leaves strips or tiles holding more or fewer bytes than the header's size of them, and GDAL and
tifffile read the bytes as the header says: wrong pixels, said by neither (``layout_note``). Read from the first
IFD's entries (``ifd_entries``, which ``tiff.gdal_nodata_tag`` reads too: tifffile logs what it parses at every open)."""

from __future__ import annotations

import struct
from fractions import Fraction
from pathlib import Path

# TIFF tags read: ImageWidth, ImageLength, BitsPerSample, Compression, SamplesPerPixel, RowsPerStrip,
# StripByteCounts, PlanarConfiguration, TileWidth, TileLength, TileByteCounts
WANTED = {256, 257, 258, 259, 262, 277, 278, 279, 284, 322, 323, 325}
KINDS = {3: "H", 4: "I", 16: "Q"}  # SHORT, LONG, LONG8


def first_ifd(file) -> dict[int, tuple[int, ...]]:
    """The integer tags of ``WANTED`` in the first IFD of the TIFF ``file``; {} where it is no local TIFF or is cut
    short (GDAL or tifffile says what is wrong with such a file)."""
    tags: dict[int, tuple[int, ...]] = {}
    try:
        with open(file, "rb") as f:
            for order, offset, code, kind, length, value in ifd_entries(f):
                if code not in WANTED or kind not in KINDS or not 0 < length <= 1 << 20:
                    continue
                fmt = f"{order}{length}{KINDS[kind]}"
                if struct.calcsize(fmt) > len(value):  # the values lie at the offset the entry holds
                    f.seek(struct.unpack(order + offset, value)[0])
                    value = f.read(struct.calcsize(fmt))
                tags[code] = struct.unpack(fmt, value[:struct.calcsize(fmt)])
    except (OSError, KeyError, ValueError, struct.error):  # no TIFF, or cut short
        return {}
    return tags


def ifd_entries(f):
    """Each entry of the first IFD of the open TIFF ``f`` as (byte order, offset format, code, kind, count, the
    entry's value bytes: the values where they fit, else their offset); raises KeyError, struct.error where ``f`` is
    no TIFF or is cut short. ``first_ifd``'s and ``tiff.gdal_nodata_tag``'s reading."""
    head = f.read(16)
    order = {b"II": "<", b"MM": ">"}[head[:2]]
    big = struct.unpack(order + "H", head[2:4])[0] == 43  # BigTIFF: 8-byte counts and offsets
    offset, count, entry = ("Q", "Q", "HHQ8s") if big else ("I", "H", "HHI4s")
    f.seek(struct.unpack_from(order + offset, head, 8 if big else 4)[0])
    n = min(struct.unpack(order + count, f.read(struct.calcsize(count)))[0], 4096)  # (tifffile's bound)
    size = struct.calcsize(order + entry)
    entries = f.read(n * size)
    for k in range(len(entries) // size):
        yield (order, offset, *struct.unpack_from(order + entry, entries, k * size))


def layout_note(file) -> str | None:
    """The note for an uncompressed TIFF ``file`` whose every strip (or tile) holds a byte count other than its
    header's width × rows × SamplesPerPixel × BitsPerSample / 8, all by one ratio: the tag the ratio fits (4 samples
    a pixel where SamplesPerPixel says 3; 16-bit samples where BitsPerSample says 8) named, as its pixels are read
    wrong; None where the counts agree, the file is compressed (no cheap size to compare) or packed below a byte."""
    t = first_ifd(file)
    if not {256, 257}.issubset(t) or t.get(259, (1,))[0] != 1 or len(set(t.get(258, (1,)))) != 1:
        return None
    if t.get(262) == (6,):  # YCbCr: its chroma subsampled (2x2 unless a tag says otherwise), fewer bytes
        return None
    W, H, spp, bits = t[256][0], t[257][0], t.get(277, (1,))[0], t.get(258, (1,))[0]
    planar, tiled = t.get(284, (1,))[0] == 2, 322 in t and 323 in t
    counts = t.get(325 if tiled else 279)
    if not counts or bits % 8 or not W or not H or not spp:
        return None
    per_px = bits // 8 * (1 if planar else spp)  # bytes a pixel of one strip or tile
    if tiled:  # every tile whole, edge tiles padded
        each = [t[322][0] * t[323][0] * per_px] * len(counts)
    else:
        rows = max(1, min(t.get(278, (H,))[0], H))
        per_band = -(-H // rows)
        each = [min(rows, H - (k % per_band) * rows) * W * per_px for k in range(len(counts))]
    if len(counts) != (len(each) if tiled else per_band * (spp if planar else 1)):
        return None  # a count that is not one a strip: libtiff says so
    ratios = {Fraction(c, e) for c, e in zip(counts, each)}
    if len(ratios) != 1 or (r := ratios.pop()) == 1 or r == 0:
        return None  # agrees, or strips damaged each their own way (GDAL's read says it)
    fits = [f"BitsPerSample {bits} (they hold {bits * r}-bit samples)"] * (bits * r in (8, 16, 32, 64))
    fits += [f"SamplesPerPixel {spp} (they hold {spp * r} samples a pixel)"] * ((spp * r).denominator == 1 and not planar)
    said = " or ".join(fits) if fits else "one of its size fields"
    what = "tile" if tiled else "strip"
    return (f"{Path(str(file)).name}'s TIFF header disagrees with its pixel data: its first {what} holds {counts[0]} "
            f"bytes where its header sizes it at {each[0]} (every {what} by that ratio): {said} was likely written "
            "over, and its pixels are read wrong; get an undamaged copy of the file")
