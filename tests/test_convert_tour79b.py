"""Stop 79's second converter tour: a mask beside its image, the first instance lost in a grid named, DOTA's short
line with a two-word class, RSVQA's missing answer ids counted past three, llava's placeholder note of kept records,
and --tile given as width x height."""

from __future__ import annotations

import json

import numpy as np
import pytest
from convert_helpers import convert, dota_lines, llava_rows, png
from PIL import Image


@pytest.mark.parametrize("name", ["a_pixels0.png", "a_mask.png", "a_label.png", "a_gt.png", "A_MASK.png"])
def test_a_mask_beside_its_image_is_no_unlabelled_image(tmp_path, name):
    # SIRST's Misc_100_pixels0.png beside Misc_100.png was counted as images_without_label: 1
    src = tmp_path / "s"
    png(src / "a.png", 40, 30)
    png(src / name, 40, 30, "L")
    png(src / "b.png", 40, 30)  # an image of its own no XML names: still unlabelled
    (src / "a.xml").write_text("<annotation><filename>a.png</filename><object><name>ship</name><bndbox><xmin>5</xmin>"
                               "<ymin>5</ymin><xmax>20</xmax><ymax>20</ymax></bndbox></object></annotation>")
    stats, _ = convert(tmp_path / "o", "voc", "--src", str(src), "--images", str(src))
    assert stats["notes"]["masks_beside_their_images_left_out"] == 1
    assert stats["notes_examples"]["masks_beside_their_images_left_out"] == f"{src / name} (beside a.png)"
    assert stats["notes"]["images_without_label"] == 1
    assert stats["notes_examples"]["images_without_label"] == str(src / "b.png")


def test_a_masklike_name_without_its_image_stays_unlabelled(tmp_path):
    src = tmp_path / "s"
    png(src / "a.png", 40, 30)
    png(src / "c_mask.png", 40, 30)  # no c.png: an image, not a mask beside one
    (src / "a.xml").write_text("<annotation><object><name>ship</name><bndbox><xmin>5</xmin><ymin>5</ymin><xmax>20"
                               "</xmax><ymax>20</ymax></bndbox></object></annotation>")
    stats, _ = convert(tmp_path / "o", "voc", "--src", str(src), "--images", str(src))
    assert stats["notes"] == {"images_without_label": 1}


@pytest.mark.realdata
def test_the_documented_sirst_example_says_its_mask_as_a_mask(tmp_path, realdata, monkeypatch):
    monkeypatch.chdir(realdata)
    stats, recs = convert(tmp_path / "o", "voc", "--src", "ir_sirst", "--images", "ir_sirst", "--modality", "ir")
    assert stats["notes"] == {"masks_beside_their_images_left_out": 1} and len(recs) == 2
    assert stats["notes_examples"]["masks_beside_their_images_left_out"].endswith(
        "Misc_100_pixels0.png (beside Misc_100.png)")


def _specks(tmp_path):
    """A 120x120 0/1 mask: a disc and two one-pixel specks, at x 3, y 116 and x 117, y 3."""
    yy, xx = np.mgrid[:120, :120]
    lab = ((yy - 60) ** 2 + (xx - 55) ** 2 < 45**2).astype(np.uint8)  # a disc: every row costs runs
    lab[116, 3] = lab[3, 117] = 1
    Image.fromarray(lab * 255).save(tmp_path / "a_mask.png")
    png(tmp_path / "a.png", 120, 120)


def test_the_first_instance_lost_in_a_grid_is_named(tmp_path):
    # "instances_lost_in_grid": 2 said neither which file nor where to look
    _specks(tmp_path)
    stats, _ = convert(tmp_path / "o", "masks", "--images", str(tmp_path / "a.png"), "--labels",
                       str(tmp_path / "a_mask.png"), "--binary", "tree", "--form", "grid", "--budget", "16")
    assert stats["notes"]["instances_lost_in_grid"] == 2
    assert stats["notes_examples"]["instances_lost_in_grid"] == (
        "a_mask.png: tree, an instance of 1 px at x 117, y 3, lost from the grid")


def test_a_tiles_lost_instance_is_placed_in_the_whole_label(tmp_path):
    _specks(tmp_path)
    stats, _ = convert(tmp_path / "o", "masks", "--images", str(tmp_path / "a.png"), "--labels",
                       str(tmp_path / "a_mask.png"), "--binary", "tree", "--form", "grid", "--budget", "8",
                       "--tile", "60")
    where = stats["notes_examples"]["instances_lost_in_grid"]
    assert where.startswith("a_mask.png: tree, an instance of 1 px at x ")
    assert where in ("a_mask.png: tree, an instance of 1 px at x 117, y 3, lost from the grid",
                     "a_mask.png: tree, an instance of 1 px at x 3, y 116, lost from the grid")


