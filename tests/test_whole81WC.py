"""Whole-stop review 81 (WC) of rsvlm/io: a float32 GeoTIFF's bands read their GDAL_NODATA tag as a float32
(-3.4e+38 as -3.3999999521443642e+38), so a sidecar restating band 1's nodata had bands 2 and 3, which it left,
said as set by the sidecar (and a real sidecar 7 on band 2 said with bands 1 and 3 beside it); band files whose names
hold a space ('band 2.tif'), cut short in their tags, were merged as one unnamed file's note again."""

from __future__ import annotations

import struct

import numpy as np
import pytest

rasterio = pytest.importorskip("rasterio")
tifffile = pytest.importorskip("tifffile")
pytestmark = pytest.mark.filterwarnings("ignore::rasterio.errors.NotGeoreferencedWarning")

from rasterio.transform import from_origin  # noqa: E402

from rsvlm.io import aux_sidecar  # noqa: E402
from rsvlm.io.read import read_image  # noqa: E402


def _tif(path, count=3, dtype="float32", nodata=None):
    with rasterio.open(path, "w", driver="GTiff", width=16, height=8, count=count, dtype=dtype, nodata=nodata,
                       crs="EPSG:32631", transform=from_origin(600000, 5700000, 10, 10)) as ds:
        ds.write(np.full((count, 8, 16), 100, dtype))
    return path


def _notes(p, bands: dict[int, str]):
    p.with_name(p.name + ".aux.xml").write_text("<PAMDataset>" + "".join(
        f'<PAMRasterBand band="{k}"><NoDataValue>{v}</NoDataValue></PAMRasterBand>' for k, v in bands.items())
        + "</PAMDataset>")
    with rasterio.open(p) as ds:
        return ds.nodatavals, aux_sidecar.sidecar_notes([ds])


@pytest.mark.parametrize("own", [-3.4e38, 0.1])
def test_a_sidecar_restating_a_float32_files_own_nodata_is_not_said(tmp_path, own):
    p = _tif(tmp_path / "f.tif", nodata=own)
    vals, notes = _notes(p, {1: repr(own)})
    assert vals[0] == own and vals[1] != own  # (what misled the check: the bands left read the tag as a float32)
    assert notes == [], notes


def test_a_sidecar_nodata_on_band_2_of_a_float32_file_names_band_2_alone(tmp_path):
    p = _tif(tmp_path / "f.tif", nodata=-3.4e38)
    _, notes = _notes(p, {2: "7"})
    assert notes == [f"{p}.aux.xml: GDAL's sidecar sets nodata 7, over {p}'s own -3.4e+38, in band 2: the sidecar's "
                     "is applied (pixels of -3.4e+38 read as data); remove the sidecar if it is not this file's"], notes


def test_a_float32_sidecar_nodata_out_of_float32s_range_is_still_said(tmp_path):
    flt = float(np.finfo(np.float32).min)
    p = _tif(tmp_path / "f.tif", 1, nodata=flt)
    _, notes = _notes(p, {1: "-3.40282346638529E+38"})
    assert len(notes) == 1 and "sets nodata -3.40282346638529e+38" in notes[0], notes


def _geo_cut(path):
    _tif(path, 1, "uint16")
    data = bytearray(path.read_bytes())
    with tifffile.TiffFile(path) as tf:
        order = tf.byteorder
        entries = [t.offset for t in tf.pages[0].tags.values() if t.name in ("GeoKeyDirectoryTag", "GeoAsciiParamsTag")]
    for k, at in enumerate(entries):  # each value's offset past the end, as a copy cut short leaves them
        struct.pack_into(order + "I", data, at + 8, len(data) + 1000 * (k + 1))
    path.write_bytes(bytes(data))
    return path


def test_band_files_with_a_space_in_their_names_cut_in_their_tags_are_each_named(tmp_path):
    a, b = _geo_cut(tmp_path / "band 2.tif"), _geo_cut(tmp_path / "band 3.tif")
    cut = [n for n in read_image([a, b], "msi").notes if "cut short" in n]
    assert len(cut) == 1 and cut[0].startswith(
        "files cut short: band 2.tif's tags GeoKeyDirectory, GeoASCIIParams; band 3.tif's tags GeoKeyDirectory, "
        "GeoASCIIParams lie past their ends") and "get a whole copy of each" in cut[0], cut
    one = [n for n in read_image(a).notes if "cut short" in n]
    assert len(one) == 1 and "get a whole copy of band 2.tif (" in one[0], one
