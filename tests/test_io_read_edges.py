"""Rough edges of the readers met with real products' metadata."""

from __future__ import annotations

import numpy as np
import pytest

from rsvlm.io import read_image
from rsvlm.model.stem import StemConfig, match_bands

rasterio = pytest.importorskip("rasterio")

S2 = StemConfig(modality="msi", bands=["B02", "B03", "B04", "B08", "B11", "B12"],
                mean=[0.1, 0.2, 0.3, 0.4, 0.5, 0.6], std=[0.1] * 6, encoder="default")


def test_a_band_without_colour_beside_rgb_is_not_taken_for_sentinel2_red(tmp_path):
    """An RGBN product (NAIP style) says R, G, B for its first bands and nothing for NIR. Its NIR
    was named b4, which band matching reads as B04, so NIR fed the red band and red was dropped."""
    path = tmp_path / "rgbn.tif"
    with rasterio.open(path, "w", driver="GTiff", width=16, height=16, count=4, dtype="uint8",
                       photometric="RGB") as ds:  # colour: red, green, blue, undefined
        ds.write(np.random.default_rng(0).integers(1, 255, (4, 16, 16), dtype=np.uint8))
    img = read_image(path)
    assert img.modality == "msi" and img.bands[:3] == ["R", "G", "B"]
    m = match_bands(S2, img.bands, 4, str(path), fill="copy")
    assert m.index[2] == 0  # B04 is the file's red band, not its fourth
    assert m.index[:4] == [2, 1, 0, 3]  # its untagged 4th, NAIP's NIR, is the model's B08 (was left out)


def test_a_scaling_from_a_scene_of_other_bands_is_refused(tmp_path):
    """The check sat, unreachable, under a raise: a one-band stretch was broadcast over three bands."""
    from rsvlm.io import SceneReader, read_window

    one, three = tmp_path / "grey.tif", tmp_path / "rgb.tif"
    rng = np.random.default_rng(0)
    for path, n in ((one, 1), (three, 3)):
        with rasterio.open(path, "w", driver="GTiff", width=16, height=16, count=n, dtype="uint16") as ds:
            ds.write(rng.integers(0, 4000, (n, 16, 16), dtype=np.uint16))
    with SceneReader(one, modality="ir") as scene:
        scaling = scene.scaling
    with pytest.raises(ValueError, match=r"rgb\.tif: scaling\.stretch has 1 bands, image has 3"):
        read_window(three, (0, 0, 8, 8), modality="optical", scaling=scaling)
    assert read_window(one, (0, 0, 8, 8), modality="ir", scaling=scaling).data.shape == (1, 8, 8)


def test_a_band_file_given_twice_is_refused(tmp_path):
    from rasterio.transform import from_origin

    for name in ("T_B02.tif", "T_B04.tif"):
        with rasterio.open(tmp_path / name, "w", driver="GTiff", width=8, height=8, count=1, dtype="uint16",
                           crs="EPSG:32633", transform=from_origin(0, 8, 1, 1)) as ds:
            ds.write(np.full((1, 8, 8), 500, np.uint16))
    b02, b04 = tmp_path / "T_B02.tif", tmp_path / "T_B04.tif"
    with pytest.raises(ValueError, match=r"T_B02\.tif: given twice"):  # read as bands B02, B02, B04
        read_image([b02, b02, b04])
    assert read_image([b02, b04]).bands == ["B02", "B04"]


def _grey_rgb(path, alpha=False):
    from PIL import Image

    grey = np.random.default_rng(0).integers(0, 255, (24, 24), dtype=np.uint8)
    planes = [grey] * 3 + ([np.full_like(grey, 255)] if alpha else [])
    Image.fromarray(np.dstack(planes)).save(path)
    return path


def test_a_grey_image_stored_as_rgb_gets_a_modality_hint(tmp_path):
    """A SAR ship chip saved as a JPEG (HRSID) was read as an optical photo without a word."""
    img = read_image(_grey_rgb(tmp_path / "chip.png"))
    assert img.modality == "optical" and any("grey image stored as RGB" in n for n in img.notes)
    colour = tmp_path / "rgb.png"
    from PIL import Image

    Image.fromarray(np.random.default_rng(1).integers(0, 255, (24, 24, 3), dtype=np.uint8)).save(colour)
    assert not any("grey image" in n for n in read_image(colour).notes)
    assert not any("grey image" in n for n in read_image(tmp_path / "chip.png", modality="optical").notes)


def test_grey_rgb_with_alpha_is_one_sar_band(tmp_path):
    """The alpha band was compared with the grey ones, so a grey RGBA PNG was refused as sar."""
    img = read_image(_grey_rgb(tmp_path / "chip.png", alpha=True), modality="sar")
    assert img.data.shape == (1, 24, 24)


@pytest.mark.realdata
def test_real_sar_jpeg_gets_the_hint(realdata):
    img = read_image(realdata / "sar_hrsid" / "P0008_0_800_9000_9800.jpg")
    assert any("--modality sar or ir" in n for n in img.notes)


