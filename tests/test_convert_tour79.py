"""Stop 79's converter tour: llava --task seg on box answers, CMYK JPEG collars, unlabelled images counted per file."""

from __future__ import annotations

import json

import pytest
from convert_helpers import llava_rows


def _row(rid: str, answer: str, **extra) -> dict:
    return {"id": rid, "image": "a.png", **extra, "conversations": [
        {"from": "human", "value": "<image>\nWhere is the ship?"}, {"from": "gpt", "value": answer}]}


def test_llava_task_seg_refuses_geochat_box_answers_naming_the_record(tmp_path):
    # a [seg] answer opens only <poly> or <mask> (grammar REGION): --task seg wrote GeoChat's boxes as [seg] records
    rows = [_row("box", "<p>ship</p>{<10><10><40><30>|<90>}"),
            _row("obb", "{<10><10><40><30>|<30>}"),
            _row("chat", "three"),
            _row("own", "{<10><10><40><30>}", task="seg")]
    stats, recs = llava_rows(tmp_path, rows, "--task", "seg", "--no-progress")
    assert stats["skipped"] == {"seg_answer_not_a_region": 3}
    first = stats["skipped_examples"]["seg_answer_not_a_region"]
    assert "record 0" in first and "<box>" in first and "--task ground" in first
    assert [r["id"] for r in recs] == ["chat"]  # no geometry: the older note, not this skip


def test_llava_own_seg_task_with_a_box_is_skipped_without_blaming_the_flag(tmp_path):
    stats, recs = llava_rows(tmp_path, [_row("own", "{<10><10><40><30>|<30>}", task="seg")], "--no-progress")
    assert recs == [] and "<obb>" in stats["skipped_examples"]["seg_answer_not_a_region"]
    assert "--task" not in stats["skipped_examples"]["seg_answer_not_a_region"]


def test_llava_task_ground_keeps_the_same_boxes(tmp_path):
    stats, recs = llava_rows(tmp_path, [_row("box", "{<10><10><40><30>|<90>}")], "--task", "ground", "--no-progress")
    assert not stats["skipped"] and [r["task"] for r in recs] == ["ground"]


def _cmyk_jpeg(path, fill: int, quality: int):
    import numpy as np
    from PIL import Image

    a = np.random.default_rng(0).integers(60, 200, (96, 128, 3), dtype=np.uint8)
    a[:, :16], a[:12] = fill, fill  # a collar on two sides, a fifth of the image
    Image.fromarray(a).convert("CMYK").save(path, quality=quality)  # Adobe's inverted inks, as Photoshop writes
    return path


def test_a_cmyk_jpegs_white_collar_is_found_at_the_level_pil_converts_it_to(tmp_path):
    # PIL reads a CMYK JPEG's white at quality 20 as 251 (C and K each decode 2 off): the luma table's 253 missed it
    from PIL import Image

    from data_gen.convert.collar import border_look, jpeg_flat_levels
    from data_gen.tiling import constant_border

    path = _cmyk_jpeg(tmp_path / "c.jpg", 255, 20)
    with Image.open(path) as im:
        assert im.mode == "CMYK" and im.convert("RGB").getpixel((0, 0)) == (251, 251, 251)
    assert jpeg_flat_levels(path)[1] == (251, 251, 251)
    value, pixels, total = constant_border(path)
    assert value == (251, 251, 251) and 0.19 < pixels / total < 0.25
    assert "of value 251 join its edge" in border_look(path)[0]


def test_a_cmyk_jpegs_black_collar_and_an_rgb_jpegs_levels_are_unchanged(tmp_path):
    from PIL import Image

    from data_gen.convert.collar import jpeg_flat_levels
    from data_gen.tiling import constant_border

    assert constant_border(_cmyk_jpeg(tmp_path / "k.jpg", 0, 20))[0] == (0, 0, 0)
    Image.new("RGB", (8, 8), (90, 90, 90)).save(tmp_path / "r.jpg", quality=20)
    assert jpeg_flat_levels(tmp_path / "r.jpg") == (0, 253)


