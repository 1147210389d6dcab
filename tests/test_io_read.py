"""Readers: synthetic files written in tmp_path, and the real fixtures (skipped where absent)."""

from __future__ import annotations

import numpy as np
import pytest

from rsvlm.io import ImageReadError, ReadConfig, SceneReader, image_size, read_image, read_window

rasterio = pytest.importorskip("rasterio")
from rasterio.transform import from_origin  # noqa: E402


def write_tif(path, arr, nodata=None, crs="EPSG:32633", transform=None, dtype=None, **kw):
    arr = arr if arr.ndim == 3 else arr[None]  # (C, H, W)
    c, h, w = arr.shape
    with rasterio.open(path, "w", driver="GTiff", width=w, height=h, count=c, dtype=dtype or arr.dtype,
                       crs=crs, transform=transform or from_origin(500000, 4200000, 10, 10), nodata=nodata,
                       **kw) as ds:
        ds.write(arr)
    return path


def test_uint16_optical_is_stretched_between_percentiles(tmp_path):
    rng = np.random.default_rng(0)
    arr = rng.integers(100, 4000, size=(3, 64, 80)).astype(np.uint16)
    img = read_image(write_tif(tmp_path / "a.tif", arr), modality="optical")
    assert img.data.shape == (3, 64, 80) and img.data.dtype == np.float32
    lo, hi = np.percentile(arr[0], [2, 98])
    np.testing.assert_allclose(img.data[0], np.clip((arr[0] - lo) / (hi - lo), 0, 1), atol=1e-5)
    assert img.bands == ["R", "G", "B"] and img.crs == "EPSG:32633"
    assert img.transform == (10.0, 0.0, 500000.0, 0.0, -10.0, 4200000.0)
    assert not img.inferred_modality and any("percentiles" in n for n in img.notes)


def test_custom_percentiles_change_the_stretch(tmp_path):
    arr = np.arange(100 * 100, dtype=np.uint16).reshape(1, 100, 100)
    p = write_tif(tmp_path / "t.tif", arr)
    a = read_image(p, modality="ir", scaling=ReadConfig(percentiles=(0.0, 100.0)))
    b = read_image(p, modality="ir", scaling=ReadConfig(percentiles=(10.0, 90.0)))
    assert a.data.min() == 0 and a.data.max() == 1 and np.isclose(a.data[0, 50, 0], 5000 / 9999, atol=1e-4)
    assert (b.data == 0).mean() > 0.09 and (b.data == 1).mean() > 0.09  # tails clipped


def test_nodata_is_masked_and_excluded_from_stats(tmp_path):
    arr = np.full((3, 40, 40), 1000, np.uint16)
    arr[:, :, 20:] = 3000
    arr[:, :10, :] = 0  # nodata collar
    img = read_image(write_tif(tmp_path / "n.tif", arr, nodata=0), modality="optical")
    assert img.valid is not None and not img.valid[:10].any() and img.valid[10:].all()
    assert (img.data[:, :10] == 0).all()
    # stats from valid pixels only: 1000 → 0, 3000 → 1 (with the collar, 2 % would be 0)
    assert np.isclose(img.data[0, 20, 0], 0) and np.isclose(img.data[0, 20, 30], 1)


def test_config_nodata_for_files_that_declare_none(tmp_path):
    arr = np.full((1, 30, 30), 500, np.uint16)
    arr[0, :, :5] = 0
    img = read_image(write_tif(tmp_path / "b10.tif", arr), modality="ir", scaling=ReadConfig(nodata=0))
    assert not img.valid[:, :5].any() and img.valid[:, 5:].all()


