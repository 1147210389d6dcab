"""A large scene read shrunk is decoded once (``SceneReader(..., shrunk=N)``, ``rsvlm.io.shared_read``): a GeoTIFF
without overviews had been decoded whole by ``modality.plan``'s sample, the stretch's sample and ``read_shrunk``."""

from __future__ import annotations

import re

import numpy as np
import pytest
from conftest import REALDATA, needs_realdata

rasterio = pytest.importorskip("rasterio")

from rsvlm.io.read import SceneReader  # noqa: E402
from rsvlm.io.scaling import ReadConfig  # noqa: E402
from rsvlm.io.shared_read import SharedRead  # noqa: E402

STATS = ReadConfig(stats_max_side=128)  # as 1024 beside predict's 2048: half the shrunk side


def write_geotiff(path, data, tiled=True, nodata=None, alpha=False, overviews=False):
    """``data`` (C, H, W) as a deflate GeoTIFF (tiled 64 or striped), without overviews unless asked."""
    c, h, w = data.shape
    prof = dict(driver="GTiff", width=w, height=h, count=c, dtype=str(data.dtype), compress="deflate",
                crs="EPSG:32631", transform=rasterio.transform.from_origin(500000, 6000000, 10, 10), nodata=nodata)
    if tiled:
        prof.update(tiled=True, blockxsize=64, blockysize=64)
    if alpha:
        prof["photometric"] = "RGB"
        prof["alpha"] = "YES"
    with rasterio.open(path, "w", **prof) as ds:
        ds.write(data)
        if alpha:
            from rasterio.enums import ColorInterp
            ds.colorinterp = [ColorInterp.red, ColorInterp.green, ColorInterp.blue, ColorInterp.alpha]
        if overviews:
            from rasterio.enums import Resampling
            ds.build_overviews([2, 4], Resampling.average)
    return path


def scene_bands(c=3, h=700, w=900, dtype="uint16", seed=0):
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w]
    bands = [800 + 500 * np.sin(xx / 70 + b) * np.cos(yy / 90) + rng.normal(0, 100, (h, w)) for b in range(c)]
    return np.clip(np.stack(bands), 1, 60000).astype(dtype)


@pytest.fixture
def counted(monkeypatch):
    """Source band-pixels every rasterio read covers (window area x bands), summed; reset by the caller."""
    plain, got = rasterio.io.DatasetReader.read, [0]

    def read(self, indexes=None, *a, window=None, **k):
        n = 1 if isinstance(indexes, int) else len(indexes) if indexes is not None else self.count
        got[0] += n * (self.width * self.height if window is None else window.width * window.height)
        return plain(self, indexes, *a, window=window, **k)

    monkeypatch.setattr(rasterio.io.DatasetReader, "read", read)
    return got


def _both(path, side=256, **kw):
    """(old image, new image, new image under the old stretch, old reader's scaling)."""
    cfg = kw.pop("scaling", STATS)
    with SceneReader(path, scaling=cfg, **kw) as old:
        before = old.read_shrunk(side)
        scaling = old.scaling
    with SceneReader(path, scaling=cfg, shrunk=side, **kw) as new:
        after = new.read_shrunk(side)
    with SceneReader(path, scaling=scaling, shrunk=side, **kw) as new:
        alike = new.read_shrunk(side)
    return before, after, alike


def _same_pixels(a, b):
    assert np.array_equal(a.data, b.data)
    assert (a.valid is None and b.valid is None) or np.array_equal(a.valid, b.valid)


def test_a_large_scene_read_shrunk_is_decoded_once_not_three_times(tmp_path, counted):
    path = write_geotiff(tmp_path / "big.tif", scene_bands())
    whole = 700 * 900 * 3
    with SceneReader(path, scaling=STATS) as old:
        old.read_shrunk(256)
    assert counted[0] == pytest.approx(3 * whole)  # plan's 256 px check, the stretch's 128 px sample, the shrunk read
    counted[0] = 0
    with SceneReader(path, scaling=STATS, shrunk=256) as new:
        new.read_shrunk(256)
    assert counted[0] == pytest.approx(whole)


