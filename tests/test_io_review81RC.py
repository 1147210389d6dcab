"""Review of reading tour 81 (C). A GDAL ``.aux.xml`` sidecar GDAL reads whole was said "not readable XML" where its
ends or tags were written as GDAL's parser takes them and expat does not (``< /PAMDataset>``, ``< PAMDataset>``, an
end tag of another case, attributes with no space between), and one GDAL refuses (``</ PAMRasterBand>``) passed
unsaid; a sidecar nodata a hair from the GeoTIFF's own was said with both as "-3.40282e+38"; GDAL's "Illegal band #"
kept its newline in the note; band files cut short in their tags were said as one file's tags."""

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

VV = b'<PAMRasterBand band="1"><Description>VV</Description></PAMRasterBand>'


def _tif(path, count=2, dtype="uint8", nodata=None, fill=1):
    with rasterio.open(path, "w", driver="GTiff", width=40, height=30, count=count, dtype=dtype, nodata=nodata,
                       crs="EPSG:32631", transform=from_origin(600000, 5700000, 10, 10)) as ds:
        a = np.full((count, 30, 40), 100, dtype)
        a[:, :, :10] = fill
        ds.write(a)
    return path


def _read_with(p, sidecar: bytes):
    p.with_name(p.name + ".aux.xml").write_bytes(sidecar)
    with rasterio.open(p) as ds:
        return ds.descriptions[0], aux_sidecar.sidecar_notes([ds])


@pytest.mark.parametrize("body", [
    b"<PAMDataset>" + VV + b"< /PAMDataset>",  # tour 81's report: GDAL reads it, had been "not readable XML"
    b"< PAMDataset>" + VV + b"</PAMDataset>",
    b"<PAMDataset >" + VV + b"< Empty/></PAMDataset >\n\n",
    b"<PAMDataset>" + VV + b"<Meta></meta></PAMDataset>",  # GDAL's end tags match in any case
    b"<PAMDataset>" + VV + b"<MDI key='a'domain='b'>1</MDI></PAMDataset>",  # no space between attributes
    b"\xef\xbb\xbf<PAMDataset>" + VV + b"<A x='1'></a></PAMDataset>",
    b"<PAMDataset>" + VV + b"</PAMDataset>\n" + bytes(4096),  # NULs padding a copy: GDAL's C string ends at the first
    b"<PAMDataset>" + VV + b"</PAMDataset>\nsaved by hand",  # text after its end: GDAL leaves it
])
def test_a_sidecar_gdal_reads_is_not_said_unreadable(tmp_path, body):
    name, notes = _read_with(_tif(tmp_path / "s1.tif"), body)
    assert name == "VV" and notes == [], (name, notes)  # GDAL applied it: no note may say it ignored


@pytest.mark.parametrize("body", [
    b"<PAMDataset>" + VV.replace(b"</PAMRasterBand>", b"</ PAMRasterBand>") + b"</PAMDataset>",
    b"<PAMDataset>" + VV.replace(b"</PAMRasterBand>", b"< / PAMRasterBand>") + b"</PAMDataset>",
])
def test_an_end_tag_with_a_space_after_its_slash_gdal_refuses_is_said(tmp_path, body):
    p = _tif(tmp_path / "s1.tif")
    name, notes = _read_with(p, body)
    assert name is None  # GDAL ignored the whole sidecar
    assert len(notes) == 1 and notes[0].startswith(f"{p}.aux.xml: GDAL's sidecar of {p} is not readable XML"), notes
    assert "line 1" in notes[0] and "PAMRasterBand" in notes[0], notes


def test_a_nul_byte_inside_a_sidecar_is_said_where_it_ends_it_for_gdal(tmp_path):
    p = _tif(tmp_path / "s1.tif")
    name, notes = _read_with(p, b"<PAMDataset>" + VV.replace(b">VV<", b">V\0V<") + b"</PAMDataset>")
    assert name is None  # GDAL's parser read up to the NUL: a sidecar cut short
    assert len(notes) == 1 and notes[0].startswith(f"{p}.aux.xml: GDAL's sidecar of {p} is not readable XML"), notes
    assert "a NUL byte at byte 50 ends it for GDAL" in notes[0], notes


