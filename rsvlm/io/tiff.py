"""TIFF specifics behind ``sources.py``: the tifffile fallback (no rasterio, or a TIFF GDAL cannot
open), band names from tifffile's JSON description, and a multi-page TIFF's pages read as bands.

``tifffile.imwrite`` writes a (C, H, W) array of C other than 3 or 4 as C pages of one size and
dtype, not as one page of C bands; GDAL opens only the first (the others are its ``GTIFF_DIR:k:``
subdatasets). Such pages are read as the bands they stand for. Reduced-resolution pages (overviews,
thumbnails: NewSubfileType 1) are no subdatasets in GDAL and stay overviews; pages of several
sizes or dtypes, or of several bands each, are separate images: the first is read, with a note.
"""

from __future__ import annotations

import json
import re
import struct
from pathlib import Path

import numpy as np

from rsvlm.io.checks import n_bands
from rsvlm.io.sources import ArraySource, ImageReadError, open_raster
from rsvlm.io.tiff_layout import ifd_entries


def tifffile_source(path: Path, note: str) -> ArraySource:
    """The first image of a TIFF decoded by tifffile; its pages as bands where tifffile reads them
    as one series (one size and dtype). Any failure, a damaged header included, is an
    ``ImageReadError`` naming ``path`` and tifffile's reason."""
    import tifffile

    try:
        with tifffile.TiffFile(path) as tf:
            if not tf.series:
                raise ImageReadError(f"{path}: TIFF holds no image tifffile can read (no image series)")
            s = tf.series[0]
            n_series, arr, axes = len(tf.series), s.asarray(), s.axes  # axes: "YXS", "SYX", "IYX" …
            page = s.keyframe  # the first page: its photometric, extra samples and GDAL_NODATA
            rgb, extra = int(page.photometric) == 2, [int(e) for e in np.atleast_1d(page.extrasamples)]
            nodata_tag = page.tags.valueof(42113)  # GDAL_NODATA, as GDAL writes it ("0", "-9999", "nan")
            mask = _internal_mask(tf, (page.imagelength, page.imagewidth))  # (H, W) bool: GDAL's mask page, which
            # tifffile calls an image (page.shape of a band-interleaved page is (C, H, W): its mask was missed)
            n_series -= mask is not None
    except ImageReadError:
        raise
    except Exception as e:  # tifffile raises many types on a damaged file (TiffFileError, ValueError, …)
        raise ImageReadError(f"{path}: cannot decode TIFF, truncated or corrupt ({type(e).__name__}: {e})") from e
    if 0 in arr.shape:  # a damaged header: a width or height of 0 (was an IndexError taking the first page)
        raise ImageReadError(f"{path}: cannot decode TIFF, truncated or corrupt (image shape {arr.shape}, axes "
                             f"{axes}: no pixels)")
    from rsvlm.io.tiff_layout import layout_note

    notes, bilevel = [note, *filter(None, [layout_note(path)])], arr.dtype == np.bool_  # SamplesPerPixel edited
    if bilevel:  # a 1-bit (bilevel) TIFF: 0 and 1 as GDAL reads it (bool was "unsupported dtype")
        arr = arr.astype(np.uint8)
    if arr.ndim == 4 or n_series > 1:  # pages of one shape are one series: (pages, H, W, C) was refused
        n = arr.shape[0] if arr.ndim == 4 else n_series
        notes.append(f"the file holds {n} images (TIFF pages); the first is read, as GDAL reads it")
        arr, axes = (arr[0], axes[1:]) if arr.ndim == 4 else (arr, axes)
    if arr.ndim == 2:
        arr = arr[None]
    elif arr.ndim == 3 and axes.endswith("S"):  # by the file's layout: a 10 x 12 RGB was 10 bands of 12 x 3
        arr = np.moveaxis(arr, -1, 0)  # (H, W, C) → (C, H, W)
    elif arr.ndim == 3 and axes[0] != "S":  # one band a page ("IYX", "QYX", "ZYX"): a band stack
        notes.append(_stack_note(arr.shape[0]))
    elif arr.ndim != 3:
        raise ImageReadError(f"{path}: TIFF has shape {arr.shape} (axes {axes}); expected (H, W) or (H, W, C)")
    colours, alpha = [None] * len(arr), None  # pages as bands, a grey image: no colours (a 4-page stack was R, G, B)
    if axes.endswith("S") or axes[0] == "S":  # one image of samples (not pages as bands): as GDAL reads it
        if rgb and len(arr) >= 3:
            colours[:3] = ["R", "G", "B"]
        if len(extra) == 1 and extra[0] in (1, 2) and len(arr) in (2, 4):  # associated / unassociated alpha
            alpha = len(arr) - 1  # (an RGBA read as 4 msi bands, its alpha a band)
    nodata = None if nodata_tag is None else _tag_number(nodata_tag)
    if nodata_tag is not None and (said := nodata_tag_note(path, nodata_tag, arr.dtype)):  # NaN of a uint16 file
        nodata = None  # was "declared", masked nothing; "n/a": no number
        notes.append(said)
    return ArraySource(path, (arr, alpha), notes, bilevel=bilevel, colours=colours, nodata=nodata, mask=mask)