def test_msi_reflectance_and_band_files(tmp_path):
    paths = []
    for k, name in enumerate(["B02", "B03", "B04", "B08"]):
        arr = np.full((1, 20, 30), 1000 * (k + 1), np.uint16)
        paths.append(write_tif(tmp_path / f"T33_{name}.tif", arr))
    img = read_image(paths)
    assert img.modality == "msi" and img.inferred_modality
    assert img.bands == ["B02", "B03", "B04", "B08"]
    np.testing.assert_allclose(img.data[:, 0, 0], [0.1, 0.2, 0.3, 0.4], rtol=1e-6)
    assert any("4 files" in n for n in img.notes)
    named = read_image(paths, bands=["blue", "green", "red", "nir"])
    assert named.bands == ["blue", "green", "red", "nir"]
    l2a = [write_tif(tmp_path / f"T33UUP_20230613T101559_{b}.tif", np.full((1, 20, 30), 1000, np.uint16))
           for b in ("B04_10m", "B8A_20m", "B11_20m", "TCI_10m")]
    assert read_image(l2a).bands == ["B04", "B8A", "B11", "10m"]  # Level-2A: the band, not the resolution
    for baseline, want in (("N0509", 0.1), ("N0301", 0.2)):  # since 04.00 DN carry a +1000 offset
        safe = tmp_path / f"S2B_MSIL2A_20230613T101559_{baseline}_R065_T33UUP_20230613T165045.SAFE" / "R10m"
        safe.mkdir(parents=True)
        files = [write_tif(safe / f"T33UUP_20230613T101559_{b}_10m.tif", np.full((1, 8, 8), 2000, np.uint16))
                 for b in ("B02", "B03", "B04", "B08")]
        np.testing.assert_allclose(read_image(files).data[:, 0, 0], want, rtol=1e-6)
    two = read_image(paths[:2])  # two band files named as bands are msi, not a SAR pair
    assert two.modality == "msi" and "modality inferred as msi from bands B02, B03 in 2 files" in two.notes
    for day, want in (("20230613", 0.1), ("20210613", 0.2)):  # out of its .SAFE: the sensing day decides
        loose = tmp_path / f"loose{day}"
        loose.mkdir()
        files = [write_tif(loose / f"T33UUP_{day}T101559_{b}_10m.tif", np.full((1, 8, 8), 2000, np.uint16))
                 for b in ("B02", "B03", "B04", "B08")]
        img = read_image(files)
        np.testing.assert_allclose(img.data[:, 0, 0], want, rtol=1e-6)
        assert any("25 Jan 2022" in n for n in img.notes) == (want == 0.1)


def test_landsat_band_files_are_named_and_scaled_by_their_mission_and_level(tmp_path):
    def band_files(product, numbers, dn=10909):
        return [write_tif(tmp_path / f"{product}_{b}.TIF", np.full((1, 8, 8), dn, np.uint16)) for b in numbers]

    l8 = read_image(band_files("LC08_L2SP_016037_20170813_20200903_02_T1_SR", ["B2", "B3", "B4", "B5", "B6"]))
    assert l8.modality == "msi" and l8.bands == ["B", "G", "R", "NIR", "SWIR1"]
    assert "Landsat 8 bands B2, B3, B4, B5, B6 named B, G, R, NIR, SWIR1" in l8.notes
    np.testing.assert_allclose(l8.data[:, 0, 0], 0.1, atol=1e-4)  # Level-2 SR: 10909 × 2.75e-5 − 0.2, not 1.09
    l7 = read_image(band_files("LE07_L2SP_016037_20020813_20200903_02_T1_SR", ["B3", "B4", "B5", "B7"]))
    assert l7.bands == ["R", "NIR", "SWIR1", "SWIR2"]  # Landsat 7's B4 is NIR, where Landsat 8's is red
    np.testing.assert_allclose(l7.data[:, 0, 0], 0.1, atol=1e-4)
    toa = read_image(band_files("LC09_L1TP_016037_20220813_20220814_02_T1", ["B4", "B5"], dn=10000))
    np.testing.assert_allclose(toa.data[:, 0, 0], 0.1, atol=1e-4)  # Level-1 OLI: 10000 × 2e-5 − 0.1
    product = "LE07_L1TP_016037_20020813_20200903_02_T1"
    (tmp_path / f"{product}_MTL.txt").write_text(
        "GROUP = LEVEL1_RADIOMETRIC_RESCALING\n" + "".join(
            f"    REFLECTANCE_MULT_BAND_{b} = 1.5000E-05\n    REFLECTANCE_ADD_BAND_{b} = -0.050000\n" for b in (3, 4))
        + "    SUN_ELEVATION = 30.00000000\nEND\n")
    sun = read_image(band_files(product, ["B3", "B4"], dn=10000))  # (10000 × 1.5e-5 − 0.05) / sin 30°
    np.testing.assert_allclose(sun.data[:, 0, 0], 0.2, atol=1e-4)
    assert any("sin(30.0° sun elevation)" in n for n in sun.notes)
    mine = read_image(band_files("LC08_L2SP_x_SR", ["B4", "B5"]), scaling=ReadConfig(msi_scale=20000.0))
    np.testing.assert_allclose(mine.data[:, 0, 0], 10909 / 20000, rtol=1e-5)  # a scale the user set wins
    thermal = read_image(band_files("LE07_L1TP_016037_20020813_20200903_02_T1", ["B6_VCID_1"]))
    assert thermal.modality == "ir" and thermal.bands == ["TIR"]
    assert "Landsat 7 band B6 named TIR" in thermal.notes
    as_optical = read_image(band_files("LC09_L2SP_1_2_3_T1_SR", ["B4", "B3", "B2"]), modality="optical")
    assert as_optical.bands == ["R", "G", "B"]
    other = read_image(band_files("XX08_scene_SR", ["B3", "B4", "B5"], dn=1000), modality="msi")  # not Landsat
    assert other.bands == ["B03", "B04", "B05"]  # the file names' last parts, read as Sentinel-2's numbers
    assert any("name no mission" in n and "Landsat 4/5/7 (--bands R,NIR,SWIR1)" in n for n in other.notes)
    np.testing.assert_allclose(other.data[:, 0, 0], 0.1, rtol=1e-5)  # DN / 10000 as before


