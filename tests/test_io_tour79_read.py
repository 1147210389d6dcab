"""Reading tour 79: a damaged file whose bytes are another format than its extension names (Sentinel-2 band files
saved as GeoTIFFs named .jp2) says so in its error, as such a file that reads says so in a note; a PNG whose header
is damaged is said to be truncated or corrupt, with what to do, as other formats are."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import REALDATA

rasterio = pytest.importorskip("rasterio")

from rsvlm.io.checks import ImageReadError  # noqa: E402
from rsvlm.io.pil_source import held_format  # noqa: E402
from rsvlm.io.read import read_image  # noqa: E402

S2 = REALDATA / "msi_s2"
WHOLE_COPY = "get a whole copy"


def _tif(path: Path, n: int = 64) -> Path:
    with rasterio.open(path, "w", driver="GTiff", width=n, height=n, count=1, dtype="uint16", tiled=True,
                       blockxsize=16, blockysize=16) as ds:
        ds.write(np.random.default_rng(0).integers(1, 9000, (1, n, n), dtype="uint16"))
    return path


def _cut(src: Path, dst: Path, keep: float = 0.5) -> Path:
    data = src.read_bytes()
    dst.write_bytes(data[: int(len(data) * keep)])
    return dst


@pytest.mark.parametrize("name, said", [("B02.jp2", "a TIFF named .jp2, read as one"),
                                        ("B02.png", "a TIFF named .png, read as one"), ("B02.tif", None)])
def test_a_cut_tiff_named_as_another_format_says_so_in_its_error(tmp_path, name, said):
    """A cut GeoTIFF named .jp2 failed on 'TIFFReadEncodedTile() failed', which a reader of a .jp2 could not place."""
    bad = _cut(_tif(tmp_path / "whole.tif"), tmp_path / name)
    with pytest.raises(ImageReadError) as e:
        read_image(bad)
    msg = str(e.value)
    assert msg.startswith(f"{bad}: ") and "truncated or corrupt" in msg and msg.endswith(
        "(copy or download it again: a transfer cut short leaves such a file)")
    if said:
        assert msg.count(said) == 1 and msg.index(said) < msg.index(WHOLE_COPY)
    else:
        assert " named ." not in msg


def test_a_tiff_named_jp2_whose_header_is_damaged_says_so(tmp_path):
    data = bytearray(_tif(tmp_path / "whole.tif").read_bytes())
    data[8:200] = b"\xff" * 192  # its first directory garbled, its TIFF start kept
    (bad := tmp_path / "B08.jp2").write_bytes(bytes(data))
    with pytest.raises(ImageReadError, match=r"B08\.jp2: not a readable raster, truncated or corrupt .*; a TIFF named "
                                             r"\.jp2, read as one; get a whole copy"):
        read_image(bad)


def test_a_png_with_a_zeroed_header_is_said_damaged_with_what_to_do(tmp_path):
    """It was 'not a readable image (cannot identify image file …)', with nothing to do; GDAL now tries it too."""
    from PIL import Image

    Image.fromarray(np.zeros((20, 20), np.uint8)).save(tmp_path / "a.png")
    data = bytearray((tmp_path / "a.png").read_bytes())
    data[:16] = bytes(16)
    (bad := tmp_path / "zero.png").write_bytes(bytes(data))
    with pytest.raises(ImageReadError, match=r"zero\.png: not a readable raster, truncated or corrupt .*get a whole "
                                             r"copy") as e:
        read_image(bad)
    assert " named ." not in str(e.value)  # its bytes start no format: none is claimed


def test_held_format_reads_the_first_bytes(tmp_path):
    from PIL import Image

    Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(tmp_path / "a.jpg")
    (tmp_path / "t.txt").write_text("hello")
    assert [held_format(p) for p in (_tif(tmp_path / "a.tif"), tmp_path / "a.jpg", tmp_path / "t.txt",
                                     tmp_path / "missing.png", "/vsizip/x.zip/a.tif")] == ["TIFF", "JPEG", None, None,
                                                                                           None]


def test_the_real_sentinel2_band_file_cut_says_it_is_a_tiff_named_jp2(tmp_path):
    if not S2.exists():
        pytest.skip(f"real data not found: {S2}")
    bands = [str(S2 / f"{b}.jp2") for b in ("B03", "B04", "B08")]
    bad = _cut(S2 / "B02.jp2", tmp_path / "B02.jp2", 0.45)
    with pytest.raises(ImageReadError) as e:
        read_image([str(bad), *bands])
    msg = str(e.value)
    assert msg.startswith(f"{bad}: ") and "a TIFF named .jp2, read as one; get a whole copy" in msg


def test_a_damaged_tiff_named_png_raises_without_pils_exif_warning(tmp_path):
    """PIL, opening it before handing it to GDAL, printed 'UserWarning: Corrupt EXIF data …' (two lines) on stderr."""
    import warnings

    data = bytearray(_tif(tmp_path / "whole.tif").read_bytes())
    data[8:200] = b"\xff" * 192
    (bad := tmp_path / "scene.png").write_bytes(bytes(data))
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        with pytest.raises(ImageReadError, match=r"scene\.png: .*a TIFF named \.png, read as one; get a whole copy"):
            read_image(bad)
