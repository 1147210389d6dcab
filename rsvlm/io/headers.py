"""Raw rasters' headers (ENVI's or ESRI's ``.hdr``, which GDAL refuses: it opens the data file) and GDAL's sidecars
given as band files: the data file a header stands for, a header or sidecar among band files left out with a note,
and a data file shorter than its header says (``raw_cut_short``). A header's own fields are GDAL's to read."""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path

from rsvlm.io.archives import in_archive
from rsvlm.io.read_errors import ImageReadError, n_bands


def raw_cut_short(p, ds) -> ImageReadError | None:
    """The error for a raw raster's data file (``ds``, a rasterio dataset opened as ``p``; ENVI or ESRI ``.hdr``)
    shorter than its header says (header offset + samples × lines × bands × bytes a value; an ESRI header's skipped
    bytes and gaps only add, so its data alone is the least): GDAL reads such a file's missing rows as 0, unsaid
    (ENVI files may be sparse), so a download cut short read as black bands; None where it is whole, compressed
    (ENVI's ``file compression = 1``) or packed below a byte a value (``NBITS 4``)."""
    import numpy as np

    if ds.driver not in ("ENVI", "EHdr") or not ds.files:
        return None
    envi = ds.tags(ns="ENVI")
    hdr = next((f for f in ds.files[1:] if f.lower().endswith(".hdr")), None)
    try:
        offset = int(envi.get("header_offset", 0))
        compressed = int(envi.get("file_compression", 0))
        nbits = int(m[1]) if ds.driver == "EHdr" and (m := re.search(  # (GDAL keeps no NBITS tag of an ESRI header)
            r"(?im)^\s*NBITS\s+(\d+)", _header_text(hdr))) else 8
    except ValueError:
        return None
    need = offset + ds.width * ds.height * ds.count * np.dtype(ds.dtypes[0]).itemsize
    try:
        have = os.path.getsize(ds.files[0])
    except OSError:  # a GDAL virtual path (/vsizip/…): no size to compare
        return None
    if compressed or nbits < 8 or have >= need:
        return None
    header = Path(hdr).name if hdr else "its header"
    start = f"from byte {offset}" if ds.driver == "ENVI" else "at least"  # (an ESRI header's skipped bytes unread)
    return ImageReadError(f"{p}: the data file is cut short: {have} bytes, where {header} describes {need} "
                          f"({n_bands(ds.count)} of {ds.width}x{ds.height} {ds.dtypes[0]}, {start}; "
                          f"{_share(1 - max(have - offset, 0) / (need - offset))} missing); a download or copy "
                          "that stopped? Fetch or copy it again (GDAL would read the missing part as 0)")


def _share(f: float) -> str:
    """``f`` (0 … 1) as a percentage, rounded away from 0 % and 100 % where it is neither (50 bytes of 12800 was
    ``0%``)."""
    return "under 1%" if 0 < f < 0.01 else "over 99%" if 0.99 < f < 1 else f"{f:.0%}"


def _header_text(hdr: str | None) -> str:
    """The text of a raw raster's header ``hdr`` (its first 64 KB); "" where there is none or it cannot be read."""
    if hdr:
        with contextlib.suppress(OSError), open(hdr, "rb") as h:
            return h.read(65536).decode("latin-1")
    return ""


HEADER_DATA = ("", ".img", ".dat", ".bin", ".raw", ".bsq", ".bil", ".bip", ".flt", ".envi")  # beside an ENVI / EHdr .hdr


def header_data(p: Path) -> tuple[list[Path], str]:
    """(its data files, the names looked for) for a raster header ``p`` (``x.hdr``, ENVI's or ESRI's, which GDAL
    refuses: it opens the data file): ``x.img``, ``x`` … (``HEADER_DATA`` added to the name, so ``x_2020.06.13.hdr``
    finds ``x_2020.06.13.img``), in any case (``SCENE.HDR`` beside ``scene.img`` or ``SCENE.IMG``), or ``x.img``
    for ``x.img.hdr``; in that order, empty where none is there. GDAL's own refusal named no data file."""
    stem = p.with_suffix("")
    own = stem.suffix.lower() in HEADER_DATA[1:]  # x.img.hdr: the header of x.img
    names = [stem.with_name(stem.name + s) for s in ([""] if own else HEADER_DATA)]
    inside = in_archive(p)  # /vsizip/pack.zip/scene.hdr: pack.zip's scene.img (the disk's had been looked in)
    try:  # the folder's names, compared case-insensitively (a Windows pair on a case-sensitive disk)
        beside = sorted(n for n in (p.parent.iterdir() if inside is None else inside) if n.suffix.lower() != ".hdr")
    except OSError:
        beside = []
    found: list[Path] = []
    for want in names:
        for n in beside:  # scene.img and scene.IMG are one file on a case-insensitive disk
            if n.name.lower() == want.name.lower() and (n not in found if inside is not None else n.is_file() and not
                                                        any(n.samefile(f) for f in found)):
                found.append(n)
    return found, ", ".join(n.name for n in names)


