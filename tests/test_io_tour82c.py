"""Tour 82 of the readers (C). GDAL's prefix of a file's name stayed on a note where the name has a space
("r g b n.tif: GDALDataset::GetRasterBand(4) - Illegal band #"); an uncompressed TIFF whose SamplesPerPixel or
BitsPerSample was written over read wrong pixels with no word of it (``tiff_layout.layout_note``); a 64-bit band's
nodata (uint64 2**64 - 1, int64 2**63 - 1) was said to be one "no pixel can hold" (its float rounds past the type's
top), beside GDAL's "GetNoDataValue() returns an approximate value" API advice, and tifffile's read compared pixels
with that float (2**53 + 1 masked 2**53 too); a box of no width or height went into GeoJSON as a Polygon enclosing
nothing, which GeoJSON readers take as invalid; a VRT of band files (``gdalbuildvrt -separate``) read its bands as
b1 … bN, so the real Sentinel-2 bands' DN 0 collar was data through it and fill through the band files."""

from __future__ import annotations

import shutil
import struct
from pathlib import Path

import numpy as np
import pytest

rasterio = pytest.importorskip("rasterio")
tifffile = pytest.importorskip("tifffile")
pytestmark = pytest.mark.filterwarnings("ignore::rasterio.errors.NotGeoreferencedWarning")

from conftest import REALDATA, needs_realdata  # noqa: E402
from rasterio.transform import from_origin  # noqa: E402

from rsvlm.io.georef import objects_to_geojson  # noqa: E402
from rsvlm.io.read import read_image  # noqa: E402
from rsvlm.io.tiff import tifffile_source  # noqa: E402
from rsvlm.io.tiff_layout import layout_note  # noqa: E402


def _tif(path, count, dtype="uint8", **kw):
    a = (np.arange(count * 30 * 40).reshape(count, 30, 40) % 200 + 10).astype(dtype)
    with rasterio.open(path, "w", driver="GTiff", width=40, height=30, count=count, dtype=dtype, crs="EPSG:32631",
                       transform=from_origin(600000, 5700000, 10, 10), **kw) as ds:
        ds.write(a)
    return a


def _written_over(path, tag_name, value):
    """``tag_name`` of ``path``'s first IFD set to ``value`` (each of its values), as a hand edit leaves it."""
    data = bytearray(path.read_bytes())
    with tifffile.TiffFile(path) as tf:
        tag, order = tf.pages[0].tags[tag_name], tf.byteorder
        at = tag.offset + 8 if tag.count * 2 <= 4 else struct.unpack_from(order + "I", data, tag.offset + 8)[0]
        for k in range(tag.count):
            struct.pack_into(order + "H", data, at + 2 * k, value)
    path.write_bytes(bytes(data))
    return path


# -- GDAL's prefix of a name with a space --

@pytest.mark.parametrize("name", ["r g b n.tif", "rgbn.tif"])
def test_gdals_file_name_prefix_is_taken_off_a_name_with_a_space(tmp_path, name):
    p = tmp_path / name
    _tif(p, 4)
    with rasterio.open(p, "r+") as ds:
        ds.set_band_description(4, "nir")  # GDAL_METADATA names band 4: GDAL asks for it
    _written_over(p, "SamplesPerPixel", 3)
    said = [n for n in read_image(p).notes if "Illegal band" in n]
    assert said == ["GDAL error while reading: GDALDataset::GetRasterBand(4) - Illegal band #"]


# -- a header that disagrees with its pixel data --

def test_samples_per_pixel_written_over_is_said_naming_the_tag(tmp_path):
    p = tmp_path / "rgbn.tif"
    _tif(p, 4, interleave="pixel")
    assert layout_note(p) is None and not any("disagrees" in n for n in read_image(p).notes)
    _written_over(p, "SamplesPerPixel", 3)
    said = [n for n in read_image(p).notes if "disagrees" in n]
    assert len(said) == 1 and said[0].startswith("rgbn.tif's TIFF header disagrees with its pixel data"), said
    assert "SamplesPerPixel 3 (they hold 4 samples a pixel)" in said[0] and "BitsPerSample" not in said[0]
    assert said[0] in tifffile_source(p, "read by tifffile").notes  # the other backend says it too


