"""Stop 80's converter tour: a file named as a mask told by its pixels, RSVQA's answers_ids shortened, one reading
of a DOTA line of 7 numbers then a word."""

from __future__ import annotations

import json

import numpy as np
import pytest
from convert_helpers import convert, dota_lines, png
from PIL import Image


def voc_scene(src, extra: dict) -> dict:
    """``convert voc``'s stats over ``a.png`` (one XML) beside the files ``extra`` (name → (H, W[, 3]) uint8 array)."""
    png(src / "a.png", 64, 48)
    for name, a in extra.items():
        Image.fromarray(a).save(src / name)
    (src / "a.xml").write_text("<annotation><filename>a.png</filename><object><name>ship</name><bndbox><xmin>5</xmin>"
                               "<ymin>5</ymin><xmax>20</xmax><ymax>20</ymax></bndbox></object></annotation>")
    stats, _ = convert(src.parent / "o", "voc", "--src", str(src), "--images", str(src))
    return stats


def test_an_image_named_x_gt_beside_x_is_told_by_its_pixels(tmp_path):
    # a photo truly named a_gt.png was counted as masks_beside_their_images_left_out: 1, no image without label
    photo = np.random.default_rng(0).integers(0, 256, (48, 64, 3), dtype=np.uint8)
    stats = voc_scene(tmp_path / "s", {"a_gt.png": photo})
    assert "masks_beside_their_images_left_out" not in stats["notes"]
    assert stats["notes"]["images_without_label"] == 1 and stats["notes"]["images_named_as_masks"] == 1
    assert stats["notes_examples"]["images_named_as_masks"] == (
        f"{tmp_path / 's' / 'a_gt.png'}: 0% of its pixels in flat 2x2 blocks, a mask's are over 50%; counted as an "
        "image without label")


def test_a_file_named_as_a_mask_of_another_size_is_an_image(tmp_path):
    stats = voc_scene(tmp_path / "s", {"a_mask.png": np.zeros((30, 40), np.uint8)})
    assert stats["notes"]["images_named_as_masks"] == 1 and stats["notes"]["images_without_label"] == 1
    assert "40 x 30 px, not the size of a.png (64 x 48)" in stats["notes_examples"]["images_named_as_masks"]


@pytest.mark.parametrize("name", ["a_gt.png", "a_mask.jpg"])
def test_a_real_looking_mask_beside_its_image_stays_a_mask(tmp_path, name):
    m = np.zeros((48, 64), np.uint8)
    m[10:30, 5:40] = 255  # a 0/255 building, PNG or JPEG'd (its noise ringing at the edges)
    stats = voc_scene(tmp_path / "s", {name: m})
    assert stats["notes"] == {"masks_beside_their_images_left_out": 1}


@pytest.mark.realdata
def test_the_real_masks_stay_masks_and_their_images_are_not(realdata):
    from data_gen.convert.lookup import not_a_mask

    for mask, image in [("ir_sirst/Misc_100_pixels0.png", "ir_sirst/Misc_100.png"),
                        ("sar_hrsid/P0008_0_800_9000_9800_mask.png", "sar_hrsid/P0008_0_800_9000_9800.jpg"),
                        ("cd_levir/test_7_0256_0512_label.png", "cd_levir/test_7_0256_0512_A.png"),
                        ("seg_detectree/1091-322_00_response.tif", "seg_detectree/1091-322_00_img.tif")]:
        assert not_a_mask(realdata / mask, realdata / image) == "", mask
        assert "flat 2x2 blocks" in not_a_mask(realdata / image, realdata / mask), image


def test_rsvqa_no_answer_lists_a_few_ids_and_how_many(tmp_path):
    # a question of 400 answers_ids printed all 400 in its message
    png(tmp_path / "i" / "0.png", 32, 32)
    qs = [{"id": 0, "img_id": 0, "type": "count", "question": "How many?", "answers_ids": list(range(100, 500))}]
    (tmp_path / "T_questions.json").write_text(json.dumps({"questions": qs}))
    (tmp_path / "T_answers.json").write_text(json.dumps({"answers": []}))
    stats, _ = convert(tmp_path / "o", "rsvqa", "--src", str(tmp_path), "--images", str(tmp_path / "i"))
    said = stats["skipped_examples"]["no_answer"]
    assert said.endswith("(answers_ids [100, 101, 102, … 400 in all]: 100, 101, 102 and 397 more not in "
                         "T_answers.json)") and "499" not in said


def test_rsvqa_a_long_id_is_cut(tmp_path):
    from data_gen.convert.rsvqa import _first_ids

    assert _first_ids([{"id": 1, "answer": "a long answer"}]) == "[{'id': 1, 'answer':…]"
    assert _first_ids([]) == "[]"


@pytest.mark.parametrize("line, said", [
    ("1 2 30 2 30 20 1 2O ship 0", "field 8, '2O', is no number (x1 y1 … x4 y4: 8 numbers before the class)"),
    ("1 2 30 2 30 20 1 abc ship 0", "field 8, 'abc', is no number (x1 y1 … x4 y4: 8 numbers before the class)"),
    ("1 2 30 2 30 20 1 small vehicle 0", "7 numbers before the class, not 8 (4 corners x y)"),
    ("1 2 30 2 30 20 1 ship 0", "7 numbers before the class, not 8 (4 corners x y)"),
    ("1 2 30 2 30 20 1 my class 0", "7 numbers before the class, not 8 (4 corners x y)"),
])
def test_dota_seven_numbers_then_a_word_is_read_one_way(tmp_path, line, said):
    # "1 … 7 abc ship 0" was "7 numbers before the class, not 8 (4 corners x y); or field 8, 'abc', is no number"
    stats = dota_lines(tmp_path, [line])
    assert stats["skipped"] == {"unparsable_line": 1}
    assert stats["skipped_examples"]["unparsable_line"] == (
        f"{tmp_path / 'd' / 'labelTxt' / 'a.txt'}:1: unparsable_line ({said}: {line})")


