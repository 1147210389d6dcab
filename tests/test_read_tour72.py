"""Stop 72's reader tour: Planet's UDM2 refused as a mask, a CMYK TIFF read without an alpha it does not have,
"1 band" said right, and the formats a user brings (written here, small)."""

from __future__ import annotations

import numpy as np
import pytest
from read_helpers import utm_tif

from rsvlm.io import read_image
from rsvlm.io.checks import ImageReadError


def _udm2(path):
    """A Planet UDM2: 8 uint8 bands of 0/1 flags (the 7th a confidence)."""
    return utm_tif(path, np.random.default_rng(0).integers(0, 2, (8, 16, 16)).astype(np.uint8), res=3)


@pytest.mark.parametrize("name", ["20230601_093012_52_2447_3B_udm2.tif", "20230601_093012_52_2447_3B_udm2_clip.tif"])
def test_a_planet_udm2_is_refused_as_a_mask_naming_the_scene_to_give(tmp_path, name):
    """A PlanetScope scene's usable data mask was read as an 8-band msi image, unsaid."""
    path = _udm2(tmp_path / name)
    with pytest.raises(ImageReadError) as e:
        read_image(path)
    said = str(e.value)
    assert said.startswith(f"{path}: a Planet usable data mask (UDM2)")
    assert "not an image" in said and "--modality" in said
    assert "give the scene's image (20230601_093012_52_2447_3B_AnalyticMS_SR" in said
    asked = read_image(path, modality="msi")  # as asked, with a note
    assert asked.data.shape == (8, 16, 16)
    assert any("is a Planet usable data mask (UDM2" in n and "read as msi, as asked" in n for n in asked.notes)


def test_an_8_band_uint16_file_named_udm2_or_a_udm2_of_other_bands_is_read_as_an_image(tmp_path):
    """Only 8 bands of uint8 are a UDM2: an analytic stack so named is read."""
    data = np.random.default_rng(1).integers(100, 4000, (8, 16, 16)).astype(np.uint16)
    assert read_image(utm_tif(tmp_path / "x_udm2.tif", data)).modality == "msi"
    assert read_image(utm_tif(tmp_path / "y_udm2.tif", data[:3].astype(np.uint8))).modality == "optical"


def test_a_cmyk_tiff_is_read_as_rgb_with_no_alpha_said(tmp_path):
    """GDAL reads a CMYK TIFF as RGB plus an opaque alpha: the notes said an alpha band was read as nodata, and the
    modality was inferred from "3 bands uint8 with alpha", of a file that has none."""
    from PIL import Image

    path = tmp_path / "sheet.tif"
    cmyk = np.random.default_rng(2).integers(0, 255, (24, 32, 4)).astype(np.uint8)  # (H, W, C)
    Image.fromarray(cmyk, mode="CMYK").save(path)
    img = read_image(path)
    assert img.modality == "optical" and img.data.shape == (3, 24, 32)
    assert not any("alpha" in n for n in img.notes), img.notes
    assert any(n.startswith("a CMYK TIFF: its cyan, magenta, yellow and black inks read as R, G, B") for n in img.notes)
    rgb = np.asarray(Image.open(path).convert("RGB"), np.float32).transpose(2, 0, 1) / 255  # (C, H, W)
    np.testing.assert_allclose(img.data, rgb, atol=1.5 / 255)
    assert img.valid is None or img.valid.all()


def test_out_of_memory_says_1_band_not_1_bands():
    from rsvlm.io.large import SceneTooLarge, out_of_memory

    with pytest.raises(SceneTooLarge) as e, out_of_memory("big.tif", lambda: (50000, 40000, 1, "uint16")):
        raise MemoryError
    assert "50000x40000 pixels, 1 band of uint16," in str(e.value)


def _zipped(tmp_path):
    """pack.zip holding scene.tif (3 uint8 bands) and readme.txt."""
    import zipfile

    tif = utm_tif(tmp_path / "scene.tif", np.random.default_rng(3).integers(0, 255, (3, 16, 16)).astype(np.uint8))
    with zipfile.ZipFile(tmp_path / "pack.zip", "w") as z:
        z.write(tif, "scene.tif")
        z.writestr("readme.txt", "not a raster")
    return tmp_path / "pack.zip", tif