def test_lost_in_grid_places_its_instance_by_the_windows_origin():
    # levir-cd's tiles pass their window's corner as masks' do
    from data_gen.convert.masks import lost_in_grid
    from rsvlm.geometry import mask_to_objects

    yy, xx = np.mgrid[:120, :120]
    m = (yy - 60) ** 2 + (xx - 55) ** 2 < 45**2
    m[10, 110:112] = True
    n, said = lost_in_grid(m, mask_to_objects(m, "x", form="grid", budget=16), (200, 300))
    assert n == 1 and said == "an instance of 2 px at x 310-311, y 310, lost from the grid"
    assert lost_in_grid(m, mask_to_objects(m, "x", form="grid", budget=64)) == (0, "")


def test_dota_seven_numbers_and_a_two_word_class_is_a_short_line(tmp_path):
    # it was "field 8, 'small', is no number": the line lacks a coordinate, its class is two words (stop 80: that
    # reading alone, "small vehicle" being a class)
    stats = dota_lines(tmp_path, ["1 2 30 2 30 20 1 small vehicle 0", "10 10 40 10 40 30 10 30 ship 0"])
    assert stats["skipped"] == {"unparsable_line": 1}
    assert ("(7 numbers before the class, not 8 (4 corners x y): 1 2 30 2"
            in stats["skipped_examples"]["unparsable_line"])


def test_dota_a_bad_coordinate_among_numbers_is_still_named(tmp_path):
    stats = dota_lines(tmp_path, ["1 2 30 x 30 20 1 20 small-vehicle 0"])
    assert "field 4, 'x', is no number" in stats["skipped_examples"]["unparsable_line"]


def test_rsvqa_no_answer_says_how_many_more_ids_are_missing(tmp_path):
    # "99, 98, 97 not in T_answers.json" of 5 missing ids read as if those were all
    from data_gen.__main__ import main

    png(tmp_path / "i" / "0.png", 32, 32)
    qs = [{"id": 0, "img_id": 0, "type": "count", "question": "How many?", "answers_ids": [99, 98, 97, 96, 95]},
          {"id": 1, "img_id": 0, "type": "count", "question": "How many roads?", "answers_ids": [99, 98, 97]}]
    (tmp_path / "T_questions.json").write_text(json.dumps({"questions": qs}))
    (tmp_path / "T_answers.json").write_text(json.dumps({"answers": [{"id": 0, "question_id": 0, "answer": "3"}]}))
    main(["convert", "rsvqa", "--src", str(tmp_path), "--images", str(tmp_path / "i"), "--out", str(tmp_path / "o"),
          "--no-progress"])
    stats = json.loads((tmp_path / "o" / "stats.json").read_text())
    assert stats["skipped"] == {"no_answer": 2}
    assert stats["skipped_examples"]["no_answer"].endswith(
        "questions[0]: no_answer (answers_ids [99, 98, 97, … 5 in all]: 99, 98, 97 and 2 more not in T_answers.json)")


def test_rsvqa_three_missing_ids_say_no_more(tmp_path):
    png(tmp_path / "i" / "0.png", 32, 32)
    qs = [{"id": 0, "img_id": 0, "type": "count", "question": "How many?", "answers_ids": [99, 98, 97]}]
    (tmp_path / "T_questions.json").write_text(json.dumps({"questions": qs}))
    (tmp_path / "T_answers.json").write_text(json.dumps({"answers": []}))
    stats, _ = convert(tmp_path / "o", "rsvqa", "--src", str(tmp_path), "--images", str(tmp_path / "i"))
    assert stats["skipped_examples"]["no_answer"].endswith("(answers_ids [99, 98, 97]: 99, 98, 97 not in T_answers.json)")


