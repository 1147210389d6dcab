"""Reading images, stop 69 round 3: a misnamed file's note says its kind first, Landsat 5/7's 8-bit Level-1
reflectance by the _MTL.txt, a SAR --bands example of polarisations, and band_numbers' note on Landsat 7's gains."""

import numpy as np
import pytest
import rasterio
from test_read_lead69 import utm_tif

from rsvlm.eval_reading import ReadNotes
from rsvlm.io import read_image
from rsvlm.io.products import band_numbers
from rsvlm.io.read import SceneReader

LE07 = "LE07_L1TP_016037_20020813_20200903_02_T1"


def test_misnamed_files_notes_are_one_kind_in_an_eval_summary(tmp_path):
    """The note began with the file name ('B02.jp2 is a TIFF, though named .jp2'), so eval's summary, which groups
    notes by their opening words, listed every such file as a kind of its own."""
    data = np.random.default_rng(0).integers(500, 3000, (1, 8, 8)).astype("uint16")  # (C, H, W)
    notes = [next(n for n in read_image(utm_tif(tmp_path / f"{b}.jp2", data)).notes if " named .jp2" in n)
             for b in ("B02", "scene_7")]
    assert notes == ["a TIFF named .jp2: B02.jp2 read as one", "a TIFF named .jp2: scene_7.jp2 read as one"]
    seen = ReadNotes()
    seen.add("r1", [notes[0]])
    seen.add("r2", [notes[1]])
    assert [(k, v[0]) for k, v in seen.kinds.items()] == [("a TIFF named .jpN", 2)]  # (its numbers as N)


def test_a_wrong_count_of_unnamed_sar_bands_is_shown_polarisations(tmp_path):
    """The example was '--bands B1,B2', which is no SAR band's name (and Sentinel-2's numbering in an msi read)."""
    data = np.random.default_rng(1).integers(1, 3000, (2, 8, 8)).astype("uint16")  # (C, H, W) amplitude
    with pytest.raises(ValueError, match=r"the image has 2 bands as sar: give 2 names in the order of the bands "
                                         r"\(e.g. --bands VV,VH\), or give none$"):
        read_image(utm_tif(tmp_path / "s1.tif", data), modality="sar", bands="VV")


@pytest.mark.parametrize("names, said", [
    (["R", "NIR", "B6_VCID_1"], "B6_VCID_1 is a band name of Landsat 7's alone"),
    (["b1", "b4", "B6_VCID_1", "B6_VCID_2"], "B6_VCID_1 / B6_VCID_2 beside them are band names of Landsat 7's alone"),
])
def test_band_numbers_note_on_landsat7_gains_says_beside_them_only_beside_bare_numbers(names, said):
    """For ['R', 'NIR', 'B6_VCID_1'] it ended '… B6_VCID_1 / B6_VCID_2 beside them are Landsat 7's alone': 'them' was
    no band, and B6_VCID_2 was not among the names."""
    assert band_numbers(names, None)[1].endswith(f"; {said}")


def _landsat7_bands(tmp_path, mtl: bool):
    """Landsat 7 Level-1 bands 3 and 4 as 8-bit band files, with the _MTL.txt's reflectance rescaling (each band its
    own M and A, as ETM+'s are) beside them where ``mtl``."""
    rng = np.random.default_rng(5)
    files = [utm_tif(tmp_path / f"{LE07}_B{b}.TIF", rng.integers(1, 255, (1, 8, 8)).astype("uint8")) for b in (3, 4)]
    if mtl:  # written after the bands: GDAL's create deletes an _MTL.txt beside it
        (tmp_path / f"{LE07}_MTL.txt").write_text(
            "GROUP = LEVEL1_RADIOMETRIC_RESCALING\n    REFLECTANCE_MULT_BAND_3 = 1.0814E-03\n"
            "    REFLECTANCE_ADD_BAND_3 = -0.003221\n    REFLECTANCE_MULT_BAND_4 = 1.4160E-03\n"
            "    REFLECTANCE_ADD_BAND_4 = -0.004192\nEND\nGROUP = IMAGE_ATTRIBUTES\n    SUN_ELEVATION = 30.0\nEND\n")
    return files