def test_earth_engine_landsat_exports_are_named_and_scaled_by_their_band_descriptions(tmp_path):
    def export(name, descriptions, dn=10909):
        arr = np.full((len(descriptions), 8, 8), dn, np.uint16)
        arr[:, :, :2] = 0  # masked pixels, exported as 0 with no nodata value
        with rasterio.open(tmp_path / name, "w", driver="GTiff", width=8, height=8, count=len(arr), dtype="uint16",
                           crs="EPSG:32633", transform=from_origin(500000, 4200000, 30, 30)) as ds:
            ds.write(arr)
            for i, d in enumerate(descriptions):
                ds.set_band_description(i + 1, d)
        return tmp_path / name

    l8 = read_image(export("my_export.tif", ["SR_B2", "SR_B3", "SR_B4", "SR_B5", "SR_B6"]))  # SR_B6: only 8/9 have it
    assert l8.modality == "msi" and l8.bands == ["B", "G", "R", "NIR", "SWIR1"]
    assert "modality inferred as msi from Landsat band descriptions" in l8.notes
    assert "Landsat 8/9 bands B2, B3, B4, B5, B6 named B, G, R, NIR, SWIR1" in l8.notes
    np.testing.assert_allclose(l8.data[:, 0, -1], 0.1, atol=1e-4)  # 10909 × 2.75e-5 − 0.2, not 10909 / 10000
    np.testing.assert_array_equal(l8.valid[0], [False, False] + [True] * 6)
    l7 = read_image(export("LE07_016037_20020813.tif", ["SR_B1", "SR_B2", "SR_B3", "SR_B4"]))  # the ID says 7
    assert l7.bands == ["B", "G", "R", "NIR"] and "Landsat 7 bands B1, B2, B3, B4 named B, G, R, NIR" in l7.notes
    thermal = read_image(export("lst.tif", ["ST_B10"]))
    assert thermal.modality == "ir" and thermal.bands == ["TIR"]
    unknown = read_image(export("rgb.tif", ["SR_B4", "SR_B3", "SR_B2"]))  # red on 8/9, NIR / red / green on 7
    assert unknown.modality == "msi" and unknown.bands == ["SR_B4", "SR_B3", "SR_B2"]
    assert any("of no known mission" in n and "--bands" in n for n in unknown.notes)
    np.testing.assert_allclose(unknown.data[:, 0, -1], 0.1, atol=1e-4)  # the scale needs no mission
    named = read_image(tmp_path / "rgb.tif", bands=["R", "G", "B"])  # as the note asks
    assert named.bands == ["R", "G", "B"]
    np.testing.assert_allclose(named.data[:, 0, -1], 0.1, atol=1e-4)
    full = ["SR_B1", "SR_B2", "SR_B3", "SR_B4", "SR_B5", "SR_B6", "SR_B7", "SR_QA_AEROSOL", "ST_B10", "ST_QA",
            "QA_PIXEL", "QA_RADSAT"]  # an export of every band of LANDSAT/LC08/C02/T1_L2
    ee = read_image(export("LC08_044034_20210508.tif", full))
    assert ee.modality == "msi" and ee.bands == ["coastal", "B", "G", "R", "NIR", "SWIR1", "SWIR2"]
    assert ("SR_QA_AEROSOL, ST_B10, ST_QA, QA_PIXEL, QA_RADSAT left out of the read (Landsat Level-2 thermal and "
            "quality bands, on other scales)") in ee.notes
    np.testing.assert_allclose(ee.data[:, 0, -1], 0.1, atol=1e-4)  # reflectance, the thermal DN not among it
    with pytest.raises(ValueError, match=r"7 bands \(5 more left out\) cannot be read as optical"):
        read_image(tmp_path / "LC08_044034_20210508.tif", modality="optical")
    rgb = read_image(export("LC08_044034_20210509.tif", ["SR_B4", "SR_B3", "SR_B2", "QA_PIXEL"]), modality="optical")
    assert rgb.bands == ["R", "G", "B"]
    lst = read_image(export("LC09_lst.tif", ["ST_B10", "ST_QA", "QA_PIXEL"]))
    assert lst.modality == "ir" and lst.bands == ["TIR"] and "ST_QA, QA_PIXEL left out" in lst.notes[0]
    assert any(n.startswith("Landsat Collection 2 Level-2 surface temperature") for n in lst.notes)
    with pytest.raises(ValueError, match=r"qa.tif: 1 band \(1 more left out\) cannot be read as msi"):
        read_image(export("qa.tif", ["SR_B4", "QA_PIXEL"]), modality="msi")