def _scene(path):
    import numpy as np
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.random.default_rng(7).integers(60, 200, (32, 32, 3)).astype(np.uint8)).save(path)


def _no_label_argv(t, fmt: str) -> list[str]:
    """Two folders' a.png and one b.png, and no label file: dota's images/, voc's and masks' i/."""
    top = t / ("images" if fmt == "dota" else "i")
    for name in ("x/a.png", "y/a.png", "y/b.png"):
        _scene(top / name)
    if fmt == "dota":
        (t / "labelTxt").mkdir()
        return ["--src", str(t)]
    (t / "l").mkdir()
    return (["--src", str(t / "l"), "--images", str(top)] if fmt == "voc" else
            ["--images", str(top), "--labels", str(t / "l"), "--binary", "building"])


@pytest.mark.parametrize("fmt", ["dota", "voc", "masks"])
def test_unlabelled_images_are_counted_per_file_not_per_name(tmp_path, capsys, fmt):
    # x/a.png and y/a.png were "2 images (a.png, b.png) have no ...": the distinct names counted, one image unsaid
    from data_gen.__main__ import main

    argv = _no_label_argv(tmp_path, fmt)
    assert main(["convert", fmt, *argv, "--out", str(tmp_path / "o"), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "3 images (2 distinct names) under " in err and "(a.png, b.png) have no " in err, err


def test_unlabelled_said_counts_files_and_names_one_file_once(tmp_path):
    from data_gen.convert.mostmissing import unlabelled_said

    a = tmp_path / "a.png"
    assert unlabelled_said([a, a], tmp_path, "label") == f"; 1 image under {tmp_path} (a.png) has no label"
    assert unlabelled_said([], tmp_path, "label") == ""


def test_folders_file_that_is_no_image_is_named(tmp_path):
    # counted as not_an_image with no word of which file: a README or a .tif.ovr left the user to hunt
    from data_gen.__main__ import main

    _scene(tmp_path / "s" / "church" / "c_1.png")
    (tmp_path / "s" / "church" / "notes.txt").write_text("x")
    assert main(["convert", "folder", "--src", str(tmp_path / "s"), "--out", str(tmp_path / "o"), "--no-progress"]) == 0
    stats = json.loads((tmp_path / "o" / "stats.json").read_text())
    assert stats["notes"]["not_an_image"] == 1
    assert stats["notes_examples"]["not_an_image"] == str(tmp_path / "s" / "church" / "notes.txt")


def test_cocos_cut_image_is_named_once_in_its_skip(tmp_path):
    # "c.json: image id 2 (i/cut.png): unreadable_image (i/cut.png: cannot read image …)": the path said twice
    from data_gen.__main__ import main

    _scene(tmp_path / "i" / "a.png")
    whole = (tmp_path / "i" / "a.png").read_bytes()
    (tmp_path / "i" / "cut.png").write_bytes(whole[: len(whole) // 2])
    (tmp_path / "c.json").write_text(json.dumps({
        "images": [{"id": 2, "file_name": "cut.png", "width": 32, "height": 32}],
        "annotations": [{"id": 1, "image_id": 2, "category_id": 1, "bbox": [1, 1, 5, 5], "area": 25, "iscrowd": 0}],
        "categories": [{"id": 1, "name": "ship"}]}))
    main(["convert", "coco", "--ann", str(tmp_path / "c.json"), "--images", str(tmp_path / "i"),
          "--out", str(tmp_path / "o"), "--no-progress"])
    said = json.loads((tmp_path / "o" / "stats.json").read_text())["skipped_examples"]["unreadable_image"]
    assert said.count("cut.png") == 1 and said.startswith(f"{tmp_path / 'c.json'}: image id 2 (") and "truncated" in said


def test_dota_line_with_one_bad_coordinate_names_the_field(tmp_path):
    # "12 34 abc 56 78 90 11 22 large-vehicle 0" was "2 numbers before the class, not 8": a short line, it said
    from data_gen.__main__ import main

    _scene(tmp_path / "s" / "images" / "P1.png")
    (tmp_path / "s" / "labelTxt").mkdir()
    (tmp_path / "s" / "labelTxt" / "P1.txt").write_bytes(
        b"\xef\xbb\xbf1 1 9 1 9 9 1 9 ship 0\r\n12 14 abc 16 18 20 11 22 ship 0\r\n1 2 3 4 5 6 ship 0\r\n")
    main(["convert", "dota", "--src", str(tmp_path / "s"), "--out", str(tmp_path / "o"), "--no-progress"])
    stats = json.loads((tmp_path / "o" / "stats.json").read_text())
    assert stats["records"] >= 1 and stats["skipped"] == {"unparsable_line": 2}
    assert stats["skipped_examples"]["unparsable_line"] == (
        f"{tmp_path / 's' / 'labelTxt' / 'P1.txt'}:2: unparsable_line (field 3, 'abc', is no number (x1 y1 … x4 y4: "
        "8 numbers before the class): 12 14 abc 16 18 20 11 22 ship 0)")


@pytest.mark.parametrize(("text", "said"), [
    ('\ufeff{"ship": 255,\r\n "sea": 0,\r\n}\r\n', "a comma after the last item, which JSON does not allow (line 2)"),
    ("{'ship': 255}", "a string in single quotes"),
    ('[1, 2, ]', "a comma after the last item"),
])
def test_a_hand_edited_palettes_json_mistake_is_said(tmp_path, capsys, text, said):
    # a trailing comma was "Expecting property name enclosed in double quotes: line 3 column 1": which name?
    from data_gen.__main__ import main

    _scene(tmp_path / "i" / "a.png")
    (tmp_path / "p.json").write_text(text, encoding="utf-8")
    assert main(["convert", "masks", "--images", str(tmp_path / "i"), "--labels", str(tmp_path / "i"),
                 "--palette", str(tmp_path / "p.json"), "--out", str(tmp_path / "o"), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert f"{tmp_path / 'p.json'}: cannot read JSON (" in err and said in err, err


def test_other_json_errors_are_said_as_json_says_them():
    from data_gen.convert.text import json_problem

    for text in ("[1 2]", '{"a": }'):
        try:
            json.loads(text)
        except json.JSONDecodeError as e:
            assert json_problem(e) == str(e)


def test_rsvqa_question_without_its_answer_says_which_id_is_missing(tmp_path):
    # "questions[1]: no_answer" left the user to look up answers_ids and the answers file
    from data_gen.__main__ import main

    _scene(tmp_path / "i" / "0.png")
    qs = [{"id": 0, "img_id": 0, "type": "presence", "question": "Is there a road?", "answers_ids": [0]},
          {"id": 1, "img_id": 0, "type": "count", "question": "How many?", "answers_ids": [99]},
          {"id": 2, "img_id": 0, "type": "count", "question": "How many roads?", "answers_ids": [1]}]
    answers = [{"id": 0, "question_id": 0, "answer": "yes"}, {"id": 1, "question_id": 2, "answer": "3", "active": False}]
    for kind, rows in (("questions", qs), ("answers", answers)):
        (tmp_path / f"T_{kind}.json").write_text(json.dumps({kind: rows}))
    main(["convert", "rsvqa", "--src", str(tmp_path), "--images", str(tmp_path / "i"), "--out", str(tmp_path / "o"),
          "--no-progress"])
    stats = json.loads((tmp_path / "o" / "stats.json").read_text())
    assert stats["records"] == 1 and stats["skipped"] == {"no_answer": 2}
    assert stats["skipped_examples"]["no_answer"].endswith(
        "questions[1]: no_answer (answers_ids [99]: 99 not in T_answers.json)")
