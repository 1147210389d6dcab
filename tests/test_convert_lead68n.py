"""Stop 68, area N: one rule for a record's task (``rsvlm.tokens.task_name``), read by the records loader and the
LLaVA converter alike; a ``mostly_outside_image`` skip says how much of the object was inside."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from convert_helpers import convert, llava_rows, png

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
    assert "a.xml: object 1: mostly_outside_image (" in msg
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
