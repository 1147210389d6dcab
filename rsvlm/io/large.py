"""Scenes too large for memory: a read that runs out of it names the file, its size, and ``--tile``.

    with out_of_memory(name, lambda: (width, height, bands, dtype), what="the scene"):
        data = ...  # a MemoryError here becomes SceneTooLarge
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path

from rsvlm.io.checks import ImageReadError, n_bands

__all__ = ["SceneTooLarge", "DecodedWhole", "out_of_memory", "header_size"]

Size = tuple[int, int, int, str]  # (width, height, bands, dtype)
PIL_DTYPES = {"I;16": "uint16", "I;16B": "uint16", "I;16L": "uint16", "I": "int32", "F": "float32"}  # others 8 bits


class SceneTooLarge(ImageReadError, MemoryError):
    """Not enough memory to read a scene (or a window of it) at once; a ``MemoryError`` and a
    ``ValueError`` (``ImageReadError``), so that callers reporting bad input report it too."""


class DecodedWhole(MemoryError):
    """A file a library decodes whole at open (PIL, tifffile) that does not fit: windows of it do not help."""


def header_size(name: str) -> Size | None:
    """(width, height, bands, dtype) from a file's header, without decoding its pixels; None where
    neither PIL nor rasterio reads the header."""
    from PIL import Image

    with contextlib.suppress(Exception), Image.open(Path(name)) as im:
        return im.width, im.height, len(im.getbands()), PIL_DTYPES.get(im.mode, "uint8")
    with contextlib.suppress(Exception):
        from rsvlm.io.sources import open_raster  # GDAL_DISABLE_READDIR_ON_OPEN, as every other open

        with open_raster(name) as ds:
            return ds.width, ds.height, ds.count, ds.dtypes[0]
    return None


@contextlib.contextmanager
def out_of_memory(name: str, size: Callable[[], Size | None], what: str = "the scene", shrunk: int | None = None):
    """Turns a ``MemoryError`` inside into ``SceneTooLarge``: which file, ``what`` was read (its
    ``size()`` in pixels and bands, and what it takes as float32), and how to read it in windows.
    ``shrunk``: the read was ``read_shrunk(shrunk)``'s (or its samples'), so a smaller side is advised, not
    "read it shrunk" (said where the shrunk read itself had failed)."""
    try:
        yield
    except SceneTooLarge:
        raise
    except MemoryError as e:
        got = size()
        if got is None:
            told = ""
        else:
            w, h, c, dtype = got
            gib = w * h * c * 4 / 2**30  # float32, as the reader scales it
            told = f" {w}x{h} pixels, {n_bands(c)} of {dtype}, {gib:.3g} GiB as float32;"
        how = ("no smaller read helps, as it is decoded whole at open: a tiled GeoTIFF (gdal_translate -co TILED=YES) "
               "is read in windows where rasterio is installed (pip install 'rsvlm[geo]')" if isinstance(e, DecodedWhole) else
               "read it in smaller windows (a smaller --tile; a PNG or JPEG that GDAL reads is read a row of windows "
               "at a time, the scene's width: a tiled GeoTIFF is not)" if what.startswith("window") else
               "read it in windows (rsvlm predict --tile 512, or SceneReader(...).read((x0, y0, w, h))), or shrunk to "
               f"fewer than {shrunk} px a side (SceneReader.read_shrunk): the {shrunk} px read did not fit" if shrunk else
               "read it in windows (rsvlm predict --tile 512, or SceneReader(...).read((x0, y0, w, h))) or shrunk "
               "(SceneReader.read_shrunk)")
        raise SceneTooLarge(f"{name}: not enough memory to read {what} at once:{told} {how} ({e or 'MemoryError'})") from e

