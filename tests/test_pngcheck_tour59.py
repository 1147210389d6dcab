"""Tour 59: the image reader refuses a PNG whose pixel data stops early (``rsvlm.io.pngcheck``)."""

import struct
import zlib

import numpy as np
import pytest

from rsvlm.io import ImageReadError, read_image

W, H = 64, 48


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png(path, keep: float = 1.0):
    """An RGB PNG (no zero pixel) whose compressed stream holds the first ``keep`` of its rows, its chunks
    well formed (CRCs right, an IEND): what a cut copy re-wrapped, or a writer stopped early, leaves."""
    arr = (np.arange(W * H * 3) % 251 + 1).astype(np.uint8).reshape(H, W, 3)  # (H, W, 3)
    raw = b"".join(b"\x00" + arr[y].tobytes() for y in range(H))
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", W, H, 8, 2, 0, 0, 0))
                     + _chunk(b"IDAT", zlib.compress(raw[:int(len(raw) * keep)])) + _chunk(b"IEND", b""))
    return arr


def test_a_whole_png_reads_as_written(tmp_path):
    _png(tmp_path / "good.png")
    img = read_image(tmp_path / "good.png")
    assert (img.width, img.height) == (W, H) and (img.data.max(axis=(0, 2)) > 0).all()  # no black row


@pytest.mark.parametrize("name", ["short.png", "short.jpg"])  # a PNG whatever its name
def test_a_png_whose_pixel_data_stops_early_is_an_error_naming_it(tmp_path, name):
    _png(tmp_path / name, keep=0.5)
    # was read without a word, its lower 24 rows black (PIL and GDAL fill them), and trained or answered on
    with pytest.raises(ImageReadError) as err:
        read_image(tmp_path / name)
    assert str(err.value).startswith(f"{tmp_path / name}: PNG pixel data not whole, truncated or corrupt (the pixel "
                                     "data holds 4632 bytes where 64 x 48 px need 9264 (a reader fills")


def test_a_png_read_through_gdal_whose_pixel_data_stops_early_is_an_error(tmp_path):
    pytest.importorskip("rasterio")
    _png(tmp_path / "geo.png", keep=0.5)  # a world file beside it: GDAL reads it, its checksum finds the rows missing
    (tmp_path / "geo.pgw").write_text("1\n0\n0\n-1\n500000\n4000000\n")
    with pytest.raises(ImageReadError, match=r"geo.png: .*truncated or corrupt"):
        read_image(tmp_path / "geo.png")
