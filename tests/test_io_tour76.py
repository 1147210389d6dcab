"""Reading tour 76: a whole read's memory check counts only what it adds to raw values held already; a Landsat file
read as sar is told of amplitude 0, not of a Landsat fill; a fill strip too thin for the scene's sample is said
with the share it masks; the real GeoTIFFs, cut short or stored as float with a NaN nodata, load or are refused
naming the file."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from conftest import REALDATA, needs_realdata

rasterio = pytest.importorskip("rasterio")

from rsvlm.io import budget  # noqa: E402
from rsvlm.io.large import SceneTooLarge  # noqa: E402
from rsvlm.io.read import ImageReadError, SceneReader, read_image  # noqa: E402
from rsvlm.io.scaling import ReadConfig  # noqa: E402
from rsvlm.io.shared_read import SharedRead  # noqa: E402
from tests.test_io_tour74b_shared_read import scene_bands, write_geotiff  # noqa: E402

B10 = "LC08_L1TP_016037_20170813_20170814_02_T1_B10.TIF"
LANDSAT_FILL = "Landsat fill: DN 0 read as nodata (the file declares no nodata value)"


def memory_left_of(monkeypatch, limit: int) -> None:
    """The free memory a process under ``limit`` bytes sees: less the shared read it holds, as MemAvailable is."""
    held, plain = [], SharedRead._read
    monkeypatch.setattr(SharedRead, "_read", lambda self: held.append(self) or plain(self))
    monkeypatch.setattr(budget, "available_bytes",
                        lambda *a, **k: limit - sum(s.raw.nbytes for s in held if s.raw is not None))


@pytest.mark.parametrize("dtype", ["float32", "uint16"])
def test_a_whole_read_of_raw_values_held_counts_only_their_scaling(tmp_path, monkeypatch, dtype):
    """The whole read's raw values, held from the samples, were counted again beside MemAvailable, which counts
    them spent: a float32 scene within 25 % of the limit was refused though its scaling fitted."""
    n = 300 * 400
    path = write_geotiff(tmp_path / "t.tif", scene_bands(c=1, h=300, w=400, dtype=dtype))
    raw = np.dtype(dtype).itemsize
    memory_left_of(monkeypatch, n * (raw + budget.SCALED_BYTES) + n * raw // 2)  # fits, held or not
    img = read_image(path, "ir")
    assert img.data.shape == (1, 300, 400) and np.isfinite(img.data).all()
    memory_left_of(monkeypatch, n * (raw + budget.SCALED_BYTES) - 1)  # the raw values and their scaling do not
    with pytest.raises(SceneTooLarge, match=re.escape(f"{path}: not enough memory to read the whole scene")):
        read_image(path, "ir")


def test_a_window_of_a_held_scene_still_counts_its_raw_values(tmp_path, monkeypatch):
    """Only a whole read is given the held array; a window is read from the file, its raw values new memory."""
    path = write_geotiff(tmp_path / "t.tif", scene_bands(c=1, h=300, w=400, dtype="float32"))
    with SceneReader(path, "ir", whole=True) as scene:
        assert scene._shared.raw is not None  # held from the samples
        monkeypatch.setattr(budget, "available_bytes", lambda *a, **k: 100 * 100 * (4 + budget.SCALED_BYTES) - 1)
        with pytest.raises(SceneTooLarge, match=r"window \(0, 0, 100, 100\)"):
            scene.read((0, 0, 100, 100))


def _collared_b10(tmp_path) -> Path:
    data = scene_bands(c=1, h=60, w=80)
    data[:, :, :10] = 0  # the fill outside the scene's footprint
    return write_geotiff(tmp_path / B10, data)


def test_a_landsat_thermal_band_read_as_sar_says_amplitude_0_not_a_landsat_fill(tmp_path):
    path = _collared_b10(tmp_path)
    sar = read_image(path, "sar")
    assert not any(n.startswith("Landsat fill") for n in sar.notes), sar.notes
    assert any(n.startswith("12.5% of the pixels have amplitude 0 (a fill along its left edge, 10 px wide)")
               for n in sar.notes), sar.notes
    assert not sar.valid[:, :10].any() and sar.valid[:, 10:].all()  # nodata all the same
    for asked in ("ir", "optical"):  # read as what the product is: its fill
        img = read_image(path, asked)
        assert LANDSAT_FILL in img.notes, (asked, img.notes)
        np.testing.assert_array_equal(img.valid, sar.valid)


def _thin_strip(tmp_path) -> Path:
    data = scene_bands(c=1, h=150, w=200)
    data[:, :, 101] = 0  # one column of fill: the 128 px sample takes every 2nd, from the first
    return write_geotiff(tmp_path / B10, data)


STATS = ReadConfig(stats_max_side=128)


def test_a_fill_strip_the_sample_passes_over_is_said_with_its_share(tmp_path):
    """The column was masked (DN 0, the Landsat fill) without a word: the sample held none of it."""
    img = read_image(_thin_strip(tmp_path), scaling=STATS)
    assert not img.valid[:, 101].any() and img.valid.sum() == 150 * 199
    said = [n for n in img.notes if n.startswith("Landsat fill")]
    assert said == [f"{LANDSAT_FILL}: 0.50% of the pixels, too thin for the scene's 128 px sample to hold"], img.notes


def test_a_thin_strip_is_said_of_the_windows_that_hold_it_in_one_wording(tmp_path):
    with SceneReader(_thin_strip(tmp_path), scaling=STATS, whole=True) as scene:
        assert not any(n.startswith("Landsat fill") for n in scene.notes)  # the sample passed over it
        a, b = scene.read((90, 0, 20, 20)), scene.read((95, 40, 20, 20))
        assert LANDSAT_FILL in a.notes and LANDSAT_FILL in b.notes  # one note for a tiled run, not one a window
        assert not any(n.startswith("Landsat fill") for n in scene.read((0, 0, 50, 50)).notes)
        shrunk = scene.read_shrunk(1000)  # (no larger: the whole read)
        assert any(n.startswith(f"{LANDSAT_FILL}: 0.50% of the pixels") for n in shrunk.notes), shrunk.notes


def test_a_fill_the_sample_holds_is_said_once_by_the_scene(tmp_path):
    img = read_image(_collared_b10(tmp_path))
    assert [n for n in img.notes if n.startswith("Landsat fill")] == [LANDSAT_FILL]


# the real files (skipped where ../shared/realdata is absent)
needs_real = needs_realdata()
REAL_B10 = REALDATA / "ir_landsat8" / "LC08_L1TP_016037_20170813_20170814_01_RT_B10.TIF"
GEOTIFFS = ["bldg_spacenet4/sample_geotiff.tif", "ir_landsat8/LC08_L1TP_016037_20170813_20170814_01_RT_B10.TIF",
            "msi_landsat7/RGB.byte.tif", "msi_rgbn/rgbn_suba.tif", "sar_s1grd/iw-vv.tiff",
            "sar_spacenet6/sar_hh.tif", "seg_detectree/1091-322_00_img.tif"]


@needs_real
def test_the_real_landsat_b10_read_as_sar_is_told_of_its_zero_amplitude(tmp_path):
    sar = read_image(REAL_B10, "sar")
    assert not any(n.startswith("Landsat fill") for n in sar.notes), sar.notes
    assert any("have amplitude 0" in n for n in sar.notes), sar.notes
    ir = read_image(REAL_B10, "ir")
    assert LANDSAT_FILL in ir.notes
    np.testing.assert_array_equal(sar.valid, ir.valid)  # the same 32 % collar masked


@needs_real
@pytest.mark.parametrize("name", GEOTIFFS)
def test_a_real_geotiff_cut_short_is_refused_naming_it(tmp_path, name):
    whole = (REALDATA / name).read_bytes()
    for share in (0.3, 0.95):
        cut = tmp_path / str(share) / Path(name).name
        cut.parent.mkdir()
        cut.write_bytes(whole[: int(len(whole) * share)])
        with pytest.raises(ImageReadError, match=re.escape(f"{cut}: ")):
            read_image(cut)


@needs_real
@pytest.mark.parametrize("name", GEOTIFFS)
def test_a_real_geotiff_stored_as_float_with_a_nan_nodata_reads(tmp_path, name):
    with rasterio.open(REALDATA / name) as src:
        data = np.abs(src.read()).astype("float32")  # (sar_hh's complex by its amplitude)
    data[:, :, :7] = np.nan
    path = tmp_path / Path(name).name
    c, h, w = data.shape
    with rasterio.open(path, "w", driver="GTiff", width=w, height=h, count=c, dtype="float32",
                       nodata=float("nan")) as ds:
        ds.write(data)
    img = read_image(path)
    assert np.isfinite(img.data).all() and not img.valid[:, :7].any() and img.valid[:, 7:].mean() > 0.5


def test_sentinel2_band_files_read_as_optical_mask_their_fill(tmp_path):
    """B04, B03, B02 band files read as a true-colour optical image had their DN 0 collar read as black and
    stretched in (each band's 2nd percentile was the fill: [0, …]), unsaid; as msi it was nodata."""
    data = scene_bands(c=3, h=60, w=80)
    data[:, :, :20] = 0  # outside the swath
    paths = [write_geotiff(tmp_path / f"{b}.tif", data[i:i + 1]) for i, b in enumerate(("B04", "B03", "B02"))]
    msi = read_image(paths, "msi")
    for img in (read_image(paths, "optical"), read_image(paths[0], "optical"), read_image(paths[0], "ir")):
        assert any(n.startswith("Sentinel-2 fill: DN 0 read as nodata") for n in img.notes), img.notes
        np.testing.assert_array_equal(img.valid, msi.valid)
        assert min(lo for lo, _ in img.stretch) > 0  # the fill out of the stretch
    sar = read_image(paths[0], "sar")  # amplitude 0: said so, nodata alike
    assert not any(n.startswith("Sentinel-2 fill") for n in sar.notes), sar.notes
    np.testing.assert_array_equal(sar.valid, msi.valid)


@needs_real
def test_the_real_sentinel2_band_files_as_optical_stretch_without_their_collar():
    paths = [REALDATA / "msi_s2" / f"{b}.jp2" for b in ("B04", "B03", "B02")]
    img = read_image(paths, "optical")
    assert 0.3 < 1 - img.valid.mean() < 0.45  # the 38 % collar, nodata
    assert min(lo for lo, _ in img.stretch) > 100, img.stretch  # had been [0, 7952] …


def test_a_grey_file_given_the_wrong_band_count_as_optical_is_told_its_band_is_replicated(tmp_path):
    path = write_geotiff(tmp_path / "pan.tif", scene_bands(c=1, h=40, w=50))
    with pytest.raises(ValueError, match=re.escape(f"{path}: 1 band name ['red'] given; the image has 3 bands as "
                                                   "optical (its one band, grey, read as each of R, G, B): give 3")):
        read_image(path, "optical", bands="red")