def _internal_mask(tf, size: tuple[int, int]) -> np.ndarray | None:
    """The (H, W) bool validity of a GDAL internal mask (a full-resolution page of NewSubfileType 4, as
    ``GDAL_TIFF_INTERNAL_MASK`` writes it) of an image of ``size`` (H, W); None where there is none. tifffile reads
    such a page as a second image, so its masked pixels were read as valid and the file said to hold 2 images."""
    for p in tf.pages[1:]:
        if (p.subfiletype & 4 and not p.subfiletype & 1 and (p.imagelength, p.imagewidth) == tuple(size)
                and p.samplesperpixel == 1):
            return p.asarray() > 0
    return None


LEADING_NUMBER = re.compile(r"\s*([+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|nan|inf(?:inity)?))", re.I)
MSVC_NUMBER = re.compile(r"\s*([+-]?)1\.#(inf|qnan|snan|ind)", re.I)  # "1.#INF", "-1.#QNAN": GDAL reads inf, NaN


def _tag_number(tag) -> float | None:
    """A GDAL_NODATA tag's number as GDAL reads it, its leading one (``"nan"`` is NaN; ``"-9999,-9999,-9999"``, a
    value a band, is -9999; a whole number an int, as GDAL reads a 64-bit band's); None where it starts with none
    ("none", "n/a", "")."""
    if m := MSVC_NUMBER.match(str(tag)):  # was 1.0: tifffile's reading masked every pixel of value 1
        return float(f"{m.group(1)}{'inf' if m.group(2).lower() == 'inf' else 'nan'}")
    m = LEADING_NUMBER.match(str(tag).strip("\x00"))  # a whole number exactly: uint64's 2**64 - 1 is no float's
    whole = m and m.group(1).lstrip("+-").isdigit() and -(2**63) <= int(m.group(1)) < 2**64  # 64-bit types' range
    return (int(m.group(1)) if whole else float(m.group(1))) if m else None


def holds(dtype, value: float) -> bool:
    """Whether a pixel of ``dtype`` can hold ``value`` (NaN only a float, an integer type its range only)."""
    dtype = np.dtype(dtype)
    if dtype.kind in "fc":
        return True
    if dtype.kind not in "ui" or not np.isfinite(value):
        return dtype.kind == "b" and value in (0, 1)
    info = np.iinfo(dtype)
    return info.min <= value <= info.max and float(value).is_integer()


def nodata_tag_note(path, tag, dtype, gdal_value: float | None = None) -> str | None:
    """The note for a GDAL_NODATA tag ``tag`` of the TIFF ``path`` that masks no pixel: one that is no number
    ("none", "n/a", "": GDAL reads it as 0, so every 0 pixel had been nodata), one GDAL reads as 0 though it is
    not ("-nan", "infinity": ``gdal_zero``, ``gdal_value`` being what rasterio read) or one no pixel of ``dtype`` can
    hold (GDAL ignores it); None where the tag is a value a pixel can hold."""
    name, raw = Path(str(path)).name, str(tag).strip(chr(0))
    if gdal_zero(tag, gdal_value) and _tag_number(tag) is not None:
        return (f"{name}'s GDAL_NODATA tag {raw!r} is read by GDAL as 0: no pixel is read as nodata by it, 0 pixels "
                "included (give the real one: ReadConfig.nodata, or gdal_edit.py -a_nodata)")
    if (value := _tag_number(tag)) is None:
        return (f"{name}'s GDAL_NODATA tag {raw!r} is no number (GDAL may take it for 0): no pixel is read as nodata by "
                "it, 0 pixels included (a fill the file does not declare is looked for as if it declared none; give "
                "the real one: ReadConfig.nodata, or gdal_edit.py -a_nodata)")
    if holds(dtype, value):
        return None
    return (f"{name} declares nodata {raw!r}, which no {np.dtype(dtype)} pixel can hold: no pixel is read as nodata "
            "by it (a fill the file does not declare is looked for as if it declared none; give the real one: "
            "ReadConfig.nodata, or gdal_edit.py -a_nodata)")


def gdal_zero(tag, gdal_value: float | None) -> bool:
    """Whether GDAL read a GDAL_NODATA ``tag`` as 0 (``gdal_value``, rasterio's nodata) where the tag says no 0: no
    number ("none"), or one GDAL's parser does not take ("-nan", "infinity"), which masked every 0 pixel unsaid."""
    value = None if tag is None else _tag_number(tag)
    return tag is not None and gdal_value == 0 and value != 0