def test_a_png_past_pils_size_guard_is_read_by_gdal(tmp_path, monkeypatch):
    """A large scene as PNG (PIL refuses over 179 Mpx) was a DecompressionBombError traceback."""
    from PIL import Image

    from rsvlm.io import image_size

    rgb = np.random.default_rng(0).integers(0, 255, (40, 50, 3), dtype=np.uint8)
    Image.fromarray(rgb).save(tmp_path / "big.png")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 500)  # 2000 px is "past twice the limit", as 400 Mpx is
    img = read_image(tmp_path / "big.png")
    assert img.modality == "optical" and img.data.shape == (3, 40, 50)
    np.testing.assert_allclose(img.data[:, 7, 9], rgb[7, 9] / 255, atol=1e-6)
    assert image_size(tmp_path / "big.png") == (50, 40)


def test_a_container_of_subdatasets_names_them_and_one_can_be_read(tmp_path):
    """A NetCDF of two variables (as SAR and climate products come) was an IndexError traceback."""
    from scipy.io import netcdf_file

    from rsvlm.io import ImageReadError

    path = tmp_path / "pols.nc"
    f = netcdf_file(path, "w")
    f.createDimension("y", 20)
    f.createDimension("x", 30)
    for name in ("VV", "VH"):
        f.createVariable(name, "f4", ("y", "x"))[:] = np.random.default_rng(0).uniform(0.01, 1, (20, 30))
    f.close()
    with pytest.raises(ImageReadError, match=r"pols\.nc: holds no raster of its own but 2 subdatasets.*:VV"):
        read_image(path)
    img = read_image(f"NETCDF:{path}:VV")
    assert img.modality == "sar" and img.data.shape == (1, 20, 30)


def test_complex_int16_sar_is_read_as_complex(tmp_path):
    """Sentinel-1 SLC's CInt16 was a TypeError traceback ('complex_int16' not understood)."""
    path = tmp_path / "slc.tif"
    rng = np.random.default_rng(0)
    iq = (rng.integers(-500, 500, (1, 16, 16)) + 1j * rng.integers(-500, 500, (1, 16, 16))).astype(np.complex64)
    with rasterio.open(path, "w", driver="GTiff", width=16, height=16, count=1, dtype="complex_int16") as ds:
        ds.write(iq)
    img = read_image(path)
    assert img.modality == "sar" and "complex" in img.notes[0] and img.data.shape == (1, 16, 16)
    with pytest.raises(ValueError, match="complex64 data can only be read as sar"):
        read_image(path, modality="optical")


def _s2_band_files(tmp_path, collar=True):
    from rasterio.transform import from_origin

    files = []
    for k, band in enumerate(("B02", "B03", "B04", "B08")):
        dn = np.full((1, 20, 20), 800 + 100 * k, np.uint16)  # (1, H, W)
        if collar:
            dn[:, :, :8] = 0  # outside the swath
        files.append(tmp_path / f"T33UUP_{band}.jp2")
        with rasterio.open(files[-1], "w", driver="GTiff", width=20, height=20, count=1, dtype="uint16",
                           crs="EPSG:32633", transform=from_origin(0, 200, 10, 10)) as ds:
            ds.write(dn)
    return files


def test_the_zero_collar_of_sentinel2_band_files_is_nodata(tmp_path):
    """DN 0 is ESA's NODATA; read as reflectance 0 it was black ground the model was asked about,
    and a tile of collar alone was not skipped."""
    img = read_image(_s2_band_files(tmp_path))
    assert img.valid is not None and not img.valid[:, :8].any() and img.valid[:, 8:].all()
    assert any(n.startswith("Sentinel-2 fill: DN 0 read as nodata") for n in img.notes)
    (tmp_path / "whole").mkdir()
    assert read_image(_s2_band_files(tmp_path / "whole", collar=False)).valid is None


@pytest.mark.realdata
def test_the_real_sentinel2_collar_is_nodata(realdata):
    img = read_image([realdata / "msi_s2" / f"{b}.jp2" for b in ("B02", "B03", "B04", "B08")])
    assert img.valid is not None and 0.55 < img.valid.mean() < 0.7  # 37.5 % of DN 0 in every band


def test_band_names_given_twice_are_refused(tmp_path):
    path = tmp_path / "rgbn.tif"
    with rasterio.open(path, "w", driver="GTiff", width=8, height=8, count=4, dtype="uint16") as ds:
        ds.write(np.full((4, 8, 8), 900, np.uint16))
    with pytest.raises(ValueError, match=r"rgbn\.tif: band names .* name R twice"):  # --bands R,G,B,r
        read_image(path, modality="msi", bands=["R", "G", "B", "r"])
    assert read_image(path, modality="msi", bands=["R", "G", "B", "NIR"]).bands == ["R", "G", "B", "NIR"]


