"""Reading tour 75: the Sentinel-2 fill note said only where the read holds DN 0, a 1025-2048 px scene decoded once
bands left out not held by the shared read, out-of-memory advice that fits a
shrunk read, and a ``.prj`` beside a world file inside a zip."""

from __future__ import annotations

import zipfile

import numpy as np
import pytest
from conftest import REALDATA, needs_realdata

rasterio = pytest.importorskip("rasterio")

from rsvlm.io import read as rd  # noqa: E402
from rsvlm.io.large import SceneTooLarge  # noqa: E402
from rsvlm.io.read import SceneReader, read_image  # noqa: E402
from rsvlm.io.scaling import ReadConfig  # noqa: E402
from tests.test_io_tour74b_shared_read import counted, scene_bands, write_geotiff  # noqa: E402, F401 (the fixture)

S2_NOTE = "Sentinel-2 fill: DN 0 read as nodata"


def _s2_stack(tmp_path, zeros: bool):
    data = scene_bands(c=4, h=120, w=150)
    if zeros:
        data[:, :, :20] = 0  # a collar outside the swath
    path = write_geotiff(tmp_path / f"s2_{zeros}.tif", data)
    return path, "B02,B03,B04,B08"


def test_sentinel2_fill_note_only_where_the_file_holds_dn_0(tmp_path):
    path, bands = _s2_stack(tmp_path, zeros=False)
    img = read_image(path, "msi", bands)
    assert not any(n.startswith(S2_NOTE) for n in img.notes), img.notes  # said of every such file before
    assert img.valid is None
    path, bands = _s2_stack(tmp_path, zeros=True)
    img = read_image(path, "msi", bands)
    assert any(n.startswith(S2_NOTE) for n in img.notes), img.notes
    assert not img.valid[:, :20].any() and img.valid[:, 20:].all()  # still masked


def test_sentinel2_fill_note_under_a_given_stretch_is_said_of_the_windows_that_hold_it(tmp_path, counted):  # noqa: F811
    path, bands = _s2_stack(tmp_path, zeros=True)
    counted[0] = 0
    with SceneReader(path, "msi", bands, scaling=ReadConfig(stretch=[[0.0, 0.3]] * 4)) as scene:
        assert counted[0] == 0  # no sample read to tell it (a stretch given)
        assert any(n.startswith(S2_NOTE) for n in scene.read((0, 0, 40, 40)).notes)
        assert not any(n.startswith(S2_NOTE) for n in scene.read((50, 0, 40, 40)).notes)


def test_a_scene_between_the_sample_and_the_shrunk_size_is_decoded_once(tmp_path, counted):  # noqa: F811
    """1025-2048 px (here 129-256 against a 128 px sample): plan's check, the stretch's sample and the whole read had
    each decoded it; the same pixels under one stretch."""
    stats = ReadConfig(stats_max_side=128)
    path = write_geotiff(tmp_path / "mid.tif", scene_bands(h=150, w=200))
    with SceneReader(path, scaling=stats) as old:
        want, scaling = old.read_shrunk(256), old.scaling
    counted[0] = 0
    with SceneReader(path, scaling=stats, shrunk=256) as new:
        got = new.read_shrunk(256)
        assert new._shared.raw is None  # given, not kept
    assert counted[0] == pytest.approx(3 * 150 * 200)  # one decode of 3 bands (3 before)
    assert got.data.shape == (3, 150, 200) and not any(n.startswith("read shrunk") for n in got.notes)
    with SceneReader(path, scaling=scaling, shrunk=256) as new:
        np.testing.assert_array_equal(new.read_shrunk(256).data, want.data)


def test_the_incidence_angle_band_is_not_held_nor_decoded(tmp_path, counted):  # noqa: F811
    rng = np.random.default_rng(1)
    amp = rng.gamma(2, 0.05, (2, 300, 400)).astype("float32")
    angle = np.broadcast_to(np.linspace(30, 45, 400, dtype="float32"), (1, 300, 400))
    path = write_geotiff(tmp_path / "s1.tif", np.concatenate([amp, angle]))
    with rasterio.open(path, "r+") as ds:
        for i, d in enumerate(["VV", "VH", "angle"]):
            ds.set_band_description(i + 1, d)
    stats = ReadConfig(stats_max_side=64)
    with SceneReader(path, scaling=stats) as old:
        want, scaling = old.read_shrunk(128), old.scaling
    counted[0] = 0
    with SceneReader(path, scaling=scaling, shrunk=128) as new:
        assert new._shared.bands == [0, 1]  # the angle band was held too
        got = new.read_shrunk(128)
    assert counted[0] == pytest.approx(2 * 300 * 400)  # VV and VH, once
    assert got.bands == ["VV", "VH"]
    np.testing.assert_array_equal(got.data, want.data)


def test_a_grey_image_stored_as_rgb_holds_one_band_after_the_plan(tmp_path):
    grey = scene_bands(c=1, h=300, w=400)
    path = write_geotiff(tmp_path / "g.tif", np.concatenate([grey] * 3))
    with SceneReader(path, "sar", scaling=ReadConfig(stats_max_side=64), shrunk=128) as scene:
        assert scene.indexes == [0] and scene._shared.bands == [0] and len(scene._shared.raw) == 1
        assert scene.read_shrunk(128).data.shape == (1, 96, 128)


