"""Stop 68, area N: one rule for a record's task (``rsvlm.tokens.task_name``), read by the records loader and the
LLaVA converter alike; a ``mostly_outside_image`` skip says how much of the object was inside. With stop 68 area
S2's converter tests (DOTA's separator, llava's missing image and unknown tasks, --src to coco/masks/geojson)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from convert_helpers import convert, dota_lines, llava_rows, png

from rsvlm.data.records import RecordError, normalize_record
from rsvlm.tokens import TASKS, task_name


@pytest.mark.parametrize(("raw", "name"), [
    ("DET", "det"), (" [det] ", "det"), ("[Count]", "count"), ("[ vqa ]", "vqa"), ("cap", "cap"),
    ("[detect]", "detect"), (None, ""), ("", ""), ("   ", ""), ("[[det]]", "[det]"),
])
def test_task_name_is_the_one_rule(raw, name):
    assert task_name(raw) == name


def _rec(task) -> dict:
    return {"id": "r", "images": [{"path": "a.png"}], "task": task,
            "conversations": [{"from": "human", "value": "<image>\n[vqa] Is there a ship?"},
                              {"from": "gpt", "value": "yes"}]}


@pytest.mark.parametrize("raw", ["DET", " [det] ", " [Det] ", "[Count]", "cls", "[detect]", "[det", "det]", "Chat",
                                 "[chat]", "[]", "cnt", 5])
def test_a_records_task_is_read_by_task_name(raw):
    """The loader names the task ``task_name`` names (chat: the prompt's tag) and refuses one that names none: the
    rule eval reads a prediction's task by."""
    meant = task_name(raw)
    if meant in TASKS:
        assert normalize_record(_rec(raw), "x.jsonl:1")["task"] == meant
    elif meant == "chat":
        assert normalize_record(_rec(raw), "x.jsonl:1")["task"] == "vqa"
    else:
        with pytest.raises(RecordError, match="field 'task': .* is not one of"):
            normalize_record(_rec(raw), "x.jsonl:1")


def test_a_llava_task_in_another_case_or_in_brackets_is_kept(tmp_path):
    """``"task": "DET"`` or ``"[count]"`` was dropped (no exact task name) and the record trained under its prompt's
    tag or ``--task``; one that is no task's falls back as before, now counted in the notes."""
    convs = [{"from": "human", "value": "<image>\n[vqa] How many ships?"}, {"from": "gpt", "value": "3"}]
    plain = [{"from": "human", "value": "<image>\nHow many ships?"}, {"from": "gpt", "value": "3"}]
    rows = [{"id": "a", "image": "a.png", "task": "DET", "conversations": convs},
            {"id": "b", "image": "a.png", "task": " [Count] ", "conversations": plain},
            {"id": "c", "image": "a.png", "task": "detect", "conversations": convs},
            {"id": "d", "image": "a.png", "task": "[detect]", "conversations": plain},
            {"id": "e", "image": "a.png", "task": "  ", "conversations": plain},
            {"id": "f", "image": "a.png", "task": "chat", "conversations": convs}]
    stats, recs = llava_rows(tmp_path, rows, "--task", "cls")
    assert {r["id"]: r["task"] for r in recs} == {"a": "det", "b": "count", "c": "vqa", "d": "cls", "e": "cls", "f": "vqa"}
    assert stats["notes"]["unknown_task_left_out"] == 2 and stats["skipped"] == {}


def _voc(tmp_path: Path, box: tuple[float, float, float, float]) -> dict:
    png(tmp_path / "JPEGImages" / "a.jpg", 100, 80)
    ann = tmp_path / "Annotations"
    ann.mkdir()
    x0, y0, x1, y1 = box
    (ann / "a.xml").write_text(
        "<annotation><filename>a.jpg</filename><size><width>100</width><height>80</height></size>"
        "<object><name>plane</name><bndbox><xmin>11</xmin><ymin>11</ymin><xmax>30</xmax><ymax>30</ymax></bndbox></object>"
        f"<object><name>ship</name><bndbox><xmin>{x0}</xmin><ymin>{y0}</ymin><xmax>{x1}</xmax><ymax>{y1}</ymax>"
        "</bndbox></object></annotation>")
    stats, _ = convert(tmp_path / "o", "voc", "--src", str(ann))
    return stats


def test_a_mostly_outside_skip_says_how_much_was_inside(tmp_path):
    """It said only ``a.xml: mostly_outside_image``: a box 3 px over the edge and one far off read the same. Its share
    is floored: 49.9% inside under --min-visible 0.5 never reads 50%."""
    stats = _voc(tmp_path, (51, 21, 150.4, 40))  # VOC's 1-based xmin: 50…150.4, 50 of 100.4 px inside
    assert stats["skipped"] == {"mostly_outside_image": 1}
    msg = stats["skipped_examples"]["mostly_outside_image"]
    assert "a.xml: object 2 (ship): mostly_outside_image (" in msg
    assert msg.endswith("(box x 50…150.4, y 20…40 in a 100x80 px image: 49% of it inside, under --min-visible 0.5)")


def test_a_sliver_inside_reads_under_one_percent(tmp_path):
    stats = _voc(tmp_path, (100, 11, 5000, 30))  # 1 px of 4901 inside
    assert "box x 99…5000, y 10…30 in a 100x80 px image: under 1% of it inside" in stats["skipped_examples"][
        "mostly_outside_image"]


def test_printed_stats_say_it_as_written(tmp_path, capsys):
    """The stats on stdout read ``x 50\\u2026150.4`` (JSON's escapes): the example the stats print is the one to read."""
    _voc(tmp_path, (51, 21, 150.4, 40))
    out = capsys.readouterr().out
    assert "(box x 50…150.4, y 20…40 in a 100x80 px image" in out and "\\u2026" not in out


def test_printed_stats_are_escaped_where_stdout_cannot_hold_them(tmp_path, monkeypatch):
    import io
    import sys

    stream = io.TextIOWrapper(io.BytesIO(), encoding="ascii")
    monkeypatch.setattr(sys, "stdout", stream)
    stats = _voc(tmp_path, (51, 21, 150.4, 40))
    stream.flush()
    assert json.loads(stream.buffer.getvalue().decode("ascii")) == stats


@pytest.mark.parametrize("line", ["10,10,40,10,40,30,10,30,ship,0", "10, 10, 40, 10, 40, 30, 10, 30, small-vehicle, 0",
                                  "10,10,40,10,40,30,10,30,ship"])
def test_a_dota_line_of_commas_says_dotas_fields_are_separated_by_spaces(tmp_path, line):
    stats = dota_lines(tmp_path, [line, "10 10 40 10 40 30 10 30 ship 0"])
    assert stats["skipped"] == {"unparsable_line": 1} and stats["records"] > 0  # counted as before
    assert stats["skipped_examples"]["unparsable_line"].endswith(
        f"a.txt:1: unparsable_line (fields separated by commas; DOTA separates x1 y1 … x4 y4 class difficult by "
        f"spaces: {line})")


def test_a_dota_line_of_decimal_commas_is_not_said_to_be_comma_separated(tmp_path):
    stats = dota_lines(tmp_path, ["10,5 10,5 40 10 40 30 10 30 ship 0", "10 10 40 10 40 30 10 30 ship 0"])
    assert stats["skipped_examples"]["unparsable_line"].endswith("a.txt:1: unparsable_line (10,5 10,5 40 10 40 30 10 "
                                                                 "30 ship 0)")


def test_a_dota_line_of_no_numbers_with_commas_is_no_label_line_still(tmp_path):
    stats = dota_lines(tmp_path, ["source, DOTA, v1", "10 10 40 10 40 30 10 30 ship 0"])
    assert stats["skipped_examples"]["unparsable_line"].endswith("a.txt:1: unparsable_line (source, DOTA, v1)")


_CONVS = [{"from": "human", "value": "<image>\nWhat is it?"}, {"from": "gpt", "value": "a harbour"}]


def test_a_llava_missing_image_says_the_folder_searched(tmp_path):
    stats, _ = llava_rows(tmp_path, [{"id": "a", "image": "train/b.png", "conversations": _CONVS},
                                     {"id": "b", "image": "a.png", "conversations": _CONVS}])
    imgs = tmp_path / "imgs"
    assert stats["skipped"] == {"missing_image": 1}
    assert stats["skipped_examples"]["missing_image"].endswith(
        f"record 0: missing_image ({imgs / 'train' / 'b.png'}: no such image under --images {imgs})")


def test_a_llava_missing_image_of_an_absolute_path_names_no_folder(tmp_path):
    gone = tmp_path / "elsewhere" / "b.png"
    stats, _ = llava_rows(tmp_path, [{"id": "a", "image": str(gone), "conversations": _CONVS}])
    assert stats["skipped_examples"]["missing_image"].endswith(f"missing_image ({gone}: no such image)")


def test_llava_unknown_tasks_are_named_in_the_notes(tmp_path):
    # "unknown_task_left_out": 4 said nothing of which values to map; "[]" was left out unsaid
    rows = [{"id": str(i), "image": "a.png", "task": t, "conversations": _CONVS}
            for i, t in enumerate(["detect", "detect", "Caption", "[]", 7, "det", "chat", "  ", None])]
    rows.append({"id": "gone", "image": "b.png", "task": "segment", "conversations": _CONVS})  # skipped: not counted
    notes = llava_rows(tmp_path, rows)[0]["notes"]
    assert notes["unknown_task_left_out"] == 5
    assert notes["unknown_task_left_out, the tasks given: 'detect' (2), 'Caption' (1), '[]' (1), 7 (1)"] == 4


def test_llava_unknown_tasks_name_five_and_count_the_rest(tmp_path):
    rows = [{"id": str(i), "image": "a.png", "task": f"t{i}", "conversations": _CONVS} for i in range(7)]
    notes = llava_rows(tmp_path, rows)[0]["notes"]
    assert notes["unknown_task_left_out, the tasks given: 't0' (1), 't1' (1), 't2' (1), 't3' (1), 't4' (1) "
                 "and 2 more"] == 7


@pytest.mark.parametrize(("xmin", "min_visible", "says"), [
    ("72", "0.3", "29% of it inside, under --min-visible 0.3"),  # 29 of 100 px: 28.999…% read "28%"
    ("71.0000001", "0.3", "29% of it inside, under --min-visible 0.3"),  # 29.9999999 px: never the 30% it is under
    ("42", "0.6", "59% of it inside, under --min-visible 0.6"),
])
def test_a_mostly_outside_share_is_floored_past_float_noise(tmp_path, xmin, min_visible, says):
    png(tmp_path / "JPEGImages" / "a.jpg", 100, 80)
    (tmp_path / "Annotations").mkdir()
    (tmp_path / "Annotations" / "a.xml").write_text(  # VOC's 1-based xmin: a box 100 px wide from xmin - 1
        "<annotation><filename>a.jpg</filename><size><width>100</width><height>80</height></size>"
        "<object><name>plane</name><bndbox><xmin>11</xmin><ymin>11</ymin><xmax>30</xmax><ymax>30</ymax></bndbox>"
        "</object>"
        f"<object><name>ship</name><bndbox><xmin>{xmin}</xmin><ymin>11</ymin><xmax>{float(xmin) + 99:.7f}"
        "</xmax><ymax>30</ymax></bndbox></object></annotation>")
    stats, _ = convert(tmp_path / "o", "voc", "--src", str(tmp_path / "Annotations"), "--min-visible", min_visible)
    assert stats["skipped"] == {"mostly_outside_image": 1}
    assert stats["skipped_examples"]["mostly_outside_image"].endswith(f"px image: {says})")


def test_a_long_unknown_task_is_named_by_its_head(tmp_path):
    rows = [{"id": "a", "image": "a.png", "task": "Describe " + "the harbour " * 100, "conversations": _CONVS}]
    notes = llava_rows(tmp_path, rows)[0]["notes"]
    said = next(k for k in notes if k.startswith("unknown_task_left_out, the tasks given: "))
    assert said == "unknown_task_left_out, the tasks given: 'Describe the harbour the harbour the h… (1)"


@pytest.mark.parametrize(("fmt", "takes"), [
    ("coco", "--ann (COCO instances JSON), --images (image folder)"),
    ("geojson", "--images (GeoTIFF file or folder), --labels (GeoJSON file or folder)"),
    ("masks", "--images (image folder or file), --labels (label-mask folder or file)"),
])
@pytest.mark.parametrize("src", [["--src", "a.json"], ["--src=a.json"]])
def test_src_to_a_converter_of_other_inputs_names_them(tmp_path, capsys, fmt, takes, src):
    # "--src is no option: did you mean --strict?": the nearest spelling, not the input coco takes
    from data_gen.convert import main

    with pytest.raises(SystemExit) as e:
        main([fmt, *src, "--out", str(tmp_path / "o")])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert err.rstrip().endswith(f"error: {fmt} takes no --src (the other converters' input): its inputs are {takes}")
    assert "--strict" not in err.splitlines()[-1] and not (tmp_path / "o").exists()


def test_src_after_double_dash_is_left_to_the_parser(tmp_path, capsys):
    from data_gen.convert import main

    with pytest.raises(SystemExit):
        main(["coco", "--out", str(tmp_path / "o"), "--", "--src"])
    assert "takes no --src" not in capsys.readouterr().err
