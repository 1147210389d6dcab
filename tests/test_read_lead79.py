"""Stop 79: a cut PNG read through GDAL (a world file beside it) is refused by the stream's own byte count, not by
GDAL's checksum alone, which let one through in a CI run (``RasterioSource`` calls ``pngcheck.check_whole_png``)."""

import struct
import zlib

import numpy as np
import pytest

from rsvlm.io import ImageReadError, read_image

W, H = 64, 48


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _geo_png(path, keep: float):
    """An RGB PNG holding the first ``keep`` of its rows' bytes, chunks well formed, with a world file beside it."""
    arr = (np.arange(W * H * 3) % 251 + 1).astype(np.uint8).reshape(H, W, 3)  # (H, W, 3)
    raw = b"".join(b"\x00" + arr[y].tobytes() for y in range(H))
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", W, H, 8, 2, 0, 0, 0))
                     + _chunk(b"IDAT", zlib.compress(raw[:int(len(raw) * keep)])) + _chunk(b"IEND", b""))
    path.with_suffix(".pgw").write_text("1\n0\n0\n-1\n500000\n4000000\n")
    return arr


def test_a_cut_geo_png_is_refused_even_where_gdals_checksum_raises_nothing(tmp_path, monkeypatch):
    rasterio = pytest.importorskip("rasterio")
    monkeypatch.setattr(rasterio.io.DatasetReader, "checksum", lambda self, band, window=None: 0)
    _geo_png(tmp_path / "geo.png", keep=0.5)
    with pytest.raises(ImageReadError, match=r"geo.png: PNG pixel data not whole, truncated or corrupt"):
        read_image(tmp_path / "geo.png")


def test_a_whole_geo_png_reads_through_gdal_as_written(tmp_path):
    pytest.importorskip("rasterio")
    arr = _geo_png(tmp_path / "geo.png", keep=1.0)
    img = read_image(tmp_path / "geo.png")
    got = np.rint(np.moveaxis(np.asarray(img.data), 0, -1)[..., :3] * 255).astype(np.uint8)  # (H, W, 3) from 0-1
    assert np.array_equal(got, arr)