# the hard parts of a sidecar GDAL 3.6 wrote (gdalinfo -hist, SetMetadata in domains, an xml: domain, a RAT)
GDAL_WROTE = b"""<PAMDataset>
  <Metadata>
    <MDI key="ent">&amp;amp; &amp;#10; &amp;lt;</MDI>
    <MDI key="lt">x &lt; y &gt; z</MDI>
    <MDI key="quote">say "hi" it's</MDI>
  </Metadata>
  <Metadata domain="xml:XMP" format="xml">
    <?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>
    <x:xmpmeta xmlns:x="adobe:ns:meta/">
      <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
        <rdf:Description dc:title="t" xmlns:dc="http://purl.org/dc/elements/1.1/" />
      </rdf:RDF>
    </x:xmpmeta>
    <?xpacket end="w"?>
  </Metadata>
  <Metadata domain="xml:OTHER" format="xml">
    <?xml version="1.0" encoding="UTF-8"?>
    <root>
      <a b="1">text &amp; more</a>
      <!-- c -->
    </root>
  </Metadata>
  <PAMRasterBand band="1">
    <Description>VV</Description>
    <CategoryNames>
      <Category>&lt;urban&gt;</Category>
    </CategoryNames>
    <GDALRasterAttributeTable tableType="thematic">
      <FieldDefn index="0">
        <Name>Name</Name>
        <Type>2</Type>
        <Usage>2</Usage>
      </FieldDefn>
      <Row index="0">
        <F>a&lt;b &amp; "c"</F>
      </Row>
    </GDALRasterAttributeTable>
  </PAMRasterBand>
</PAMDataset>
"""


def test_a_sidecar_as_gdal_writes_it_is_read_and_not_said(tmp_path):
    """expat refuses it (the xml: domain's declaration not at the start): the tag scan alone decides, and passes it."""
    name, notes = _read_with(_tif(tmp_path / "s1.tif"), GDAL_WROTE)
    assert name == "VV" and notes == [], (name, notes)
    cut = GDAL_WROTE.replace(b"<x:xmpmeta ", b"<x:xmpmeta\n").replace(b'</x:xmpmeta>', b"</x:xmpmeta")
    name, notes = _read_with(_tif(tmp_path / "s2.tif"), cut)
    assert name is None and len(notes) == 1 and "a tag broken at line 14: '</x:xmpmeta'" in notes[0], (name, notes)


def test_a_sidecar_nodata_a_hair_from_the_files_own_is_said_with_each_in_full(tmp_path):
    """GDAL writes -3.40282346638529E+38 (gdal_edit.py -ro -a_nodata): out of float32's range, so GDAL's mask keeps
    the -FLT_MAX collar as data; both values had been said "-3.40282e+38"."""
    flt = float(np.finfo(np.float32).min)
    p = _tif(tmp_path / "f.tif", 1, "float32", flt, flt)
    p.with_name("f.tif.aux.xml").write_bytes(b'<PAMDataset><PAMRasterBand band="1"><NoDataValue>-3.40282346638529E+38'
                                             b"</NoDataValue></PAMRasterBand></PAMDataset>")
    with rasterio.open(p) as ds:
        assert ds.read_masks(1)[:, :10].all()  # the collar is data to GDAL now
        notes = aux_sidecar.sidecar_notes([ds])
    assert notes == [f"{p}.aux.xml: GDAL's sidecar sets nodata -3.40282346638529e+38, over {p}'s own "
                     f"{flt!r}: the sidecar's is applied (pixels of {flt!r} read as data); remove the sidecar if it "
                     "is not this file's"], notes


