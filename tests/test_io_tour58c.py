"""Rough-edge tour 58 of TIFF reading (``rsvlm/io/tiff.py``): damaged headers read by the tifffile
fallback, and 1-bit TIFFs without rasterio."""

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
