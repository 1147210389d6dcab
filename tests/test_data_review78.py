"""Review of stop 78's records and overrides work: every JSON array item holding a key given twice is refused (the
first alone was; a second item's ``"task"`` written twice was read as its last), a text override holding brackets
that close is taken as written (``[2024]/[a.jsonl`` was refused as a list left open), a JSONL line that is a JSON
array is counted as one, not as "bad field record", and ``BLIND`` has one definition."""

from __future__ import annotations

import json

import pytest

from rsvlm.config import ConfigError, load_config
from rsvlm.data.records import RecordError, load_records
from rsvlm.train.config import TrainConfig

TURNS = [{"from": "human", "value": "<image>\n[vqa] Is there a ship?"}, {"from": "gpt", "value": "yes"}]


def _rec(rid: int, tail: str = "") -> str:
    return f'{{"id": {rid}, "image": "a.tif", "conversations": {json.dumps(TURNS)}{tail}}}'


def test_every_json_array_item_with_a_key_given_twice_is_refused_and_counted(tmp_path):
    items = [_rec(0), _rec(1, ', "meta": {"a": 1, "a": 2}'), _rec(2, ', "task": "vqa", "task": "det"'), _rec(3)]
    path = tmp_path / "r.json"
    path.write_text("[\n" + ",\n".join(items) + "\n]\n", encoding="utf-8")
    recs, report = load_records(path, strict=False)
    assert [r["id"] for r in recs] == ["0", "3"]  # "2" was kept as a det record
    assert report.skipped == {"duplicate key": 2}  # the record's own "task" twice too (was "bad field task")
    assert report.examples[1] == (f"{path}[2]: field 'task': given twice ('vqa', then 'det'); JSON keeps the last: "
                                  "write it once")


@pytest.mark.parametrize("value", ["[2024]/[a.jsonl", "run[1/t.jsonl", "{pl}: detect", "[a]b[c"])
def test_a_text_override_whose_brackets_close_or_open_inside_is_taken_as_written(value):
    assert load_config(TrainConfig, None, [f"data.train={value}"]).data.train == value


@pytest.mark.parametrize("value, opens", [("[a.jsonl", "list"), ("[a, '[b'", "list"), ("{a: b", "mapping"),
                                          ("[[a", "list")])
def test_a_text_override_left_open_is_refused_with_a_quoting_that_reads_back(value, opens):
    with pytest.raises(ConfigError, match=f"value opens a {opens}") as e:
        load_config(TrainConfig, None, [f"data.train={value}"])
    quoted = str(e.value).rsplit(': "', 1)[1].rstrip('"')  # the advice's override, as a shell passes it
    assert load_config(TrainConfig, None, [quoted]).data.train == value


@pytest.mark.parametrize("line, kind", [("[1, 2]", "a JSON array"), ('"a"', "a JSON string"), ("3", "a JSON number"),
                                        ("null", "JSON null")])
def test_a_jsonl_line_that_is_no_object_is_counted_as_what_it_is(tmp_path, line, kind):
    path = tmp_path / "r.jsonl"
    path.write_text(_rec(0) + "\n" + line + "\n", encoding="utf-8")
    with pytest.raises(RecordError, match=f"^{path}:2: a record must be a JSON object .*, got {kind}$"):
        load_records(path)
    recs, report = load_records(path, strict=False)
    assert len(recs) == 1 and report.skipped == {f"{kind}, not an object": 1}


def test_blind_has_one_definition():
    from eval import gt_refusal, inputs
    from rsvlm.data import read_report, records

    assert gt_refusal.BLIND is read_report.BLIND is records.BLIND is inputs.BLIND


def test_the_report_keeps_each_skipped_records_id_task_and_reason_read_once(tmp_path):
    """eval.gt_skips read the file a second time (its own parse, a copy of the reader's task rule) for these."""
    from rsvlm.data.read_report import ReadReport
    from rsvlm.data.records import read_records

    blind = {"id": "bl", "image": "a.tif", "conversations": TURNS[:1]}
    chained = {"id": "ch", "image": "a.tif", "images": ["b.tif"], "conversations": [  # its task: the last question's
        {"from": "human", "value": "<image>\n[vqa] q?"}, {"from": "gpt", "value": "a"},
        {"from": "human", "value": "[cls] what?"}, {"from": "gpt", "value": "b"}]}
    lines = [_rec(0), json.dumps(blind), '{"id": "d", "task": "DET", "images": 3, "conversations": []}',
             json.dumps(chained), '{"id": true}', "[1, 2]", "{not json", _rec(5, ', "meta": {"a": 1, "a": 2}')]
    path = tmp_path / "r.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = ReadReport(str(path))
    report.keep_skipped = lambda r: r["task"] != "det" and r["meta"] == {"a": 2}  # a broken record's: not taken
    assert [r["id"] for r in read_records(path, strict=False, report=report)] == ["0"]
    assert report.skipped_read_ids == {"bl": ("vqa", "bad field conversations"), "d": ("det", "bad field images"),
                                       "ch": ("cls", "bad field image"), "5": ("vqa", "duplicate key")}
    assert report.skipped_ids == {"bl"} and report.skipped_kept == {"5"}
    assert report.skipped_first == {"vqa": f"{path}:8: key 'a' of an object in the record given twice (1, then 2); "
                                            "JSON keeps the last: write it once"}


def test_a_ground_truth_line_that_is_no_object_is_not_read_again_for_an_id(tmp_path, monkeypatch):
    """'a JSON array, not an object' is a skip without an id: eval.gt_skips is not asked to read the file again."""
    from eval import gt_skips, vqa

    recs = [json.loads(_rec(i, ', "task": "vqa"')) for i in range(4)]
    gt = tmp_path / "gt.jsonl"
    gt.write_text("".join(json.dumps(r) + "\n" for r in recs) + "[1, 2]\n", encoding="utf-8")
    pred = tmp_path / "p.jsonl"
    pred.write_text("".join(json.dumps({"id": r["id"], "task": "vqa", "answer": "yes"}) + "\n" for r in recs))
    monkeypatch.setattr(gt_skips, "reader_skips", lambda *a: pytest.fail("read again"))
    assert vqa.main(["--gt", str(gt), "--pred", str(pred)])["n_gt_bad_records"] == 1
