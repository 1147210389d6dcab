"""Rough-edge tour 58 of TIFF reading (``rsvlm/io/tiff.py``): damaged headers read by the tifffile
fallback, 1-bit TIFFs without rasterio, and multi-page TIFFs whose pages are bands."""

from __future__ import annotations

import logging
import random

import numpy as np
import pytest

tifffile = pytest.importorskip("tifffile")


@pytest.fixture
def no_rasterio(monkeypatch):
    """Reading as where rasterio is not installed: TIFFs go to tifffile."""
    from rsvlm.io import sources

    def refuse(*args, **kwargs):
        raise ImportError("rasterio")

    monkeypatch.setattr(sources, "RasterioSource", refuse)


def _rgb_tif(path):
    tifffile.imwrite(path, (np.arange(16 * 20 * 3) % 251).astype(np.uint16).reshape(16, 20, 3), photometric="rgb")
    return path


def _poke(path, at: int, value: int):
    data = bytearray(path.read_bytes())
    data[at] = value
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("rasterio", [True, False])
def test_a_tiff_whose_header_says_an_empty_image_is_an_image_read_error_naming_it(tmp_path, rasterio, monkeypatch,
                                                                                 caplog):
    """A fuzzed BitsPerSample (16, 18704, 16): tifffile read an image with an axis of length 0 and the
    reader met a bare IndexError taking its first page (a traceback from rsvlm predict / eval)."""
    from rsvlm.io import ImageReadError, sources

    if not rasterio:
        monkeypatch.setattr(sources, "RasterioSource", lambda *a, **k: (_ for _ in ()).throw(ImportError("x")))
    path = _rgb_tif(tmp_path / "cut.tif")
    with tifffile.TiffFile(path) as tf:
        bits = tf.pages[0].tags["BitsPerSample"].valueoffset  # three little-endian SHORTs: 16, 16, 16
    _poke(path, bits + 3, 73)  # the second's high byte
    caplog.set_level(logging.CRITICAL)  # tifffile logs what it finds wrong
    with pytest.raises(ImageReadError, match=r"cut\.tif: .*truncated or corrupt") as err:
        sources.open_source([path])
    if not rasterio:
        assert "no pixels" in str(err.value) and "(0," in str(err.value)


def test_fuzzed_tiff_headers_are_image_read_errors_naming_the_file(tmp_path, caplog):
    """Bytes flipped in the header and first IFD of small TIFFs: whatever the reader makes of them
    (rasterio, then tifffile), a file it cannot read is an ImageReadError naming it, never a bare
    IndexError / ZeroDivisionError, and one it reads has the shape it says."""
    from rsvlm.io import ImageReadError, read_image

    caplog.set_level(logging.CRITICAL)
    base = _rgb_tif(tmp_path / "base.tif").read_bytes()
    rng = random.Random(58)
    read = failed = 0
    for k in range(24):
        data = bytearray(base)
        for _ in range(rng.randint(1, 3)):
            data[rng.randrange(8, 180)] = rng.randrange(256)  # the IFD's tag entries (it starts at 8)
        path = tmp_path / f"f{k}.tif"
        path.write_bytes(bytes(data))
        try:
            img = read_image(path)
        except ImageReadError as e:
            assert str(path) in str(e), e
            failed += 1
        else:
            assert img.data.shape[1:] == (img.height, img.width) and img.data.size > 0
            read += 1
    assert read + failed == 24 and failed > 0


def test_a_one_bit_tiff_reads_as_zeros_and_ones_without_rasterio(tmp_path, no_rasterio):
    """A bilevel (1-bit) TIFF read by tifffile came as dtype bool: "unsupported dtype bool"; GDAL
    reads it as uint8 0 / 1, and so does the fallback now."""
    from rsvlm.io.sources import open_source

    mask = np.eye(8, 12, dtype=bool)
    tifffile.imwrite(tmp_path / "bits.tif", mask)
    src = open_source([tmp_path / "bits.tif"])
    raw, _ = src.read((0, 0, 12, 8), [0], None)
    assert src.dtype == "uint8" and raw.shape == (1, 8, 12)
    np.testing.assert_array_equal(raw[0], mask.astype(np.uint8))


def _stack(path, n=5, metadata=None):
    bands = np.random.default_rng(n).integers(1, 10000, (n, 24, 30)).astype(np.uint16)  # (C, H, W)
    tifffile.imwrite(path, bands, metadata=metadata)  # n pages, one band each (n not 3 or 4)
    return bands


