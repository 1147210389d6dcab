"""Tour 77 (area G): a key given twice in one JSONL record (JSON keeps the last, silently) is refused naming file,
line and key, or skipped and counted; a record's Windows path (``imgs\\a.tif``) is the file with slashes, and
beside ``images`` naming ``imgs/a.tif`` is no clash."""

from __future__ import annotations

import json

import pytest

from rsvlm.data.image_names import resolve_name
from rsvlm.data.records import RecordError, load_records, normalize_record
from rsvlm.data.records_shape import key_given_twice

TURNS = '[{"from": "human", "value": "<image>\\n[vqa] Is there a ship?"}, {"from": "gpt", "value": "yes"}]'


def _file(tmp_path, *lines: str):
    path = tmp_path / "r.jsonl"
    path.write_text("".join(line + "\n" for line in lines))
    return path


def test_a_top_level_key_given_twice_is_refused_naming_file_line_and_key(tmp_path):
    good = f'{{"id": 1, "image": "a.tif", "conversations": {TURNS}}}'
    path = _file(tmp_path, good, f'{{"id": 2, "task": "det", "image": "a.tif", "conversations": {TURNS}, '
                                 '"task": "vqa"}')
    with pytest.raises(RecordError) as e:
        load_records(path)
    assert str(e.value) == (f"{path}:2: field 'task': given twice ('det', then 'vqa'); JSON keeps the last: write it "
                            "once")
    recs, report = load_records(path, strict=False)
    assert [r["id"] for r in recs] == ["1"] and report.skipped == {"duplicate key": 1}  # was "bad field task"


def test_a_turns_key_given_twice_is_refused_as_a_nested_objects(tmp_path):
    turns = '[{"from": "human", "value": "<image>\\nq", "value": "<image>\\nr"}, {"from": "gpt", "value": "a"}]'
    path = _file(tmp_path, f'{{"id": 1, "image": "a.tif", "conversations": {turns}}}')
    recs, report = load_records(path, strict=False)
    assert recs == [] and report.skipped == {"duplicate key": 1}
    assert report.examples == [f"{path}:1: key 'value' of an object in the record given twice ('<image>\\nq', then "
                               "'<image>\\nr'); JSON keeps the last: write it once"]


def test_a_key_quoted_in_a_text_or_nested_once_is_no_second_key(tmp_path):
    turns = [{"from": "human", "value": '<image>\nWhat does "id": 3 mean, and "task"?'}, {"from": "gpt", "value": "x"}]
    line = json.dumps({"id": 1, "image": "a.tif", "conversations": turns, "meta": {"id": 9, "task": "t"}})
    assert key_given_twice(line, json.loads(line)) is None  # "id" counted twice (meta's): parsed again, none twice
    recs, report = load_records(_file(tmp_path, line))
    assert len(recs) == 1 and report.n_skipped == 0


def test_key_given_twice_passes_what_is_no_object():
    assert key_given_twice("[1, 1]", [1, 1]) is None


def test_a_windows_path_beside_the_same_path_with_slashes_is_no_clash():
    rec = normalize_record({"id": 1, "image": "imgs\\a.tif", "images": [{"path": "imgs/a.tif"}],
                            "conversations": json.loads(TURNS)})
    assert [im["path"] for im in rec["images"]] == ["imgs/a.tif"]
    with pytest.raises(RecordError, match="a record names its images once"):
        normalize_record({"id": 1, "image": "imgs\\b.tif", "images": [{"path": "imgs/a.tif"}],
                          "conversations": json.loads(TURNS)})


def test_a_windows_relative_path_resolves_to_the_file_with_slashes(tmp_path):
    (tmp_path / "imgs").mkdir()
    (tmp_path / "imgs" / "a.tif").write_bytes(b"x")
    assert resolve_name("imgs\\a.tif", tmp_path) == tmp_path / "imgs" / "a.tif"
    assert resolve_name("imgs\\b.tif", tmp_path) == tmp_path / "imgs\\b.tif"  # neither exists: the name as written
    (tmp_path / "imgs\\a.tif").write_bytes(b"y")  # a file named with the backslash (POSIX allows it): itself
    assert resolve_name("imgs\\a.tif", tmp_path) == tmp_path / "imgs\\a.tif"
