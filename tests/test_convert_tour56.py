"""Rough-edge tour 56 of the dataset converters and the tiling of real data."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("rasterio")

from convert_helpers import convert, png  # noqa: E402

from data_gen.tiling import cropper, tile_windows  # noqa: E402


def _geotiff(path, w: int, h: int, count: int = 3, dtype: str = "uint8", **extra):
    import rasterio
    from rasterio.transform import from_origin

    data = (np.arange(w * h * count) % 251).reshape(count, h, w).astype(dtype)  # (C, H, W)
    with rasterio.open(path, "w", driver="GTiff", width=w, height=h, count=count, dtype=dtype,
                       crs="EPSG:32618", transform=from_origin(500000, 4000000, 0.5, 0.5), **extra) as ds:
        ds.write(data)
    return path


def test_a_geotiff_is_opened_once_for_all_its_tiles(tmp_path, monkeypatch):
    """_crop_raster reopened the scene (and reread its GCPs and tags) for every tile: 4x the time
    on a JP2, 1.7x on a deflate GeoTIFF whose blocks several tiles share."""
    import rsvlm.io.sources as sources

    src = _geotiff(tmp_path / "scene.tif", 96, 64, compress="deflate")
    real, reads = sources.open_raster, []

    def counting(path, mode="r", **kw):
        reads.append(path) if mode == "r" else None
        return real(path, mode, **kw)

    monkeypatch.setattr(sources, "open_raster", counting)
    windows = tile_windows(96, 64, 32, 0)
    with cropper(src) as crop:
        extras = [crop(w, tmp_path / f"t{k}.tif") for k, w in enumerate(windows)]
    assert len(windows) == 6 and reads == [src], reads
    import rasterio

    with rasterio.open(tmp_path / "t4.tif") as t, rasterio.open(src) as s:
        win = windows[4]
        assert (t.read() == s.read(window=((win.y0, win.y1), (win.x0, win.x1)))).all()
        assert extras[4]["transform"] == list(t.transform)[:6] and extras[4]["crs"] == "EPSG:32618"