def test_a_raster_in_a_zip_is_read_by_its_gdal_path(tmp_path):
    """/vsizip/pack.zip/scene.tif (a zipped SAFE's band, a download left zipped) was "image not found"."""
    archive, tif = _zipped(tmp_path)
    img = read_image(f"/vsizip/{archive}/scene.tif")
    np.testing.assert_array_equal(img.data, read_image(tif).data)
    assert img.crs == "EPSG:32633"


def test_a_zip_given_as_the_image_names_the_rasters_in_it(tmp_path):
    """A .zip given as the image was "not a readable raster, truncated or corrupt"."""
    archive, _ = _zipped(tmp_path)
    with pytest.raises(ImageReadError) as e:
        read_image(archive)
    assert str(e.value) == (f"{archive}: a zip archive, not an image; give a raster in it as GDAL reads it, e.g. "
                            f"/vsizip/{archive}/scene.tif, or unpack it and give the file")


def test_a_gdal_path_into_a_zip_names_what_is_missing(tmp_path):
    archive, _ = _zipped(tmp_path)
    with pytest.raises(ImageReadError) as e:  # a member it does not hold: was "truncated or corrupt", tifffile's too
        read_image(f"/vsizip/{archive}/B02.tif")
    assert str(e.value) == (f"/vsizip/{archive}/B02.tif: no such raster in {archive}; give one it holds, e.g. "
                            f"/vsizip/{archive}/scene.tif, or unpack it and give the file")
    with pytest.raises(FileNotFoundError, match=r"image not found: /vsizip/.*/gone\.zip/B02\.tif \(its archive "):
        read_image(f"/vsizip/{tmp_path}/gone.zip/B02.tif")


def test_a_zipped_safe_given_as_the_image_names_its_band_files_not_its_previews(tmp_path):
    import zipfile

    safe = "S2B_MSIL2A_20230613T101559_N0509_R065_T33UUP_20230613T130000.SAFE"
    band = f"{safe}/GRANULE/L2A_T33UUP/IMG_DATA/R10m/T33UUP_20230613T101559_B02_10m.jp2"
    with zipfile.ZipFile(tmp_path / "S2B.zip", "w") as z:
        for name in (f"{safe}/HTML/banner_1.png", f"{safe}/GRANULE/L2A_T33UUP/QI_DATA/MSK_CLDPRB_20m.jp2", band):
            z.writestr(name, b"\0")
    with pytest.raises(ImageReadError) as e:
        read_image(tmp_path / "S2B.zip")
    assert f"e.g. /vsizip/{tmp_path}/S2B.zip/{band}, or unpack" in str(e.value)


def test_netcdf_subdatasets_are_named_by_their_variable(tmp_path):
    """``NETCDF:s1.nc:VV`` read as b1 (its stem was ``NETCDF:s1``), and VV, VH given as band files were two bands
    both named ``NETCDF:s1``."""
    netcdf = pytest.importorskip("scipy.io").netcdf_file
    path = tmp_path / "s1.nc"
    f = netcdf(path, "w")
    f.createDimension("y", 16)
    f.createDimension("x", 16)
    for k, pol in enumerate(("VV", "VH")):
        f.createVariable(pol, "f4", ("y", "x"))[:] = np.random.default_rng(k).random((16, 16)).astype(np.float32)
    f.close()
    assert read_image(f"NETCDF:{path}:VH").bands == ["VH"]
    both = read_image([f"NETCDF:{path}:VV", f'NETCDF:"{path}":VH'])
    assert both.modality == "sar" and both.bands == ["VV", "VH"]