@pytest.mark.parametrize("tiled", [False, True])
def test_bits_per_sample_written_over_is_said_naming_the_tag(tmp_path, tiled):
    p = tmp_path / "pan.tif"
    _tif(p, 1, "uint16", **({"tiled": True, "blockxsize": 16, "blockysize": 16} if tiled else {}))
    _written_over(p, "BitsPerSample", 8)
    (note,) = [n for n in read_image(p).notes if "disagrees" in n]
    assert "BitsPerSample 8 (they hold 16-bit samples)" in note
    assert f"its first {'tile' if tiled else 'strip'} holds" in note


def test_a_compressed_tiff_or_one_that_agrees_gets_no_layout_note(tmp_path):
    plain, lzw = tmp_path / "plain.tif", tmp_path / "lzw.tif"
    _tif(plain, 3, "uint16")  # GDAL's default: band-interleaved for uncompressed multi-band, strips of rows
    _tif(lzw, 3, compress="lzw")
    assert layout_note(plain) is None
    assert layout_note(_written_over(lzw, "BitsPerSample", 16)) is None  # no cheap size to compare
    assert layout_note(tmp_path / "none.tif") is None


@needs_realdata("msi_landsat7", "RGB.byte.tif")
def test_a_real_geotiffs_bits_per_sample_written_over_is_said(tmp_path):
    src = REALDATA / "msi_landsat7" / "RGB.byte.tif"
    assert layout_note(src) is None
    p = _written_over(Path(shutil.copy(src, tmp_path / "RGB.byte.tif")), "BitsPerSample", 16)
    (note,) = [n for n in read_image(p).notes if "disagrees" in n]
    assert "its first strip holds 7119 bytes where its header sizes it at 14238" in note  # 791 px × 3 rows × 3
    assert "BitsPerSample 16 (they hold 8-bit samples)" in note


# -- 64-bit nodata --

@pytest.mark.parametrize("dtype, nodata", [("uint64", 2**64 - 1), ("int64", 2**63 - 1), ("int64", -(2**63)),
                                           ("uint64", 2**53 + 1)])
def test_a_64_bit_nodata_masks_its_pixels_exactly(tmp_path, dtype, nodata):
    """Written by tifffile with the GDAL_NODATA tag: rasterio refuses 2**64 - 1 as a uint64 band's nodata ("beyond
    the valid range of its data type": it goes through a float). The pixel one off the nodata is data."""
    p = tmp_path / "u.tif"
    a = np.full((20, 30), 5000, dtype)
    a[:, :10] = nodata
    a[0, 10] = nodata - 1 if nodata > 0 else nodata + 1  # the nearest value a pixel holds
    tifffile.imwrite(p, a, extratags=[(42113, "s", 0, str(nodata), True)])
    with rasterio.open(p) as ds:  # GDAL's mask is exact
        assert ds.read_masks(1)[0, 9] == 0 and ds.read_masks(1)[0, 10] == 255
    r = read_image(p)
    assert r.valid[:, :10].sum() == 0 and r.valid[:, 10:].all()
    assert not any("pixel can hold" in n or "approximate value" in n for n in r.notes), r.notes
    raw, valid = tifffile_source(p, "read by tifffile").read((0, 0, 30, 20), [0], None)
    assert not valid[:, :10].any() and valid[:, 10:].all()  # (2**53 + 1 as a float masked 2**53 too)


def test_a_nodata_past_the_bands_type_is_still_said(tmp_path):
    p = tmp_path / "u8.tif"
    tifffile.imwrite(p, np.full((8, 8), 7, np.uint8), extratags=[(42113, "s", 0, "256", True)])
    assert any("declares nodata '256', which no uint8 pixel can hold" in n for n in read_image(p).notes)


# -- GeoJSON of a box of no width or height --

class _Img:
    crs, transform, gcps, path = "EPSG:32631", (10, 0, 600000, 0, -10, 5700000), None, "x.tif"


def test_a_box_of_no_width_or_height_is_written_as_its_line_or_point():
    objs = [{"kind": "box", "label": "car", "coords": [5, 5, 5, 9]},
            {"kind": "box", "label": "car", "coords": [5, 5, 5, 5]},
            {"kind": "obb", "label": "ship", "coords": [[1, 1], [2, 2], [3, 3], [4, 4]]},
            {"kind": "box", "label": "tank", "coords": [1, 1, 4, 4]}]
    fc = objects_to_geojson(objs, _Img())
    geoms = [f["geometry"] for f in fc["features"]]
    assert [g["type"] for g in geoms] == ["LineString", "Point", "LineString", "Polygon"]
    assert geoms[0]["coordinates"] == ((600050.0, 5699950.0), (600050.0, 5699910.0))
    assert geoms[1]["coordinates"] == (600050.0, 5699950.0)
    assert sorted(geoms[2]["coordinates"]) == [(600010.0, 5699990.0), (600040.0, 5699960.0)]
    assert [f["properties"]["label"] for f in fc["features"]] == ["car", "car", "ship", "tank"]
    assert fc["notes"] == ["GeoJSON: 3 of 4 shapes written as a line or point, as a Polygon enclosing no area is "
                           "no valid geometry, the first #1 'car' (no width or height)"]
    assert "notes" not in objects_to_geojson(objs[3:], _Img())


