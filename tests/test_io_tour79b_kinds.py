"""Reading tour 79b: a whole file of a kind no reader here reads (a HEIC photo, a video, a PDF) named .jpg or .png
says what it is and how to convert it, not "truncated or corrupt; get a whole copy"; a damaged BMP, WebP or JPEG
2000 named as another format says its kind; a product's metadata given as the image names the imagery beside it; a
geographic CRS GDAL writes only as WKT 2 is named longitude first; real files' windows read as rasterio reads them."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest
from conftest import REALDATA, needs_realdata

rasterio = pytest.importorskip("rasterio")
PIL = pytest.importorskip("PIL.Image")
pytestmark = pytest.mark.filterwarnings("ignore::rasterio.errors.NotGeoreferencedWarning")

from rsvlm.io.checks import ImageReadError  # noqa: E402
from rsvlm.io.file_kinds import held_format  # noqa: E402
from rsvlm.io.read import read_image  # noqa: E402

REAL = REALDATA
WHOLE_COPY = "get a whole copy"


def _ftyp(brand: bytes) -> bytes:
    return struct.pack(">I", 24) + b"ftyp" + brand + b"\0\0\0\0" + b"mif1" + brand + bytes(range(256)) * 4


def _pdf(path: Path) -> Path:
    PIL.fromarray(np.full((16, 16, 3), 90, np.uint8)).save(path, format="PDF")
    return path


@pytest.mark.parametrize("name, start, said", [
    ("photo.jpg", _ftyp(b"heic"), ["a HEIC named .jpg", "convert it (e.g. magick photo.jpg photo.png)"]),
    ("photo.png", _ftyp(b"heix"), ["a HEIC named .png", "magick photo.png photo.tif"]),
    ("photo.heic", _ftyp(b"heic"), ["photo.heic: a HEIC (a phone's", "magick photo.heic photo.png"]),
    ("clip.jpg", _ftyp(b"isom"), ["an MP4/MOV video named .jpg, not an image", "ffmpeg -i clip.jpg -frames:v 1"]),
    ("map.png", b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n%%EOF\n",
     ["a PDF named .png, not an image", "pdftoppm"]),
])
def test_a_whole_file_of_a_kind_no_reader_reads_says_what_it_is(tmp_path, monkeypatch, name, start, said):
    """Each was "not a readable raster, truncated or corrupt (…not recognized…); get a whole copy" (an all-ASCII PDF
    "a text file"): the file is whole, and a new copy fails the same way."""
    monkeypatch.chdir(tmp_path)  # the commands name the file as given
    p = Path(name)
    p.write_bytes(start)
    with pytest.raises(ImageReadError) as e:
        read_image(p)
    msg = str(e.value)
    assert msg.startswith(f"{p}: ") and all(s in msg for s in said), msg
    assert WHOLE_COPY not in msg and "truncated or corrupt" not in msg and "read as one" not in msg


def test_a_real_pdf_named_png_says_pdf(tmp_path):
    """A PDF PIL wrote (binary, so not taken for text) named .png."""
    p = _pdf(tmp_path / "map.pdf").rename(tmp_path / "map.png")
    with pytest.raises(ImageReadError, match=r"map\.png: a PDF named \.png, not an image") as e:
        read_image(p)
    assert WHOLE_COPY not in str(e.value)


def test_a_heic_named_tif_is_said_once_without_get_a_whole_copy(tmp_path):
    """tifffile's "not a TIFF file" and DAMAGED had followed the HEIC words."""
    p = tmp_path / "photo.tif"
    p.write_bytes(_ftyp(b"heic"))
    with pytest.raises(ImageReadError) as e:
        read_image(p)
    assert "a HEIC named .tif" in str(e.value) and WHOLE_COPY not in str(e.value), str(e.value)


@pytest.mark.parametrize("fmt, name, kind", [("BMP", "a.jpg", "a BMP named .jpg"),
                                             ("WEBP", "a.jpg", "a WebP named .jpg"),
                                             ("JPEG2000", "a.png", "a JPEG 2000 named .png")])
