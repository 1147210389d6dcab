"""Review 80 (C): the ``.aux.xml`` note (dbcf6976) parsed every sidecar again after GDAL had (2.2 ms of a
240 kB sidecar of histograms, a third of an open), said a sidecar GDAL reads ("&nbsp;") was "ignored", and let one
opening with an XML declaration, which GDAL 3.10 ignores whole, pass unsaid. A band name not UTF-8 (a Latin-1
sidecar) ended the read in a UnicodeDecodeError naming no file."""

from __future__ import annotations

import numpy as np
import pytest

rasterio = pytest.importorskip("rasterio")
pytestmark = pytest.mark.filterwarnings("ignore::rasterio.errors.NotGeoreferencedWarning")

from rasterio.transform import from_origin  # noqa: E402

from rsvlm.io import aux_sidecar  # noqa: E402
from rsvlm.io.read import read_image  # noqa: E402

BODY = b'<PAMDataset><PAMRasterBand band="1"><Description>HH</Description></PAMRasterBand></PAMDataset>'


def _tif(path):
    with rasterio.open(path, "w", driver="GTiff", width=40, height=30, count=1, dtype="uint16",
                       crs="EPSG:32631", transform=from_origin(600000, 5700000, 10, 10)) as ds:
        ds.write(np.arange(1200, dtype=np.uint16).reshape(1, 30, 40))
    return path


def _notes(p, sidecar: bytes) -> tuple[tuple, list[str]]:
    p.with_name(p.name + ".aux.xml").write_bytes(sidecar)
    with rasterio.open(p) as ds:
        return ds.descriptions, aux_sidecar.sidecar_notes([ds])


def test_a_sidecar_opening_with_an_xml_declaration_is_said_ignored(tmp_path):
    p = _tif(tmp_path / "hh.tif")
    names, said = _notes(p, b'<?xml version="1.0" encoding="UTF-8"?>\n' + BODY)
    assert names == (None,)  # GDAL read none of it
    assert len(said) == 1 and said[0].startswith(f"{p}.aux.xml: GDAL's sidecar of {p} opens with '<?xml'"), said
    assert "ignored" in said[0]


def test_a_sidecar_gdal_reads_is_not_said_ignored(tmp_path):
    p = _tif(tmp_path / "hh.tif")
    for sidecar in (BODY.replace(b"HH<", b"HH&nbsp;<"), b"\xef\xbb\xbf" + BODY, b"\n  " + BODY + b"\n"):
        names, said = _notes(p, sidecar)
        assert names == ("HH",) and said == [], (sidecar, said)


def test_a_whole_sidecar_whose_bands_fit_is_not_parsed_again(tmp_path, monkeypatch):
    p = _tif(tmp_path / "hh.tif")
    hist = b"<Histograms>" + b"<HistItem><HistCounts>" + b"7 " * 20000 + b"</HistCounts></HistItem></Histograms>"
    monkeypatch.setattr(aux_sidecar, "ET", None)  # any parse fails
    assert _notes(p, BODY.replace(b"</PAMRasterBand>", hist + b"</PAMRasterBand>")) == (("HH",), [])


def test_no_sidecar_listed_by_gdal_is_no_look(tmp_path, monkeypatch):
    """The files GDAL lists say whether a sidecar is there: nothing is opened or looked up besides."""
    class Listed:
        name, count, files = str(tmp_path / "hh.tif"), 1, [str(tmp_path / "hh.tif")]

    (tmp_path / "hh.tif.aux.xml").write_bytes(b"junk")  # not GDAL's (it lists none): not said
    monkeypatch.setattr("builtins.open", None)
    assert aux_sidecar.sidecar_notes([Listed()]) == []


def test_a_latin1_band_name_is_said_naming_the_file_not_a_traceback(tmp_path):
    p = _tif(tmp_path / "hh.tif")
    p.with_name("hh.tif.aux.xml").write_bytes(BODY.replace(b"HH", "H\xe4".encode("latin-1")))
    img = read_image(p, "sar")  # tifffile reads it, saying why GDAL did not
    said = [n for n in img.notes if "not UTF-8" in n]
    assert said and f"{p}: a band name or tag GDAL read for it is not UTF-8" in said[0], img.notes
    assert "save that as UTF-8 or remove it" in said[0]