def test_a_tifffile_band_stack_of_pages_reads_as_its_bands(tmp_path):
    """``tifffile.imwrite`` of a (5, H, W) array writes 5 pages; GDAL opened the first, read as 1 band
    (the others said only as 'images'): its pages are now its bands, named from its JSON metadata."""
    from rsvlm.io import SceneReader, read_image

    bands = _stack(tmp_path / "stack.tif", metadata={"bands": ["B02", "B03", "B04", "B08", "B11"]})
    with SceneReader(tmp_path / "stack.tif") as scene:
        assert (scene.src.count, scene.src.dtype) == (5, "uint16")
        raw, _ = scene.src.read((3, 2, 10, 6), list(range(5)), None)  # (C, h, w): a window of every page
        np.testing.assert_array_equal(raw, bands[:, 2:8, 3:13])
    img = read_image(tmp_path / "stack.tif")
    assert img.data.shape == (5, 24, 30) and img.bands == ["B02", "B03", "B04", "B08", "B11"]
    assert any("5 TIFF pages are read as 5 bands" in n for n in img.notes), img.notes
    np.testing.assert_allclose(img.data[3] * 10000, bands[3], atol=0.01)


def test_tifffile_fallback_says_a_page_stack_is_read_as_bands(tmp_path, no_rasterio):
    """Without rasterio tifffile already read the pages as bands, without a word."""
    from rsvlm.io.sources import open_source

    bands = _stack(tmp_path / "stack.tif", n=6)
    src = open_source([tmp_path / "stack.tif"])
    np.testing.assert_array_equal(src.arr, bands)
    assert any("6 TIFF pages are read as 6 bands" in n for n in src.notes), src.notes


def test_pyramid_and_thumbnail_pages_are_not_read_as_bands(tmp_path):
    """Reduced-resolution pages (NewSubfileType 1: overviews, a thumbnail), even of the full size,
    stay what they are: the image is the first page's bands alone."""
    from rsvlm.io.sources import open_source

    a = np.random.default_rng(1).integers(0, 255, (2, 16, 20)).astype(np.uint8)
    with tifffile.TiffWriter(tmp_path / "pyr.tif") as w:
        w.write(a[0])
        w.write(a[1], subfiletype=1)  # same size, but said to be reduced resolution
        w.write(a[0][::2, ::2], subfiletype=1)
    with tifffile.TiffWriter(tmp_path / "thumb.tif") as w:
        w.write(np.zeros((16, 20, 3), np.uint8), photometric="rgb")
        w.write(np.zeros((4, 5, 3), np.uint8), photometric="rgb", subfiletype=1)
    for name, count in (("pyr.tif", 1), ("thumb.tif", 3)):
        src = open_source([tmp_path / name])
        assert src.count == count and not any("read as" in n for n in src.notes), (name, src.notes)
        src.close()


def test_pages_of_several_sizes_read_the_first_and_name_page_2(tmp_path):
    """Pages that differ (size or dtype) are separate images: the first is read, and the note's
    example is page 2, not GTIFF_DIR:10 (GDAL lists its pages sorted as text)."""
    from rsvlm.io.sources import open_source

    with tifffile.TiffWriter(tmp_path / "pages.tif") as w:
        for k in range(11):
            w.write(np.full((16 - k, 20), k, np.uint8))
    src = open_source([tmp_path / "pages.tif"])
    assert src.count == 1
    assert any("holds 11 images" in n and f"GTIFF_DIR:2:{tmp_path / 'pages.tif'}" in n and "page 2 is 1 band "
               "of 20 x 15 uint8" in n for n in src.notes), src.notes
    src.close()


def test_a_tiff_neither_gdal_nor_tifffile_reads_gives_both_reasons(tmp_path, caplog):
    """A TIFF whose ImageLength is 0: GDAL's reason was said, tifffile's (tried after it) dropped."""
    from rsvlm.io import ImageReadError, read_image

    path = _rgb_tif(tmp_path / "rows.tif")
    with tifffile.TiffFile(path) as tf:
        rows = tf.pages[0].tags["ImageLength"].valueoffset
    _poke(path, rows, 0)  # 16 → 0
    caplog.set_level(logging.CRITICAL)
    with pytest.raises(ImageReadError, match=r"rows\.tif: not a readable raster.*strips.*; tifffile cannot read it "
                                             r"either: cannot decode TIFF, truncated or corrupt \(\w+Error: "):
        read_image(path)
    (tmp_path / "page.tif").write_text("<html><body>Not Found</body></html>")
    with pytest.raises(ImageReadError, match=r"a text file, not an image \(it starts '<html>") as err:
        read_image(tmp_path / "page.tif")
    assert "tifffile" not in str(err.value)