# -- a VRT of band files --

def _vrt(path, sources, size=(40, 30), dtype="UInt16"):
    """A VRT of one band a source: (file as written in the VRT, band of it, relative to the VRT or not)."""
    bands = "".join(
        f'<VRTRasterBand dataType="{dtype}" band="{k}"><SimpleSource><SourceFilename relativeToVRT="{int(rel)}">{f}'
        f"</SourceFilename><SourceBand>{b}</SourceBand></SimpleSource></VRTRasterBand>"
        for k, (f, b, rel) in enumerate(sources, 1))
    path.write_text(f'<VRTDataset rasterXSize="{size[0]}" rasterYSize="{size[1]}"><SRS>EPSG:32631</SRS><GeoTransform>'
                    f"600000, 10, 0, 5700000, 0, -10</GeoTransform>{bands}</VRTDataset>")
    return path


def test_a_vrt_of_band_files_names_its_bands_as_the_band_files(tmp_path):
    for b in ("B02", "B03", "B04", "B08"):
        _tif(tmp_path / f"T31_{b}.tif", 1, "uint16")
    (tmp_path / "sub").mkdir()
    vrt = _vrt(tmp_path / "sub" / "s2.vrt", [(f"../T31_{b}.tif", 1, True) for b in ("B02", "B03", "B04", "B08")])
    r = read_image(vrt)
    files = read_image([tmp_path / f"T31_{b}.tif" for b in ("B02", "B03", "B04", "B08")])
    assert r.bands == files.bands == ["B02", "B03", "B04", "B08"] and r.modality == "msi"
    assert np.array_equal(r.data, files.data)
    assert "bands named B02, B03, B04, B08 from the VRT's source files, one a band" in r.notes
    two = read_image(_vrt(tmp_path / "two.vrt", [(str(tmp_path / "T31_B02.tif"), 1, False),
                                                (str(tmp_path / "T31_B03.tif"), 1, False)]))
    assert two.bands == ["B02", "B03"] and two.modality == "msi"  # (unnamed: two uint16 bands were inferred SAR)


def test_a_vrt_over_one_multi_band_file_or_of_one_band_is_not_named_by_it(tmp_path):
    _tif(tmp_path / "scene.tif", 2, "uint16")
    _tif(tmp_path / "dem.tif", 1, "uint16")
    assert read_image(_vrt(tmp_path / "one.vrt", [("scene.tif", 1, True), ("scene.tif", 2, True)])).bands == [
        "b1", "b2"]
    assert not any("VRT's source files" in n for n in read_image(_vrt(tmp_path / "dem.vrt", [("dem.tif", 1, True)]),
                                                                 "ir").notes)


def test_a_vrt_whose_band_file_is_missing_names_it(tmp_path):
    _tif(tmp_path / "B02.tif", 1, "uint16")
    vrt = _vrt(tmp_path / "s2.vrt", [("B02.tif", 1, True), ("B09.tif", 1, True)])
    with pytest.raises(ValueError, match=r"s2\.vrt: read failed: a file it refers to is missing \(.*B09\.tif: No such"):
        read_image(vrt)


@needs_realdata("msi_s2", "B08.jp2")
def test_a_vrt_over_the_real_sentinel2_bands_reads_as_its_band_files(tmp_path):
    """The real bands (TIFFs named .jp2) through a VRT beside none of them: their DN 0 collar is the Sentinel-2 fill
    as it is of the band files (b1 … b4 had read it as data)."""
    files = [REALDATA / "msi_s2" / f"{b}.jp2" for b in ("B02", "B03", "B04", "B08")]
    r = read_image(_vrt(tmp_path / "s2.vrt", [(str(f), 1, False) for f in files], (122, 122)))
    direct = read_image(files)
    assert r.bands == direct.bands == ["B02", "B03", "B04", "B08"]
    assert np.array_equal(r.valid, direct.valid) and 0.5 < r.valid.mean() < 0.7
    assert np.array_equal(r.data, direct.data)
