"""Reading tour 81 (C): a GDAL ``.aux.xml`` sidecar whose ends are whole but with a tag broken inside
(``<PAMRasterBand band="2"`` cut before its ``>``, a ``<Metadata>`` never closed, an end tag of another element) is
refused whole by GDAL's parser, band names and all, and had passed unsaid (only a sidecar cut at its end was said);
a 0-byte sidecar was said as expat's "no element found: line 1, column 0". A camera's own video brand (Canon
"CAEP", Casio "caqv") and HEIF's brands for codecs besides HEVC (avci, jpeg, j2ki, vvic; mif2) were said "not a
video or HEIF/AVIF brand known here". A sidecar's nodata over a GeoTIFF's own (GDAL applies the sidecar's: a
collar of 0 read as data) was unsaid."""

from __future__ import annotations

import shutil
import struct

import numpy as np
import pytest
from conftest import REALDATA

rasterio = pytest.importorskip("rasterio")
pytestmark = pytest.mark.filterwarnings("ignore::rasterio.errors.NotGeoreferencedWarning")

from rasterio.transform import from_origin  # noqa: E402

from rsvlm.io import aux_sidecar  # noqa: E402
from rsvlm.io.file_kinds import held_format, unread_kind  # noqa: E402
from rsvlm.io.read import read_image  # noqa: E402

VV = b'<PAMRasterBand band="1"><Description>VV</Description></PAMRasterBand>'
VH = b'<PAMRasterBand band="2"><Description>VH</Description></PAMRasterBand>'


def _tif(path, count=2):
    with rasterio.open(path, "w", driver="GTiff", width=40, height=30, count=count, dtype="uint16",
                       crs="EPSG:32631", transform=from_origin(600000, 5700000, 10, 10)) as ds:
        ds.write(np.arange(1200 * count, dtype=np.uint16).reshape(count, 30, 40))
    return path


def _notes(p, sidecar: bytes) -> tuple[tuple, list[str]]:
    p.with_name(p.name + ".aux.xml").write_bytes(sidecar)
    with rasterio.open(p) as ds:
        return ds.descriptions, aux_sidecar.sidecar_notes([ds])


@pytest.mark.parametrize("body, said", [
    (b"<PAMDataset>" + VV + b'\n<PAMRasterBand band="2"\n</PAMDataset>',
     "a tag broken at line 2: '<PAMRasterBand band=\"2\"'"),
    (b"<PAMDataset>" + VV + b'<PAMRasterBand band="1><Description>VH</Description></PAMRasterBand></PAMDataset>',
     "a tag broken at line 1: '<PAMRasterBand band=\"1'"),
    (b"<PAMDataset>\n<Metadata><MDI key=\"a\">1</MDI>\n" + VV + VH + b"\n</PAMDataset>",
     "</PAMDataset> at line 4 closes <Metadata> (line 2)"),
    (b"<PAMDataset>" + VV + VH.replace(b"</Description>", b"</Descr>") + b"</PAMDataset>",
     "</Descr> at line 1 closes <Description> (line 1)"),
])
def test_a_whole_sidecar_with_a_tag_broken_inside_is_said_ignored_naming_the_tag(tmp_path, body, said):
    p = _tif(tmp_path / "s1.tif")
    names, notes = _notes(p, body)
    assert names == (None, None)  # GDAL applied none of it, VV's name included
    assert len(notes) == 1 and notes[0].startswith(f"{p}.aux.xml: GDAL's sidecar of {p} is not readable XML"), notes
    assert said in notes[0] and "ignored" in notes[0], notes


@pytest.mark.parametrize("body", [
    b"<PAMDataset>" + VV + VH + b"</PAMDataset>",
    b"<PAMDataset>\n  " + VV.replace(b'"1"', b"1") + b"\n  " + VH + b"\n</PAMDataset>\n",  # GDAL takes band=1
    b"<PAMDataset><!-- <x> --><Metadata><MDI key=\"a>b\"><![CDATA[a < b]]></MDI></Metadata>" + VV + VH
    + b"<Empty/></PAMDataset>",
    b"<PAMDataset>" + VV.replace(b"VV<", b"VV&nbsp;<") + VH + b"</PAMDataset>",  # expat refuses, GDAL reads
])
def test_a_sidecar_gdal_reads_whole_is_not_said(tmp_path, body):
    p = _tif(tmp_path / "s1.tif")
    names, notes = _notes(p, body)
    assert names[1] == "VH" and names[0].startswith("VV") and notes == [], (names, notes)


def test_an_element_never_closed_is_said_with_its_line():
    assert aux_sidecar._broken_tag(b"<PAMDataset>\n<Metadata>\n<MDI>1</MDI>") == "<Metadata> at line 2 is never closed"


def test_a_0_byte_sidecar_is_said_empty_through_read_image(tmp_path):
    p = _tif(tmp_path / "s1.tif")
    p.with_name("s1.tif.aux.xml").write_bytes(b"")
    img = read_image(p, "sar")
    said = [n for n in img.notes if ".aux.xml" in n]
    assert said == [f"{p}.aux.xml: GDAL's sidecar of {p} is empty (0 bytes, no XML): ignored; remove it"], img.notes


def test_a_broken_sidecar_is_said_through_read_image_and_the_bands_keep_plain_names(tmp_path):
    p = _tif(tmp_path / "s1.tif")
    p.with_name("s1.tif.aux.xml").write_bytes(b"<PAMDataset>" + VV + VH[:-16] + b"</PAMDataset>")
    img = read_image(p, "sar")
    assert img.bands == ["b1", "b2"]
    assert any(n.startswith(f"{p}.aux.xml: GDAL's sidecar of {p} is not readable XML") for n in img.notes), img.notes


