"""Rough-edge tour 53 of the converters' image reads: what GDAL says of a damaged file."""

from __future__ import annotations

import logging

import pytest

pytest.importorskip("rasterio")
pytest.importorskip("tifffile")

from test_io_tour53 import bogus_strip_count, two_page_tiff  # noqa: E402  (the damaged TIFFs)

from data_gen.convert.common import ConversionError, Output, image_size  # noqa: E402


def test_a_converters_gdal_warning_is_a_stats_note_naming_the_file(tmp_path, capfd):
    """image_size read outside rasterio.Env: GDAL's 'Bogus StripByteCounts' went nowhere (or, with
    logging set up, to stderr naming no file) and the converted record gave no sign of it."""
    from convert_helpers import convert

    src = tmp_path / "dota"
    (src / "images").mkdir(parents=True)
    (src / "labelTxt").mkdir()
    image = bogus_strip_count(src / "images" / "P0001.tif")
    (src / "labelTxt" / "P0001.txt").write_text("4 4 30 4 30 20 4 20 ship 0\n")
    stats, records = convert(tmp_path / "o", "dota", "--src", str(src))
    assert len(records) >= 1
    said = [k for k in stats["notes"] if "StripByteCounts" in k]
    assert len(said) == 1 and said[0].startswith(f"{image}: GDAL warning while reading: TIFFReadDirectory"), stats
    assert "StripByteCounts" not in capfd.readouterr().err


def test_without_an_output_the_message_is_logged_naming_the_file(tmp_path, caplog):
    path = two_page_tiff(tmp_path / "pages.tif", next_ifd=10**9)
    with caplog.at_level(logging.DEBUG):
        assert image_size(path) == (64, 64)
    ours = [r.getMessage() for r in caplog.records if r.name == "data_gen.convert"]
    assert ours and all(m.startswith(f"{path}: GDAL error while reading") for m in ours), caplog.records
    assert any("offset 1000000000" in m for m in ours), ours
    unnamed = [r for r in caplog.records if r.name.startswith("rasterio") and "irectory" in r.getMessage()]
    assert not unnamed, unnamed  # GDAL's own lines, which name no file or only in passing


def test_a_clean_file_adds_no_note(tmp_path):
    path = two_page_tiff(tmp_path / "pages.tif")
    out = Output(tmp_path / "o", source="test")
    assert image_size(path, out) == (64, 64)
    assert not out.notes and not out.started


def test_a_truncated_tiff_error_keeps_what_gdal_said_on_the_way(tmp_path):
    """The error gave rasterio's last exception only; GDAL's 'got N bytes, expected M' came
    before it as an unnamed log line."""
    full = bogus_strip_count(tmp_path / "full.tif")
    cut = tmp_path / "cut.tif"
    cut.write_bytes(full.read_bytes()[:-2000])
    with pytest.raises(ConversionError, match="cut.tif: cannot read image") as err:
        image_size(cut)
    assert "StripByteCounts" in str(err.value), str(err.value)


@pytest.mark.parametrize("name", ["scene.png", "scene.jpg"])
def test_an_image_past_pils_decompression_limit_is_read_through_not_skipped(tmp_path, monkeypatch, name):
    """PIL refuses an image over twice Image.MAX_IMAGE_PIXELS (179 M px: a 20000 x 20000 DOTA-v2
    PNG), so image_size called it unreadable and the converters skipped it; between one and two
    times the limit PIL's DecompressionBombWarning printed naming no file."""
    import warnings

    import numpy as np
    from PIL import Image

    path = tmp_path / name
    Image.fromarray((np.arange(64 * 48 * 3) % 251).astype(np.uint8).reshape(48, 64, 3)).save(path)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)  # 3072 px: past twice the limit
    assert image_size(path) == (64, 48)
    cut = tmp_path / f"cut{path.suffix}"
    cut.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(ConversionError, match=f"{cut.name}: cannot read image"):
        image_size(cut)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 2000)  # past the limit, below twice it: PIL warns
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        assert image_size(path) == (64, 48)


@pytest.mark.parametrize("name", ["empty.png", "empty.tif"])
def test_an_empty_file_is_said_to_be_empty_as_the_reader_says(tmp_path, name):
    """A 0-byte image was "cannot identify image file" or GDAL's "not recognized as being in a
    supported file format" (twice: raised, and again as what GDAL said on the way)."""
    path = tmp_path / name
    path.write_bytes(b"")
    with pytest.raises(ConversionError, match=rf"{name}: empty file \(0 bytes\); get a whole copy \(.*\)$"):
        image_size(path)
    junk = tmp_path / "junk.tif"
    junk.write_bytes(b"not a tiff")
    with pytest.raises(ConversionError) as err:
        image_size(junk)
    assert str(err.value).count("not recognized") == 1, str(err.value)


def test_a_georeferenced_pngs_sidecars_are_copied_with_it(tmp_path):
    """GDAL keeps a PNG's CRS and transform in ``a.png.aux.xml`` (or a world file): copy_image
    copied the PNG alone, so the record's image was no longer georeferenced."""
    import numpy as np
    import rasterio
    from convert_helpers import convert
    from rasterio.transform import from_origin

    from rsvlm.io import read_image

    (tmp_path / "src" / "ship").mkdir(parents=True)
    with rasterio.Env(), rasterio.open(tmp_path / "src" / "ship" / "a.png", "w", driver="PNG", width=32, height=32,
                                       count=3, dtype="uint8", crs="EPSG:32633",
                                       transform=from_origin(500000, 4000000, 1, 1)) as ds:
        ds.write(np.full((3, 32, 32), 100, np.uint8))
    for _ in range(2):  # a second run into the folder: the sidecar is no stale image
        stats, records = convert(tmp_path / "out", "folder", "--src", str(tmp_path / "src"))
        img = read_image(tmp_path / "out" / records[0]["images"][0]["path"])
        assert img.georeferenced and img.crs == "EPSG:32633", img
        assert stats["notes"]["sidecars_copied"] == 1 and stats["images"] == 1, stats
        assert "stale_images_from_earlier_runs" not in stats["notes"], stats


def test_the_folder_converter_puts_gdals_words_in_its_stats_too(tmp_path, capfd):
    """folder (and levir, llava, masks, rsivqa, rsvqa) called image_size without their Output: the
    message was only a log line, and the stats said nothing of the damaged file."""
    from convert_helpers import convert

    (tmp_path / "src" / "forest").mkdir(parents=True)
    image = bogus_strip_count(tmp_path / "src" / "forest" / "f1.tif")
    stats, records = convert(tmp_path / "o", "folder", "--src", str(tmp_path / "src"), "--modality", "ir")
    assert len(records) == 1
    said = [k for k in stats["notes"] if "StripByteCounts" in k]
    assert len(said) == 1 and said[0].startswith(f"{image}: GDAL warning while reading"), stats["notes"]
