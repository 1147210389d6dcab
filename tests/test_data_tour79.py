"""Stop 79's records tour: each malformation counted under its own reason in the skip summary, named by file and
line (a nested key given twice was "bad field record", as a record that is no object once was)."""

from __future__ import annotations

import json

import pytest

from rsvlm.data.read_report import ReadReport
from rsvlm.data.records import RecordError, load_records, read_records

TURNS = [{"from": "human", "value": "<image>\n[vqa] Is there a ship?"}, {"from": "gpt", "value": "yes"}]


def _rec(rid, tail: str = "") -> str:
    return f'{{"id": {json.dumps(rid)}, "image": "a.tif", "conversations": {json.dumps(TURNS)}{tail}}}'


def _read(tmp_path, lines: list[str]) -> tuple[list[dict], ReadReport]:
    path = tmp_path / "r.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = ReadReport(str(path))
    return list(read_records(path, strict=False, report=report)), report


def test_a_nested_key_given_twice_is_counted_as_a_duplicate_key_not_a_bad_record(tmp_path):
    recs, report = _read(tmp_path, [_rec("ok"), _rec("m", ', "meta": {"a": 1, "a": 2}'), "[1, 2]",
                                     _rec("t", ', "task": "vqa", "task": "det"')])
    assert [r["id"] for r in recs] == ["ok"]
    assert report.skipped == {"duplicate key": 2, "a JSON array, not an object": 1}  # "task" twice too
    said = report.summary()
    assert "duplicate key: 2" in said and "a JSON array, not an object: 1" in said and "bad field record" not in said
    assert report.examples[0] == (f"{tmp_path / 'r.jsonl'}:2: key 'a' of an object in the record given twice (1, "
                                  "then 2); JSON keeps the last: write it once")


def test_a_json_array_files_item_holding_a_nested_key_twice_is_a_duplicate_key(tmp_path):
    path = tmp_path / "r.json"
    path.write_text("[" + ",".join([_rec(0), _rec(1, ', "meta": {"b": [1], "b": [2]}')]) + "]", encoding="utf-8")
    recs, report = load_records(path, strict=False)
    assert [r["id"] for r in recs] == ["0"] and report.skipped == {"duplicate key": 1}
    with pytest.raises(RecordError, match=r"r\.json\[1\]: key 'b' of an object in the record given twice") as e:
        load_records(path)
    assert e.value.reason == "duplicate key" and e.value.field == "record"


@pytest.mark.parametrize(("line", "reason"), [
    ("[1, 2]", "a JSON array, not an object"), ('"text"', "a JSON string, not an object"),
    ("3", "a JSON number, not an object"), ("null", "JSON null, not an object"), ("{not json", "invalid JSON"),
    ('{"id": true, "image": "a.tif"}', "bad field id"), (_rec("x", ', "images": 3'), "bad field images"),
    ('{"id": "n", "image": "a.tif", "conversations": []}', "bad field conversations"),
])
def test_every_malformed_line_has_its_own_reason_and_its_line(tmp_path, line, reason):
    recs, report = _read(tmp_path, [_rec("ok"), line])
    assert [r["id"] for r in recs] == ["ok"] and report.skipped == {reason: 1}
    assert report.examples[0].startswith(f"{tmp_path / 'r.jsonl'}:2")


@pytest.mark.parametrize(("value", "got"), [({"a": 1}, "a JSON object {'a': 1}"), ("hi", "a JSON string 'hi'"),
                                            (3, "a JSON number 3")])
def test_conversations_that_are_no_list_are_said_so_not_missing(tmp_path, value, got):
    line = json.dumps({"id": "c", "image": "a.tif", "conversations": value})
    recs, report = _read(tmp_path, [line])
    assert recs == [] and report.skipped == {"bad field conversations": 1}
    assert report.examples == [f"{tmp_path / 'r.jsonl'}:1 (id c): field 'conversations': must be a list of turns "
                               f"([{{\"from\": \"human\", \"value\": …}}, …]), got {got}"]


def test_data_md_says_what_a_refusal_names_and_stays_under_500_lines():
    """docs/data.md stood at 499 lines and did not say how an override or a file's value is named."""
    from conftest import REPO

    text = (REPO / "docs/data.md").read_text()
    said = " ".join(text[text.index("### What a refusal names"):text.index("## Records")].split())
    assert "`override 'scene.size=8' (command line): scene.size 8 must be between 16 and 4096`" in said
    assert "(line 3 of mine.yaml)" in said and "`trainer=3`" in said and text.count("\n") < 500