def test_llava_placeholder_note_counts_kept_records_alone(tmp_path):
    # the brief said a skipped record's added placeholder was still counted: Output.take_back undoes its notes
    rows = [{"id": "seg", "image": "a.png", "task": "seg", "conversations": [
                {"from": "human", "value": "Segment the ship."}, {"from": "gpt", "value": "{<10><10><40><30>}"}]},
            {"id": "bad", "image": "a.png", "conversations": [
                {"from": "human", "value": "What?"}, {"from": "gpt", "value": "<image> a ship"}]},
            {"id": "gone", "image": "nope.png", "conversations": [
                {"from": "human", "value": "What?"}, {"from": "gpt", "value": "a ship"}]},
            {"id": "kept", "image": "a.png", "conversations": [
                {"from": "human", "value": "What is there?"}, {"from": "gpt", "value": "a ship"}]}]
    stats, recs = llava_rows(tmp_path, rows, "--no-progress")
    assert [r["id"] for r in recs] == ["kept"] and stats["skipped_total"] == 3
    assert stats["notes"]["added_image_placeholder"] == 1


@pytest.mark.parametrize("given", ["256x128", "256 x 128", "256X256", "256,128", "256×128"])
def test_a_width_by_height_tile_is_said_to_be_one_size(tmp_path, given, capsys):
    from data_gen.__main__ import main

    with pytest.raises(SystemExit):
        main(["convert", "dota", "--src", str(tmp_path), "--out", str(tmp_path / "o"), "--tile", given])
    err = capsys.readouterr().err
    assert "argument --tile" in err and "tiles are square: one size, not width x height" in err


def test_a_tile_size_that_is_no_number_says_no_more(tmp_path, capsys):
    from data_gen.__main__ import main

    with pytest.raises(SystemExit):
        main(["convert", "masks", "--images", str(tmp_path), "--labels", str(tmp_path), "--out", str(tmp_path / "o"),
              "--tile", "big"])
    err = capsys.readouterr().err
    assert "argument --tile: needs a tile size" in err and "square" not in err


def test_levir_cds_grid_names_its_lost_instance(tmp_path):
    # levir-cd --form grid counted instances_lost_in_grid with no example, as masks did
    yy, xx = np.mgrid[:120, :120]
    lab = ((yy - 60) ** 2 + (xx - 55) ** 2 < 45**2).astype(np.uint8)
    lab[3, 117] = 1
    Image.fromarray(lab * 255).save(tmp_path / "x_label.png")
    for tag in "AB":
        png(tmp_path / f"x_{tag}.png", 120, 120)
    stats, _ = convert(tmp_path / "o", "levir-cd", "--src", str(tmp_path), "--form", "grid", "--budget", "16")
    assert stats["notes"]["instances_lost_in_grid"] == 1
    assert stats["notes_examples"]["instances_lost_in_grid"] == (
        "x_label.png: building, an instance of 1 px at x 117, y 3, lost from the grid")


def test_dotas_mask_beside_its_image_is_said_as_one(tmp_path):
    src = tmp_path / "d"
    png(src / "images" / "a.png", 100, 80)
    png(src / "images" / "a_mask.png", 100, 80, "L")
    (src / "labelTxt").mkdir()
    (src / "labelTxt" / "a.txt").write_text("10 10 40 10 40 30 10 30 ship 0\n")
    stats, _ = convert(tmp_path / "o", "dota", "--src", str(src))
    assert stats["notes"] == {"masks_beside_their_images_left_out": 1}


@pytest.mark.parametrize("fmt", ["dota", "masks", "levir-cd"])
def test_an_image_within_tile_is_said_kept_whole(tmp_path, fmt):
    # --tile 1000 over DOTA's 712 x 557 P1888 wrote it whole with no word: the user could not tell it was not tiled
    src = tmp_path / "s"
    png(src / "a.png", 100, 80)
    Image.fromarray(np.pad(np.full((20, 30), 255, np.uint8), ((10, 50), (10, 60)))).save(src / "a_label.png")
    (src / "a.txt").write_text("10 10 40 10 40 30 10 30 ship 0\n")
    for tag in "AB":
        png(src / f"a_{tag}.png", 100, 80)
    argv = {"dota": ["--src", str(src)], "levir-cd": ["--src", str(src)],
            "masks": ["--images", str(src / "a.png"), "--labels", str(src / "a_label.png"), "--binary", "ship"]}[fmt]
    stats, _ = convert(tmp_path / "o", fmt, *argv, "--tile", "100")
    assert stats["notes"].get("images_within_tile_kept_whole") == 1 and "tiles" not in stats["notes"]
    assert stats["notes_examples"]["images_within_tile_kept_whole"].endswith(": 100 x 80 px, --tile 100")
    stats, _ = convert(tmp_path / "o2", fmt, *argv, "--tile", "64")
    assert "images_within_tile_kept_whole" not in stats["notes"] and stats["notes"]["tiles"] >= 2