def test_a_sidecar_naming_a_band_the_file_lacks_says_which_and_what_it_applied(tmp_path):
    """Item 1 of the tour: band 3 of a 2-band file is ignored by GDAL, its bands 1 and 2 entries applied: said."""
    p = _tif(tmp_path / "s1.tif")
    b3 = VH.replace(b'"2"', b'"3"').replace(b"VH", b"B08")
    names, notes = _notes(p, b"<PAMDataset>" + VV + VH + b3 + b"</PAMDataset>")
    assert names == ("VV", "VH")
    assert len(notes) == 1 and "describes band 3, but" in notes[0] and "has 2 bands" in notes[0], notes
    assert "band 1 (name VV); band 2 (name VH) are applied" in notes[0], notes


def _ftyp(brand: bytes) -> bytes:
    return struct.pack(">I", 24) + b"ftyp" + brand + b"\0\0\0\0" + b"isom" + brand + bytes(range(256)) * 4


@pytest.mark.parametrize("brand", [b"CAEP", b"caqv", b"pana", b"mqt ", b"sdv "])
def test_a_cameras_own_video_brand_is_said_a_video_with_ffmpeg(tmp_path, brand):
    """Canon's and Casio's camera videos (ExifTool's brand list) had been "not a video or HEIF/AVIF brand"."""
    p = tmp_path / "IMG_0001.jpg"
    p.write_bytes(_ftyp(brand))
    assert held_format(p) == "MP4/MOV video"
    said = unread_kind(p)
    assert said.startswith(f"{p}: an MP4/MOV video named .jpg, not an image") and "ffmpeg -i" in said, said


@pytest.mark.parametrize("brand, held", [
    (b"hevm", "HEIC"), (b"hevs", "HEIC"), (b"mif2", "HEIF"), (b"avci", "HEIF"), (b"avcs", "HEIF"),
    (b"jpeg", "HEIF"), (b"jpgs", "HEIF"), (b"j2ki", "HEIF"), (b"j2is", "HEIF"), (b"vvic", "HEIF"), (b"vvis", "HEIF"),
    (b"avio", "AVIF"),
])
def test_every_heif_codec_brand_is_named_heif(tmp_path, brand, held):
    p = tmp_path / "photo.jpg"
    p.write_bytes(_ftyp(brand))
    assert held_format(p) == held
    if held != "AVIF":  # AVIF's word depends on this PIL
        said = unread_kind(p)
        assert f"a {held} named .jpg (a phone's photo format)" in said and "magick" in said, said


def test_a_motion_jpeg_2000_starts_as_jpeg_2000_not_by_its_brand(tmp_path):
    p = tmp_path / "clip.mj2"
    p.write_bytes(b"\x00\x00\x00\x0cjP  \r\n\x87\n" + struct.pack(">I", 20) + b"ftypmjp2\0\0\0\0mjp2" + bytes(64))
    assert held_format(p) == "JPEG 2000"


def _nodata_tif(path, nodata):
    with rasterio.open(path, "w", driver="GTiff", width=40, height=30, count=1, dtype="uint8", nodata=nodata,
                       crs="EPSG:32631", transform=from_origin(600000, 5700000, 10, 10)) as ds:
        a = np.full((1, 30, 40), 100, np.uint8)
        a[:, :, :10] = 0  # a collar of the file's own nodata
        ds.write(a)
    return path


def _nodata_sidecar(value: str) -> bytes:
    return (b'<PAMDataset><PAMRasterBand band="1"><NoDataValue>' + value.encode()
            + b"</NoDataValue></PAMRasterBand></PAMDataset>")


def test_a_sidecar_nodata_over_the_geotiffs_own_is_said(tmp_path):
    """GDAL applies a sidecar's nodata in place of the GeoTIFF's own: its collar (0) had been read as data, unsaid."""
    p = _nodata_tif(tmp_path / "collar.tif", 0)
    whole = read_image(p)
    p.with_name("collar.tif.aux.xml").write_bytes(_nodata_sidecar("7"))
    img = read_image(p)
    assert whole.valid[:, :10].sum() == 0 and (img.valid is None or img.valid[:, :10].all())  # the sidecar did
    said = [n for n in img.notes if ".aux.xml" in n]
    assert said == [f"{p}.aux.xml: GDAL's sidecar sets nodata 7, over {p}'s own 0: the sidecar's is applied "
                    "(pixels of 0 read as data); remove the sidecar if it is not this file's"], img.notes


@pytest.mark.parametrize("own, side", [(0, "0"), (0, "0.0"), (None, "7")])
def test_a_sidecar_nodata_agreeing_or_the_only_one_is_not_said(tmp_path, own, side):
    p = _nodata_tif(tmp_path / "collar.tif", own)
    p.with_name("collar.tif.aux.xml").write_bytes(_nodata_sidecar(side))
    assert _notes(p, _nodata_sidecar(side))[1] == []


@pytest.mark.skipif(not REALDATA.is_dir(), reason=f"real-data fixtures not found at {REALDATA} (set RSVLM_REALDATA to their folder)")
def test_a_real_collar_under_another_files_sidecar_nodata_is_said(tmp_path):
    p = tmp_path / "RGB.byte.tif"
    shutil.copyfile(REALDATA / "msi_landsat7" / "RGB.byte.tif", p)
    p.with_name("RGB.byte.tif.aux.xml").write_bytes(_nodata_sidecar("7"))
    img = read_image(p)
    assert any(n.startswith(f"{p}.aux.xml: GDAL's sidecar sets nodata 7, over {p}'s own 0") for n in img.notes), img.notes