def test_landsat_thermal_becomes_kelvin_from_its_product_metadata(tmp_path):
    dn = np.array([[[20000, 25000], [30000, 0]]], np.uint16)  # 0: USGS fill
    product = "LC08_L1TP_016037_20170813_20170814_01_RT"
    (tmp_path / f"{product}_MTL.txt").write_text(
        "GROUP = TIRS_THERMAL_CONSTANTS\n    RADIANCE_MULT_BAND_10 = 3.3420E-04\n    RADIANCE_ADD_BAND_10 = 0.10000\n"
        "    K1_CONSTANT_BAND_10 = 774.8853\n    K2_CONSTANT_BAND_10 = 1321.0789\nEND\n")
    b10 = write_tif(tmp_path / f"{product}_B10.TIF", dn)
    bt = 1321.0789 / np.log(774.8853 / (dn[0].astype(float) * 3.342e-4 + 0.1) + 1)  # brightness temperature, K
    assert 275 < bt[0, 0] < bt[0, 1] < bt[1, 0] < 320
    img = read_image(b10, scaling=ReadConfig(ir_kelvin_range=[270.0, 320.0]))
    assert img.modality == "ir" and img.bands == ["TIR"]
    assert any(n.startswith("Landsat Level-1 brightness temperature from the _MTL.txt") for n in img.notes)
    assert "stretch (fixed range, K): TIR [270, 320]" in img.notes
    np.testing.assert_allclose(img.data[0][img.valid], ((bt - 270) / 50)[dn[0] > 0], atol=1e-5)
    pct = read_image(b10)  # the default stretch: percentiles of the temperatures, not of the DN
    lo, hi = np.percentile(bt[dn[0] > 0], [2, 98])
    assert any(n == f"stretch (2-98 percentiles, K): TIR [{lo:.4g}, {hi:.4g}]" for n in pct.notes)

    st = write_tif(tmp_path / "LC09_L2SP_016037_20220813_20220815_02_T1_ST_B10.TIF", dn)
    surface = read_image(st, scaling=ReadConfig(ir_kelvin_range=[0.0, 400.0]))  # Level-2: linear, no MTL needed
    assert "Landsat Collection 2 Level-2 surface temperature: DN × 0.00341802 + 149 K" in surface.notes
    np.testing.assert_allclose(surface.data[0, 0, 0], (20000 * 0.00341802 + 149) / 400, atol=1e-5)

    bare = write_tif(tmp_path / "LC08_L1TP_016037_20170813_20170814_01_T1_B10.TIF", dn)  # no _MTL.txt beside it
    raw = read_image(bare)
    assert not any("K):" in n or ", K)" in n for n in raw.notes)  # stretched as DN, as before
    assert any(n.startswith("no LC08_L1TP_016037_20170813_20170814_01_T1_MTL.txt beside it: the Level-1 thermal DN are "
                            "stretched as they are") for n in raw.notes), raw.notes  # said (it had been silent)
    with pytest.raises(ValueError, match=r"01_T1_B10.TIF: ir_kelvin_range needs the values in kelvin"):
        read_image(bare, scaling=ReadConfig(ir_kelvin_range=[280.0, 320.0]))
    mine = read_image(bare, scaling=ReadConfig(ir_kelvin=[0.01, 100.0], ir_kelvin_range=[200.0, 400.0]))
    np.testing.assert_allclose(mine.data[0, 0, 1], (25000 * 0.01 + 100 - 200) / 200, atol=1e-5)  # the user's constants
    with pytest.raises(ValueError, match=r"ir_kelvin takes \[gain, offset\] or \[gain, offset, K1, K2\]"):
        read_image(bare, scaling=ReadConfig(ir_kelvin=[1.0, 2.0, 3.0]))