def _no_memory(*a, **k):
    raise MemoryError("2 GiB free")


def test_out_of_memory_in_a_shrunk_read_advises_a_smaller_side_not_a_shrunk_read(tmp_path, monkeypatch):
    path = write_geotiff(tmp_path / "big.tif", scene_bands(h=300, w=400))
    with SceneReader(path, shrunk=128) as scene:
        monkeypatch.setattr(scene._shared, "shrunk", _no_memory)
        with pytest.raises(SceneTooLarge) as e:
            scene.read_shrunk(128)
    said = str(e.value)
    assert said.startswith(f"{path}: not enough memory to read the scene shrunk at once: 128x96 pixels, 3 bands")
    assert "or shrunk (SceneReader.read_shrunk)" not in said and "fewer than 128 px a side" in said
    path = write_geotiff(tmp_path / "small.tif", scene_bands(h=100, w=120))
    with SceneReader(path) as scene:
        monkeypatch.setattr(rd, "check_fits", _no_memory)
        with pytest.raises(SceneTooLarge, match="120x100 pixels.*fewer than 120 px a side"):
            scene.read_shrunk(2048)  # read whole (no larger), as asked of read_shrunk


def test_a_prj_beside_a_world_file_inside_a_zip_gives_the_crs(tmp_path):
    from PIL import Image

    from rsvlm.io.georef import prj_beside

    Image.fromarray(np.full((40, 50, 3), 90, np.uint8)).save(tmp_path / "x.png")
    prj = rasterio.crs.CRS.from_epsg(32631).to_wkt(version="WKT1_ESRI")
    with zipfile.ZipFile(tmp_path / "a.zip", "w") as z:
        z.write(tmp_path / "x.png", "d/x.png")
        z.writestr("d/x.pgw", "0.5\n0\n0\n-0.5\n500000\n6000000\n")
        z.writestr("d/x.prj", "\ufeff" + prj)
    name = f"/vsizip/{tmp_path}/a.zip/d/x.png"
    assert prj_beside([name, name[:-3] + "pgw"])[0] == "EPSG:32631"
    img = read_image(name)
    assert str(img.crs) == "EPSG:32631" and img.transform[0] == 0.5
    assert any("from x.prj beside the world file" in n for n in img.notes), img.notes
    assert not any("without a CRS" in n for n in img.notes)


real = needs_realdata()


@real
def test_predicts_read_of_the_real_spacenet4_pan_tile_decodes_it_once(counted):  # noqa: F811
    """900x900 uint16, no overviews, no larger than predict's 2048: decoded by plan's check, the stretch's sample and
    the whole read before (its grey band replicated to R, G, B: 7 band reads)."""
    from rsvlm import inference as inf

    spec = inf.ImageSpec([str(REALDATA / "bldg_spacenet4" / "sample_geotiff.tif")])
    counted[0] = 0
    img = inf.read_spec(spec, max_side=inf.READ_MAX_SIDE)
    assert counted[0] == pytest.approx(900 * 900)
    assert img.data.shape == (3, 900, 900) and "grey band replicated to RGB" in img.notes
    with SceneReader(spec.files, scaling=ReadConfig(stretch=img.stretch)) as old:  # not shared: as before
        np.testing.assert_array_equal(old.read().data, img.data)


@real
def test_the_real_sentinel2_band_files_hold_a_collar_so_say_the_fill(tmp_path):
    files = [str(REALDATA / "msi_s2" / f"{b}.jp2") for b in ("B02", "B03", "B04", "B08")]
    img = read_image(files)
    assert any(n.startswith(S2_NOTE) for n in img.notes)
    assert 0.36 < 1 - img.valid.mean() < 0.39  # its 37.5 % collar


@pytest.mark.parametrize("name, modality, said", [
    ("T31UDQ_20230601_B08.tif", "sar", "Sentinel-2 band B08, which reads as msi: read as sar"),
    ("T31UDQ_20230601_B08.tif", "ir", "Sentinel-2 band B08, which reads as msi: read as ir"),
    ("LC08_L1TP_016037_20170813_20170814_01_T1_B10.TIF", "sar", "Landsat band B10 (TIR), which reads as ir: read as sar"),
    ("LC08_L1TP_016037_20170813_20170814_01_T1_B4.TIF", "ir", "Landsat band B4 (R), which reads as msi or optical"),
    ("T31UDQ_20230601_B08.tif", "msi", None),
    ("LC08_L1TP_016037_20170813_20170814_01_T1_B10.TIF", "ir", None),
    ("LC08_L1TP_016037_20170813_20170814_01_T1_B4.TIF", "optical", None),
    ("scene.tif", "sar", None),
])
def test_a_band_file_named_for_another_modality_says_so_when_read_as_asked(tmp_path, name, modality, said):
    """A Sentinel-2 B08 or a Landsat thermal band given --modality sar had been read as sar, unsaid."""
    path = write_geotiff(tmp_path / name, scene_bands(c=1, h=40, w=50))
    img = read_image(path, modality)
    got = [n for n in img.notes if n.startswith("its file name says")]
    assert len(got) == (said is not None) and all(n.startswith(f"its file name says {said}") for n in got), img.notes
    assert all(n.endswith(", as asked") for n in got) and img.modality == modality
