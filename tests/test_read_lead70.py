"""Reading images, stop 70 round 2: one band's --bands count said in the singular; a list's alpha file is no band
name against the msi guess; a lone Level-2 band file's note names its siblings as its product does, and an 8-bit
copy of one is said read as DN / 255; a Landsat QA bitmask is refused as an image."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
from rasterio.enums import ColorInterp
from rasterio.transform import from_origin
from read_helpers import utm_tif

from rsvlm.io import read_image
from rsvlm.io.checks import ImageReadError

L2 = "LC08_L2SP_044034_20210508_20210518_02_T1"


def test_one_bands_count_refusal_asks_for_1_name(tmp_path):
    """It said 'give 1 names in the order of the bands … (they are then read as VV)'."""
    path = utm_tif(tmp_path / "iw-vv.tiff", np.random.default_rng(0).integers(1, 5000, (1, 16, 16)).astype("uint16"))
    with pytest.raises(ValueError) as e:
        read_image(path, modality="sar", bands="VV,VH")
    assert str(e.value).endswith("give 1 name (e.g. --bands VV), or give none (it is then read as VV)"), e.value
    two = utm_tif(tmp_path / "two.tif", np.random.default_rng(0).integers(1, 5000, (2, 16, 16)).astype("uint16"))
    with pytest.raises(ValueError, match=r"give 2 names in the order of the bands \(e.g. --bands VV,VH\)"):
        read_image(two, modality="sar", bands="VV")


def test_a_band_file_list_with_its_alpha_file_is_inferred_msi(tmp_path):
    """alpha.tif, flagged alpha, counted as a file not named as a band: B04, B03 beside it were inferred as sar
    (2 bands with alpha), read as display-scaled grey SAR."""
    rng = np.random.default_rng(1)
    files = [utm_tif(tmp_path / f"{b}.tif", rng.integers(1, 250, (1, 32, 32)).astype("uint8")) for b in ("B04", "B03")]
    a = np.where(rng.random((1, 32, 32)) < 0.25, 0, 255).astype("uint8")  # (1, H, W)
    alpha = utm_tif(tmp_path / "alpha.tif", a)
    with rasterio.open(alpha, "r+") as dst:
        dst.colorinterp = [ColorInterp.alpha]
    img = read_image([*files, alpha])
    assert img.modality == "msi" and img.bands == ["B04", "B03"]
    assert np.array_equal(img.valid, a[0] > 0)
    assert "modality inferred as msi from bands B04, B03 in 2 files, beside the alpha file alpha.tif" in img.notes


@pytest.mark.parametrize("dtype", ["uint16", "uint8"])
def test_a_lone_level2_band_files_note_names_its_siblings_as_level2(tmp_path, dtype):
    """It asked for '…_B2.TIF,…_B3.TIF', names no Level-2 file has."""
    dn = np.random.default_rng(2).integers(8000, 20000, (1, 16, 16)).astype("uint16")
    img = read_image(utm_tif(tmp_path / f"{L2}_SR_B4.TIF", dn if dtype == "uint16" else (dn // 100).astype(dtype)))
    assert any("give the scene's band files comma-separated (…_SR_B2.TIF,…_SR_B3.TIF,…)" in n for n in img.notes)
    level1 = read_image(utm_tif(tmp_path / "LE07_L1TP_016041_20020101_20200917_02_T1_B3.tif", dn))
    assert any("(…_B2.tif,…_B3.tif,…)" in n for n in level1.notes)  # guard: a Level-1 file's own naming


def test_an_8bit_level2_band_file_is_said_read_as_dn_over_255(tmp_path):
    """Its 8-bit DN were read as DN / 255 with nothing said (a stack's 8-bit copy is said so: a9848d39)."""
    dn = np.random.default_rng(3).integers(10, 250, (1, 16, 16)).astype("uint8")  # (1, H, W)
    img = read_image(utm_tif(tmp_path / f"{L2}_SR_B4.TIF", dn))
    np.testing.assert_allclose(img.data, dn / np.float32(255), rtol=1e-5)
    assert any(n.startswith("Landsat 8's Level-2 surface reflectance DN are 16-bit") and "DN / 255" in n
               and "ReadConfig.msi_band_scaling" in n for n in img.notes), img.notes


def test_a_landsat_qa_bitmask_is_refused_as_an_image(tmp_path):
    """A lone …_QA_PIXEL.TIF (bit flags) was inferred as a thermal frame and stretched as one."""
    qa = np.random.default_rng(4).choice([1, 21824, 21952, 22280], (1, 16, 16)).astype("uint16")
    path = utm_tif(tmp_path / f"{L2}_QA_PIXEL.TIF", qa)
    with pytest.raises(ImageReadError) as e:
        read_image(path)
    assert "a Landsat quality band (QA_PIXEL): bit flags" in str(e.value)
    assert "(…_SR_B2.TIF,…_SR_B3.TIF,…) without it" in str(e.value)
    band = utm_tif(tmp_path / f"{L2}_SR_B4.TIF", (qa // 2).astype("uint16"))
    with pytest.raises(ImageReadError, match=f"{L2}_QA_PIXEL.TIF is a Landsat quality band"):
        read_image([band, path])
    asked = read_image(path, modality="ir")  # given a modality: read as asked, said
    assert any("is a quality band (bit flags, not brightness): read as ir, as asked" in n for n in asked.notes)


def _overviewed(path, data):
    """``_tif`` of ``data`` (C, H, W) with averaged overviews (``gdaladdo -r average``), its 4th band no alpha."""
    from rasterio.enums import Resampling

    c, h, w = data.shape
    with rasterio.open(path, "w", driver="GTiff", width=w, height=h, count=c, dtype=data.dtype, crs="EPSG:32633",
                       transform=from_origin(500000, 4000000, 1, 1), tiled=True, photometric="RGB",
                       alpha="UNSPECIFIED") as dst:
        dst.write(data)
    with rasterio.open(path, "r+") as dst:
        dst.build_overviews([2, 4], Resampling.average)
    return str(path)


def test_the_value_checks_read_of_a_photo_stops_at_its_first_strip(tmp_path):
    """Leftover 6's cost: a file with overviews was decoded whole for the mask / alpha checks (0.10 s to open a 4096²
    deflate RGB, 0.02 s without). A strip in which every band holds a third value settles both checks' verdicts."""
    from rsvlm.io.sources import RasterioSource

    rgbn = np.random.default_rng(5).integers(1, 250, (4, 1200, 64)).astype("uint8")  # (C, H, W)
    src = RasterioSource([_overviewed(tmp_path / "rgbn.tif", rgbn)])
    raw, _ = src.read_unblended(1024, [0, 1, 2, 3], None)
    assert raw.shape == (4, 512 * 1024 // 1200, 55)  # the first strip (512 source rows) of the 1024-row decimation
    assert set(np.unique(raw)) <= set(np.unique(rgbn))
    assert read_image(str(src.paths[0])).bands == ["R", "G", "B", "NIR"]


def test_an_alpha_whose_first_strip_holds_two_values_is_read_on_to_its_third(tmp_path):
    """Guard: a 4th band 0/255 down to its last strip, where it holds a third value, is data (NIR), and one 0/255
    throughout an unflagged alpha, with averaged overviews (which blend it) as without."""
    rng = np.random.default_rng(6)
    rgb = rng.integers(1, 250, (3, 1200, 64)).astype("uint8")
    band4 = np.where(rng.random((1, 1200, 64)) < 0.5, 0, 255).astype("uint8")  # (1, H, W)
    alpha = read_image(_overviewed(tmp_path / "rgba.tif", np.concatenate([rgb, band4])))
    assert alpha.bands == ["R", "G", "B", "band4"]
    band4[0, 1150:] = 128
    assert read_image(_overviewed(tmp_path / "rgbn.tif", np.concatenate([rgb, band4]))).bands == ["R", "G", "B", "NIR"]


@pytest.mark.parametrize("name", [f"{L2}_ST_B10.TIF", "LC08_L1TP_016041_20200101_20200917_02_T1_B10.TIF"])
def test_an_8bit_copy_of_a_16bit_landsat_thermal_band_is_not_put_in_kelvin_by_16bit_numbers(tmp_path, name):
    """An 8-bit Level-2 ST_B10 was DN × 0.00341802 + 149: every pixel about 149.5 K, said to be kelvin (and a
    Landsat 8 Level-1 B10 beside its _MTL.txt alike by the MTL's radiance numbers)."""
    (tmp_path / "LC08_L1TP_016041_20200101_20200917_02_T1_MTL.txt").write_text(
        "RADIANCE_MULT_BAND_10 = 3.342E-04\nRADIANCE_ADD_BAND_10 = 0.1\nK1_CONSTANT_BAND_10 = 774.8853\n"
        "K2_CONSTANT_BAND_10 = 1321.0789\n")
    img = read_image(utm_tif(tmp_path / name, np.random.default_rng(7).integers(100, 250, (1, 16, 16)).astype("uint8")))
    assert img.modality == "ir"
    assert any("thermal DN are 16-bit, so 8-bit ones are a rescaled copy that its numbers do not fit: stretched as "
               "they are, not turned into kelvin" in n for n in img.notes), img.notes
    assert not any("surface temperature: DN ×" in n or "brightness temperature from" in n for n in img.notes)


def test_an_unflagged_file_named_alpha_in_a_list_is_no_band_name_against_msi_and_is_said(tmp_path):
    """B04, B03 beside an unflagged alpha.tif were inferred as optical, the alpha read as their blue, unsaid."""
    rng = np.random.default_rng(8)
    files = [utm_tif(tmp_path / f"{b}.tif", rng.integers(1, 250, (1, 32, 32)).astype("uint8")) for b in ("B04", "B03")]
    alpha = utm_tif(tmp_path / "alpha.tif", np.where(rng.random((1, 32, 32)) < 0.25, 0, 255).astype("uint8"))
    img = read_image([*files, alpha])
    assert img.modality == "msi" and img.bands == ["B04", "B03", "alpha"]
    assert any(n.startswith("alpha.tif is named alpha but not flagged alpha: read as a band, masking nothing; flag it "
                            "(gdal_edit.py -colorinterp_1 alpha") for n in img.notes), img.notes