def test_landsat_fill_is_nodata_where_the_file_declares_none(tmp_path):
    arr = np.tile(np.linspace(20000, 28000, 40, dtype=np.float32), (40, 1)).astype(np.uint16)[None]  # (1, 40, 40)
    arr[:, :, :12] = 0  # the scene's slanted collar: 30 % fill
    plain = write_tif(tmp_path / "LC08_L1TP_016037_20170813_20170814_02_T1_B10.TIF", arr)
    img = read_image(plain)
    assert "Landsat fill: DN 0 read as nodata (the file declares no nodata value)" in img.notes
    np.testing.assert_array_equal(img.valid, arr[0] != 0)
    # the stretch spans the scene, not the fill: its darkest column near 0, its brightest near 1
    assert (img.data[:, ~img.valid] == 0).all() and img.data[0, 0, 12] < 0.05 and img.data[0, 0, -1] > 0.95
    own = write_tif(tmp_path / "LC08_L2SP_016037_20170813_20200903_02_T1_ST_B10.TIF", arr, nodata=1)
    declared = read_image(own)  # a nodata value of its own is the file's word; 0 stays a value
    assert declared.valid is None and not any("Landsat fill" in n for n in declared.notes)
    other = read_image(write_tif(tmp_path / "thermal.tif", arr))  # not a Landsat name: 0 is a value
    assert other.valid is None


def test_band_files_on_different_grids_fail_naming_both(tmp_path):
    a = write_tif(tmp_path / "B02.tif", np.ones((1, 20, 30), np.uint16))
    b = write_tif(tmp_path / "B03.tif", np.ones((1, 20, 31), np.uint16))
    # one column more on the same 10 m pixels is another footprint (614ff730 resamples
    # only other resolutions on one footprint): the refusal names both files' bounds
    with pytest.raises(ValueError, match=r"B03\.tif.*footprint.*500310.*B02\.tif.*500300"):
        read_image([a, b])
    c = write_tif(tmp_path / "B04.tif", np.ones((1, 20, 30), np.uint16),
                  transform=from_origin(500010, 4200000, 10, 10))
    with pytest.raises(ValueError, match="share one grid"):
        read_image([a, c])


def test_wrong_band_count_and_modality_errors_name_the_file(tmp_path):
    p5 = write_tif(tmp_path / "five.tif", np.ones((5, 8, 8), np.uint8))
    with pytest.raises(ValueError, match=r"five\.tif.*5 band.*optical.*expected 3 bands"):
        read_image(p5, modality="optical")
    with pytest.raises(ValueError, match=r"five\.tif.*ir.*expected 1 band"):
        read_image(p5, modality="ir")
    with pytest.raises(ValueError, match=r"five\.tif.*unknown modality 'radar'"):
        read_image(p5, modality="radar")
    with pytest.raises(ValueError, match=r"five\.tif.*2 band names"):
        read_image(p5, bands=["a", "b"])
    pc = write_tif(tmp_path / "slc.tif", (np.ones((1, 8, 8)) + 1j).astype(np.complex64))
    with pytest.raises(ValueError, match=r"slc\.tif.*complex.*only be read as sar"):
        read_image(pc, modality="optical")


def test_complex_sar_becomes_amplitude_db(tmp_path):
    rng = np.random.default_rng(1)
    z = (rng.rayleigh(100, (1, 50, 50)) * np.exp(1j * rng.uniform(0, 6.28, (1, 50, 50)))).astype(np.complex64)
    img = read_image(write_tif(tmp_path / "slc.tif", z))
    assert img.modality == "sar" and img.inferred_modality and "complex" in img.notes[0]
    db = 20 * np.log10(np.abs(z[0]))
    lo, hi = np.percentile(db, [2, 98])
    np.testing.assert_allclose(img.data[0], np.clip((db - lo) / (hi - lo), 0, 1), atol=1e-4)
    fixed = read_image(tmp_path / "slc.tif", scaling=ReadConfig(sar_db_range=[30.0, 50.0]))
    np.testing.assert_allclose(fixed.data[0], np.clip((db - 30) / 20, 0, 1), atol=1e-4)


