"""Reading tour 80: damaged copies of each real file (cut in half, header bytes flipped) are refused naming the copy,
and a ``.aux.xml`` sidecar GDAL ignored in whole or part is said: one copied from another file (describing band 7
of a 1-band file) had renamed a Sentinel-1 VV band "B08" and flagged it alpha, unsaid; one that is not XML was
dropped, its band names and nodata with it, unsaid."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import REALDATA, realdata_missing

rasterio = pytest.importorskip("rasterio")
pytestmark = pytest.mark.filterwarnings("ignore::rasterio.errors.NotGeoreferencedWarning")

from rasterio.transform import from_origin  # noqa: E402

from rsvlm.io.image import ImageReadError  # noqa: E402
from rsvlm.io.read import read_image  # noqa: E402

LIES = ('<PAMDataset><PAMRasterBand band="7"><Description>NIR</Description></PAMRasterBand>'
        '<PAMRasterBand band="1"><Description>B8</Description><ColorInterp>Alpha</ColorInterp></PAMRasterBand>'
        '</PAMDataset>')


def _tif(path, count=1):
    rng = np.random.default_rng(1)
    with rasterio.open(path, "w", driver="GTiff", width=40, height=30, count=count, dtype="uint16",
                       crs="EPSG:32631", transform=from_origin(600000, 5700000, 10, 10)) as ds:
        ds.write(rng.integers(100, 4000, (count, 30, 40), dtype=np.uint16))
        for k in range(count):
            ds.set_band_description(k + 1, f"VV{k}" if count > 1 else "VV")
    return path


def test_a_sidecar_of_another_file_is_said_with_what_it_applied(tmp_path):
    p = _tif(tmp_path / "vv.tif")
    (tmp_path / "vv.tif.aux.xml").write_text(LIES)
    img = read_image(p, "sar")
    said = [n for n in img.notes if "aux.xml" in n]
    assert len(said) == 1, img.notes
    assert said[0].startswith(f"{p}.aux.xml: GDAL's sidecar describes band 7, but ") and "has 1 band" in said[0]
    assert "band 1 (name B8, colour Alpha) are applied" in said[0] and "remove the sidecar" in said[0], said[0]


def test_a_sidecar_that_is_not_xml_is_said_ignored(tmp_path):
    p = _tif(tmp_path / "vv.tif", count=2)
    (tmp_path / "vv.tif.aux.xml").write_text('<PAMDataset><PAMRasterBand band="1"><Desc')
    img = read_image(p, "sar")
    said = [n for n in img.notes if "aux.xml" in n]
    assert len(said) == 1 and said[0].startswith(f"{p}.aux.xml: GDAL's sidecar of ") and "not readable XML" in said[0]


def test_a_true_sidecar_is_not_noted(tmp_path):
    """GDAL's own PAM file for a PNG (its georeferencing and band names): in range, nothing said."""
    from rasterio.shutil import copy

    copy(_tif(tmp_path / "g.tif", count=3).as_posix(), (tmp_path / "g.png").as_posix(), driver="PNG")
    p = tmp_path / "g.png"
    (tmp_path / "g.tif").unlink()
    assert (tmp_path / "g.png.aux.xml").is_file()
    img = read_image(p, "optical")
    assert not [n for n in img.notes if "aux.xml" in n], img.notes


def _rasters():
    if not REALDATA.is_dir():
        return []
    return sorted(p for p in REALDATA.rglob("*") if p.suffix.lower() in (".tif", ".tiff", ".png", ".jpg", ".jp2"))


@pytest.mark.realdata
@pytest.mark.skipif(not _rasters(), reason=realdata_missing())
@pytest.mark.parametrize("how", ["cut", "header"])
def test_every_damaged_real_file_is_refused_naming_it(tmp_path, how):
    said = {}
    for f in _rasters():
        b = bytearray(f.read_bytes())
        if how == "cut":
            b = b[: len(b) // 2]
        else:
            b[4:8] = bytes(x ^ 0xFF for x in b[4:8])  # a TIFF's first IFD offset, a PNG's IHDR length, a JPEG's APP0
        p = tmp_path / f"{f.parent.name}_{f.name}"
        p.write_bytes(bytes(b))
        with pytest.raises(ImageReadError) as e:
            read_image(p)
        said[f.name] = str(e.value)
        assert said[f.name].startswith(f"{p}: ") and "truncated or corrupt" in said[f.name], said[f.name]
    assert len(said) >= 15, sorted(said)