def gdal_nodata(files: list[str], datasets) -> tuple[list[bool], list[str]]:
    """Whether each of rasterio's ``datasets`` (of ``files``) masks pixels: a nodata value (not one GDAL read as 0
    from a GDAL_NODATA tag that says none: "n/a", "-nan", ``gdal_zero``), or an internal mask; and the notes of
    tags that mask nothing (``nodata_tag_note``: NaN of a uint16 GeoTIFF, of which rasterio says "none"). A tag is
    read where it can change what GDAL says (no nodata, or 0), once a file (a page stack's pages share it)."""
    asks = [d.driver == "GTiff" and d.nodata in (None, 0) for d in datasets]
    read = {f: gdal_nodata_tag(f) for f, a in zip(files, asks) if a}
    tags = [read[f] if a else None for f, a in zip(files, asks)]
    masked = [d.nodata is not None and not gdal_zero(t, d.nodata) or d.nodata is None and any(
        f.name != "all_valid" for flags in d.mask_flag_enums for f in flags) for d, t in zip(datasets, tags)]
    notes = [said for f, d, t in zip(files, datasets, tags) if t is not None and (d.nodata is None or gdal_zero(
        t, d.nodata)) and (said := nodata_tag_note(f, t, d.dtypes[0], d.nodata))]
    return masked, notes


def gdal_nodata_tag(file: str) -> str | None:
    """The GDAL_NODATA tag (42113) of a TIFF's first IFD as written (``"nan"``), None where it has none or the
    file is no local TIFF (rasterio gives no nodata where the value is outside the band's type). Read from the
    IFD's entries: tifffile logs the tag's parse at every open, and silencing its logger (shared by every
    thread) lost other threads' warnings; a damaged file says nothing here (GDAL has said what it says of it)."""
    if not Path(file).is_file():
        return None
    try:
        with open(file, "rb") as f:
            for order, offset, code, kind, length, value in ifd_entries(f):
                if code == 42113 and kind == 2:  # ASCII, in the entry where it fits, else at the offset it holds
                    if length > len(value):
                        f.seek(struct.unpack(order + offset, value)[0])
                        value = f.read(length)
                    return value[:length].split(b"\0")[0].decode("ascii", "replace")
    except (OSError, KeyError, ValueError, struct.error):  # no TIFF, or cut short
        return None
    return None


def _stack_note(n: int) -> str:
    return (f"the file's {n} TIFF pages are read as {n} bands (one band each, of one size and dtype: a band "
            "stack, as tifffile.imwrite writes a (C, H, W) array)")


def tifffile_bands(description: str | None, count: int) -> list[str] | None:
    """Band names from a TIFF's JSON image description (``tifffile.imwrite(..., metadata={"bands":
    [...]})``, as rsvlm's generator writes them), when it names exactly ``count`` distinct bands.
    GDAL shows such names to no one, so without this they read as b1 … bN."""
    if not description or not description.lstrip().startswith("{"):
        return None
    try:
        bands = json.loads(description).get("bands")
    except (ValueError, AttributeError):
        return None
    if not (isinstance(bands, list) and len(bands) == count and all(isinstance(b, str) and b for b in bands)
            and len(set(bands)) == count):
        return None
    return bands


def _page(name: str) -> int:
    m = re.match(r"GTIFF_DIR:(\d+):", name)
    return int(m.group(1)) if m else 0


def first_page_note(subs: list[str]) -> str:
    """What is said of a file GDAL opens on the first of its subdatasets ``subs``."""
    subs = sorted(subs, key=_page)  # GDAL lists GTIFF_DIR:1, GTIFF_DIR:10, GTIFF_DIR:2 …: 10 was "e.g." the second
    return (f"the file holds {len(subs)} images (TIFF pages or subdatasets); the first is read, another by its "
            f"name, e.g. {subs[1] if len(subs) > 1 else subs[0]}")


def page_datasets(ds, subs: list[str]) -> tuple[list, str]:
    """A multi-page TIFF ``ds`` (rasterio, opened on its first page) with GDAL subdatasets ``subs``:
    (its other pages opened, to read as bands, and a note) where every page is one band of the first
    page's size, dtype and grid; else ([], a note that the first page is read and how to read another)."""
    subs = sorted(subs, key=_page)
    first_only = first_page_note(subs)
    if ds.driver != "GTiff" or ds.count != 1 or not all(s.startswith("GTIFF_DIR:") for s in subs) or _page(subs[0]) != 1:
        return [], first_only
    from rasterio._err import CPLE_BaseError
    from rasterio.errors import RasterioIOError

    pages, why = [], None
    try:
        for s in subs[1:]:
            try:
                pages.append(open_raster(s))
            except (RasterioIOError, CPLE_BaseError) as e:  # a damaged page: the first is still an image
                why = f"page {_page(s)} cannot be opened: {e}"
                break
            p = pages[-1]
            if (p.count, p.width, p.height, p.dtypes[0], p.transform, p.crs) != (
                    1, ds.width, ds.height, ds.dtypes[0], ds.transform, ds.crs):
                why = (f"page {_page(s)} is {n_bands(p.count)} of {p.width} x {p.height} {p.dtypes[0]}, page 1 one "
                       f"band of {ds.width} x {ds.height} {ds.dtypes[0]}: not one stack of bands")
                break
    except BaseException:
        why = "interrupted"
        raise
    finally:
        if why is not None:
            for q in pages:
                q.close()
    if why is not None:
        return [], f"{first_only} ({why})"
    return pages, _stack_note(len(subs))
