"""Review of stop 72's reader tour: a GDAL archive path that a ``Path`` folded (a record's), a PNG inside a zip, a
network file inside an archive's path, and the EPSG:4326 note near the poles and of a CRS declared wrong."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest
from read_helpers import utm_tif

from rsvlm.io import image_size, read_image
from rsvlm.io.bandnames import band_name_from_file, file_stem

pytest.importorskip("rasterio")


def _pack(tmp_path):
    """pack.zip holding scene.tif and the same pixels as sub/scene.png; the GeoTIFF's path."""
    from PIL import Image

    data = np.random.default_rng(7).integers(0, 255, (3, 16, 24)).astype(np.uint8)
    tif = utm_tif(tmp_path / "scene.tif", data)
    Image.fromarray(data.transpose(1, 2, 0)).save(tmp_path / "scene.png")
    with zipfile.ZipFile(tmp_path / "pack.zip", "w") as z:
        z.write(tif, "scene.tif")
        z.write(tmp_path / "scene.png", "sub/scene.png")
    return tmp_path / "pack.zip", tif


def test_an_absolute_zip_path_folded_by_path_is_read_as_written(tmp_path):
    """A record's ``/vsizip//data/pack.zip/scene.tif`` becomes ``/vsizip/data/…`` as a ``Path`` (records' image_paths
    make one), which GDAL reads from ``./data``: it was "no such raster in /data/pack.zip", naming the raster it asked."""
    from rsvlm.data.records import image_paths

    archive, tif = _pack(tmp_path)
    written = f"/vsizip//{str(archive).lstrip('/')}/scene.tif"
    [[folded]] = image_paths({"images": [{"path": written}]}, tmp_path / "elsewhere")
    assert str(folded) == f"/vsizip/{str(archive).lstrip('/')}/scene.tif"  # the // folded
    img = read_image(folded)
    np.testing.assert_array_equal(img.data, read_image(tif).data)
    assert image_size(folded) == (24, 16)


def test_a_png_in_a_zip_is_read_by_gdal(tmp_path):
    """PIL cannot open a GDAL path: ``/vsizip/pack.zip/sub/scene.png`` must go to GDAL (it had been "cannot decode
    image, truncated or corrupt (No such file or directory)" where PIL was tried)."""
    archive, tif = _pack(tmp_path)
    img = read_image(f"/vsizip/{archive}/sub/scene.png")
    np.testing.assert_array_equal(img.data, read_image(tif).data)


@pytest.mark.parametrize("name", ["/vsizip//vsicurl/https://example.com/S2B.zip/B02.jp2",
                                  "/vsizip/{/vsis3/bucket/S2B.zip}/B02.jp2"])
def test_a_network_file_inside_an_archive_path_is_refused_as_not_local(name):
    """A zip on the network was "image not found … (its archive vsicurl/https:/example.com/S2B.zip is not there)"."""
    with pytest.raises(FileNotFoundError) as e:
        read_image(name)
    assert str(e.value).startswith(f"{name}: a file on the network (GDAL's /vsi")
    assert "rsvlm reads local files only; download it first" in str(e.value)


def _degrees(path, west, north, res=1e-3, size=16):
    import rasterio
    from rasterio.transform import from_origin

    with rasterio.open(path, "w", driver="GTiff", width=size, height=size, count=3, dtype="uint8", crs="EPSG:4326",
                       transform=from_origin(west, north, res, res)) as dst:
        dst.write(np.random.default_rng(8).integers(0, 255, (3, size, size)).astype(np.uint8))
    return path


def _said(img):
    return [n for n in img.notes if n.startswith("pixels of")]


def test_degree_pixels_beyond_utm_are_told_the_polar_stereographic_not_a_utm_zone(tmp_path):
    """UTM reaches 84°N and 80°S: at 85°N, or 85°S, the note had given a UTM zone (EPSG:32633, EPSG:32733)."""
    [north] = _said(read_image(_degrees(tmp_path / "n.tif", 12.0, 85.008)))
    assert "latitude 85°" in north and "shapes look 11× wider (east-west)" in north and "EPSG:32661 " in north
    [south] = _said(read_image(_degrees(tmp_path / "s.tif", 12.0, -84.992)))
    assert "latitude -85°" in south and "EPSG:32761 " in south
    [near] = _said(read_image(_degrees(tmp_path / "p.tif", 12.0, 89.95, res=1e-4)))  # 0.01 m against 11 m
    assert "shapes look 1120× wider" in near, near  # not 1.1e+03×
    [utm] = _said(read_image(_degrees(tmp_path / "u.tif", 12.0, 79.008)))  # 79°N is UTM's
    assert "EPSG:32633 " in utm


def test_a_crs_declared_degrees_over_metres_gets_no_latitude_note(tmp_path):
    """UTM coordinates labelled EPSG:4326 had been told "pixels of 10° × 10° at latitude 6.65e+06° …"."""
    img = read_image(_degrees(tmp_path / "wrong.tif", 500000, 6650040, res=10))  # "latitude" 6649960: cos 0.77
    assert not _said(img), img.notes


def test_a_file_whose_name_holds_a_colon_is_read_and_named_as_a_file(tmp_path):
    """``a:b_VV.tif`` is a file, no GDAL driver prefix, and its band is named by its stem (``file_stem``)."""
    path = Path(utm_tif(tmp_path / "s1:iw_VV.tif", np.random.default_rng(9).integers(1, 500, (1, 8, 8)).astype("uint16")))
    img = read_image(path)
    assert img.modality == "sar" and img.bands == ["VV"], (img.modality, img.bands)
    assert file_stem(Path("/data/s1:iw_B04.tif")) == "s1:iw_B04" and band_name_from_file(Path("a:b_B04.tif")) == "B04"
    assert file_stem(Path("NETCDF:/data/s1.nc:VV")) == "VV" and file_stem(Path('NETCDF:"s1.nc":VH')) == "VH"


@pytest.mark.parametrize("name", ["scene.tif", "scene.png"])
def test_a_file_of_zeros_is_said_corrupt_not_a_tar_archive(tmp_path, name):
    """A download that wrote only zeros passes ``tarfile.is_tarfile`` (an empty tar): it had been "a tar archive, not
    an image; give a raster in it as GDAL reads it, as /vsitar/scene.tif/<file>"."""
    from rsvlm.io.checks import ImageReadError

    path = tmp_path / name
    path.write_bytes(b"\0" * 4096)
    for read in (read_image, image_size):
        with pytest.raises(ImageReadError) as e:
            read(path)
        assert str(e.value).startswith(f"{path}: not a readable ") and "tar" not in str(e.value), str(e.value)