def test_a_gzipped_tiff_is_read_by_its_gdal_path_and_named_so_when_given_bare(tmp_path):
    """scene.tif.gz was "truncated or corrupt", and /vsigzip/scene.tif.gz "image not found"."""
    import gzip
    import shutil

    _, tif = _zipped(tmp_path)
    with open(tif, "rb") as src, gzip.open(tmp_path / "scene.tif.gz", "wb") as dst:
        shutil.copyfileobj(src, dst)
    np.testing.assert_array_equal(read_image(f"/vsigzip/{tmp_path}/scene.tif.gz").data, read_image(tif).data)
    with pytest.raises(ImageReadError) as e:
        read_image(tmp_path / "scene.tif.gz")
    assert str(e.value) == (f"{tmp_path}/scene.tif.gz: a gzip archive, not an image; give a raster in it as GDAL "
                            f"reads it, e.g. /vsigzip/{tmp_path}/scene.tif.gz, or unpack it and give the file")


def _degrees(path, lat, dlon=1e-4, dlat=1e-4):
    """A north-up RGB GeoTIFF in EPSG:4326 (an Earth Engine export's default) at latitude ``lat``."""
    import rasterio
    from rasterio.transform import from_origin

    with rasterio.open(path, "w", driver="GTiff", width=32, height=32, count=3, dtype="uint8", crs="EPSG:4326",
                       transform=from_origin(12.0, lat + 16 * dlat, dlon, dlat)) as dst:
        dst.write(np.random.default_rng(4).integers(0, 255, (3, 32, 32)).astype(np.uint8))
    return path


def test_square_degree_pixels_away_from_the_equator_say_how_shapes_are_stretched(tmp_path):
    """An EPSG:4326 image of equal-degree pixels at 60°N was read unsaid, its shapes twice as wide as they are."""
    img = read_image(_degrees(tmp_path / "north.tif", 60.0))
    said = [n for n in img.notes if n.startswith("pixels of 0.0001° × 0.0001° at latitude 60° are about 5.57 m wide")]
    assert said and "shapes look 2× wider (east-west)" in said[0] and "gdalwarp -t_srs EPSG:32633 " in said[0]
    south = read_image(_degrees(tmp_path / "south.tif", -45.0, dlon=3e-4))  # taller than wide on the ground
    assert any("shapes look 2.1× taller (north-south)" in n and "EPSG:32733" in n for n in south.notes), south.notes
    for fine in (read_image(_degrees(tmp_path / "equator.tif", 0.0)), read_image(utm_tif(tmp_path / "utm.tif",
                                                                                        np.zeros((3, 8, 8), np.uint8)))):
        assert not any(n.startswith("pixels of") for n in fine.notes), fine.notes


@pytest.mark.parametrize("name", ["/vsicurl/https://example.com/scene.tif", "/vsis3/bucket/S2/B02.tif"])
def test_a_gdal_network_path_is_refused_as_not_local(name):
    """GDAL's network paths were "image not found", as if a local file were missing."""
    with pytest.raises(FileNotFoundError) as e:
        read_image(name)
    assert str(e.value).startswith(f"{name}: a file on the network (GDAL's /vsi")
    assert "rsvlm reads local files only; download it first" in str(e.value)


def test_planets_older_one_band_udm_is_refused_naming_its_scene(tmp_path):
    """…_AnalyticMS_DN_udm.tif, one uint8 band of bit flags, was read as a thermal frame."""
    flags = np.random.default_rng(5).choice([0, 1, 2, 8], (1, 16, 16)).astype(np.uint8)
    path = utm_tif(tmp_path / "20180101_101010_0f12_3B_AnalyticMS_DN_udm.tif", flags, res=3)
    with pytest.raises(ImageReadError, match=r"a Planet usable data mask \(UDM\): bit flags .* give the scene's image "
                                             r"\(20180101_101010_0f12_3B_AnalyticMS\.tif\) without it"):
        read_image(path)
    assert read_image(utm_tif(tmp_path / "x_udm.tif", np.repeat(flags, 3, 0))).modality == "optical"  # 3 bands: none


def test_image_size_of_a_zip_names_the_rasters_in_it(tmp_path):
    from rsvlm.io import image_size

    archive, _ = _zipped(tmp_path)
    with pytest.raises(ImageReadError, match=rf"^{archive}: a zip archive, not an image; .* e\.g\. /vsizip/"):
        image_size(archive)
    assert image_size(f"/vsizip/{archive}/scene.tif") == (16, 16)
