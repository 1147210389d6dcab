"""Reading tour 77: the shared read's hold counts the most the guess and calibration may make a value's scaling
(a float scene guessed ir in kelvin was held, then refused); the reader's helpers scene_scaling reads through are
public."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from conftest import REALDATA

rasterio = pytest.importorskip("rasterio")

from rsvlm.io import budget  # noqa: E402
from rsvlm.io.large import SceneTooLarge  # noqa: E402
from rsvlm.io.read import SceneReader, read_image  # noqa: E402
from rsvlm.io.shared_read import SharedRead  # noqa: E402
from tests.test_io_tour74b_shared_read import scene_bands, write_geotiff  # noqa: E402

H, W = 300, 400


def memory_left_of(monkeypatch, limit: int) -> list:
    """Free memory under ``limit`` bytes, less each shared read held; returns the shared reads decoded."""
    held, plain = [], SharedRead._read
    monkeypatch.setattr(SharedRead, "_read", lambda self: held.append(self) or plain(self))
    monkeypatch.setattr(budget, "available_bytes", lambda *a, **k: limit - sum(
        s.raw.nbytes for s in {id(s): s for s in held}.values() if s.raw is not None))
    return held


def _kelvin_scene(tmp_path) -> Path:
    rng = np.random.default_rng(0)
    return write_geotiff(tmp_path / "k.tif", (290 + 10 * rng.standard_normal((1, H, W))).astype("float32"))


def test_a_float_scene_guessed_ir_in_kelvin_is_refused_before_it_is_held(tmp_path, monkeypatch):
    """Was: held at 18 bytes a pixel (4 raw + sar's 14, the most before the guess), then refused at 19 once guessed
    ir in kelvin (15): decoded whole for nothing. Now the hold counts 19, so it is refused up front, never held."""
    path = _kelvin_scene(tmp_path)
    assert budget.most_scaling_bytes("float32") == budget.scaling_bytes("float32", "ir", [1.0, 0.0]) == 15
    n = H * W
    for per in (18, 19 - 1e-6):
        decoded = memory_left_of(monkeypatch, int(n * per))
        with pytest.raises(SceneTooLarge, match=re.escape(f"{path}: not enough memory to read the whole scene")):
            read_image(path)
        assert decoded == [], per
    decoded = memory_left_of(monkeypatch, n * 19)
    img = read_image(path)
    assert img.modality == "ir" and decoded and any("K)" in n for n in img.notes)


def test_a_float_sar_scene_in_that_band_is_read_not_held(tmp_path, monkeypatch):
    """The cost of the count above: a float32 scene guessed sar (18 bytes a pixel) with less than 19 free is not
    held, and is read from the file as without a shared read."""
    path = write_geotiff(tmp_path / "f.tif", scene_bands(c=1, h=H, w=W, dtype="float32"))
    decoded = memory_left_of(monkeypatch, H * W * 18)
    img = read_image(path)
    assert img.modality == "sar" and decoded == [] and np.isfinite(img.data).all()


@pytest.mark.parametrize(("dtype", "modality", "kelvin", "planck", "most"), [
    ("float32", None, None, False, 15), ("uint16", None, None, False, 15), ("uint16", None, None, True, 25),
    ("uint16", "msi", None, True, 12), ("uint16", "ir", [1.0, 0.0], True, 15), ("complex64", None, None, False, 14),
    ("uint8", "sar", None, False, 14)])
def test_most_scaling_bytes_is_the_most_of_what_may_be_resolved(dtype, modality, kelvin, planck, most):
    assert budget.most_scaling_bytes(dtype, modality, kelvin, planck) == most


def test_scene_scalings_helpers_are_public_and_unchanged(tmp_path):
    """scene_scaling read SceneReader's private _sample, _unblended, _band_labels, _fill_note."""
    path = write_geotiff(tmp_path / "s.tif", scene_bands(c=3, h=64, w=64))
    with SceneReader(path) as scene:
        raw, valid = scene.sample(None)
        assert raw.shape == (3, 64, 64) and valid is None
        assert scene.unblended(None)[0].shape == raw.shape
        assert scene.band_labels() == scene.bands and scene.fill_note is None
        assert not any(hasattr(scene, n) for n in ("_sample", "_unblended", "_band_labels", "_fill_note"))


def test_the_sentinel2_fill_note_of_a_b02_file_says_how_to_keep_real_zeros(tmp_path):
    """A B02.tif that is no product, read as optical, had its zeros masked with no word of how to keep them."""
    from rsvlm.io.scaling import ReadConfig

    data = scene_bands(c=1, h=64, w=64)
    data[:, :10] = 0
    path = write_geotiff(tmp_path / "B02.tif", data)
    img = read_image(path, "optical")
    assert img.valid is not None and not img.valid[:10].any()
    said = [n for n in img.notes if n.startswith("Sentinel-2 fill: DN 0 read as nodata")]
    assert said and "gdal_edit.py -a_nodata 65535, or give ReadConfig.nodata" in said[0], img.notes
    kept = read_image(path, "optical", scaling=ReadConfig(nodata=65535))  # as the note says
    assert kept.valid is None and not any("fill" in n for n in kept.notes)
    with rasterio.open(path, "r+") as ds:
        ds.nodata = 65535
    assert read_image(path, "optical").valid is None


REAL_COLLAR = REALDATA / "msi_landsat7" / "RGB.byte.tif"


@pytest.mark.skipif(not REAL_COLLAR.exists(), reason=f"real Landsat-7 collar scene absent ({REAL_COLLAR})")
def test_the_real_collar_scenes_untiled_advice_names_a_tile_that_skips_windows():
    """Was: "read it tiled (rsvlm predict --tile SIZE skips windows wholly nodata)", though at 512 or 256 px none
    of the 791x718 scene's windows is wholly nodata; now the tile size that skips some, and how many."""
    from rsvlm.io.windows import iter_windows

    with SceneReader(REAL_COLLAR) as scene:
        whole, shrunk = scene.read(), scene.read_shrunk(400)
        mask = whole.valid
    told = "read it tiled (rsvlm predict --tile 128 skips 2 of its 64 windows, wholly nodata)"
    for img in (whole, shrunk):
        assert any(n.startswith("33% of the image is nodata") and n.endswith(told) for n in img.notes), img.notes
    wholly = {t: sum(not mask[y:y + h, x:x + w].any() for x, y, w, h in iter_windows(791, 718, t, min(64, t // 4)))
              for t in (512, 256, 128)}
    assert wholly == {512: 0, 256: 0, 128: 2}


def test_tiling_skips_counts_windows_wholly_nodata_at_predicts_overlap():
    """1500x1000 at --tile 512 (overlap 64): columns start 0, 329, 658, 988 and rows 0, 244, 488; nodata left of
    x = 600 holds the first column's 3 windows wholly."""
    from rsvlm.io.fills import nodata_share_note, tiling_skips

    valid = np.ones((1000, 1500), bool)
    valid[:, :600] = False
    assert tiling_skips(valid, (1500, 1000)) == (512, 3, 12)
    assert tiling_skips(valid[::4, ::4], (1500, 1000)) == (512, 3, 12)  # a shrunk read's mask, windows scaled to it
    assert nodata_share_note(valid).endswith("or read it tiled (rsvlm predict --tile 512 skips 3 of its 12 windows, "
                                             "wholly nodata)")
    collar = np.zeros((1000, 1500), bool)
    collar[100:-100, 100:-100] = True  # a 100 px border, 31 % of the frame: no 128 px window lies wholly in it
    assert tiling_skips(collar, (1500, 1000)) is None
    assert nodata_share_note(collar).endswith("or a tiled run would not help (it skips only windows wholly nodata, "
                                              "and no window here at 128 px or more is)")
    assert nodata_share_note(collar, tiled=True).endswith("give a --tile smaller than the scene (its windows wholly "
                                                          "nodata are skipped)")


def test_pil_and_gdal_sources_mask_a_given_nodata_by_one_rule(tmp_path):
    """pil_source.read kept its own copy of fills.nodata_valid's rule (NaN apart); both now call nodata_valid."""
    from rsvlm.io.fills import nodata_valid
    from rsvlm.io.gdal_source import RasterioSource
    from rsvlm.io.pil_source import ArraySource

    data = np.full((3, 8, 8), 5, np.int16)
    data[:, 0] = -9999  # every band: masked
    data[1, 1] = -9999  # one band: a fill no real band holds masks it too (masks_any_band)
    data[2, 2] = 0  # DN 0 in one band: kept
    path = write_geotiff(tmp_path / "s.tif", data, tiled=False)
    gdal, pil = RasterioSource([str(path)]), ArraySource(path, (data, None))
    try:
        for nd in (-9999, 0):
            got = [s.read((0, 0, 8, 8), [0, 1, 2], nd)[1] for s in (gdal, pil)]
            assert np.array_equal(got[0], got[1]), nd
            assert np.array_equal(got[1], nodata_valid(pil, data, None, nd))
        assert got[0][2].all() and not (pil.read((0, 0, 8, 8), [0, 1, 2], -9999)[1][:2]).any()
    finally:
        gdal.close()
    flt = np.ones((1, 4, 4), np.float32)
    flt[0, 0, 0] = np.nan
    assert nodata_valid(pil, flt, None, float("nan")).sum() == 15  # NaN had held nowhere here


def test_a_truncated_file_is_told_to_get_a_whole_copy(tmp_path):
    """"read failed, file truncated or corrupt (…)" named the file but not what to do."""
    from rsvlm.io.checks import DAMAGED, ImageReadError

    full = write_geotiff(tmp_path / "s.tif", scene_bands(c=3, h=200, w=200), tiled=False)
    data = full.read_bytes()
    from PIL import Image

    Image.fromarray(np.full((64, 64, 3), 9, np.uint8)).save(tmp_path / "p.png")
    png = (tmp_path / "p.png").read_bytes()
    for name, cut in (("cut.tif", data[: len(data) * 6 // 10]), ("head.tif", data[:2000]), ("cut.png", png[:-40])):
        (tmp_path / name).write_bytes(cut)
        with pytest.raises(ImageReadError, match=re.escape(str(tmp_path / name))) as e:
            read_image(tmp_path / name)
        assert "truncated or corrupt" in str(e.value) and str(e.value).endswith(DAMAGED) and str(e.value).count(
            DAMAGED) == 1, str(e.value)


def test_a_tiff_pil_cannot_open_named_png_is_read_by_gdal(tmp_path):
    """A complex64 SAR GeoTIFF named .png was "not a readable image (cannot identify image file …)"."""
    data = (np.arange(64 * 64).reshape(1, 64, 64) % 50 + 1j).astype(np.complex64)
    path = write_geotiff(tmp_path / "sar.tif", data)
    named = tmp_path / "sar.png"
    named.write_bytes(path.read_bytes())
    img = read_image(named)
    assert img.modality == "sar" and any(n.startswith("a TIFF named .png") for n in img.notes), img.notes


def test_a_band_count_the_modality_refuses_says_which_modalities_read_it(tmp_path):
    """"4 bands cannot be read as optical; expected 3 bands (RGB), …" said nothing of what to do."""
    path = write_geotiff(tmp_path / "rgbn.tif", scene_bands(c=4, h=32, w=32))
    with pytest.raises(ValueError, match=re.escape(
            f"{path}: 4 bands cannot be read as optical; expected 3 bands (RGB), 4 with alpha, or 1 grey band; it can "
            "be read as msi, sar: give the one it is (--modality), or none to have it guessed")):
        read_image(path, "optical")
    one = write_geotiff(tmp_path / "t.tif", scene_bands(c=1, h=32, w=32))
    with pytest.raises(ValueError, match=r"cannot be read as msi; .*; it can be read as optical, sar, ir: give the one"):
        read_image(one, "msi")
    assert read_image(path).modality == "msi"
    sar = write_geotiff(tmp_path / "c.tif", (scene_bands(c=1, h=32, w=32) + 1j).astype(np.complex64))
    with pytest.raises(ValueError, match=re.escape(f"{sar}: complex complex64 data can only be read as sar, not ir: "
                                                   "give --modality sar, or none to have it guessed")):
        read_image(sar, "ir")
