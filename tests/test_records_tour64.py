"""Tour 64 (helper G): records files as a demanding user gives them."""

import json

from rsvlm.data import records_shape
from rsvlm.data.records import ReadReport, read_records


def _rec(rid: str) -> str:
    return json.dumps({"id": rid, "images": [{"path": "a.png", "modality": "optical"}],
                       "conversations": [{"from": "human", "value": "<image>\n[cls] What?"},
                                         {"from": "gpt", "value": "forest"}]}) + "\n"


def test_a_line_over_the_cap_is_counted_by_its_line_and_not_held(tmp_path, monkeypatch):
    """A JSONL line of GB (no line ends, an image inlined) was read whole into memory, then parsed: now one
    over LINE_CAP is read past in pieces and counted as a bad line naming file:line; the lines after it read."""
    monkeypatch.setattr(records_shape, "LINE_CAP", 2000)
    path = tmp_path / "r.jsonl"
    huge = json.dumps({"id": "big", "blob": "x" * 9000}) + "\n"
    path.write_text(_rec("a") + huge + _rec("b") + huge.rstrip("\n"))  # the last one ends the file, no line end
    report = ReadReport(str(path))
    got = [r["id"] for r in read_records(path, strict=False, report=report)]
    assert got == ["a", "b"]
    assert report.n_lines == 4 and report.skipped == {"invalid JSON": 2}
    assert report.examples[0].startswith(f"{path}:2: a line of") and "over the" in report.examples[0]
    assert report.examples[1].startswith(f"{path}:4: ")


def test_a_first_line_over_the_cap_is_counted_and_a_json_array_still_reads(tmp_path, monkeypatch):
    monkeypatch.setattr(records_shape, "LINE_CAP", 2000)
    monkeypatch.setattr(records_shape, "HEAD_CAP", 1000)
    path = tmp_path / "r.jsonl"
    path.write_text(json.dumps({"id": "big", "blob": "x" * 9000}) + "\n" + _rec("a"))
    report = ReadReport(str(path))
    assert [r["id"] for r in read_records(path, strict=False, report=report)] == ["a"]
    assert report.examples[0].startswith(f"{path}:1: a line of")
    array = tmp_path / "r.json"  # one line of a LLaVA JSON array file, longer than a line may be: its items
    array.write_text(json.dumps([json.loads(_rec(f"r{i}")) for i in range(40)]))
    assert len(array.read_text()) > 2000
    assert len(list(read_records(array))) == 40
