"""Rough-edge tour 54 of reading and predict: reading notes reach --out once, no file decoded twice."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from rsvlm.io import read_image

tifffile = pytest.importorskip("tifffile")


def test_a_note_said_before_gdal_raised_on_a_damaged_tiff_is_said_once(tmp_path):
    """RasterioSource._describe is tried again where GDAL raises an error it met listing a damaged TIFF's
    pages (at colorinterp); the notes it had said before that were said again: "bands named … from the
    TIFF's JSON metadata" stood twice in RSImage.notes."""
    pytest.importorskip("rasterio")
    path = tmp_path / "pages.tif"
    a = (np.arange(4 * 64 * 64) % 251).astype(np.uint8).reshape(4, 64, 64)  # (C, H, W)
    with tifffile.TiffWriter(path) as tw:
        tw.write(a, photometric="minisblack", planarconfig="separate", metadata={"bands": ["B02", "B03", "B04", "B08"]})
        tw.write(a, photometric="minisblack", planarconfig="separate", metadata=None)
    b = bytearray(path.read_bytes())  # the first page's pointer to the second, past the file's end
    first = struct.unpack_from("<I", b, 4)[0]
    struct.pack_into("<I", b, first + 2 + 12 * struct.unpack_from("<H", b, first)[0], 10**9)
    path.write_bytes(bytes(b))
    img = read_image(path)
    assert img.bands == ["B02", "B03", "B04", "B08"]
    assert any("offset 1000000000" in n for n in img.notes), img.notes  # the retry did happen
    assert len(img.notes) == len(set(img.notes)), img.notes