def test_gdals_illegal_band_error_is_said_without_its_newline(tmp_path):
    """SamplesPerPixel 4 written over as 3 on a pixel-interleaved TIFF whose GDAL_METADATA names band 4: GDAL's
    error ends in a newline."""
    p = _tif(tmp_path / "rgbn.tif", 4)
    with rasterio.open(p, "r+") as ds:
        ds.set_band_description(4, "nir")
    data = bytearray(p.read_bytes())
    with tifffile.TiffFile(p) as tf:
        tag = tf.pages[0].tags["SamplesPerPixel"]
        struct.pack_into(tf.byteorder + "H", data, tag.offset + 8, 3)
    p.write_bytes(bytes(data))
    notes = read_image(p).notes
    said = [n for n in notes if "Illegal band" in n]
    assert said == ["GDAL error while reading: GDALDataset::GetRasterBand(4) - Illegal band #"], notes


GEO = ("ModelPixelScaleTag", "ModelTiepointTag", "GeoKeyDirectoryTag", "GeoAsciiParamsTag")


def _geo_cut(path, tags=GEO):
    _tif(path, 1, "uint16")
    data = bytearray(path.read_bytes())
    with tifffile.TiffFile(path) as tf:
        order = tf.byteorder
        entries = [t.offset for t in tf.pages[0].tags.values() if t.name in tags]
    for k, at in enumerate(entries):  # each value's offset past the end, as a copy cut short leaves them
        struct.pack_into(order + "I", data, at + 8, len(data) + 1000 * (k + 1))
    path.write_bytes(bytes(data))
    return path


def test_band_files_cut_short_in_their_tags_are_said_each_with_its_tags(tmp_path):
    a, b = _geo_cut(tmp_path / "B02.tif"), _geo_cut(tmp_path / "B03.tif")
    notes = read_image([a, b], "msi").notes
    cut = [n for n in notes if "cut short" in n]
    assert len(cut) == 1, notes
    assert ("B02.tif's tags GeoPixelScale, GeoTiePoints, GeoKeyDirectory, GeoASCIIParams; B03.tif's tags "
            "GeoPixelScale, GeoTiePoints, GeoKeyDirectory, GeoASCIIParams lie past their ends") in cut[0], cut
    assert "get a whole copy of each" in cut[0], cut


def test_one_file_cut_short_in_its_tags_is_named_in_the_note(tmp_path):
    p = _geo_cut(tmp_path / "one.tif", GEO[2:])
    cut = [n for n in read_image(p).notes if "cut short" in n]
    assert cut == ["the file is cut short: its tags GeoKeyDirectory, GeoASCIIParams lie past its end and were not "
                   "read (georeferencing tags among them: the image may be read as not georeferenced, or placed "
                   "wrongly); get a whole copy of one.tif (copy or download it again: a transfer cut short leaves "
                   "such a file)"], cut


def test_a_sidecar_nodata_on_one_band_of_several_is_said_naming_it(tmp_path):
    """gdal_edit.py -ro -a_nodata 7 on a 3-band GeoTIFF of its own 0 wrote band 1's alone; a sidecar of band 2's alone
    had the 0 collar read as data, unsaid (the check looked at band 1's nodata only)."""
    p = _tif(tmp_path / "rgb.tif", 3, nodata=0, fill=0)
    assert not read_image(p).valid[:, :10].any()
    p.with_name("rgb.tif.aux.xml").write_bytes(b'<PAMDataset><PAMRasterBand band="2"><NoDataValue>7</NoDataValue>'
                                               b"</PAMRasterBand></PAMDataset>")
    img = read_image(p)
    assert img.valid is None or img.valid[:, :10].all()  # what the note says: the collar is data now
    said = [n for n in img.notes if ".aux.xml" in n]
    assert said == [f"{p}.aux.xml: GDAL's sidecar sets nodata 7, over {p}'s own 0, in band 2: the sidecar's is "
                    "applied (pixels of 0 read as data); remove the sidecar if it is not this file's"], img.notes