def test_uint16_sar_zero_dn_is_invalid(tmp_path):
    arr = np.full((1, 16, 16), 300, np.uint16)
    arr[0, 0, :] = 0
    img = read_image(write_tif(tmp_path / "grd.tif", arr), modality="sar")
    assert not img.valid[0].any() and img.valid[1:].all()


def test_declared_alpha_band_is_dropped_and_masks(tmp_path):
    arr = np.full((4, 8, 8), 90, np.uint8)
    arr[3] = 255
    arr[3, :2] = 0
    img = read_image(write_tif(tmp_path / "rgba.tif", arr, photometric="rgb", alpha="YES"))
    assert img.modality == "optical" and img.data.shape == (3, 8, 8) and "alpha band read as nodata (transparent pixels masked), not as a band" in img.notes
    assert not img.valid[:2].any() and img.valid[2:].all()


@pytest.mark.parametrize("count,dtype,expected", [
    (1, np.float32, "sar"), (2, np.uint16, "sar"), (3, np.uint8, "optical"), (4, np.uint8, "msi"),
    (6, np.uint16, "msi"), (1, np.uint16, "ir"),
])
def test_modality_inference_is_reported(tmp_path, count, dtype, expected):
    img = read_image(write_tif(tmp_path / "x.tif", np.ones((count, 8, 8), dtype), photometric="minisblack"))
    assert img.modality == expected and img.inferred_modality
    assert any(f"inferred as {expected}" in n for n in img.notes)


def test_png_paths_grey_rgba_and_16bit(tmp_path):
    from PIL import Image

    rgba = np.zeros((10, 12, 4), np.uint8)
    rgba[..., 0], rgba[..., 3] = 200, 255
    rgba[:3, :, 3] = 0
    Image.fromarray(rgba, "RGBA").save(tmp_path / "a.png")
    img = read_image(tmp_path / "a.png")
    assert img.modality == "optical" and img.data.shape == (3, 10, 12)
    assert not img.valid[:3].any() and np.isclose(img.data[0, 5, 5], 200 / 255)
    Image.fromarray(rgba[..., [0, 3]], "LA").save(tmp_path / "la.png")  # grey + alpha: one band, not a SAR pair
    la = read_image(tmp_path / "la.png")
    assert la.modality == "ir" and la.data.shape == (1, 10, 12) and not la.valid[:3].any()
    assert any(n.startswith("modality inferred as ir from 1 band uint8 with alpha") for n in la.notes)
    Image.fromarray(np.full((6, 7), 128, np.uint8)).save(tmp_path / "g.png")
    g = read_image(tmp_path / "g.png", modality="optical")
    assert g.data.shape == (3, 6, 7) and "replicated" in " ".join(g.notes)
    Image.fromarray(np.arange(64 * 64, dtype=np.uint16).reshape(64, 64)).save(tmp_path / "t16.png")
    t = read_image(tmp_path / "t16.png")
    assert t.modality == "ir" and t.data.min() == 0 and t.data.max() == 1
    assert image_size(tmp_path / "a.png") == (12, 10)


def test_sar_polarisation_from_the_file_name_and_grey_rgb_is_not_a_red_band(tmp_path):
    from PIL import Image

    amp = np.random.default_rng(0).uniform(1, 100, (1, 16, 16)).astype(np.float32)
    img = read_image(write_tif(tmp_path / "s1a-iw-grd-vv-20200101.tiff", amp), modality="sar")
    assert img.bands == ["VV"] and "band named VV from the file name" in img.notes
    img = read_image(write_tif(tmp_path / "hh_vv_stack.tif", amp), modality="sar")  # two named: not guessed
    assert img.bands == ["b1"]
    grey = np.repeat(np.arange(64, dtype=np.uint8).reshape(8, 8)[..., None], 3, axis=2)
    Image.fromarray(grey, "RGB").save(tmp_path / "thermal.png")
    t = read_image(tmp_path / "thermal.png", modality="ir")
    assert t.data.shape == (1, 8, 8) and t.bands == ["b1"]  # not "R": a thermal band has no colour


