"""Rough edges of the converters, third pass (tour 51c): --overlap without --tile, an --out inside
the folder-per-class --src, Sentinel-2 band files read one at a time, odd but published forms of
the VQA / LLaVA / COCO datasets."""

from __future__ import annotations

import json

import pytest
from convert_helpers import convert, png

from data_gen.convert import convert as run_convert
from data_gen.convert.common import ConversionError


@pytest.mark.parametrize("fmt", ["dota", "masks", "levir-cd"])
def test_overlap_without_tile_is_a_usage_error(tmp_path, fmt):
    """--overlap without --tile was ignored without a word (nothing is tiled) in every converter."""
    png(tmp_path / "a.png", 16, 16)
    png(tmp_path / "a_mask.png", 16, 16, mode="L")
    src = {"dota": ["--src", str(tmp_path)], "levir-cd": ["--src", str(tmp_path)],
           "masks": ["--images", str(tmp_path), "--labels", str(tmp_path), "--binary", "x"]}[fmt]
    with pytest.raises(ConversionError, match="--overlap 4 is given without --tile"):
        run_convert([fmt, *src, "--out", str(tmp_path / "o"), "--overlap", "4"])
    assert not (tmp_path / "o").exists()


def _class_folders(src):
    for c in ("forest", "river"):
        for i in range(2):
            png(src / c / f"{c}_{i}.png", 8, 8)


@pytest.mark.parametrize("inside", [True, False], ids=["out_below_src", "out_is_src"])
def test_folder_out_inside_src_is_not_read_as_a_class_on_the_next_run(tmp_path, inside):
    """A second run into an --out under --src took the first run's images for a class named after
    the output folder (4 records of class 'rsvlm' beside the 4 real ones)."""
    src = tmp_path / "src"
    _class_folders(src)
    out = src / "rsvlm" if inside else src
    first, _ = convert(out, "folder", "--src", str(src))
    second, recs = convert(out, "folder", "--src", str(src))
    assert first["records"] == second["records"] == 4
    assert {r["conversations"][1]["value"] for r in recs} == {"forest", "river"}
    assert second["notes"]["images_in_out_folder_ignored"] == 4
    assert "not_an_image" not in second["notes"]


def test_images_under_an_out_inside_the_image_folder_are_not_indexed(tmp_path):
    """rsivqa (any converter indexing --images) with --out under --images: the second run found each
    image twice (the copy in OUT/images) and noted ambiguous_image_names."""
    png(tmp_path / "imgs" / "a.png", 8, 8)
    (tmp_path / "q.txt").write_text("a.png:what is this?forest\n")
    argv = ("rsivqa", "--src", str(tmp_path / "q.txt"), "--images", str(tmp_path / "imgs"))
    convert(tmp_path / "imgs" / "out", *argv)
    stats, recs = convert(tmp_path / "imgs" / "out", *argv)
    assert "ambiguous_image_names" not in stats["notes"] and stats["notes"]["images_in_out_folder_ignored"] == 1
    assert len(recs) == 1


def test_rsvqa_keeps_to_the_split_its_images_json_marks_active(tmp_path):
    """RSVQA's *_images.json lists every image and marks the split's active; the converter read only
    the questions file, so a split's records took in questions about another split's images."""
    for i in (0, 1):
        png(tmp_path / "Images_LR" / f"{i}.tif", 8, 8)
    qs = [{"id": i, "img_id": i, "type": "presence", "question": "Is there a road", "answers_ids": [i], "active": True}
          for i in (0, 1)]
    ans = [{"id": i, "question_id": i, "answer": "yes", "active": True} for i in (0, 1)]
    (tmp_path / "LR_split_test_questions.json").write_text(json.dumps({"questions": qs}))
    (tmp_path / "LR_split_test_answers.json").write_text(json.dumps({"answers": ans}))
    (tmp_path / "LR_split_test_images.json").write_text(
        json.dumps({"images": [{"id": 0, "active": True, "questions_ids": [0]}, {"id": 1, "active": False}]}))
    argv = ("rsvqa", "--src", str(tmp_path), "--images", str(tmp_path / "Images_LR"))
    stats, recs = convert(tmp_path / "o", *argv)
    assert [r["id"] for r in recs] == ["rsvqa-LR_split_test-0"] and stats["skipped"] == {"inactive_image": 1}
    (tmp_path / "LR_split_test_images.json").unlink()  # without it, as before, and said
    stats, recs = convert(tmp_path / "o2", *argv)
    assert len(recs) == 2 and stats["notes"]["no_images_json"] == 1


def test_rsivqa_questions_with_an_empty_template_slot_are_skipped_and_counted(tmp_path):
    """RSIVQA's UCM/ucm_res.txt has 'How many  in the picture?zero' (the object name missing): such a
    question asks nothing, and it was written as a record. DOTA's files name a bare stem after
    'P0000: ', which must still find P0000.png."""
    png(tmp_path / "imgs" / "1.tif", 8, 8)
    png(tmp_path / "imgs" / "P0000.png", 8, 8)
    (tmp_path / "ucm_res.txt").write_text(
        "1.tif:Does this picture contain trees?yes\n1.tif:How many  in the picture?zero\n"
        "1.tif:What is the location of the  in this picture?i cannot see it\n"
        "P0000: how many planes are there in this picture?21\n")
    stats, recs = convert(tmp_path / "o", "rsivqa", "--src", str(tmp_path / "ucm_res.txt"),
                          "--images", str(tmp_path / "imgs"))
    assert [r["conversations"][1]["value"] for r in recs] == ["yes", "21"]
    assert recs[1]["images"][0]["path"] == "images/P0000.png"
    assert stats["skipped"] == {"empty_template_slot": 2}
    assert "ucm_res.txt:2" in stats["skipped_examples"]["empty_template_slot"]