def header_files(p: Path, name, among: bool = False) -> list[Path]:
    """The data files beside raster header ``p`` (``header_data``), given as ``name`` (alone, or ``among`` band
    files); an ImageReadError naming it and the files looked for where there is none."""
    found, looked = header_data(p)
    if not found:
        raise ImageReadError(f"{name}: a raster header{' among the band files' * among}, not "
                             f"{'an' if among else 'the'} image, and no data file beside it ({looked})")
    return found


def band_headers(names: list[str]) -> tuple[list[str], list[str]]:
    """Band files given with raster headers among them (``B02.img B02.hdr B03.img B03.hdr``: a folder's ``*``):
    a header whose data file is given too is left out, one given alone stands for its data file (``header_data``),
    with a note saying which, also in a zip or tar (``/vsizip/pack.zip/B02.hdr``); ``names`` as given where fewer
    than two or none is a header. Raises ImageReadError,
    naming the header, where no data file is beside it (GDAL's refusal said 'not a readable raster')."""
    names, sidecars = _without_sidecars(names)
    if len(names) < 2 or not any(Path(n).suffix.lower() == ".hdr" for n in names):
        return names, sidecars
    given = [Path(n) for n in names if Path(n).suffix.lower() != ".hdr"]
    out, dropped, swapped = [], [], []
    for n in names:
        p = Path(n)
        inside = in_archive(p)  # /vsizip/pack.zip/B02.hdr: in the archive (on disk, none: it had been read as a band)
        if p.suffix.lower() != ".hdr" or not (p.is_file() if inside is None else p in inside):  # one missing is
            out.append(n)  # check_image_path's to name
            continue
        found = header_files(p, n, among=True)
        if any(f == g if inside is not None else g.is_file() and f.samefile(g) for f in found for g in given):
            dropped.append(p.name)
        else:
            out.append(str(found[0]) if inside is None else n[: len(n) - len(p.name)] + found[0].name)  # its //
            swapped.append(f"{p.name} by its data file {found[0].name}")
    notes = [f"raster header{'s' * (len(dropped) > 1)} {', '.join(dropped)} given beside {'their' if len(dropped) > 1 else 'its'} "
             f"data file{'s' * (len(dropped) > 1)}: left out (a header is no band)"] if dropped else []
    return out, sidecars + notes + ([f"read {', '.join(swapped)} (a header is no band)"] if swapped else [])


SIDECARS = (".aux.xml", ".ovr", ".msk")  # GDAL's own files beside an image, named after it whole (B02.jp2.aux.xml)


def _without_sidecars(names: list[str]) -> tuple[list[str], list[str]]:
    """``names`` without GDAL's sidecars of another of them (``B02.jp2.aux.xml`` beside ``B02.jp2``: a folder's
    ``*`` after QGIS computed its statistics; it was refused as 'a text file, not an image'), and a note naming
    them; as given where there is none. ESRI's ``B02.aux.xml`` (the image's name without its extension) is one of
    ``B02.tif`` given too, as ArcGIS writes it."""
    given = {str(n).lower() for n in names}
    esri = {str(Path(n).with_suffix("")).lower() for n in names if Path(n).suffix and not _sidecar_named(str(n))}
    side = [n for n in names for s in SIDECARS if str(n).lower().endswith(s) and (
        str(n).lower()[: -len(s)] in given or s == ".aux.xml" and str(n).lower()[: -len(s)] in esri)]
    if not side or len(side) == len(names):
        return names, []
    kept = [n for n in names if n not in side]
    return kept, [f"GDAL sidecar{'s' * (len(side) > 1)} {', '.join(Path(n).name for n in side)} given beside "
                  f"{'their' if len(side) > 1 else 'its'} image: left out (it holds the image's statistics or metadata, no band)"]


def _sidecar_named(name: str) -> bool:
    return any(name.lower().endswith(s) for s in SIDECARS)
