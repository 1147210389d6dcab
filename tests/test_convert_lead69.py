"""Converters, stop 69 round 3: a binary GeoTIFF label's alpha band and colour bands are read as a PNG's are."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
from convert_helpers import convert, objs, png, same_ring

SHAPE = [[10, 10], [40, 10], [40, 30], [10, 30]]


def _label_tif(path, bands, **kw):
    """``bands`` (C, 48, 64) uint8 written to ``path`` as a GeoTIFF label (``kw``: photometric, alpha)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with rasterio.open(path, "w", driver="GTiff", width=64, height=48, count=len(bands), dtype="uint8", **kw) as ds:
        ds.write(np.stack(bands))  # (C, H, W)


def _shape():
    a = np.zeros((48, 64), np.uint8)
    a[10:30, 10:40] = 255
    return a


def _masks(tmp_path, bands, **kw):
    png(tmp_path / "img" / "a.png", 64, 48)
    _label_tif(tmp_path / "lab" / "a_mask.tif", bands, **kw)
    return convert(tmp_path / "o", "masks", "--images", str(tmp_path / "img"), "--labels", str(tmp_path / "lab"),
                   "--binary", "building", "--no-progress")


GREY_ALPHA = {"photometric": "MINISBLACK", "alpha": "YES"}
RGB_ALPHA = {"photometric": "RGB", "alpha": "YES"}


@pytest.mark.parametrize("colours,kw", [(1, GREY_ALPHA), (3, RGB_ALPHA)], ids=["grey+alpha", "rgba"])
def test_a_binary_geotiff_drawn_black_on_its_alpha_band_is_read_by_its_alpha(tmp_path, colours, kw):
    # its alpha band was ignored: black everywhere read as an empty mask, the class lost ("no records written")
    zero = np.zeros((48, 64), np.uint8)
    stats, recs = _masks(tmp_path, [zero] * colours + [_shape()], **kw)
    assert stats["notes"]["labels_read_by_alpha"] == 1 and len(recs) == 1
    (obj,) = objs(recs[0])
    assert same_ring(obj["coords"], SHAPE, 64)


@pytest.mark.parametrize("colours,kw", [(1, GREY_ALPHA), (3, RGB_ALPHA)], ids=["grey+alpha", "rgba"])
def test_a_binary_geotiffs_transparent_pixels_are_no_class(tmp_path, colours, kw):
    # white under alpha 0 (an editor's export) was the class all over: one polygon of the whole image
    white = np.full((48, 64), 255, np.uint8)
    stats, recs = _masks(tmp_path, [white] * colours + [_shape()], **kw)
    assert len(recs) == 1 and "labels_read_by_alpha" not in stats["notes"]
    (obj,) = objs(recs[0])
    assert same_ring(obj["coords"], SHAPE, 64)


def test_a_levir_cd_geotiff_label_drawn_black_on_its_alpha_band_is_read_by_its_alpha(tmp_path):
    for side in ("A", "B"):
        png(tmp_path / "cd" / side / "a.png", 64, 48)
    zero = np.zeros((48, 64), np.uint8)
    _label_tif(tmp_path / "cd" / "label" / "a.tif", [zero, _shape()], **GREY_ALPHA)
    stats, recs = convert(tmp_path / "o", "levir-cd", "--src", str(tmp_path / "cd"), "--no-progress")
    assert stats["notes"]["labels_read_by_alpha"] == 1
    assert any(same_ring(o["coords"], SHAPE, 64) for r in recs for o in objs(r) if "coords" in o)


@pytest.mark.parametrize("band,value", [(1, 255), (2, 255), (2, 1)])
def test_a_binary_geotiff_mask_in_green_or_blue_is_read_by_its_brightest_band(tmp_path, band, value):
    # its red band alone was read: a green or blue mask was empty, its class lost unsaid (a 0/1 one in blue is
    # 0 by PIL's luminance, 0.114 rounded: not 0 wherever a band is not)
    bands = [np.zeros((48, 64), np.uint8) for _ in range(3)]
    bands[band] = _shape() // 255 * value
    stats, recs = _masks(tmp_path, bands, photometric="RGB")
    assert len(recs) == 1 and not stats["skipped"]
    (obj,) = objs(recs[0])
    assert same_ring(obj["coords"], SHAPE, 64)


def test_llava_reads_content_given_as_text_and_image_parts(tmp_path):
    # OpenAI's / Hugging Face chat templates' content parts: "unparsable_record (conversation value is not a string)"
    from convert_helpers import llava_rows

    parts = [{"type": "image"}, {"type": "text", "text": "What is this?"}]
    rows = [{"id": "a", "image": "a.png", "messages": [
        {"role": "user", "content": parts}, {"role": "assistant", "content": [{"type": "text", "text": "a church"}]}]}]
    stats, recs = llava_rows(tmp_path, rows)
    assert not stats["skipped"] and [r["conversations"] for r in recs] == [
        [{"from": "user", "value": "<image>\nWhat is this?"}, {"from": "assistant", "value": "a church"}]]


def test_llava_names_a_content_part_it_cannot_read(tmp_path):
    from convert_helpers import llava_rows

    rows = [{"id": "a", "image": "a.png", "messages": [
        {"role": "user", "content": [{"type": "video"}, {"type": "text", "text": "What?"}]},
        {"role": "assistant", "content": "x"}]}]
    stats, recs = llava_rows(tmp_path, rows)
    assert recs == [] and "a content part of type 'video': text and image parts are read" in stats[
        "skipped_examples"]["unparsable_record"]


@pytest.mark.parametrize("classes", ["ship;large-vehicle", "ship | large-vehicle"])
def test_classes_run_together_by_semicolons_say_commas(tmp_path, capsys, classes):
    # read as one class no annotation had: every ship and large vehicle left out, "no records written"
    from data_gen.convert import main

    png(tmp_path / "d" / "images" / "a.png", 100, 80)
    (tmp_path / "d" / "labelTxt").mkdir()
    (tmp_path / "d" / "labelTxt" / "a.txt").write_text("10 10 40 10 40 30 10 30 ship 0\n")
    assert main(["dota", "--src", str(tmp_path / "d"), "--out", str(tmp_path / "o"), "--classes", classes]) == 2
    assert "separate classes by commas: --classes ship,large-vehicle" in capsys.readouterr().err


@pytest.mark.parametrize("palette,notes,classes", [
    ({"field": 1, "house": 2}, {"label_pixels_nodata": 8 * 48}, {"field", "house"}),
    ({"field": 1, "house": 2, "edge": 255}, {}, {"field", "house", "edge"}),  # a class claims it: kept
])
def test_a_palette_geotiff_labels_nodata_is_no_class(tmp_path, palette, notes, classes):
    # its declared nodata 255 was "unknown_label_value (value 255 on 384 pixels)", a bad annotation (--strict raised)
    import json

    from convert_helpers import tif_label

    png(tmp_path / "img" / "a.png", 64, 48)
    lab = np.ones((48, 64), np.uint8)
    lab[10:30, 10:40] = 2
    lab[:, :8] = 255  # a collar of no data
    tif_label(tmp_path / "lab" / "a_mask.tif", lab, 255)
    (tmp_path / "p.json").write_text(json.dumps(palette))
    stats, recs = convert(tmp_path / "o", "masks", "--images", str(tmp_path / "img"), "--labels",
                          str(tmp_path / "lab"), "--palette", str(tmp_path / "p.json"), "--strict")
    assert not stats["skipped"] and stats["notes"] == notes
    assert {r["id"].split("-")[2] for r in recs} == classes
