"""Review of stop 71's second round of reading: Landsat 7's thermal band 6 among its reflectance band files said
once; band names b1 … b12 given stay the reader's unnamed bands; thermal band files alone read as msi are no
surface reflectance; ESPA's angle bands named without a band number get ESPA's band files as the way out; a whole
read all nodata gets no share note beside its own; Planet's note whole with nothing renamed; a Landsat 8 Level-1
B10 among reflectance band files leaves them their _MTL.txt reflectance."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin
from read_helpers import utm_tif

from rsvlm.io import read_image
from rsvlm.io.checks import ImageReadError

LE07 = "LE07_L1TP_044034_20170614_20170628_01_T1"
L2 = "LC08_L2SP_044034_20210508_20210518_02_T1"


def test_landsat7_band_6_among_reflectance_band_files_is_said_once(tmp_path):
    """B3, B4, B6_VCID_1 beside their _MTL.txt: two notes each said B6 was thermal with no reflectance and to read
    it alone as ir."""
    rng = np.random.default_rng(0)
    files = [utm_tif(tmp_path / f"{LE07}_{b}.TIF", rng.integers(20, 200, (1, 16, 16)).astype(np.uint8))
             for b in ("B3", "B4", "B6_VCID_1")]
    (tmp_path / f"{LE07}_MTL.txt").write_text(  # after the bands: GDAL's create deletes an _MTL.txt beside them
        "GROUP = LEVEL1_RADIOMETRIC_RESCALING\n    REFLECTANCE_MULT_BAND_3 = 1.0E-03\n    REFLECTANCE_ADD_BAND_3 = -0.01\n"
        "    REFLECTANCE_MULT_BAND_4 = 1.2E-03\n    REFLECTANCE_ADD_BAND_4 = -0.02\n    SUN_ELEVATION = 50.0\nEND\n")
    img = read_image(files)
    assert img.bands == ["R", "NIR", "TIR"], img.notes
    alone = [n for n in img.notes if "alone (ir)" in n or "on its own" in n]
    assert len(alone) == 1 and alone[0].startswith(f"{LE07}_B6_VCID_1.TIF is a thermal band"), img.notes
    assert any(n.startswith("the 8-bit DN are read as DN / 255, not as reflectance: B6 among them is thermal")
               for n in img.notes), img.notes
    assert read_image(files[:2]).data.max() > 0  # (without it: each band's reflectance from the _MTL.txt)


def test_band_names_b1_to_b12_given_stay_the_readers_unnamed_bands(tmp_path):
    """Upper-casing b10-b12 as given had made --bands b1,…,b12 (the reader's own names) a set of names."""
    path = utm_tif(tmp_path / "s2_12.tif", np.random.default_rng(1).integers(300, 4000, (12, 8, 8)).astype(np.uint16))
    names = [f"b{i}" for i in range(1, 13)]
    assert read_image(path).bands == names
    assert read_image(path, bands=",".join(names)).bands == names


def test_landsat_thermal_band_files_alone_read_as_msi_are_no_surface_reflectance(tmp_path):
    """Two …_ST_B10.TIF (two dates) with --modality msi, no SR_B file among them, were read as Level-2 surface
    reflectance: DN × 2.75e-5 − 0.2."""
    rng = np.random.default_rng(2)
    st = [utm_tif(tmp_path / f"{L2.replace('20210508', day)}_ST_B10.TIF",
               rng.integers(40000, 50000, (1, 8, 8)).astype(np.uint16)) for day in ("20210508", "20210524")]
    img = read_image(st, modality="msi")
    assert not any("surface reflectance" in n for n in img.notes), img.notes


def test_an_espa_angle_band_named_without_its_band_number_gets_espas_band_files(tmp_path):
    """quality.ESPA_AUX_NAME refuses …_solar_zenith.tif; its way out asked for …_B2.tif, a name ESPA gives no file."""
    path = utm_tif(tmp_path / f"{LE07}_solar_zenith.tif",
                np.random.default_rng(3).integers(0, 9000, (1, 8, 8)).astype(np.int16))
    with pytest.raises(ImageReadError, match=r"\(…_sr_band2\.tif,…_sr_band3\.tif,…\) without it"):
        read_image(path)


def test_a_whole_read_all_nodata_gets_no_share_note(tmp_path):
    """The share note is for part of an image; one all nodata has its own ("no valid pixel")."""
    img = read_image(utm_tif(tmp_path / "void.tif", np.zeros((3, 8, 8), np.uint8), nodata=0))
    assert not any("of the image is nodata" in n for n in img.notes), img.notes
    assert any(n.startswith("no valid pixel") for n in img.notes), img.notes


def test_planet_names_of_which_none_is_renamed_say_the_unmatched_ones_whole(tmp_path):
    """blue, green_i, green, red, nir: nothing to rename, and the note began "…common names:; green_i"."""
    path = tmp_path / "ps5.tif"
    dn = np.random.default_rng(4).integers(300, 4000, (5, 8, 8)).astype(np.uint16)
    with rasterio.open(path, "w", driver="GTiff", width=8, height=8, count=5, dtype="uint16", crs="EPSG:32633",
                       transform=from_origin(500000, 4000000, 30, 30)) as dst:
        dst.write(dn)
        for i, d in enumerate(["blue", "green_i", "green", "red", "nir"]):
            dst.set_band_description(i + 1, d)
    img = read_image(str(path))
    assert img.bands == ["blue", "green_i", "green", "red", "nir"]
    said = [n for n in img.notes if n.startswith("Planet band names")]
    assert said == ["Planet band names green_i (531 nm) matches no band models are trained on (Sentinel-2's): a model "
                    "leaves it out (if wrong, name them with --bands)"], img.notes


def test_a_landsat8_level1_thermal_band_file_leaves_the_others_their_mtl_reflectance(tmp_path):
    """B2, B3, B4 + B10 beside their _MTL.txt: B10 has no REFLECTANCE numbers, so all four fell back to the fixed
    DN × 2e-5 − 0.1, without the sun-elevation correction (an ST_B10 beside SR_B files was fixed; a B10 was not)."""
    c1 = "LC08_L1TP_044034_20170614_20170628_01_T1"
    rng = np.random.default_rng(5)
    files = [utm_tif(tmp_path / f"{c1}_{b}.TIF", rng.integers(7000, 20000, (1, 8, 8)).astype(np.uint16))
             for b in ("B2", "B3", "B4", "B10")]
    (tmp_path / f"{c1}_MTL.txt").write_text("GROUP = LEVEL1_RADIOMETRIC_RESCALING\n" + "".join(
        f"    REFLECTANCE_MULT_BAND_{n} = 2.0E-05\n    REFLECTANCE_ADD_BAND_{n} = -0.1\n" for n in (2, 3, 4))
        + "    SUN_ELEVATION = 30.0\nEND\n")
    img = read_image(files)
    assert img.bands == ["B", "G", "R", "TIR"]
    assert "Landsat Level-1 reflectance from the _MTL.txt: (DN × 2e-05 + -0.1) / sin(30.0° sun elevation)" in img.notes
    dn = rasterio.open(files[0]).read(1).astype(np.float64)
    np.testing.assert_allclose(img.data[0], (dn * 2e-5 - 0.1) / 0.5, atol=1e-4)
    assert any(n.startswith(f"{c1}_B10.TIF is a thermal band") for n in img.notes), img.notes