def test_truncated_files_and_missing_file_give_clear_errors(tmp_path):
    from PIL import Image

    rng = np.random.default_rng(2)
    Image.fromarray(rng.integers(0, 255, (200, 200, 3), dtype=np.uint8)).save(tmp_path / "full.png")
    data = (tmp_path / "full.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageReadError, match=r"cut\.png.*truncated"):
        read_image(tmp_path / "cut.png")
    write_tif(tmp_path / "full.tif", rng.integers(0, 255, (3, 256, 256), dtype=np.uint8), compress="deflate")
    tif = (tmp_path / "full.tif").read_bytes()
    (tmp_path / "cut.tif").write_bytes(tif[: len(tif) // 2])
    with pytest.raises(ImageReadError, match=r"cut\.tif"):
        read_image(tmp_path / "cut.tif")
    (tmp_path / "junk.tif").write_bytes(b"not an image at all")
    with pytest.raises(ImageReadError, match=r"junk\.tif"):
        read_image(tmp_path / "junk.tif")
    with pytest.raises(FileNotFoundError, match=r"nope\.tif"):
        read_image(tmp_path / "nope.tif")
    bands = tmp_path / "bands"
    bands.mkdir()
    for b in ("B03", "B02"):
        write_tif(bands / f"{b}.tif", np.ones((1, 4, 4), np.uint16))
    (bands / "notes.txt").write_text("")
    with pytest.raises(FileNotFoundError, match=r"bands is a folder.*comma-separated: \S*B02\.tif,\S*B03\.tif$"):
        read_image(bands)  # a folder of band files: the error spells out the list it may have meant


def test_windows_match_the_full_read_and_carry_their_transform(tmp_path):
    rng = np.random.default_rng(3)
    arr = rng.integers(0, 5000, (3, 300, 400)).astype(np.uint16)
    p = write_tif(tmp_path / "w.tif", arr, tiled=True, blockxsize=128, blockysize=128)
    full = read_image(p, modality="optical")
    with SceneReader(p, modality="optical") as scene:
        win = scene.read((100, 50, 128, 64))
        scaling = scene.scaling
    np.testing.assert_array_equal(win.data, full.data[:, 50:114, 100:228])
    assert win.window == (100, 50, 128, 64) and win.scene_size == (400, 300)
    assert win.transform[2] == 500000 + 100 * 10 and win.transform[5] == 4200000 - 50 * 10
    again = read_window(p, (100, 50, 128, 64), modality="optical", scaling=scaling)
    np.testing.assert_array_equal(again.data, win.data)
    with pytest.raises(ValueError, match=r"w\.tif.*outside the 400x300"):
        read_window(p, (350, 0, 100, 10))
    assert image_size(p) == (400, 300)


# ------------------------------------------------------------------ real fixtures


@pytest.mark.realdata
def test_real_sentinel2_band_files_load_as_one_msi_image(realdata):
    paths = [realdata / "msi_s2" / f"{b}.jp2" for b in ("B02", "B03", "B04", "B08")]
    img = read_image(paths)
    assert img.modality == "msi" and img.bands == ["B02", "B03", "B04", "B08"]
    assert img.data.shape == (4, 122, 122) and img.crs == "EPSG:32619"
    with rasterio.open(paths[3]) as ds:
        np.testing.assert_allclose(img.data[3], ds.read(1) / 10000.0, rtol=1e-6)


@pytest.mark.realdata
def test_real_sentinel1_grd_loads_as_sar_with_gcps(realdata):
    img = read_image(realdata / "sar_s1grd" / "iw-vv.tiff")
    assert img.modality == "sar" and img.inferred_modality and "GCPs" in img.notes[0]
    assert img.bands == ["VV"]  # from "iw-vv" in the file name
    assert img.data.shape == (1, 837, 1280) and img.transform is None and len(img.gcps) == 210
    assert img.crs == "EPSG:4326" and 0 <= img.data.min() and img.data.max() <= 1
    assert img.valid is not None and 0.9 < img.valid.mean() < 1  # zero-DN border is invalid


@pytest.mark.realdata
def test_real_spacenet6_complex_sar_loads_as_db(realdata):
    path = realdata / "sar_spacenet6" / "sar_hh.tif"
    img = read_image(path)
    assert img.modality == "sar" and img.data.shape == (1, 200, 200)
    with rasterio.open(path) as ds:
        db = 20 * np.log10(np.abs(ds.read(1)))
    lo, hi = np.percentile(db, [2, 98])
    np.testing.assert_allclose(img.data[0], np.clip((db - lo) / (hi - lo), 0, 1), atol=1e-4)


@pytest.mark.realdata
def test_real_landsat8_b10_loads_as_ir(realdata):
    path = realdata / "ir_landsat8" / "LC08_L1TP_016037_20170813_20170814_01_RT_B10.TIF"
    img = read_image(path)  # the file declares no nodata; its 32 % of DN-0 fill is masked by itself
    assert img.modality == "ir" and img.inferred_modality and img.data.shape == (1, 259, 255)
    assert img.bands == ["TIR"]  # band 10 of Landsat 8, from the product ID
    from rsvlm.io.products import landsat_mtl

    mtl = landsat_mtl(path)  # the product's metadata beside it, which Level-1 reflective bands are scaled by
    assert float(mtl["SUN_ELEVATION"]) == pytest.approx(62.17, abs=0.01)
    assert float(mtl["REFLECTANCE_MULT_BAND_4"]) == 2e-5 and float(mtl["REFLECTANCE_ADD_BAND_4"]) == -0.1
    with rasterio.open(path) as ds:
        raw = ds.read(1)
    np.testing.assert_array_equal(img.valid, raw != 0)
    gain, offset = float(mtl["RADIANCE_MULT_BAND_10"]), float(mtl["RADIANCE_ADD_BAND_10"])
    k1, k2 = float(mtl["K1_CONSTANT_BAND_10"]), float(mtl["K2_CONSTANT_BAND_10"])
    bt = k2 / np.log(k1 / (raw[raw != 0] * gain + offset) + 1)  # brightness temperature at the sensor, K
    assert 270 < np.median(bt) < 310  # a North Carolina summer morning (August, path 16 row 37)
    lo, hi = np.percentile(bt, [2, 98])  # the stretch from the scene's temperatures, not from its fill
    np.testing.assert_allclose(img.data[0][raw != 0], np.clip((bt - lo) / (hi - lo), 0, 1), atol=1e-4)


@pytest.mark.realdata
def test_real_landsat7_nodata_collar_is_masked(realdata):
    path = realdata / "msi_landsat7" / "RGB.byte.tif"
    img = read_image(path, modality="msi")
    with rasterio.open(path) as ds:
        collar = (ds.read() == 0).all(axis=0)
    assert collar.mean() > 0.2
    np.testing.assert_array_equal(img.valid, ~collar)
    assert (img.data[:, collar] == 0).all() and img.bands == ["R", "G", "B"]


@pytest.mark.realdata
def test_real_rgbn_is_four_band_msi(realdata):
    img = read_image(realdata / "msi_rgbn" / "rgbn_suba.tif")
    assert img.modality == "msi" and img.data.shape == (4, 212, 276) and img.bands == ["R", "G", "B", "NIR"]
    assert any(n.startswith("the 4th band, with no colour beside R, G, B, read as NIR") for n in img.notes)
    with pytest.raises(ValueError, match=r"rgbn_suba\.tif.*4 band.*optical"):
        read_image(realdata / "msi_rgbn" / "rgbn_suba.tif", modality="optical")


def test_band_names_from_a_tifffile_json_description(tmp_path):
    """rsvlm's generator (and tifffile users) name bands in the TIFF's JSON description, which GDAL
    shows as no band description: the names are read from it, with a note, when they fit."""
    import tifffile

    rng = np.random.default_rng(0)
    arr = rng.uniform(0.01, 1.0, (2, 32, 32)).astype(np.float32)
    named = tmp_path / "pair.tif"
    tifffile.imwrite(named, arr, photometric="minisblack", planarconfig="separate", metadata={"bands": ["VH", "VV"]})
    img = read_image(named)
    assert img.modality == "sar" and img.bands == ["VH", "VV"]
    assert any("bands named VH, VV from the TIFF's JSON metadata" in n for n in img.notes)
    wrong = tmp_path / "wrong.tif"  # three names for two bands: not trusted
    tifffile.imwrite(wrong, arr, photometric="minisblack", planarconfig="separate", metadata={"bands": ["a", "b", "c"]})
    assert read_image(wrong, modality="sar").bands == ["b1", "b2"]
    assert read_image(named, modality="sar", bands=["HH", "HV"]).bands == ["HH", "HV"]  # given names win