@pytest.mark.parametrize("case", ["tiled", "striped", "declared nodata", "alpha", "given fill", "grey as sar"])
def test_read_shrunk_gives_the_same_pixels_and_mask_read_once(tmp_path, counted, case):
    data, kw, write = scene_bands(), {}, {}
    if case == "striped":
        write["tiled"] = False
    if case == "declared nodata":
        data[:, :, :60] = 0  # a collar
        write["nodata"] = 0
    if case == "alpha":
        data = (data // 240).astype("uint8")
        data = np.concatenate([data, np.full(data[:1].shape, 255, "uint8")])
        data[3, :80] = 0  # transparent rows
        write["alpha"] = True
    if case == "given fill":  # one band's -9999 masks the pixel (fills.masks_any_band), as _read masks it
        data = data.astype("float32")
        data[1, 100:200] = -9999
        kw["scaling"] = ReadConfig(stats_max_side=128, nodata=-9999)
    if case == "grey as sar":  # three identical bands read as one sar band (plan's check, from the shared read)
        data = np.repeat(data[:1], 3, axis=0)
        kw["modality"] = "sar"
    path = write_geotiff(tmp_path / "scene.tif", data, **write)
    before, after, alike = _both(path, **kw)
    _same_pixels(before, alike)  # under one stretch, the very pixels and mask
    assert before.data.shape == after.data.shape and before.bands == after.bands
    assert [n for n in before.notes if not n.startswith("stretch")] == [
        n for n in after.notes if not n.startswith("stretch")]
    if case == "grey as sar":
        assert after.bands == ["b1"] or len(after.bands) == 1
    counted[0] = 0
    kw.setdefault("scaling", STATS)
    with SceneReader(path, shrunk=256, **kw) as scene:
        scene.read_shrunk(256)
    assert counted[0] == pytest.approx(3 * 700 * 900)  # one read of every band but the alpha (grey as sar: 5 before)


def test_the_stretch_from_a_stride_of_the_shrunk_read_stays_within_one_percent(tmp_path):
    """A 51000-pixel sample here (0.77% measured); 0.07% of a band's range on an 8000² uint16 scene (2048 read,
    1024 sample: a million pixels; bench/shrunk_read.py)."""
    path = write_geotiff(tmp_path / "big.tif", scene_bands(h=1400, w=1800))
    before, after, _ = _both(path, side=512, scaling=ReadConfig(stats_max_side=256))
    old, new = np.array(before.stretch), np.array(after.stretch)
    assert not np.array_equal(old, new)  # GDAL's 256 px decimation picks other pixels than a stride of its 512
    assert np.abs(old - new).max() <= 0.01 * (old[:, 1] - old[:, 0]).min()
    assert np.abs(before.data - after.data).mean() < 0.005  # 0.0028 measured


@needs_realdata("sar_s1grd", "iw-vv.tiff")
def test_the_stretch_of_a_real_sentinel1_scene_moves_little(tmp_path):
    """Sentinel-1 GRD VV (1280x837), copied without its overviews and read shrunk to 640 (stats 320)."""
    import rasterio.shutil

    path = tmp_path / "vv.tif"
    rasterio.shutil.copy(REALDATA / "sar_s1grd" / "iw-vv.tiff", path, driver="GTiff")
    before, after, alike = _both(path, side=640, scaling=ReadConfig(stats_max_side=320))
    _same_pixels(before, alike)
    old, new = np.array(before.stretch), np.array(after.stretch)
    assert np.abs(old - new).max() <= 0.02 * (old[:, 1] - old[:, 0]).min()  # dB ends, 2% of the range
    said = [re.sub(r"[\d.]+%", "N%", n) for n in before.notes[:3]]  # its zero-amplitude fill's share, of the sample
    assert said == [re.sub(r"[\d.]+%", "N%", n) for n in after.notes[:3]] and before.notes[2] != after.notes[2]


def test_a_file_with_overviews_is_read_as_before(tmp_path, counted):
    path = write_geotiff(tmp_path / "ov.tif", scene_bands(), overviews=True)
    with SceneReader(path, scaling=STATS) as old:
        before = old.read_shrunk(256)
    reads, counted[0] = counted[0], 0
    with SceneReader(path, scaling=STATS, shrunk=256) as new:
        assert SharedRead.of(new.src, 256) is None
        after = new.read_shrunk(256)
    assert counted[0] == pytest.approx(reads)
    _same_pixels(before, after)
    assert before.stretch == after.stretch


def test_a_scene_no_larger_than_shrunk_and_another_size_read_from_the_file(tmp_path):
    path = write_geotiff(tmp_path / "s.tif", scene_bands(h=200, w=250))
    with SceneReader(path, scaling=STATS, shrunk=256) as scene:
        assert SharedRead.of(scene.src, 256) is None  # read_shrunk reads it whole, at full resolution
        assert scene.read_shrunk(256).data.shape == (3, 200, 250)
    path = write_geotiff(tmp_path / "b.tif", scene_bands())
    with SceneReader(path, scaling=STATS) as old:
        want = old.read_shrunk(300)
        scaling = old.scaling
    with SceneReader(path, scaling=scaling, shrunk=256) as scene:
        _same_pixels(want, scene.read_shrunk(300))  # not the kept 256 read


def test_the_shared_read_is_given_once_then_released(tmp_path):
    path = write_geotiff(tmp_path / "big.tif", scene_bands())
    with SceneReader(path, scaling=STATS) as scene:
        shared = SharedRead.of(scene.src, 256)
        first = shared.sample(128, [0, 1, 2], None)
        assert shared.decodes == 1 and first[0].shape == (3, 100, 128)  # 256 x 199 strided by 2
        assert shared.sample(64, [2], None)[0].shape == (1, 50, 64)
        raw, _ = shared.shrunk(256, [0, 1, 2], None)
        assert shared.decodes == 1 and shared.raw is None  # given, not kept
        np.testing.assert_array_equal(raw, scene.src.read_decimated(256, [0, 1, 2], None)[0])
        again = shared.sample(128, [0, 1, 2], None)  # from the file now
        assert shared.decodes == 1
        np.testing.assert_array_equal(again[0], scene.src.read_decimated(128, [0, 1, 2], None)[0])
