"""Review of stop 70's reading: an 8-bit stack of a product whose DN are 16-bit (Landsat 8/9, Level-2) and an 8-bit
Landsat 8/9 band file are not scaled by 16-bit numbers; an unnamed Landsat stack's --bands example names the
mission's reflectance bands."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
from read_helpers import utm_tif

from rsvlm.io import read_image

LC08 = "LC08_L1TP_016041_20200101_20200917_02_T1"
LE07 = "LE07_L1TP_016041_20020101_20200917_02_T1"


def _oli_mtl(folder, product=LC08):
    lines = "\n".join(f"    REFLECTANCE_MULT_BAND_{b} = 2.0000E-05\n    REFLECTANCE_ADD_BAND_{b} = -0.10000"
                      for b in range(1, 10))
    (folder / f"{product}_MTL.txt").write_text(f"    SUN_ELEVATION = 30.0\n{lines}\n")


@pytest.mark.parametrize("name, mtl, level", [(f"{LC08}_stack.tif", True, "Level-1"),
                                               (f"{LC08}_stack.tif", False, "Level-1"),
                                               ("LC08_L2SP_016041_20200101_20200917_02_T1_stack.tif", False, "Level-2")])
def test_an_8bit_stack_of_a_16bit_product_is_not_scaled_by_its_16bit_numbers(tmp_path, name, mtl, level):
    """Its 8-bit DN were scaled by the 16-bit numbers (DN × 2e-5 − 0.1, × 2.75e-5 − 0.2): every pixel about −0.1 or
    −0.2, unsaid."""
    if mtl:
        _oli_mtl(tmp_path)
    dn = np.random.default_rng(1).integers(10, 250, (4, 16, 16)).astype("uint8")  # (C, H, W)
    img = read_image(utm_tif(tmp_path / name, dn, descriptions=["B4", "B3", "B2", "B5"]))
    np.testing.assert_allclose(img.data, dn / np.float32(255), rtol=1e-5)
    assert any(f"Landsat 8's {level} DN are 16-bit, so 8-bit ones are a rescaled copy" in n
               and "ReadConfig.msi_band_scaling" in n for n in img.notes)


def test_an_8bit_landsat8_band_file_beside_its_mtl_is_not_scaled_by_its_16bit_numbers(tmp_path):
    _oli_mtl(tmp_path)
    dn = np.random.default_rng(2).integers(10, 250, (1, 16, 16)).astype("uint8")
    img = read_image(utm_tif(tmp_path / f"{LC08}_B4.TIF", dn))
    np.testing.assert_allclose(img.data, dn / np.float32(255), rtol=1e-5)
    assert any(n.startswith("Landsat 8's Level-1 DN are 16-bit") for n in img.notes)


def test_an_8bit_landsat7_stack_is_still_scaled_by_its_mtl(tmp_path):
    """Guard: Landsat 7's Level-1 DN are 8-bit; its _MTL.txt's numbers fit them."""
    (tmp_path / f"{LE07}_MTL.txt").write_text("SUN_ELEVATION = 90.0\nREFLECTANCE_MULT_BAND_3 = 1.2E-03\n"
                                              "REFLECTANCE_ADD_BAND_3 = -0.006\nREFLECTANCE_MULT_BAND_4 = 2.0E-03\n"
                                              "REFLECTANCE_ADD_BAND_4 = -0.009\n")
    dn = np.random.default_rng(3).integers(10, 250, (2, 16, 16)).astype("uint8")
    img = read_image(utm_tif(tmp_path / f"{LE07}_stack.tif", dn, descriptions=["B3", "B4"]))
    np.testing.assert_allclose(img.data[1], dn[1] * 2e-3 - 0.009, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("product, n, example", [(LC08, 4, "b2,b3,b4,b5"), (LC08, 6, "b2,b3,b4,b5,b6,b7"),
                                                 (LC08, 7, "B1,B2,B3,B4,B5,B6,B7"),
                                                 (LC08, 8, "b1,b2,b3,b4,b5,b6,b7,b9"),
                                                 (LE07, 6, "b1,b2,b3,b4,b5,b7")])
def test_an_unnamed_landsat_stacks_example_names_its_reflectance_bands(tmp_path, product, n, example):
    """The example was b2 … b{n + 1}: for 7 of Landsat 8's bands it named pan (b8), for Landsat 7's 6 its thermal
    b6, so the example given back was refused; b1 … b7 in order would be read as unnamed, B1 … B7 is not."""
    if product == LE07:  # (a Landsat 7 stack without its _MTL.txt has no scale to apply: no note)
        (tmp_path / f"{LE07}_MTL.txt").write_text("SUN_ELEVATION = 30.0\n" + "".join(
            f"REFLECTANCE_MULT_BAND_{b} = 1.0E-03\nREFLECTANCE_ADD_BAND_{b} = -0.005\n" for b in range(1, 9)))
    dn = np.random.default_rng(4).integers(100, 250, (n, 16, 16)).astype("uint16")  # (C, H, W)
    path = utm_tif(tmp_path / f"{product}_stack.tif", dn)
    notes = read_image(path, modality="msi").notes
    assert any(t.endswith(f"with --bands (e.g. {example}) to read them as reflectance") for t in notes), notes
    named = read_image(path, modality="msi", bands=example).notes  # the example given back: read as reflectance
    assert any(t.startswith(("Landsat Level-1 reflectance from", "Landsat 8/9 Level-1 reflectance")) for t in named)


def test_a_band_file_flagged_alpha_in_a_list_is_read_as_the_band_its_name_says(tmp_path):
    """``B08.tif`` cut out of an RGBN file by ``gdal_translate -b 4`` keeps its alpha flag: the list's 2nd band was
    left out as an alpha, and the read refused with '2 band(s) cannot be read as msi; expected 2 or more bands'."""
    from rasterio.enums import ColorInterp

    rng = np.random.default_rng(5)
    red = utm_tif(tmp_path / "B04.tif", rng.integers(1, 250, (1, 32, 32)).astype("uint8"))
    nir = utm_tif(tmp_path / "B08.tif", rng.integers(1, 250, (1, 32, 32)).astype("uint8"))
    with rasterio.open(nir, "r+") as dst:
        dst.colorinterp = [ColorInterp.alpha]
    img = read_image([red, nir])
    assert img.modality == "msi" and img.bands == ["B04", "B08"] and img.data.shape == (2, 32, 32)
    assert img.valid is None or img.valid.all()
    assert "B08.tif is flagged alpha but named B08: read as B08, no alpha" in img.notes[0]
    alpha = utm_tif(tmp_path / "alpha.tif", np.where(rng.random((1, 32, 32)) < 0.5, 0, 255).astype("uint8"))
    with rasterio.open(alpha, "r+") as dst:  # guard: a file named as no band stays the list's alpha
        dst.colorinterp = [ColorInterp.alpha]
    plain = utm_tif(tmp_path / "B03.tif", rng.integers(1, 250, (1, 32, 32)).astype("uint8"))
    kept = read_image([red, plain, alpha], modality="msi")
    assert not any("flagged alpha but named" in n for n in kept.notes)


def test_an_alpha_file_in_a_list_masks_its_transparent_pixels_and_is_no_band(tmp_path):
    """Leftover 7: a list's file flagged alpha was left out of the data but named a band (['B04', 'B03', 'alpha']
    over 2 bands), and its 0s masked nothing, as its own GDAL mask is all valid, though a note said 'transparent
    pixels masked'."""
    from rasterio.enums import ColorInterp

    rng = np.random.default_rng(6)
    files = [utm_tif(tmp_path / f"{b}.tif", rng.integers(1, 250, (1, 32, 32)).astype("uint8")) for b in ("B04", "B03")]
    a = np.where(rng.random((1, 32, 32)) < 0.25, 0, 255).astype("uint8")  # (1, H, W)
    alpha = utm_tif(tmp_path / "alpha.tif", a)
    with rasterio.open(alpha, "r+") as dst:
        dst.colorinterp = [ColorInterp.alpha]
    img = read_image([*files, alpha], modality="msi")
    assert img.bands == ["B04", "B03"] and img.data.shape == (2, 32, 32)
    assert img.valid is not None and np.array_equal(img.valid, a[0] > 0)
    assert "alpha band read as nodata (transparent pixels masked), not as a band" in img.notes