def test_landsat7_8_bit_reflectance_bands_are_read_by_their_mtl(tmp_path):
    """Landsat 5/7 Level-1 bands are uint8: they were read as DN / 255, not as the _MTL.txt's reflectance, which was
    applied to uint16 alone (and by one M and A for all bands, where ETM+'s differ by band)."""
    files = _landsat7_bands(tmp_path, mtl=True)
    img = read_image(files)
    dn = np.stack([rasterio.open(f).read(1) for f in files]).astype(np.float64)  # (C, H, W)
    want = (dn * np.array([1.0814e-3, 1.4160e-3])[:, None, None] + np.array([-0.003221, -0.004192])[:, None, None]) / 0.5
    assert img.bands == ["R", "NIR"] and np.allclose(img.data, want, atol=1e-6)  # sin(30°) = 0.5
    assert any(n.startswith("Landsat Level-1 reflectance from the _MTL.txt, by band: (B3 DN × 0.0010814 − 0.003221, "
                            "B4 DN × 0.001416 − 0.004192) / sin(30.0° sun elevation)") for n in img.notes), img.notes
    with SceneReader(files) as scene:  # a window scaled as the scene
        window = scene.read((2, 2, 4, 4))
    assert np.allclose(window.data, want[:, 2:6, 2:6], atol=1e-6)


def test_landsat7_8_bit_bands_without_their_mtl_say_they_are_read_as_dn_over_255(tmp_path):
    img = read_image(_landsat7_bands(tmp_path, mtl=False))
    assert f"no {LE07}_MTL.txt beside the files: the 8-bit DN are read as DN / 255, not as reflectance (put it beside " \
           "them, or give ReadConfig.msi_band_scaling=[[gain, offset], …], one a band)" in img.notes
    assert img.data.max() <= 1.0


def test_an_8_bit_msi_files_declared_scale_is_applied_as_its_note_says(tmp_path):
    """msi_scale was set from the GDAL scale, said 'reflectance as the file declares it', and the 8-bit DN read / 255."""
    path = utm_tif(tmp_path / "rgbn8.tif", np.random.default_rng(6).integers(1, 255, (4, 8, 8)).astype("uint8"),
                ["B02", "B03", "B04", "B08"])
    with rasterio.open(path, "r+") as ds:
        ds.scales, ds.offsets = [0.004] * 4, [0.0] * 4
    img = read_image(path)
    dn = rasterio.open(path).read().astype(np.float64)
    assert any(n.startswith("reflectance as the file declares it") for n in img.notes), img.notes
    assert np.allclose(img.data, dn * 0.004, atol=1e-6)


def test_msi_band_scaling_of_another_count_or_a_gain_of_0_is_refused(tmp_path):
    path = utm_tif(tmp_path / "s.tif", np.random.default_rng(7).integers(1, 3000, (2, 8, 8)).astype("uint16"),
                ["B04", "B08"])
    with pytest.raises(ValueError, match=r"s.tif: scaling.msi_band_scaling has 1 bands, image has 2"):
        read_image(path, scaling={"msi_band_scaling": [[1e-4, 0]]})
    with pytest.raises(ValueError, match=r"ReadConfig.msi_band_scaling .* must be one \[gain, offset\] a band"):
        read_image(path, scaling={"msi_band_scaling": [[1e-4, 0], [0, 0]]})
    img = read_image(path, scaling={"msi_band_scaling": [[1e-4, 0], [2e-4, -0.1]]})
    dn = rasterio.open(path).read().astype(np.float64)
    assert np.allclose(img.data, [dn[0] * 1e-4, dn[1] * 2e-4 - 0.1], atol=1e-6)


def test_landsat7_8_bit_bands_with_the_thermal_band_say_why_they_stay_dn_over_255(tmp_path):
    files = _landsat7_bands(tmp_path, mtl=False)
    files.append(utm_tif(tmp_path / f"{LE07}_B6_VCID_1.TIF", np.full((1, 8, 8), 120, "uint8")))
    _landsat7_bands(tmp_path, mtl=True)  # (the MTL after the last band written)
    img = read_image(files)
    assert img.bands == ["R", "NIR", "TIR"] and img.data.max() <= 1.0
    assert "the 8-bit DN are read as DN / 255, not as reflectance: B6 among them is thermal, of no reflectance in the " \
           "_MTL.txt; give the others without it to read them as reflectance" in img.notes, img.notes


def test_an_msi_scale_given_for_8_bit_dn_is_said_not_applied(tmp_path):
    """msi_scale / msi_offset scale 16-bit DN; given for an 8-bit file they were dropped unsaid (read / 255)."""
    path = utm_tif(tmp_path / "rgbn8.tif", np.random.default_rng(8).integers(1, 255, (4, 8, 8)).astype("uint8"),
                ["B02", "B03", "B04", "B08"])
    img = read_image(path, scaling={"msi_scale": 250, "msi_offset": -5})
    assert "msi_scale / msi_offset (DN × 0.004 − 0.02) not applied: 8-bit DN are read as DN / 255; " \
           "ReadConfig.msi_band_scaling=[[gain, offset], …], one a band, scales them" in img.notes, img.notes
    assert np.allclose(img.data, rasterio.open(path).read() / 255, atol=1e-6)
    assert not [n for n in read_image(path).notes if "not applied" in n]
