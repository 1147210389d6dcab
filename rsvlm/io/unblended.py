"""The read behind the checks of which values an 8-bit band holds (two only: a mask given as the image; 0 and 255:
an alpha the file does not flag), for files with overviews: averaged ones (``gdaladdo -r average``) blend those
values along every edge, and GDAL serves a decimated read from them, by nearest too."""

from __future__ import annotations

import contextlib

import numpy as np


def has_overviews(d) -> bool:
    """Whether dataset ``d`` has overviews (a resampled band file's VRT: whether its file has)."""
    try:
        return bool(d.overviews(1))
    except Exception:  # noqa: BLE001 (a WarpedVRT)
        return bool(getattr(d, "src_dataset", None) and d.src_dataset.overviews(1))


def settled(raw: np.ndarray, valid: np.ndarray | None) -> bool:
    """Whether every band of ``raw`` (C, n, w) holds a third value among its ``valid`` (n, w) pixels: no check of
    two values then holds of the whole, which is read no further."""
    return all(len(np.unique(b if valid is None else b[valid])) > 2 for b in raw)


def read_unblended(src, max_side: int, indexes: list[int], nodata: float | None):
    """(raw (C, h, w), valid) of ``src`` (a ``RasterioSource``) at most ``max_side`` a side from full resolution:
    the whole scene decimated by nearest from its files opened without their overviews (``OVERVIEW_LEVEL=NONE``)
    where it holds ``sources.FULL_READ_PIXELS`` or fewer, in strips, the first strip alone where every band holds 3
    values or more there (``settled``: a 4096² deflate RGB opened in 0.027 s, 0.099 s decoded whole, 0.020 s
    unchecked); resampled band files (VRTs), a paletted file, decoded whole; larger scenes, their centre
    ``max_side`` square. None where no file read has overviews (``read_decimated``'s are then stored values)."""
    from rsvlm.io import sources

    if not any(has_overviews(d) for d in src.datasets):
        return None
    if src.width * src.height > sources.FULL_READ_PIXELS:
        w, h = min(max_side, src.width), min(max_side, src.height)
        return src.read(((src.width - w) // 2, (src.height - h) // 2, w, h), indexes, nodata)
    if not src.paletted and all(d.driver != "VRT" for d in src.datasets):
        with contextlib.ExitStack() as opened:
            try:
                full = [opened.enter_context(sources.open_raster(d.name, OVERVIEW_LEVEL="NONE")) for d in src.datasets]
            except Exception:  # noqa: BLE001 (one GDAL cannot open so: decoded whole, below)
                full = None
            if full:
                return src.read_decimated(max_side, indexes, nodata, full, settled)
    step = max(1, int(np.ceil(max(src.width, src.height) / max_side)))
    raw, valid = src.read((0, 0, src.width, src.height), indexes, nodata)  # (C, H, W), (H, W) or None
    return raw[:, ::step, ::step], None if valid is None else valid[::step, ::step]
