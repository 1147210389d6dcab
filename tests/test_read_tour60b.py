"""The memory check before what decodes or samples a whole scene (tour 60, follow-up): PIL and
tifffile decoded a file whole at open, and a whole read sampled the scene for its stretch, before
``budget.check_fits`` refused the read; and the note of a bare float band names its other readings."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from rsvlm.io import SceneReader, SceneTooLarge, budget, read_image, sources
from rsvlm.io import scaling as sc

rasterio = pytest.importorskip("rasterio")
from PIL import Image  # noqa: E402
from read_helpers import utm_tif  # noqa: E402


def _png(path, h=48, w=64):
    Image.fromarray(np.random.default_rng(3).integers(0, 255, (h, w, 3)).astype(np.uint8)).save(path)
    return path


def _tif(path, data, **kw):
    return utm_tif(path, data, origin=(300000, 5000000), **kw)


def test_a_png_pil_could_not_decode_in_the_memory_free_is_read_in_windows_by_gdal(tmp_path, monkeypatch):
    """PIL decoded a PNG whole at open, before the read's check: a PNG too large for memory was
    decoded until the kernel killed the process. GDAL, which reads it in windows, takes it now."""
    p = _png(tmp_path / "a.png")
    window = read_image(p, window=(8, 8, 8, 8)).data  # PIL's, with memory to spare
    monkeypatch.setattr(budget, "available_bytes", lambda: 10_000)  # < 64 x 48 x 3 x 2: no whole decode
    with SceneReader(p) as scene:
        assert isinstance(scene.src, sources.RasterioSource)  # was PIL's ArraySource, decoded whole
        np.testing.assert_array_equal(scene.read((8, 8, 8, 8)).data, window)
    with pytest.raises(SceneTooLarge, match=r"a\.png: not enough memory to read the whole scene"):
        read_image(p)


def test_without_rasterio_a_png_too_large_to_decode_is_refused_before_pil_decodes_it(tmp_path, monkeypatch):
    p = _png(tmp_path / "a.png")
    find = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "rasterio" else find(name, *a))
    monkeypatch.setattr(budget, "available_bytes", lambda: 10_000)
    monkeypatch.setattr(Image.Image, "load", lambda im: pytest.fail("PIL decoded it"))
    with pytest.raises(SceneTooLarge, match=r"a\.png: not enough memory to read the scene at once: 64x48 pixels.*"
                                            r"no smaller read helps.*rsvlm\[geo\].*PIL decodes a PNG whole: the read needs"):
        read_image(p)


def test_a_tiff_tifffile_would_decode_whole_is_refused_first(tmp_path, monkeypatch):
    tifffile = pytest.importorskip("tifffile")
    p = tmp_path / "t.tif"
    tifffile.imwrite(p, np.zeros((48, 64), np.uint16))

    def no_rasterio(*a):
        raise ImportError("rasterio")

    monkeypatch.setattr(sources, "RasterioSource", no_rasterio)  # as where rasterio is not installed
    assert read_image(p, "ir").data.shape == (1, 48, 64)
    monkeypatch.setattr(budget, "available_bytes", lambda: 48 * 64 * 2 - 1)
    monkeypatch.setattr(tifffile.TiffPageSeries, "asarray", lambda *a, **kw: pytest.fail("tifffile decoded it"))
    with pytest.raises(SceneTooLarge, match=r"t\.tif: not enough memory.*no smaller read helps.*tifffile decodes this "
                                            r"TIFF whole"):
        read_image(p, "ir")


def test_a_whole_read_too_large_is_refused_before_the_stretch_samples_the_scene(tmp_path, monkeypatch):
    """A sparse 100000 x 80000 RGB GeoTIFF took 32 s to refuse, nearly all of it the stretch's sample
    read at open; a window of it (or a shrunk read) still needs the stretch."""
    p = _tif(tmp_path / "big.tif", np.random.default_rng(4).integers(0, 4000, (3, 64, 96)).astype(np.uint16))
    sampled, stretched = [], []
    read_decimated, compute_stretch = sources.RasterioSource.read_decimated, sc.compute_stretch
    monkeypatch.setattr(sources.RasterioSource, "read_decimated",
                        lambda self, side, *a: sampled.append(side) or read_decimated(self, side, *a))
    monkeypatch.setattr(sc, "compute_stretch", lambda *a: stretched.append(1) or compute_stretch(*a))
    monkeypatch.setattr(budget, "available_bytes", lambda: 64 * 48 * 3 * 14)  # a 64 x 48 window fits
    with pytest.raises(SceneTooLarge, match=r"big\.tif: not enough memory to read the whole scene at once: 96x64 "
                                            r"pixels, 3 bands of uint16.*--tile 512"):
        read_image(p)
    assert sc.ReadConfig().stats_max_side not in sampled and not stretched, (sampled, stretched)
    monkeypatch.setattr(budget, "available_bytes", lambda: 96 * 64 * 14 - 1)  # not even one band
    sampled.clear()
    with pytest.raises(SceneTooLarge, match=r"big\.tif: not enough memory to read the whole scene \(even one band of "
                                            r"it\) at once: 96x64 pixels, 1 band of"):
        read_image(p)
    assert not sampled  # nor the modality's sample of its bands (4 s of that sparse RGB)
    monkeypatch.setattr(budget, "available_bytes", lambda: 64 * 48 * 3 * 14)
    assert read_image(p, window=(0, 0, 64, 48)).data.shape == (3, 48, 64)
    assert stretched == [1]  # a window's read computes it as before


def test_a_bare_float_band_says_how_to_read_it_as_thermal_in_celsius(tmp_path):
    """Float °C lies where dB does: 'modality inferred as sar from 1 band float32' named no way out."""
    celsius = (5 + 20 * np.random.default_rng(5).random((1, 32, 32))).astype(np.float32)
    p = _tif(tmp_path / "t.tif", celsius)
    img = read_image(p)
    assert img.modality == "sar"
    note = next(n for n in img.notes if n.startswith("modality inferred as sar from 1 band float32"))
    assert "thermal in °C: --modality ir" in note and "DEM" in note, note
    assert read_image(p, "ir").modality == "ir"


@pytest.mark.parametrize("how", ["file://{}", "file://localhost{}", "{}"])
def test_a_file_url_of_an_existing_image_names_the_path_whatever_reads_it(tmp_path, how):
    """file:///…/a.png of an existing PNG said 'cannot decode image, truncated or corrupt', the same
    of a TIFF was read by GDAL; a %20 stayed in the path to give, and a host was taken for a folder."""
    from pathlib import Path

    png, tif = _png(tmp_path / "a b.png"), _tif(tmp_path / "a b.tif", np.zeros((3, 8, 8), np.uint8))
    for p in (png, tif):
        name = how.format(str(p).replace(" ", "%20"))
        if how == "{}":
            name = Path("file:" + name)  # a Path folds file:/// to file:/
        with pytest.raises(FileNotFoundError, match=rf"a%20b\.(png|tif): a file URL; give the path itself: {p}$"):
            read_image(name)
    with pytest.raises(FileNotFoundError, match=r"^file://nas/share/a\.tif: a file URL on another host"):
        read_image("file://nas/share/a.tif")


def test_the_memory_free_is_a_containers_cgroup_limit_where_that_leaves_less(tmp_path):
    """In a container MemAvailable is the host's: a read past the container's memory limit passed the
    check and the kernel killed the process at its cgroup's limit, unsaid."""
    meminfo = tmp_path / "meminfo"
    meminfo.write_text("MemTotal:  9999 kB\nMemAvailable:   1000 kB\n")
    v2 = tmp_path / "v2"
    v2.mkdir()
    (v2 / "memory.max").write_text("1000000\n")
    (v2 / "memory.current").write_text("700000\n")
    (v2 / "memory.stat").write_text("anon 600000\ninactive_file 100000\nactive_file 1\n")
    assert budget.available_bytes(str(meminfo), str(v2)) == 400_000  # the cache it may drop counted free
    assert budget.available_bytes(str(tmp_path / "none"), str(v2)) == 400_000
    (v2 / "memory.max").write_text("max\n")  # no limit
    assert budget.available_bytes(str(meminfo), str(v2)) == 1_024_000
    v1 = tmp_path / "v1"
    (v1 / "memory").mkdir(parents=True)
    (v1 / "memory/memory.limit_in_bytes").write_text("9223372036854771712\n")  # v1's none
    (v1 / "memory/memory.usage_in_bytes").write_text("1900000\n")
    (v1 / "memory/memory.stat").write_text("cache 5\ntotal_inactive_file 50000\n")
    assert budget.available_bytes(str(meminfo), str(v1)) == 1_024_000
    (v1 / "memory/memory.limit_in_bytes").write_text("2000000\n")
    assert budget.available_bytes(str(meminfo), str(v1)) == 150_000
    assert budget.available_bytes(str(tmp_path / "none"), str(tmp_path / "none")) is None


def test_a_format_that_needs_rasterio_names_the_file_where_it_is_not_installed(tmp_path, monkeypatch):
    """'reading this format needs rasterio' named no file, in a run over thousands of records."""
    def no_rasterio(*a):
        raise ImportError("rasterio")

    monkeypatch.setattr(sources, "RasterioSource", no_rasterio)
    (tmp_path / "B02.jp2").write_bytes(b"\0\0\0\x0cjP  \r\n\x87\n")
    with pytest.raises(ImportError, match=r"B02\.jp2: reading a \.jp2 needs rasterio \(pip install 'rsvlm\[geo\]'\)"):
        read_image(tmp_path / "B02.jp2")
