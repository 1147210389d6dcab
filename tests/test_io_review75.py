"""Review of reading tour 75: a Landsat fill note said only where the fill is held (as Sentinel-2's), a whole
``read_image`` of a scene no larger than 2048 px decoded once, and a shared read held only where it fits."""

from __future__ import annotations

import numpy as np
import pytest

rasterio = pytest.importorskip("rasterio")

from rsvlm.io import budget  # noqa: E402
from rsvlm.io.large import SceneTooLarge  # noqa: E402
from rsvlm.io.read import SceneReader, read_image  # noqa: E402
from rsvlm.io.shared_read import WHOLE_HELD, SharedRead  # noqa: E402
from tests.test_io_tour74b_shared_read import counted, scene_bands, write_geotiff  # noqa: E402, F401 (the fixture)

B10 = "LC08_L1TP_016037_20170813_20170814_02_T1_B10.TIF"
ESPA = "LC08_L1TP_016037_20170813_20170814_01_T1_sr_band{}.tif"


@pytest.mark.parametrize("collar", [False, True])
def test_the_landsat_fill_note_is_said_only_where_dn_0_is_held(tmp_path, collar):
    """'Landsat fill: DN 0 read as nodata' was said of every file so named, zeros or not."""
    data = scene_bands(c=1, h=60, w=80)
    data[:, :, :10] = 0 if collar else data[:, :, :10]
    img = read_image(write_geotiff(tmp_path / B10, data))
    said = [n for n in img.notes if n.startswith("Landsat fill: DN 0 read as nodata")]
    assert len(said) == collar, img.notes
    assert (img.valid is None) != collar  # DN 0 is nodata either way


def test_the_espa_fill_note_looks_for_minus_9999_not_dn_0(tmp_path):
    """ESPA's int16 fill is -9999: whether the note is said is asked of that value, not of DN 0."""
    data = scene_bands(c=3, h=40, w=50, dtype="int16")
    data[:, :, :5] = 0  # DN 0 is data here
    paths = [write_geotiff(tmp_path / ESPA.format(b), data[i:i + 1]) for i, b in enumerate((2, 3, 4))]
    assert not any("ESPA fill" in n for n in read_image(paths).notes)
    data[:, :, :5] = -9999
    paths = [write_geotiff(tmp_path / ESPA.format(b), data[i:i + 1]) for i, b in enumerate((2, 3, 4))]
    img = read_image(paths)
    assert any(n.startswith("Landsat ESPA fill: DN -9999 read as nodata") for n in img.notes), img.notes
    assert not img.valid[:, :5].any() and img.valid[:, 5:].all()


def test_a_landsat_fill_under_a_given_stretch_is_said_of_the_reads_that_hold_it(tmp_path):
    data = scene_bands(c=1, h=60, w=80)
    data[:, :, :10] = 0
    path = write_geotiff(tmp_path / B10, data)
    with SceneReader(path) as scene:
        scaling = scene.scaling
    with SceneReader(path, scaling=scaling) as scene:
        assert not any(n.startswith("Landsat fill") for n in scene.notes)
        assert any(n.startswith("Landsat fill") for n in scene.read((0, 0, 20, 20)).notes)
        assert not any(n.startswith("Landsat fill") for n in scene.read((20, 0, 20, 20)).notes)


def test_read_image_of_a_whole_scene_no_larger_than_2048_decodes_it_once(tmp_path, counted):  # noqa: F811
    """The modality plan's sample, the stretch's and the whole read had each decoded it (3 reads)."""
    path = write_geotiff(tmp_path / "s.tif", scene_bands(h=300, w=400))
    with SceneReader(path) as plain:  # not whole: not held, read as before
        assert plain._shared is None
        want = plain.read()
    counted[0] = 0
    got = read_image(path)
    assert counted[0] == 3 * 300 * 400  # one decode of its 3 bands
    np.testing.assert_array_equal(got.data, want.data)
    assert got.valid is None and got.stretch == want.stretch


def test_a_whole_read_of_a_scene_larger_than_2048_is_not_held(tmp_path, monkeypatch):
    """Held, a 2048 px shared read would sit beside the full read; larger scenes read as before."""
    monkeypatch.setattr("rsvlm.io.read.WHOLE_HELD", 256)
    path = write_geotiff(tmp_path / "s.tif", scene_bands(h=200, w=300))
    with SceneReader(path, whole=True) as scene:
        assert scene._shared is None
    assert WHOLE_HELD == 2048


def test_a_shared_read_that_would_not_fit_is_not_held_and_the_read_is_refused_naming_the_file(tmp_path, monkeypatch):
    """A scene no larger than predict's 2048 px had been decoded whole by the first sample, before any memory
    check: a large stack could be killed by the kernel where it had been refused naming the file."""
    from rsvlm import inference as inf

    path = write_geotiff(tmp_path / "big.tif", scene_bands(h=300, w=400))
    monkeypatch.setattr(budget, "available_bytes", lambda *a, **k: 3 * 300 * 400 * 14 - 1)  # 2 + 12 B a band-px
    held = []
    plain_read = SharedRead._read
    monkeypatch.setattr(SharedRead, "_read", lambda self: held.append(self.side) or plain_read(self))
    with pytest.raises(SceneTooLarge, match=rf"{path}: not enough memory to read the whole scene at once: 400x300"):
        inf.read_spec(inf.ImageSpec([str(path)]), max_side=inf.READ_MAX_SIDE)
    assert held == []  # the samples read from the file, decimated, as before
