"""The image a reader returns (``RSImage``), the image paths a reader takes, and ``image_size``.

    img.data          # float32 (C, H, W), scaled per modality (``read.py``)
    image_size("scene.tif")  # (width, height) from the header, no pixels decoded
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from rsvlm.io.sources import (
    ImageReadError,
    check_image_path,
    gdal_message,
    gtiff_page,
    header_files,
    not_readable,
    open_raster,
)

__all__ = ["RSImage", "Window", "image_size"]

Window = tuple[int, int, int, int]  # (x0, y0, w, h) in pixels of the full scene


@dataclass
class RSImage:
    data: np.ndarray  # float32 (C, H, W), scaled per modality (see ``read.py``)
    modality: str  # "optical" | "msi" | "sar" | "ir"
    bands: list[str]
    path: str  # source file(s), ", "-joined when bands come from several files (a label: ``files`` to split)
    valid: np.ndarray | None = None  # bool (H, W), False at nodata; None when all pixels are valid
    crs: str | None = None  # "EPSG:xxxx" or WKT
    transform: tuple | None = None  # affine (a, b, c, d, e, f) pixel → map, None when not affine
    gcps: list | None = None  # rasterio GroundControlPoints (pixel coords of this image) if no transform
    inferred_modality: bool = False
    notes: list[str] = field(default_factory=list)
    window: Window | None = None  # where this image lies in its source scene, when windowed
    scene_size: tuple[int, int] | None = None  # (width, height) of the source scene
    files: list[str] = field(default_factory=list)  # the source files as given, one a band file; [path] if not given
    # per band the [lo, hi] the reader stretched to [0, 1] (percentiles, or a fixed dB / K range); None where values
    # are read as they are (8-bit / 255, reflectance): how ``vis`` tells a dim unstretched ir image
    stretch: list[list[float]] | None = None

    def __post_init__(self):
        if not self.files:  # a hand-built image: its path is one file (``path`` is no list to split on ", ")
            self.files = [self.path]

    @property
    def width(self) -> int:
        return int(self.data.shape[2])

    @property
    def height(self) -> int:
        return int(self.data.shape[1])

    @property
    def georeferenced(self) -> bool:
        return self.crs is not None and (self.transform is not None or bool(self.gcps))


def file_names(path) -> list[str]:
    """The file names as given (``str``; ``Path`` folds a GDAL subdataset's ``HDF5:a.h5://grid``)."""
    return [str(p) for p in path] if isinstance(path, (list, tuple)) else [str(path)]


def as_paths(path) -> list[Path]:
    """The given name(s) as paths: ValueError where none or an empty one is given, or a file twice."""
    names = [] if path is None else file_names(path)
    if not names or not all(n.strip() for n in names):  # "" was Path("."), "a folder, not an image file"
        raise ValueError(f"no image path given{f' (an empty name among {names})' if names else ''}")
    paths = [Path(p) for p in names]
    seen = set()
    for p in paths:  # a band file twice would stand for two bands (B02,B02,B04: B03 silently filled)
        if p.resolve() in seen:  # B02,B02,B02 was "given twice"
            n = sum(q.resolve() == p.resolve() for q in paths)
            raise ValueError(f"{p}: given {'twice' if n == 2 else f'{n} times'} among the band files "
                             f"{', '.join(str(q) for q in paths)}")
        seen.add(p.resolve())
    return paths


def named_files(names: list[str]) -> list[Path]:
    """``as_paths(names)`` with a TIFF page's name as its file (``GTIFF_DIR:1:…_B10.TIF``: ``…_B10.TIF``), for what
    file names and the files beside them say (a Landsat band's number, its ``_MTL.txt``: a page had been read
    as DN, "no _MTL.txt beside it"). Its pixels are still read by the name given; a file in a zip or tar
    (``/vsitar/…``) finds its ``_MTL.txt`` in it (``archives.member_text``)."""
    return [Path(page[1]) if (page := gtiff_page(n)) else p for n, p in zip(names, as_paths(names))]


def image_size(path) -> tuple[int, int]:
    """(width, height) from the file header, without decoding pixels; a raster header's (``scene.hdr``) from its data
    file, as ``read_image`` reads it (GDAL had refused the header)."""
    p, name = as_paths(path)[0], file_names(path)[0]
    check_image_path(p)
    if p.suffix.lower() == ".hdr":  # its data file's
        p = header_files(p, name)[0]
        name = str(p)
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(p) as im:
            return im.size
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):  # the last: a large scene
        pass
    try:
        from rasterio.errors import RasterioIOError
    except ImportError:
        raise ImageReadError(f"{p}: format not readable without rasterio") from None
    try:
        with open_raster(name) as ds:  # as given: a subdataset name unfolded
            return ds.width, ds.height
    except RasterioIOError as e:
        raise not_readable(p, "not a readable raster", gdal_message(e)) from e  # a zip: the rasters in it
