"""Stop 78 (G): a key given twice with two values is refused at any depth (meta, an image, a turn), written with
escapes or not, in JSONL and JSON array files alike, naming file, line (or item) and key; skipped and counted when
not strict. The records reader's path checks live in rsvlm.data.records_path, still importable from records."""

from __future__ import annotations

import json

import pytest

from rsvlm.data.read_report import ReadReport
from rsvlm.data.records import RecordError, check_records_path, load_records, read_records, records_in
from rsvlm.data.records_shape import record_line

TURNS = [{"from": "human", "value": "<image>\n[vqa] Is there a ship?"}, {"from": "gpt", "value": "yes"}]
GOOD = json.dumps({"id": 0, "image": "a.tif", "conversations": TURNS})


def _line(tail: str) -> str:
    """A record's line with ``tail`` written before its closing brace."""
    return f'{{"id": 1, "image": "a.tif", "conversations": {json.dumps(TURNS)}, {tail}}}'


@pytest.mark.parametrize("tail, field, said", [
    ('"\\u0069d": 2', "id", "field 'id': given twice (1, then 2)"),  # escaped: the same key to JSON
    ('"meta": {"source": "a", "source": "b"}', "record", "key 'source' of an object in the record given twice"),
    ('"meta": {"s\\u006Furce": "a", "source": "b"}', "record", "key 'source' of an object in the record"),
])
def test_a_key_given_twice_at_any_depth_or_escaped_is_refused_naming_line_and_key(tmp_path, tail, field, said):
    path = tmp_path / "r.jsonl"
    path.write_text(GOOD + "\n" + _line(tail) + "\n", encoding="utf-8")
    with pytest.raises(RecordError) as e:
        load_records(path)
    assert str(e.value).startswith(f"{path}:2: {said}") and e.value.field == field
    report = ReadReport(str(path))
    assert [r["id"] for r in read_records(path, strict=False, report=report)] == ["0"]
    assert report.n_skipped == 1 and report.examples[0].startswith(f"{path}:2: ")


def test_an_images_key_given_twice_is_refused_and_the_same_value_twice_is_not():
    twice = _line('"images": [{"path": "a.tif", "modality": "sar", "modality": "optical"}]').replace(
        '"image": "a.tif", ', "")
    assert record_line(twice)[1][1].startswith("key 'modality' of an object in the record given twice ('sar'")
    same = _line('"meta": {"n": 1, "n": 1}')  # nothing lost: read as before
    assert record_line(same) == (json.loads(same), None)


def test_a_json_array_files_item_with_a_key_given_twice_is_refused_naming_its_index(tmp_path):
    items = [GOOD, _line('"meta": {"a": 1, "a": 2}'), GOOD.replace('"id": 0', '"id": 2')]
    path = tmp_path / "r.json"
    path.write_text("[\n" + ",\n".join(items) + "\n]\n", encoding="utf-8")
    with pytest.raises(RecordError, match=r"r\.json\[1\]: key 'a' of an object in the record given twice \(1, then 2"):
        load_records(path)
    recs, report = load_records(path, strict=False)
    assert [r["id"] for r in recs] == ["0", "2"] and report.n_skipped == 1
    arrays: dict = {}  # a second read from the shared parse refuses it too
    for _ in range(2):
        report = ReadReport(str(path))
        assert len(list(read_records(path, strict=False, report=report, arrays=arrays))) == 2
        assert report.n_skipped == 1


def test_the_path_checks_are_still_importable_from_records(tmp_path):
    (tmp_path / "a.jsonl").write_text(GOOD + "\n")
    assert records_in(tmp_path) == [tmp_path / "a.jsonl"]
    with pytest.raises(FileNotFoundError, match="is a folder; give a JSONL file in it \\(a.jsonl\\)"):
        check_records_path(tmp_path)
