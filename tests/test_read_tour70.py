"""Stop 70, reading images: a float TOA stack's kelvin bands said as the model meets them, a lone Landsat band file
read as one msi band, a real --bands example for unnamed msi bands, msi_band_scaling on float DN."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from rsvlm.io import read_image

LE07 = "LE07_L1TP_016041_20020101_20200917_02_T1"
LC08 = "LC08_L1TP_016041_20200101_20200917_02_T1"


def write_tif(path, data, descriptions=None, **extra):
    """A UTM GeoTIFF of ``data`` (C, H, W), its bands described as given."""
    c, h, w = data.shape
    with rasterio.open(path, "w", driver="GTiff", width=w, height=h, count=c, dtype=data.dtype, crs="EPSG:32633",
                       transform=from_origin(500000, 4000000, 30, 30), **extra) as dst:
        dst.write(data)
        for i, d in enumerate(descriptions or []):
            dst.set_band_description(i + 1, d)
    return str(path)


def test_a_toa_stacks_kelvin_bands_are_said_as_the_model_meets_them_with_the_way_to_temperatures(tmp_path):
    """The note said only 'kept as stored beside reflectance': not that a stem band of that name sees ~300 unscaled,
    nor how to read the temperatures."""
    data = np.random.default_rng(5).uniform(0.02, 0.4, (11, 16, 16)).astype("float32")  # (C, H, W)
    data[9:] = np.random.default_rng(6).uniform(280, 310, (2, 16, 16))
    img = read_image(write_tif(tmp_path / "toa.tif", data, [f"B{i}" for i in range(1, 12)]))
    tir = img.bands.index("TIR")
    np.testing.assert_allclose(img.data[tir], data[9], rtol=1e-5)  # kept as stored: what a TIR stem band sees
    note = next(n for n in img.notes if n.startswith("thermal bands TIR, TIR2 kept as stored beside reflectance"))
    assert f"TIR median {np.median(data[9]):.4g}" in note
    assert "far outside reflectance's 0-1" in note and "the default model's msi stem has none" in note
    assert note.endswith("(gdal_translate -b 10 toa.tif tir.tif, then --modality ir)")


@pytest.mark.parametrize("dtype, name, low, high", [("uint8", f"{LE07}_B3.TIF", 1, 250),
                                                     ("uint16", f"{LC08}_B4.TIF", 7000, 20000)])
def test_a_lone_landsat_band_file_is_read_as_one_msi_band(tmp_path, dtype, name, low, high):
    """It was refused: '1 band(s) cannot be read as msi; expected 2 or more bands, or 1 Sentinel-2 band file'."""
    dn = np.random.default_rng(1).integers(low, high, (1, 16, 16)).astype(dtype)
    img = read_image(write_tif(tmp_path / name, dn))
    assert img.modality == "msi" and img.bands == ["R"] and img.data.shape == (1, 16, 16)
    assert any(n.startswith("one Landsat band (R) read alone; give the scene's band files") for n in img.notes)
    if dtype == "uint16":  # Landsat 8's Level-1 scale without its _MTL.txt, not DN / 10000
        np.testing.assert_allclose(img.data[0], dn[0] * 2e-5 - 0.1, atol=1e-5)
    assert read_image(write_tif(tmp_path / name, dn), modality="msi").bands == ["R"]


def test_a_lone_landsat_pan_band_file_is_a_grey_image(tmp_path):
    """Read as one msi band 'pan', no model band took it ('none of the bands ['pan'] is one of modality msi's')."""
    img = read_image(write_tif(tmp_path / f"{LC08}_B8.TIF",
                               np.random.default_rng(2).integers(7000, 20000, (1, 16, 16)).astype("uint16")))
    assert img.modality == "optical" and img.data.shape == (3, 16, 16)
    assert ("modality inferred as optical from Landsat file name (its panchromatic band alone: a grey image, as a "
            "pan chip is)") in img.notes


def test_a_lone_landsat_thermal_band_file_is_still_ir(tmp_path):
    img = read_image(write_tif(tmp_path / f"{LC08}_B10.TIF",
                               np.random.default_rng(2).integers(20000, 30000, (1, 16, 16)).astype("uint16")))
    assert img.modality == "ir"


@pytest.mark.parametrize("n, example", [
    (12, "B01,B02,B03,B04,B05,B06,B07,B08,B8A,B09,B11,B12"),
    (13, "B01,B02,B03,B04,B05,B06,B07,B08,B8A,B09,B10,B11,B12"),
    (4, "B02,B03,B04,B08"),
    (5, "B01,B02,B03,B04,B05"),
])
def test_unnamed_msi_bands_get_a_real_sentinel2_naming_as_the_example(tmp_path, n, example):
    """The example was B1,B2,…: numbers read by Sentinel-2's numbering, and for 12 bands no Level-2A stack."""
    path = write_tif(tmp_path / "u.tif", np.random.default_rng(1).integers(1, 5000, (n, 8, 8)).astype("uint16"))
    with pytest.raises(ValueError, match=rf"give {n} names in the order of the bands \(e.g. --bands {example}\), "
                                         r"or give none$"):
        read_image(path, bands="a,b")


def test_msi_band_scaling_scales_float_dn_and_is_said_unapplied_on_float_reflectance(tmp_path):
    """Float DN (an Earth Engine export) were read as DN / 10000 whatever msi_band_scaling said, and float
    reflectance dropped it; neither said so."""
    dn = np.random.default_rng(3).uniform(500, 4000, (2, 16, 16)).astype("float32")  # (C, H, W)
    scaling = {"msi_band_scaling": [[2e-4, 0.0], [1e-4, -0.1]]}
    img = read_image(write_tif(tmp_path / "dn.tif", dn), modality="msi", scaling=scaling)
    np.testing.assert_allclose(img.data[0], dn[0] * 2e-4, rtol=1e-4)
    np.testing.assert_allclose(img.data[1], dn[1] * 1e-4 - 0.1, rtol=1e-4, atol=1e-6)
    assert any("read as DN × gain + offset, one a band (ReadConfig.msi_band_scaling)" in n for n in img.notes)
    refl = read_image(write_tif(tmp_path / "refl.tif", dn / np.float32(10000)), modality="msi", scaling=scaling)
    np.testing.assert_allclose(refl.data, dn / np.float32(10000), rtol=1e-5)
    assert any(n.startswith("ReadConfig.msi_band_scaling not applied: the float values are read as reflectance")
               for n in refl.notes)


def _mtl(folder, product, mult=2e-5, add=-0.1, elevation=30.0, bands=range(1, 10)):
    lines = [f"    REFLECTANCE_MULT_BAND_{b} = {mult:.4E}\n    REFLECTANCE_ADD_BAND_{b} = {add:.5f}" for b in bands]
    (folder / f"{product}_MTL.txt").write_text(f"GROUP = L1_METADATA_FILE\n    SUN_ELEVATION = {elevation}\n"
                                               + "\n".join(lines) + "\nEND_GROUP = L1_METADATA_FILE\nEND\n")


def test_a_landsat_stack_beside_its_mtl_is_read_as_reflectance_by_band(tmp_path):
    """One multi-band GeoTIFF of a Level-1 product beside its _MTL.txt was read as DN / 10000, where its band files
    got (DN × M + A) / sin(sun elevation)."""
    _mtl(tmp_path, LC08)
    dn = np.random.default_rng(4).integers(7000, 20000, (4, 16, 16)).astype("uint16")  # (C, H, W)
    img = read_image(write_tif(tmp_path / f"{LC08}_stack.tif", dn, ["B4", "B3", "B2", "B5"]))
    assert img.bands == ["R", "G", "B", "NIR"]
    np.testing.assert_allclose(img.data, (dn * 2e-5 - 0.1) / np.sin(np.radians(30.0)), rtol=1e-4)
    assert any(n.startswith(f"Landsat Level-1 reflectance from {LC08}_MTL.txt, by band: (R (B4) DN × 2e-05 − 0.1")
               for n in img.notes)
    named = read_image(write_tif(tmp_path / f"{LC08}_stack.tif", dn), bands="b4,b3,b2,b5")  # named by --bands
    np.testing.assert_allclose(named.data, img.data, rtol=1e-6)


def test_an_8bit_landsat7_stack_gets_each_bands_own_numbers(tmp_path):
    lines = "\n".join(f"    REFLECTANCE_MULT_BAND_{b} = {m}\n    REFLECTANCE_ADD_BAND_{b} = {a}"
                      for b, m, a in [(3, "1.2E-03", "-0.0060"), (4, "2.0E-03", "-0.0090")])
    (tmp_path / f"{LE07}_MTL.txt").write_text(f"    SUN_ELEVATION = 90.0\n{lines}\n")
    dn = np.random.default_rng(5).integers(10, 250, (2, 16, 16)).astype("uint8")
    img = read_image(write_tif(tmp_path / f"{LE07}_stack.tif", dn, ["B3", "B4"]))
    assert img.bands == ["R", "NIR"]
    np.testing.assert_allclose(img.data[0], dn[0] * 1.2e-3 - 0.006, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(img.data[1], dn[1] * 2e-3 - 0.009, rtol=1e-4, atol=1e-6)


def test_a_landsat_stack_whose_bands_cannot_be_matched_to_its_mtl_says_so_and_how(tmp_path):
    _mtl(tmp_path, LC08)
    dn = np.random.default_rng(6).integers(7000, 20000, (4, 16, 16)).astype("uint16")
    img = read_image(write_tif(tmp_path / f"{LC08}_stack.tif", dn))  # unnamed: which 4 of its 11?
    np.testing.assert_allclose(img.data, dn / np.float32(10000), rtol=1e-5)
    assert any(n.startswith(f"the stack's DN are read as other msi is (uint16 / 10000, 8-bit / 255), not by {LC08}"
                            "_MTL.txt: its bands (b1, b2, b3, b4) are not Landsat 8's") and
               n.endswith("with --bands (e.g. b2,b3,b4,b5) to read them as reflectance") for n in img.notes)
    hot = read_image(write_tif(tmp_path / f"{LC08}_stack.tif", dn, ["B4", "B3", "B2", "B10"]))
    assert any("TIR, thermal, has no reflectance" in n for n in hot.notes)
    _mtl(tmp_path, LC08, bands=[2, 3])  # an _MTL.txt without band 4's and 5's numbers
    cut = read_image(write_tif(tmp_path / f"{LC08}_stack.tif", dn, ["B4", "B3", "B2", "B5"]))
    assert any(n.endswith("it has no number for REFLECTANCE_MULT_BAND_4, REFLECTANCE_ADD_BAND_4, "
                          "REFLECTANCE_MULT_BAND_5, REFLECTANCE_ADD_BAND_5") for n in cut.notes)


def _with_averaged_overviews(path, data, colorinterp=None):
    """``data`` (C, H, W) uint8 written with overviews built by averaging (``gdaladdo -r average``)."""
    from rasterio.enums import Resampling

    write_tif(path, data, photometric="RGB" if colorinterp else None)
    with rasterio.open(path, "r+") as dst:
        if colorinterp:
            dst.colorinterp = colorinterp
        dst.build_overviews([2, 4], Resampling.average)
    return str(path)


def _checkerboard() -> np.ndarray:
    yy, xx = np.mgrid[:256, :256]
    return ((yy // 7 + xx // 5) % 2 * 255).astype("uint8")[None]  # (1, 256, 256) 0/255, edges every few pixels


@pytest.mark.parametrize("whole", [True, False])
def test_a_mask_with_averaged_overviews_is_still_said_to_hold_two_values(tmp_path, monkeypatch, whole):
    """The check read the overviews, whose averaging put 128 along every edge: a 0/255 mask given as the image
    was read as ir without a word. A file too large to decode whole is checked on its centre at full resolution."""
    if not whole:
        monkeypatch.setattr("rsvlm.io.sources.FULL_READ_PIXELS", 1000)
    img = read_image(_with_averaged_overviews(tmp_path / "mask.tif", _checkerboard()), scaling={"stats_max_side": 64})
    assert any(n.startswith("it holds two values only (0 and 255), as a mask or label does") for n in img.notes)


def test_an_unflagged_alpha_with_averaged_overviews_is_not_read_as_nir(tmp_path):
    """Its overviews' 128s made the 4th band look like data: it was named NIR (fed the model's B08)."""
    from rasterio.enums import ColorInterp

    rgb = np.random.default_rng(1).integers(1, 250, (3, 256, 256)).astype("uint8")
    path = _with_averaged_overviews(tmp_path / "rgba.tif", np.concatenate([rgb, _checkerboard()]),
                                    [ColorInterp.red, ColorInterp.green, ColorInterp.blue, ColorInterp.undefined])
    img = read_image(path, scaling={"stats_max_side": 64})
    assert img.bands == ["R", "G", "B", "band4"]
    assert any(n.startswith("band 4 holds only 0 and 255 as an alpha band does") for n in img.notes)


def test_a_landsat_level2_stack_and_an_oli_level1_stack_without_mtl_get_their_products_scale(tmp_path):
    """Both were read as DN / 10000, unsaid, where their band files get DN × 2.75e-5 − 0.2 and DN × 2e-5 − 0.1."""
    dn = np.random.default_rng(7).integers(7000, 20000, (4, 16, 16)).astype("uint16")
    l2 = read_image(write_tif(tmp_path / "LC08_L2SP_016041_20200101_20200917_02_T1_stack.tif", dn,
                              ["B4", "B3", "B2", "B5"]))
    np.testing.assert_allclose(l2.data, dn * 2.75e-5 - 0.2, rtol=1e-4, atol=1e-6)
    assert "Landsat Collection 2 Level-2 surface reflectance (the file name says L2): DN × 2.75e-5 − 0.2" in l2.notes
    l1 = read_image(write_tif(tmp_path / f"{LC08}_stack.tif", dn, ["B4", "B3", "B2", "B5"]))
    np.testing.assert_allclose(l1.data, dn * 2e-5 - 0.1, rtol=1e-4, atol=1e-6)
    assert any(n.startswith("Landsat 8/9 Level-1 reflectance: DN × 2e-5 − 0.1 (no _MTL.txt beside the stack")
               for n in l1.notes)
    l7 = read_image(write_tif(tmp_path / f"{LE07}_stack.tif", dn.astype("uint8"), ["B3", "B4", "B2", "B1"]))
    assert not any("_MTL.txt" in n or "Landsat Level-1" in n for n in l7.notes)  # no fixed scale for 4/5/7: as before
