"""Rough edges of the readers and converters met on odd but legitimate files (tour 51)."""

from __future__ import annotations

import numpy as np
import pytest

from rsvlm.io import read_image
from rsvlm.io.read import image_size

rasterio = pytest.importorskip("rasterio")


def test_an_hdf5_subdataset_is_read_by_the_name_the_container_error_gives(tmp_path):
    """``HDF5:file://Band1`` was folded by ``Path`` to ``:/Band1``, which GDAL cannot open: the
    name a container's error suggested could not be read."""
    import rasterio.shutil

    src, nc4 = tmp_path / "one.tif", tmp_path / "scene.nc"
    with rasterio.open(src, "w", driver="GTiff", width=30, height=20, count=1, dtype="float32",
                       crs="EPSG:32631", transform=rasterio.transform.from_origin(0, 20, 1, 1)) as ds:
        ds.write(np.random.default_rng(0).uniform(0.01, 1, (1, 20, 30)).astype(np.float32))
    rasterio.shutil.copy(src, nc4, driver="netCDF", FORMAT="NC4")  # NetCDF-4 is HDF5 inside
    name = f"HDF5:{nc4}://Band1"
    img = read_image(name)
    assert img.data.shape == (1, 20, 30) and img.path == name
    assert image_size(name) == (30, 20)
    assert read_image(f'HDF5:"{nc4}"://Band1').data.shape == (1, 20, 30)


def test_a_multipage_tiff_says_only_its_first_page_is_read_and_another_can_be(tmp_path):
    """A TIFF of several pages (a time series, tifffile's 4-D stack) was read as its first page
    without a word; ``GTIFF_DIR:2:file`` was 'image not found'."""
    tifffile = pytest.importorskip("tifffile")
    path = tmp_path / "pages.tif"
    pages = np.zeros((3, 12, 16, 3), np.uint8)  # (page, H, W, C)
    for k in range(3):
        pages[k, :, :, 0] = 40 * (k + 1)
    tifffile.imwrite(path, pages)
    first = read_image(path, modality="optical")
    assert any("holds 3 images" in n and f"GTIFF_DIR:2:{path}" in n for n in first.notes), first.notes
    second = read_image(f"GTIFF_DIR:2:{path}", modality="optical")
    np.testing.assert_allclose(second.data[0], 80 / 255, atol=1e-6)
    assert not any("holds" in n for n in second.notes)
    assert image_size(f"GTIFF_DIR:3:{path}") == (16, 12)


def test_a_subdataset_name_with_the_file_in_quotes_among_other_fields_finds_the_file(tmp_path):
    """MODIS' ``HDF4_EOS:EOS_GRID:"file.hdf":grid:field`` and the like: the file is whichever field
    (quoted where quotes are given) exists; only a name whose file is absent is 'not found'."""
    from rsvlm.io.sources import _subdataset_file

    f = tmp_path / "MOD09.hdf"
    f.write_bytes(b"")
    assert _subdataset_file(f'HDF4_EOS:EOS_GRID:"{f}":MODIS_Grid:sur_refl_b01') == f
    assert _subdataset_file(f"NETCDF:{f}:VV") == f
    assert _subdataset_file(f"NETCDF:{tmp_path / 'absent.nc'}:VV") is None
    with pytest.raises(FileNotFoundError, match="absent.nc"):
        read_image(f"NETCDF:{tmp_path / 'absent.nc'}:VV")
