"""Shared by the reader tests: a small UTM GeoTIFF of given pixels."""

from __future__ import annotations

import rasterio
from rasterio.enums import ColorInterp
from rasterio.transform import from_origin


def utm_tif(path, data, res: float = 30, nodata=None, descriptions=(), dtype=None, alpha: bool = False,
            crs: str = "EPSG:32633", origin=(500000, 4000000), **creation) -> str:
    """A GeoTIFF in UTM 33N (or ``crs``) of ``data`` (C, H, W), ``res`` m pixels from ``origin`` (west, north),
    ``nodata`` declared, band ``descriptions``; ``alpha``: its one band flagged alpha; ``creation``: GDAL's creation
    options (``photometric="RGB"``, ``tiled=True``)."""
    c, h, w = data.shape
    with rasterio.open(path, "w", driver="GTiff", width=w, height=h, count=c, dtype=dtype or data.dtype, crs=crs,
                       transform=from_origin(*origin, res, res), nodata=nodata, **creation) as dst:
        dst.write(data)
        for i, d in enumerate(descriptions or ()):
            dst.set_band_description(i + 1, d)
        if alpha:
            dst.colorinterp = [ColorInterp.alpha]
    return str(path)
