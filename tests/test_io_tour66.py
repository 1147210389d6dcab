"""Reading as a demanding remote-sensing user (session 66, helper B): band files of different resolutions."""

from __future__ import annotations

import numpy as np
import pytest

from rsvlm.io import read_image

rasterio = pytest.importorskip("rasterio")
from rasterio.transform import from_origin  # noqa: E402


def band_file(path, arr, res, crs="EPSG:32633", description=None, nodata=None):
    """One band (H, W) at ``res`` metres from one corner: Sentinel-2's 10 m and 20 m files of one tile."""
    with rasterio.open(path, "w", driver="GTiff", width=arr.shape[1], height=arr.shape[0], count=1, dtype=arr.dtype,
                       crs=crs, transform=from_origin(500000, 5000000, res, res), nodata=nodata) as d:
        d.write(arr, 1)
        if description:
            d.set_band_description(1, description)
    return str(path)


def test_band_files_of_different_resolutions_are_resampled_onto_the_finest_grid(tmp_path):
    fine = np.full((64, 64), 1000, np.uint16)  # 10 m
    coarse = np.full((32, 32), 1000, np.uint16)  # 20 m: left half 1000, right half 3000
    coarse[:, 16:] = 3000
    b02 = band_file(tmp_path / "T33UUP_B02_10m.tif", fine, 10)
    b05 = band_file(tmp_path / "T33UUP_B05_20m.tif", coarse, 20, description="B05")
    b8a = band_file(tmp_path / "T33UUP_B8A_20m.tif", np.full((32, 32), 2500, np.uint16), 20)
    img = read_image([b05, b02, b8a])  # the coarse file first: the finest grid is still the one read
    assert img.data.shape == (3, 64, 64) and img.bands == ["B05", "B02", "B8A"]
    said = next(n for n in img.notes if "different resolutions" in n)
    assert "T33UUP_B05_20m.tif (32x32, 20 m)" in said and "T33UUP_B8A_20m.tif (32x32, 20 m)" in said
    assert "onto T33UUP_B02_10m.tif's grid (64x64, 10 m)" in said and "bilinear" in said
    raw = img.data * (1000 / img.data[1, 0, 0])  # back to DN by the 10 m band's constant 1000
    np.testing.assert_allclose(raw[0, :, :30], 1000, rtol=1e-3)  # away from the step: the coarse values
    np.testing.assert_allclose(raw[0, :, 34:], 3000, rtol=1e-3)
    assert 1000 < raw[0, 5, 32] < 3000  # at the step: between (bilinear)
    np.testing.assert_allclose(raw[2], 2500, rtol=1e-3)
    win = read_image([b05, b02, b8a], window=(20, 8, 24, 16))  # a window reads the same resampled pixels
    np.testing.assert_allclose(win.data, img.data[:, 8:24, 20:44], rtol=1e-6)


def test_band_files_in_different_crs_are_refused_with_the_gdalwarp_command(tmp_path):
    b02 = band_file(tmp_path / "B02.tif", np.ones((64, 64), np.uint16), 10)
    b05 = band_file(tmp_path / "B05.tif", np.ones((32, 32), np.uint16), 20, crs="EPSG:32634")
    with pytest.raises(ValueError, match=r"B05\.tif: crs EPSG:32634 differs from .*B02\.tif.*gdalwarp -t_srs "
                                         r"EPSG:32633 -tr 10 10 -te 500000 4999360 500640 5000000 -r bilinear \S*B05\.tif \S*B05_on_grid\.tif"):
        read_image([b02, b05])
    off = tmp_path / "B06.tif"  # 20 m, but a footprint shifted by a km: not one tile's band
    with rasterio.open(off, "w", driver="GTiff", width=32, height=32, count=1, dtype="uint16", crs="EPSG:32633",
                       transform=from_origin(501000, 5000000, 20, 20)) as d:
        d.write(np.ones((32, 32), np.uint16), 1)
    with pytest.raises(ValueError, match=r"B06\.tif: .*share one grid"):
        read_image([b02, str(off)])
