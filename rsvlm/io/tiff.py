"""TIFF specifics behind ``sources.py``: the tifffile fallback (no rasterio, or a TIFF GDAL cannot
open) and band names from tifffile's JSON description."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from rsvlm.io.sources import ArraySource, ImageReadError


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
    except ImageReadError:
        raise
    except Exception as e:  # tifffile raises many types on a damaged file (TiffFileError, ValueError, …)
        raise ImageReadError(f"{path}: cannot decode TIFF, truncated or corrupt ({type(e).__name__}: {e})") from e
    if 0 in arr.shape:  # a damaged header: a width or height of 0 (was an IndexError taking the first page)
        raise ImageReadError(f"{path}: cannot decode TIFF, truncated or corrupt (image shape {arr.shape}, axes "
                             f"{axes}: no pixels)")
    notes = [note]
    if arr.dtype == np.bool_:  # a 1-bit (bilevel) TIFF: 0 and 1 as GDAL reads it (bool was "unsupported dtype")
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
    return ArraySource(path, (arr, None), notes)


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