def test_a_paletted_geotiff_is_read_in_its_colours(tmp_path):
    """Its colour indices were read as one grey band and inferred as a thermal image."""
    from rasterio.transform import from_origin

    from rsvlm.io import SceneReader

    path = tmp_path / "pal.tif"
    idx = np.zeros((1, 12, 16), np.uint8)
    idx[:, :, 8:] = 1
    with rasterio.open(path, "w", driver="GTiff", width=16, height=12, count=1, dtype="uint8", photometric="palette",
                       crs="EPSG:32633", transform=from_origin(0, 12, 1, 1)) as ds:
        ds.write(idx)
        ds.write_colormap(1, {0: (20, 120, 40, 255), 1: (200, 200, 255, 255)})
    img = read_image(path)
    assert img.modality == "optical" and img.data.shape == (3, 12, 16) and img.bands == ["R", "G", "B"]
    np.testing.assert_allclose(img.data[:, 0, 0] * 255, [20, 120, 40], atol=1e-3)
    np.testing.assert_allclose(img.data[:, 0, 15] * 255, [200, 200, 255], atol=1e-3)
    assert any("palette colours expanded" in n for n in img.notes)
    with SceneReader(path) as scene:  # windows too
        assert scene.read((8, 4, 4, 4)).data[:, 0, 0].tolist() == pytest.approx([200 / 255, 200 / 255, 1.0])


def test_one_sentinel2_band_file_alone_is_one_msi_band_with_its_collar_as_nodata(tmp_path):
    """B04.jp2 alone was read as a thermal image (one integer band → ir): its zero collar was valid
    ground and the percentile stretch started at DN 0. It is one msi band named B04, in reflectance,
    with DN 0 as nodata as in the scene's band files read together."""
    files = _s2_band_files(tmp_path)
    img = read_image(files[2])
    assert img.modality == "msi" and img.bands == ["B04"] and img.data.shape == (1, 20, 20)
    assert img.valid is not None and not img.valid[:, :8].any() and img.valid[:, 8:].all()
    np.testing.assert_allclose(img.data[0, :, 8:], 0.1000, atol=1e-6)  # DN 1000 / 10000, no stretch
    assert any("one Sentinel-2 band (B04)" in n and "comma-separated" in n for n in img.notes)
    assert any(n.startswith("Sentinel-2 fill: DN 0 read as nodata") for n in img.notes)
    assert not any("one Sentinel-2 band" in n for n in read_image(files).notes)
    assert read_image(files[2], modality="msi").bands == ["B04"]  # given, too: one named band is an msi set
    assert read_image(files[2], modality="ir").modality == "ir"  # and the modality given wins


@pytest.mark.parametrize("name", ["B10.tif", "B4.tif", "band.tif"])
def test_a_lone_band_file_not_surely_sentinel2_stays_as_before(tmp_path, name):
    """B10/B11 are Landsat-8's thermal bands too, B4 not how ESA spells a band: not inferred as msi,
    and msi is not taken for one unnamed band."""
    path = tmp_path / name
    with rasterio.open(path, "w", driver="GTiff", width=8, height=8, count=1, dtype="uint16") as ds:
        ds.write(np.full((1, 8, 8), 900, np.uint16))
    assert read_image(path).modality == "ir"
    with pytest.raises(ValueError, match=r"1 band cannot be read as msi"):
        read_image(path, modality="msi")


@pytest.mark.realdata
def test_the_real_sentinel2_band_file_alone_keeps_its_collar_out(realdata):
    img = read_image(realdata / "msi_s2" / "B02.jp2")
    assert img.modality == "msi" and img.bands == ["B02"]
    assert img.valid is not None and 0.55 < img.valid.mean() < 0.7  # 37.5 % of DN 0, as read with B03–B08
    assert 0.0 < float(img.data[0][img.valid].min())  # reflectance of real ground, not the collar's 0


def test_one_grey_band_inferred_as_thermal_names_the_other_readings():
    """SpaceNet-4's panchromatic GeoTIFF was 'inferred as ir' with no word of --modality optical."""
    from rsvlm.io import infer_modality

    modality, why = infer_modality(1, "uint16")
    assert modality == "ir" and "--modality optical" in why and "--modality sar" in why
    assert "--modality" not in infer_modality(3, "uint8")[1]


def test_a_scene_overview_is_scaled_and_georeferenced_like_its_windows(tmp_path):
    from rasterio.transform import from_origin

    from rsvlm.io import SceneReader, pixel_to_map

    path = tmp_path / "scene.tif"
    data = np.random.default_rng(0).integers(0, 4000, (1, 64, 96), dtype=np.uint16)
    with rasterio.open(path, "w", driver="GTiff", width=96, height=64, count=1, dtype="uint16", crs="EPSG:32633",
                       transform=from_origin(500000, 4000000, 2, 2)) as ds:
        ds.write(data)
    with SceneReader(path, modality="ir") as scene:
        ov, whole = scene.read_overview(32), scene.read()
    assert ov.data.shape == (1, 21, 32) and ov.scene_size == (96, 64)
    assert ov.data.max() <= 1 and abs(float(ov.data.mean()) - float(whole.data.mean())) < 0.05  # same stretch
    np.testing.assert_allclose(pixel_to_map(ov, [32, 21]), pixel_to_map(whole, [96, 64]), atol=3)
