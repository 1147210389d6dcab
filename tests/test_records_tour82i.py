"""Tour 82 (I): records of a one-image task with several images that a reader leaves out after reading them (counted
kept there and skipped too: the counts did not add up), and a turn's shapes in another tool's plain numbers with no
``<ref>`` (accepted, while the same with a ``<ref>`` was refused)."""

import json

import pytest

from rsvlm.data.read_report import ReadReport
from rsvlm.data.records import RecordError, load_records, normalize_record, read_records
from rsvlm.train.data import build_index

PAIR = [{"path": "a.png", "modality": "optical"}, {"path": "b.png", "modality": "optical"}]
UNSAID = [{"path": "gone0.png"}, {"path": "gone1.png"}]  # no modality said, no file: inferred, cannot be: dropped


class Tok:
    def __call__(self, texts, add_special_tokens=False):
        return {"input_ids": [t.split() for t in texts]}


def _rec(rid: str, images, task="cls", answer="harbour") -> dict:
    turns = [{"from": "human", "value": "<image>\n" * len(images) + f"[{task}] What scene?"},
             {"from": "gpt", "value": answer}]
    return {"id": rid, "task": task, "images": images, "conversations": turns}


def _write(path, records) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))


def test_a_several_image_record_training_leaves_out_is_counted_once(tmp_path):
    """Training reads two [cls] records of two images, the first's images unopenable: it is left out (skipped), and
    is no longer counted among the records kept with several images too (1 kept, 1 skipped, 1 several: was 2)."""
    (tmp_path / "a.png").write_bytes(b"")
    path = tmp_path / "r.jsonl"
    _write(path, [_rec("gone", UNSAID), _rec("kept", PAIR)])
    report = ReadReport(str(path))
    index = build_index(str(path), Tok(), {"optical": 4}, report, progress=False)
    assert index["id"] == ["kept"] and report.n_ok == 1 and report.n_skipped == 1
    assert dict(report.several_images) == {"cls": 1}
    assert report.several_first == f"{path}:2 (id kept): 2 images"
    said = report.summary()
    assert "1 record read, 1 skipped" in said and "1 record kept with several images" in said
    assert f"first: {path}:2 (id kept)" in said and f"{path}:1: record gone:" in report.examples[0]


def test_every_several_image_record_left_out_leaves_no_note(tmp_path):
    path = tmp_path / "r.jsonl"
    _write(path, [_rec("g1", UNSAID), _rec("g2", UNSAID), _rec("one", [{"path": "a.png", "modality": "optical"}])])
    report = ReadReport(str(path))
    build_index(str(path), Tok(), {"optical": 4}, report, progress=False)
    assert report.n_ok == 1 and report.n_skipped == 2 and not report.several_images and report.several_first is None
    assert "several images" not in report.summary()


def test_a_drop_of_another_record_than_the_last_read_leaves_the_count(tmp_path):
    """A reader that read the whole file first (clip's caption pairs) drops a record not the last read: the last one's
    several images stay counted."""
    path = tmp_path / "r.jsonl"
    _write(path, [_rec("one", [PAIR[0]]), _rec("two", PAIR)])
    recs, report = load_records(path, strict=False)
    report.drop("bad field images", f"{path}: record one: images[0] cannot be opened")
    assert len(recs) == 2 and report.n_ok == 1 and dict(report.several_images) == {"cls": 1}


def test_a_drop_said_at_the_line_takes_it_off(tmp_path):
    """eval's reader drops a record at its line ("FILE:LINE (id X): …"): taken off as training's "FILE: record X: …"."""
    path = tmp_path / "r.jsonl"
    _write(path, [_rec("two", PAIR, "det", "<ref>ship</ref><box><loc_1><loc_2><loc_3><loc_4></box>")])
    report = ReadReport(str(path))
    for _ in read_records(path, strict=False, report=report):
        report.drop("bad field conversations[].value", f"{path}:1 (id two): field 'conversations[1].value': bad")
    assert report.n_ok == 0 and not report.several_images and "several images" not in report.summary()


@pytest.mark.parametrize("answer", ["<bbox>12, 13, 40, 50</bbox>", "There is one: <polygon>1,2, 3,4, 5,6</polygon>."])
def test_plain_numbers_without_a_ref_are_refused_as_with_one(answer):
    turns = [{"from": "human", "value": "<image>\n[det] ships"}, {"from": "gpt", "value": answer}]
    for value in (answer, "<ref>ship</ref>" + answer):
        with pytest.raises(RecordError, match="holds plain numbers, not location tokens") as e:
            normalize_record({"id": 1, "image": "a.png", "conversations": [turns[0], {**turns[1], "value": value}]})
        assert e.value.field == "conversations[].value" and "conversations[1].value" in str(e.value)


@pytest.mark.parametrize("answer", ["<b>12</b> ships", "12, 13, 40, 50", "<td>3</td>"])
def test_numbers_in_no_shape_tag_are_kept(answer):
    turns = [{"from": "human", "value": "<image>\n[vqa] How many?"}, {"from": "gpt", "value": answer}]
    assert normalize_record({"id": 1, "image": "a.png", "conversations": turns})["conversations"][1]["value"] == answer


def test_a_task_clash_training_leaves_out_is_no_longer_counted_kept(tmp_path):
    """A [cls] record asking a [vqa] question, its image unopenable, was counted kept with a task clash and skipped."""
    (tmp_path / "a.png").write_bytes(b"")
    clash = _rec("gone", [UNSAID[0]])
    clash["conversations"][0]["value"] = "<image>\n[vqa] Is there a ship?"
    kept = _rec("kept", [PAIR[0]])
    kept["conversations"][0]["value"] = "<image>\n[vqa] Is there a ship?"
    path = tmp_path / "r.jsonl"
    _write(path, [clash, kept])
    report = ReadReport(str(path))
    build_index(str(path), Tok(), {"optical": 4}, report, progress=False)
    assert report.n_ok == 1 and report.n_skipped == 1 and report.task_clashes == 1
    assert report.task_clash_first == [f"{path}:2 (id kept): task 'cls', prompt [vqa]"]
    assert "1 kept whose task field is not the tag" in report.summary()
