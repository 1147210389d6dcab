"""Stop 65: a records file whose first record opens over several lines, then holds a line of GB."""

import json

from conftest import write_jsonl

from rsvlm.data import records, records_shape
from rsvlm.data.records import ReadReport, read_records


def test_a_long_line_after_an_open_first_object_is_read_in_pieces_and_counted(tmp_path, monkeypatch):
    """The head of a file opening ``{"id": "a",`` was read with no cap on a line, so a line of 150 MB after it
    was held whole (472 MB peak) before it was found to be no JSON; it is read to HEAD_CAP at a time there, and
    still counted as one line over the cap, naming its line, the records after it read."""
    monkeypatch.setattr(records_shape, "LINE_CAP", 2000)
    monkeypatch.setattr(records_shape, "HEAD_CAP", 1000)
    monkeypatch.setattr(records_shape, "HEAD_START", 500)
    longest = []

    def spied(path, first, readline, cap=None):
        def read():
            line = readline()
            longest.append(len(line))
            return line
        return records_shape.read_head(path, first, read, cap)

    monkeypatch.setattr(records, "read_head", spied)
    path = tmp_path / "r.jsonl"
    rec = {"id": "b", "images": [{"path": "a.png", "modality": "optical"}],
           "conversations": [{"from": "human", "value": "<image>\n[cls] What?"}, {"from": "gpt", "value": "forest"}]}
    path.write_text('{"id": "a",\n' + "x" * 9000 + "\n" + json.dumps(rec) + "\n")
    report = ReadReport(str(path))
    assert [r["id"] for r in read_records(path, strict=False, report=report)] == ["b"]
    assert longest and max(longest) <= 1000  # was 9001: the line read whole
    assert report.n_lines == 3 and report.skipped == {"invalid JSON": 2}
    assert report.examples[1].startswith(f"{path}:2: a line of 9,000 characters, over the 2,000"), report.examples


def test_eval_answer_rows_given_as_records_are_not_called_predicts_result(tmp_path):
    """rsvlm eval's own answers file ({"id", "task", "answer", "objects"} a line) given as records was refused
    whole as "the result rsvlm predict --out writes" (d9e3caf0), the wrong file named; its rows are records
    without conversations, each counted as such, as before."""
    row = {"id": "r0", "task": "det", "answer": "None.", "objects": []}
    path = write_jsonl(tmp_path / "preds.jsonl", [row, {**row, "id": "r1"}])
    report = ReadReport(str(path))
    assert list(read_records(path, strict=False, report=report)) == []
    assert report.n_lines == 2 and sum(report.skipped.values()) == 2
    assert all("predict --out" not in e for e in report.examples) and "conversations" in report.examples[0]
    result = tmp_path / "result.json"  # predict's own result is still told apart
    result.write_text(json.dumps({"task": "det", "prompt": "[det] Detect.", "answer": "None.", "objects": []}))
    try:
        list(read_records(result))
    except Exception as e:  # noqa: BLE001 - the refusal's type is the reader's
        assert "predict --out" in str(e), e
    else:
        raise AssertionError("predict's result was read as records")
