"""Review of stop 74's shared read (``rsvlm.io.shared_read``): predict's and chat's reader passes ``shrunk`` (a revert
of ``inference.read_spec`` went unseen), band files are shared and a subset of them is not, a declared nodata is
left out of the strided sample as of the old one, and a second ``read_shrunk`` reads the file again alike."""

from __future__ import annotations

import numpy as np
import pytest

rasterio = pytest.importorskip("rasterio")

from rsvlm import inference as inf  # noqa: E402
from rsvlm.io.read import SceneReader  # noqa: E402
from rsvlm.io.scaling import ReadConfig  # noqa: E402
from rsvlm.io.shared_read import SharedRead  # noqa: E402
from rsvlm.io.sources import read_as_stored  # noqa: E402
from tests.test_io_tour74b_shared_read import counted, scene_bands, write_geotiff  # noqa: E402, F401 (the fixture)

STATS = ReadConfig(stats_max_side=128)
WHOLE = 700 * 900


def test_read_spec_as_predict_and_chat_read_decodes_a_large_scene_once(tmp_path, counted):  # noqa: F811
    """inference.read_spec at READ_MAX_SIDE, with the default 1024 px stretch sample: one decode (3 before)."""
    path = write_geotiff(tmp_path / "big.tif", scene_bands(h=1200, w=2200))
    spec = inf.ImageSpec([str(path)])
    img = inf.read_spec(spec, max_side=inf.READ_MAX_SIDE)
    assert (img.width, img.scene_size) == (2048, (2200, 1200))
    assert counted[0] == pytest.approx(3 * 2200 * 1200)
    counted[0] = 0
    assert inf.read_spec(spec, window=(0, 0, 64, 48)).data.shape == (3, 48, 64)  # a window: no shared read
    assert counted[0] == pytest.approx(3 * 64 * 48 + 2 * 3 * 2200 * 1200)  # its stretch's sample and plan's


def test_band_files_are_read_once_and_a_subset_of_them_from_the_files(tmp_path, counted):  # noqa: F811
    data = scene_bands()
    data[0, :, :80] = 0  # one file's declared collar: its mask is that file's
    paths = [str(write_geotiff(tmp_path / f"b{i}.tif", data[i:i + 1], nodata=0 if i == 0 else None)) for i in range(3)]
    with SceneReader(paths, scaling=STATS) as old:
        want, scaling = old.read_shrunk(256), old.scaling
    counted[0] = 0
    with SceneReader(paths, scaling=scaling, shrunk=256) as new:
        assert new._shared is not None
        got = new.read_shrunk(256)
    assert counted[0] == pytest.approx(3 * WHOLE)
    np.testing.assert_array_equal(want.data, got.data)
    np.testing.assert_array_equal(want.valid, got.valid)
    with SceneReader(paths, scaling=STATS) as scene:
        shared = SharedRead.of(scene.src, 256)
        raw, valid = shared.sample(128, [1, 2], None)  # without b0's mask: from the files
        assert shared.decodes == 0 and valid is None
        np.testing.assert_array_equal(raw, read_as_stored(scene.src, 128, [1, 2], None)[0])


@pytest.mark.parametrize("nodata", [0, None])
def test_the_strided_sample_leaves_out_a_declared_nodata_as_the_old_sample_did(tmp_path, nodata):
    data = scene_bands()
    data[:, :, :300] = 0  # a third of the scene fill
    path = write_geotiff(tmp_path / "c.tif", data, nodata=nodata)
    with SceneReader(path, scaling=STATS) as scene:
        shared = SharedRead.of(scene.src, 256)
        given = None if nodata == 0 else 0.0  # undeclared: the fill as the reader takes it
        old_raw, old_valid = read_as_stored(scene.src, 128, [0, 1, 2], given)
        raw, valid = shared.sample(128, [0, 1, 2], given)
    assert raw.shape == old_raw.shape and valid is not None
    assert abs(valid.mean() - old_valid.mean()) < 0.01  # 0.33 of the sample left out, as before
    assert (raw[:, valid] > 0).all() and not valid[:, :40].any()


def test_a_second_read_shrunk_reads_the_file_again_alike(tmp_path, counted):  # noqa: F811
    data = scene_bands()
    data[:, :, :60] = 0
    path = write_geotiff(tmp_path / "d.tif", data, nodata=0)
    with SceneReader(path, scaling=STATS, shrunk=256) as scene:
        first = scene.read_shrunk(256)
        assert scene._shared.raw is None  # released: not held while the caller goes on
        counted[0] = 0
        second = scene.read_shrunk(256)
        assert counted[0] == pytest.approx(3 * WHOLE)  # from the file
    np.testing.assert_array_equal(first.data, second.data)
    np.testing.assert_array_equal(first.valid, second.valid)
    assert first.notes == second.notes