@pytest.mark.parametrize("theta, kind, bounds", [
    ("90", "box", [90, 30, 110, 70]),  # GeoChat's usual |<90>: upright, width and height swapped
    ("-90", "box", [90, 30, 110, 70]),
    ("180", "box", [80, 40, 120, 60]),
    ("45", "obb", None),
])
def test_geochat_boxes_at_right_angles_are_boxes(tmp_path, theta, kind, bounds):
    """Most GeoChat boxes carry |<90>; they became <obb> answers of upright rectangles, so a [ground]
    record answered in oriented boxes where DESIGN.md's [ground] answers in boxes."""
    from convert_helpers import objs

    png(tmp_path / "imgs" / "g.png", 200, 100)
    rec = {"id": "r", "image": "g.png", "conversations": [
        {"from": "human", "value": "<image>\n[refer] where is <p>the ship</p>?"},
        {"from": "gpt", "value": f"<p>the ship</p> {{<40><40><60><60>|<{theta}>}}"}]}  # 40 x 20 px about (100, 50)
    (tmp_path / "gc.json").write_text(json.dumps([rec]))
    _, (out,) = convert(tmp_path / "o", "llava", "--src", str(tmp_path / "gc.json"), "--images", str(tmp_path / "imgs"))
    (obj,) = objs(out)
    assert out["task"] == "ground" and obj["kind"] == kind
    if bounds:
        assert all(abs(a - b) <= 0.2 for a, b in zip(obj["coords"], bounds)), obj["coords"]


def test_geochat_angles_turn_as_eval_foreign_reads_geochat_answers(tmp_path):
    """The converter turned GeoChat's θ clockwise on screen, eval.foreign (as GeoChat's demo draws)
    counter-clockwise: a model trained on converted GeoChat data was scored against the mirror image
    of its training boxes whenever θ was not a right angle."""
    from convert_helpers import objs, same_ring

    from eval.foreign import decode_geochat

    png(tmp_path / "imgs" / "g.png", 200, 100)
    answer = "{<20><20><60><40>|<30>}"  # 80 x 20 px about (80, 30)
    rec = {"id": "r", "image": "g.png", "conversations": [
        {"from": "human", "value": "<image>\n[refer] where is <p>the ship</p>?"}, {"from": "gpt", "value": answer}]}
    (tmp_path / "gc.json").write_text(json.dumps([rec]))
    _, (out,) = convert(tmp_path / "o", "llava", "--src", str(tmp_path / "gc.json"), "--images", str(tmp_path / "imgs"))
    (mine,) = objs(out)
    (theirs,), problems = decode_geochat(answer, 200, 100)
    assert problems == [] and mine["kind"] == theirs["kind"] == "obb"
    assert same_ring(mine["coords"], theirs["coords"], 200)


def test_coco_crowd_regions_are_flagged_difficult(tmp_path):
    """A COCO crowd region (iscrowd 1) was a plain object of the [det] answer; pycocotools ignores
    crowd ground truth, and so does eval.detection with difficult objects."""
    from convert_helpers import objs

    png(tmp_path / "imgs" / "a.png", 100, 50)
    data = {"images": [{"id": 1, "file_name": "a.png", "width": 100, "height": 50}],
            "categories": [{"id": 1, "name": "car"}],
            "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [10, 10, 20, 10]},
                            {"id": 2, "image_id": 1, "category_id": 1, "bbox": [50, 10, 40, 30], "iscrowd": 1}]}
    (tmp_path / "ann.json").write_text(json.dumps(data))
    stats, recs = convert(tmp_path / "o", "coco", "--ann", str(tmp_path / "ann.json"), "--images", str(tmp_path / "imgs"))
    (det,) = [r for r in recs if r["task"] == "det"]
    boxes = objs(det)
    assert len(boxes) == 2 and det["meta"]["difficult"] == [i for i, b in enumerate(boxes) if b["coords"][0] > 40]
    assert stats["notes"]["difficult_objects"] == 1


def test_coco_polygon_of_an_odd_number_of_values_is_noted(tmp_path):
    """[x1, y1, …, xn] (a value short): the stray last value was dropped without a word."""
    png(tmp_path / "imgs" / "a.png", 100, 50)
    data = {"images": [{"id": 1, "file_name": "a.png", "width": 100, "height": 50}],
            "categories": [{"id": 1, "name": "tank"}],
            "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [10, 10, 20, 20],
                             "segmentation": [[10, 10, 30, 10, 30, 30, 10, 30, 10]]}]}
    (tmp_path / "ann.json").write_text(json.dumps(data))
    stats, recs = convert(tmp_path / "o", "coco", "--ann", str(tmp_path / "ann.json"), "--images", str(tmp_path / "imgs"))
    assert stats["notes"]["polygon_odd_value_dropped"] == 1 and {r["task"] for r in recs} == {"det", "ground", "seg"}
