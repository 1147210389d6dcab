"""Reading tour 81 (C): a TIFF whose tag values come after its pixels (SpaceNet-6's sar_hh.tif), cut short by 322
bytes, read its pixels whole and no georeferencing, said only as four GDAL warnings ('TIFFFetchNormalTag:IO error
during reading of "GeoKeyDirectory"; tag ignored', each twice); now one note: cut short, which tags, what is lost."""

from __future__ import annotations

import struct

import numpy as np
import pytest
from conftest import REALDATA

rasterio = pytest.importorskip("rasterio")
tifffile = pytest.importorskip("tifffile")
pytestmark = pytest.mark.filterwarnings("ignore::rasterio.errors.NotGeoreferencedWarning")

from rasterio.transform import from_origin  # noqa: E402

from rsvlm.io.read import read_image  # noqa: E402

GEO = ("ModelPixelScaleTag", "ModelTiepointTag", "GeoKeyDirectoryTag", "GeoAsciiParamsTag")


def _geo_values_past_the_end(path):
    """A GeoTIFF whose geo tags' values are pointed past the file's end (as a copy cut short leaves a file whose
    values followed its pixels)."""
    with rasterio.open(path, "w", driver="GTiff", width=64, height=64, count=1, dtype="uint16", crs="EPSG:32631",
                       transform=from_origin(600000, 5700000, 10, 10)) as ds:
        ds.write(np.arange(4096, dtype=np.uint16).reshape(1, 64, 64))
    data = bytearray(path.read_bytes())
    with tifffile.TiffFile(path) as tf:
        order = tf.byteorder
        entries = [t.offset for t in tf.pages[0].tags.values() if t.name in GEO]
    for k, at in enumerate(entries):  # the entry's value offset (classic TIFF: bytes 8-12 of its 12)
        struct.pack_into(order + "I", data, at + 8, len(data) + 1000 * (k + 1))
    path.write_bytes(bytes(data))
    return path


def test_geo_tags_past_the_end_are_one_note_saying_cut_short_and_georeferencing_lost(tmp_path):
    p = _geo_values_past_the_end(tmp_path / "cut.tif")
    img = read_image(p)
    cut = [n for n in img.notes if n.startswith("the file is cut short: its tags ")]
    assert len(cut) == 1, img.notes
    for tag in ("GeoKeyDirectory", "GeoASCIIParams"):
        assert cut[0].count(tag) == 1, cut  # each once (GDAL reads the IFD twice)
    assert "georeferencing" in cut[0] and "get a whole copy" in cut[0]
    assert not any("IO error during reading" in n for n in img.notes), img.notes
    assert img.data.shape == (1, 64, 64)


@pytest.mark.skipif(not REALDATA.is_dir(), reason=f"real-data fixtures not found at {REALDATA} (set RSVLM_REALDATA to their folder)")
def test_the_real_sar_chip_cut_in_its_tags_says_so(tmp_path):
    src = REALDATA / "sar_spacenet6" / "sar_hh.tif"
    whole = read_image(src)
    p = tmp_path / "sar_hh.tif"
    data = src.read_bytes()
    p.write_bytes(data[: len(data) - 322])
    img = read_image(p)
    np.testing.assert_array_equal(img.data, whole.data)  # the pixels are there ...
    assert whole.crs is not None and img.crs is None  # ... not the georeferencing
    assert any(n.startswith("the file is cut short: its tags Geo") and "georeferencing" in n for n in img.notes), img.notes
