"""Stop 73's reader review: the chunked decimated read of a striped file, its pixels against GDAL's whole decimated
read over the layouts a scene comes in, and a row reader's windows each with their own stretch."""

from __future__ import annotations

import numpy as np
import pytest
from read_helpers import utm_tif


def _spied_decimated(path, side: int, cache_mb: int, nodata=None, modality: str = "msi"):
    """``read_decimated(side)`` of ``path`` with GDAL's cache at ``cache_mb``: (raw, valid, the out_shape of each
    ``_read`` call)."""
    from rsvlm.io import SceneReader

    with SceneReader(path, modality=modality, scaling={"gdal_cache_mb": cache_mb}) as scene:
        src, calls = scene.src, []
        read = src._read
        src._read = lambda *a, **k: calls.append(k["out_shape"]) or read(*a, **k)
        raw, valid = src.read_decimated(side, list(range(sum(d.count for d in src.datasets))), nodata)
    return raw, valid, calls


def test_a_striped_multi_band_geotiffs_decimated_read_takes_each_strip_whole(tmp_path):
    """A striped file's blocks span its width, so a column chunk decodes them all the same: chunked (its columns one
    a read where a strip outgrew half the cache), a 20000 px 4-band one took 82000 reads. Same pixels as GDAL's."""
    import rasterio

    data = np.random.default_rng(7).integers(1, 60000, (3, 200, 3000)).astype(np.uint16)  # (C, H, W)
    path = utm_tif(tmp_path / "striped.tif", data, compress="deflate")
    raw, valid, calls = _spied_decimated(path, 300, cache_mb=4)
    with rasterio.open(path) as ds:
        assert ds.block_shapes[0][1] == 3000  # striped
        want = ds.read(out_shape=(3, 20, 300))
    np.testing.assert_array_equal(raw, want)
    assert valid is None
    assert [c[1] for c in calls] == [300], calls  # one strip of the whole width


LAYOUTS = {  # creation options, dtype, bands, nodata, internal mask, overviews
    "odd size, blocks not dividing": (dict(tiled=True, blockxsize=208, blockysize=208, compress="deflate"),
                                      "uint16", 4, None, False, False),
    "uint8 nodata": (dict(tiled=True, blockxsize=128, blockysize=128, compress="lzw"), "uint8", 3, 0, False, False),
    "float32 nodata": (dict(tiled=True, blockxsize=128, blockysize=128, compress="deflate"), "float32", 2, -9999.0,
                       False, False),
    "internal mask": (dict(tiled=True, blockxsize=128, blockysize=128, compress="deflate"), "uint16", 4, None, True,
                      False),
    "internal overviews": (dict(tiled=True, blockxsize=128, blockysize=128, compress="deflate"), "uint16", 4, None,
                           False, True),
    "band-interleaved": (dict(tiled=True, blockxsize=128, blockysize=128, interleave="band"), "uint16", 3, None,
                         False, False),
}


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_the_chunked_decimated_read_gives_gdals_own_decimated_pixels_and_mask(tmp_path, layout):
    """Read in column chunks (a 1 MiB cache forces narrow ones), the pixels and mask are GDAL's nearest whole read."""
    import rasterio
    from rasterio.enums import Resampling

    creation, dtype, count, nodata, mask, overviews = LAYOUTS[layout]
    rng = np.random.default_rng(3)
    data = (rng.normal(100, 30, (count, 301, 1001)) if dtype == "float32" else
            rng.integers(1, 250, (count, 301, 1001))).astype(dtype)  # (C, H, W): odd sizes
    if nodata is not None:
        data[:, :40, :130] = nodata
    path = tmp_path / "scene.tif"
    with rasterio.Env(GDAL_TIFF_INTERNAL_MASK=True):
        utm_tif(path, data, nodata=nodata, **creation)
        with rasterio.open(path, "r+") as ds:
            if mask:
                m = np.full((301, 1001), 255, np.uint8)  # (H, W)
                m[150:, 300:500] = 0
                ds.write_mask(m)
            if overviews:
                ds.build_overviews([2, 4], Resampling.average)
    raw, valid, calls = _spied_decimated(str(path), 333, cache_mb=1, nodata=nodata)
    assert len(calls) > 1  # chunked
    with rasterio.open(path) as ds:
        want = ds.read(out_shape=(count,) + raw.shape[1:])
        want_valid = ds.dataset_mask(out_shape=raw.shape[1:]) > 0  # (h, w)
    np.testing.assert_array_equal(raw, want)
    if nodata is not None or mask:
        np.testing.assert_array_equal(valid, want_valid)
        assert not valid.all()
    else:
        assert valid is None


def test_a_row_readers_windows_each_hold_their_own_stretch(tmp_path):
    """Windows cut from one strip had shared its ``stretch`` list (``RSImage.stretch``: a copy per image)."""
    from rsvlm.io import SceneReader
    from rsvlm.io.rows import RowReader

    data = np.random.default_rng(4).integers(1000, 30000, (1, 30, 40)).astype(np.uint16)
    path = utm_tif(tmp_path / "tir.tif", data)
    with SceneReader(path, modality="ir") as scene:
        rows = RowReader(scene, strips=True)
        left, right = rows((0, 0, 20, 15)), rows((20, 0, 20, 15))
    assert left.stretch is not None and left.stretch == right.stretch
    left.stretch[0][0] = -1.0
    assert right.stretch[0][0] != -1.0


def test_a_one_band_geotiffs_decimated_read_goes_in_chunks_where_its_block_row_outgrows_the_cache(tmp_path):
    """Only multi-band files had been chunked: a one-band float32 file whose row of blocks outgrew the cache was
    decompressed again for each output row (6000 px wide, 2 MiB cache: 7.6 s, chunked 0.7 s). Same pixels."""
    import rasterio

    data = np.random.default_rng(8).normal(0, 1, (1, 300, 3000)).astype(np.float32)  # (C, H, W)
    path = utm_tif(tmp_path / "wide.tif", data, tiled=True, blockxsize=256, blockysize=256, compress="deflate")
    raw, valid, calls = _spied_decimated(path, 300, cache_mb=1, modality="sar")  # a row of blocks: 3 MiB
    with rasterio.open(path) as ds:
        want = ds.read(out_shape=(1, 30, 300))
    np.testing.assert_array_equal(raw, want)
    assert len(calls) > 1 and max(c[1] for c in calls) < 300, calls
    narrow = utm_tif(tmp_path / "narrow.tif", data[:, :, :400], tiled=True, blockxsize=256, blockysize=256)
    assert len(_spied_decimated(narrow, 40, cache_mb=1, modality="sar")[2]) == 1  # its block row fits: one read