@pytest.mark.realdata
def test_geojson_in_another_crs_says_which_crs_it_was_read_from(tmp_path, realdata):
    # the real footprints reprojected to Web Mercator land where the originals do; the note said only "1 file"
    from rasterio.warp import transform_geom

    gj = json.loads((realdata / "bldg_spacenet4" / "geotiff_labels.geojson").read_text())
    merc = {**gj, "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3857"}},
            "features": [{**f, "geometry": transform_geom("EPSG:32616", "EPSG:3857", f["geometry"])}
                         for f in gj["features"]]}
    (tmp_path / "m.geojson").write_text(json.dumps(merc))
    image = str(realdata / "bldg_spacenet4" / "sample_geotiff.tif")
    runs = {}
    for name, labels in (("own", realdata / "bldg_spacenet4" / "geotiff_labels.geojson"), ("merc", tmp_path / "m.geojson")):
        runs[name] = convert(tmp_path / name, "geojson", "--images", image, "--labels", str(labels), "--label", "building")
    stats, recs = runs["merc"]
    assert stats["notes_examples"]["reprojected_files"] == f"{tmp_path / 'm.geojson'}: EPSG:3857 to EPSG:32616"
    det = [[r["conversations"] for r in rs if r["task"] == "det"] for rs in (recs, runs["own"][1])]
    assert det[0] == det[1] and det[0]  # the boxes on their bins alike (a polygon vertex may move one bin)


def test_an_indexed_mask_read_by_its_greys_says_so(tmp_path):
    # black objects on a white index 0 were traced as the whole scene less them, with no word
    m = np.zeros((48, 64), np.uint8)
    m[10:30, 5:40] = 1
    src = tmp_path / "s"
    png(src / "a.png", 64, 48)
    p = Image.fromarray(m, "P")
    p.putpalette([255, 255, 255, 0, 0, 0] + [0] * 762)  # index 0 white (background), 1 black (the objects)
    p.save(src / "a_mask.png")
    stats, _ = convert(tmp_path / "o", "masks", "--images", str(src), "--labels", str(src), "--binary", "building")
    assert stats["notes"]["indexed_labels_read_by_greys"] == 1
    assert stats["notes_examples"]["indexed_labels_read_by_greys"].startswith(
        f"{src / 'a_mask.png'}: black is not palette index 0, so it is read by its greys")
    p.putpalette([0, 0, 0, 255, 255, 255] + [0] * 762)  # black at 0: read by its indices, nothing to say
    p.save(src / "a_mask.png")
    stats, _ = convert(tmp_path / "o2", "masks", "--images", str(src), "--labels", str(src), "--binary", "building")
    assert "indexed_labels_read_by_greys" not in stats["notes"]


def test_no_label_file_at_all_says_a_photo_named_as_a_mask_as_an_image(tmp_path):
    # its error said "1 mask beside its image (a_gt.png by a.png)" of a photo truly named a_gt.png
    from data_gen.convert.common import ConversionError

    src = tmp_path / "s"
    png(src / "a.png", 64, 48)
    Image.fromarray(np.random.default_rng(1).integers(0, 256, (48, 64, 3), dtype=np.uint8)).save(src / "a_gt.png")
    with pytest.raises(ConversionError) as e:
        convert(tmp_path / "o", "dota", "--src", str(src), "--images", str(src))
    assert str(e.value).endswith(f"2 images under {src} (a.png, a_gt.png) have no labelTxt file")


@pytest.mark.realdata
def test_geojson_written_latitude_first_is_told_to_swap(tmp_path, realdata):
    # it was said only as "all 43 footprints lie outside sample_geotiff.tif … is the GeoJSON's CRS right?"
    from rasterio.warp import transform_geom

    def swap(c):
        return [c[1], c[0]] if isinstance(c[0], (int, float)) else [swap(x) for x in c]

    gj = json.loads((realdata / "bldg_spacenet4" / "geotiff_labels.geojson").read_text())
    feats = [{**f, "geometry": transform_geom("EPSG:32616", "EPSG:4326", f["geometry"])} for f in gj["features"]]
    feats = [{**f, "geometry": {**f["geometry"], "coordinates": swap(f["geometry"]["coordinates"])}} for f in feats]
    (tmp_path / "s.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    stats, _ = convert(tmp_path / "o", "geojson", "--images", str(realdata / "bldg_spacenet4" / "sample_geotiff.tif"),
                       "--labels", str(tmp_path / "s.geojson"), "--label", "building")
    said = stats["skipped_examples"]["all_outside_image"]
    assert "all 43 footprints lie outside sample_geotiff.tif" in said
    assert said.endswith(" Its first vertex (33.63847, -84.481) read as (-84.481, 33.63847) lies on the image: "
                                 "GeoJSON is longitude, latitude; swap each vertex's two numbers)")