def test_a_cut_file_of_a_read_kind_is_damaged_with_its_kind(tmp_path, fmt, name, kind):
    """A cut BMP or WebP named .jpg had no kind said; a cut JPEG 2000 named .png was "a file GDAL's JPEG 2000 driver
    reads, named .png" (the format name taken for a driver's)."""
    if fmt == "WEBP" and not __import__("PIL.features").features.check("webp"):
        pytest.skip("this PIL has no WebP")
    whole = tmp_path / f"whole.{fmt.lower()}"
    PIL.fromarray((np.random.default_rng(0).random((64, 64, 3)) * 255).astype(np.uint8)).save(whole, format=fmt)
    data = whole.read_bytes()
    (tmp_path / name).write_bytes(data[: len(data) // 3])
    with pytest.raises(ImageReadError) as e:
        read_image(tmp_path / name)
    assert f"; {kind}, read as one" in str(e.value) and WHOLE_COPY in str(e.value), str(e.value)


def test_held_format_reads_iso_media_riff_bmp_and_pdf_starts(tmp_path):
    cases = {"h": _ftyp(b"heic"), "a": _ftyp(b"avif"), "v": _ftyp(b"mp42"), "w": b"RIFF\x10\0\0\0WEBPVP8 ",
             "b": b"BM" + b"\x36\x10\0\0" + b"\0\0\0\0" + b"\x36\0\0\0", "p": b"%PDF-1.7\n", "t": b"BMW cars\n" * 3}
    for k, v in cases.items():
        (tmp_path / k).write_bytes(v)
    assert {k: held_format(tmp_path / k) for k in cases} == {
        "h": "HEIC", "a": "AVIF", "v": "MP4/MOV video", "w": "WebP", "b": "BMP", "p": "PDF", "t": None}


def test_an_avif_file_reads_by_pil_where_pil_reads_avif(tmp_path):
    """.avif went to GDAL (no AVIF driver here): "truncated or corrupt; get a whole copy" of a whole file."""
    from PIL import features

    if not features.check("avif"):
        pytest.skip("this PIL has no AVIF")
    p = tmp_path / "a.avif"
    PIL.fromarray(np.full((32, 32, 3), 120, np.uint8)).save(p)
    assert read_image(p).data.shape == (3, 32, 32)


def test_product_metadata_given_as_the_image_names_the_imagery_beside_it(tmp_path):
    """A Sentinel product's productInfo.json was "a text file, not an image" with nothing of its image beside it."""
    img = tmp_path / "GRANULE" / "L1C_T32" / "IMG_DATA"
    img.mkdir(parents=True)
    for b in ("B02", "B03"):
        with rasterio.open(img / f"{b}.tif", "w", driver="GTiff", width=8, height=8, count=1, dtype="uint16") as ds:
            ds.write(np.ones((1, 8, 8), np.uint16))
    meta = tmp_path / "productInfo.json"
    meta.write_text('{"id": "S2A"}\n')
    with pytest.raises(ImageReadError) as e:
        read_image(meta)
    msg = str(e.value)
    assert msg.startswith(f"{meta}: a text file, not an image"), msg
    assert f"its folder {tmp_path} holds imagery" in msg and str(img / "B02.tif") in msg, msg
    page = tmp_path / "alone" / "scene.tif"  # an error page saved as a raster's name: no folder offered
    page.parent.mkdir()
    page.write_text("<html>404</html>")
    with pytest.raises(ImageReadError) as e:
        read_image(page)
    assert "holds imagery" not in str(e.value)


@needs_realdata("sar_s1grd")
def test_the_real_s1_product_info_names_its_tiff():
    with pytest.raises(ImageReadError) as e:
        read_image(REAL / "sar_s1grd" / "productInfo.json")
    assert str(e.value).endswith(f"; give its image: {REAL / 'sar_s1grd' / 'iw-vv.tiff'}"), str(e.value)


class _Wkt2Only:
    """A geographic CRS as GDAL gives one it cannot write as WKT 1: ``to_wkt`` gives WKT 2, latitude first."""

    def __init__(self, crs):
        self.crs = crs

    def to_wkt(self):
        return self.crs.to_wkt(version="WKT2_2019")

    def to_dict(self, projjson=False):
        return self.crs.to_dict(projjson=projjson)


def test_a_geographic_crs_written_only_as_wkt2_is_named_longitude_first():
    """``_lon_lat_wkt``'s text rewrite found no WKT 1 axes in a WKT 2 and kept latitude first."""
    from rasterio.crs import CRS

    from rsvlm.io.georef import _lon_lat

    crs = CRS.from_epsg(4258)  # ETRS89: latitude first in EPSG
    name = _lon_lat(_Wkt2Only(crs))
    back = CRS.from_user_input(name).to_dict(projjson=True)
    assert [a["direction"] for a in back["coordinate_system"]["axis"]] == ["east", "north"], name
    assert "4258" not in name.split("ID[")[-1] if "ID[" in name else True
    assert CRS.from_user_input(name).to_dict(projjson=True)["datum"]["name"].startswith("European Terrestrial")


REAL_WINDOWS = [("msi_landsat7/RGB.byte.tif", None), ("msi_rgbn/rgbn_suba.tif", "R,G,B,NIR"),
                ("seg_detectree/1091-322_00_img.tif", None), ("obb_dota/P1888.png", None)]


@needs_realdata()
@pytest.mark.parametrize("rel, bands", REAL_WINDOWS)
def test_a_real_8bit_window_reads_as_rasterio_reads_it(rel, bands):
    """Windows of the real 8-bit files: read_image's values × 255 equal rasterio's raw window."""
    from rasterio.windows import Window as RWindow

    path = REAL / rel
    with rasterio.open(path) as ds:
        w, h = ds.width, ds.height
        for x0, y0, ww, hh in [(0, 0, 32, 32), (w - 40, h - 30, 40, 30), (w // 3, h // 2, 17, 9)]:
            raw = ds.read(window=RWindow(x0, y0, ww, hh))
            img = read_image(path, bands=bands, window=(x0, y0, ww, hh))
            assert img.data.shape == raw.shape
            np.testing.assert_array_equal(np.rint(img.data * 255).astype(np.uint8), raw)
