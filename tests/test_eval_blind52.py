"""rsvlm eval on a blind test set (questions without answers), and a records file cut mid-array."""
import json
from pathlib import Path

import pytest

from rsvlm.cli import main
from rsvlm.data.records import RecordError, load_records
from rsvlm.evaluate import prompt_of

SAMPLE = Path(__file__).resolve().parents[1] / "rsvlm" / "assets" / "samples" / "airport_optical.png"
QUESTION = {"from": "human", "value": "<image>\n[cls] What kind of scene is this?"}


def _record(rid, *turns):
    return {"id": rid, "images": [{"path": str(SAMPLE), "modality": "optical"}], "conversations": list(turns)}


def test_records_without_answers_are_read_only_where_asked_and_only_when_they_end_on_a_question(tmp_path):
    path = tmp_path / "blind.jsonl"
    path.write_text(json.dumps(_record("q", QUESTION)) + "\n"
                    + json.dumps(_record("s", {"from": "system", "value": "Be brief."}, QUESTION,
                                         {"from": "system", "value": "x"})) + "\n")
    with pytest.raises(RecordError, match="has no gpt"):  # training and scoring need the answers
        load_records(path)
    records, report = load_records(path, strict=False, need_answer=False)
    assert [r["id"] for r in records] == ["q"] and report.n_skipped == 1  # "s" ends on no question
    assert "ends on no question" in report.examples[0]
    msgs = prompt_of(records[0])
    assert msgs[-1]["role"] == "user" and "[cls]" in msgs[-1]["content"]  # the question is asked


def test_eval_answers_a_blind_test_set(tmp_path, capsys):
    """Records were refused as "has no gpt (assistant) turn", so a benchmark's public questions could
    not be answered by rsvlm eval."""
    data = tmp_path / "blind.jsonl"
    data.write_text(json.dumps(_record("q1", QUESTION)) + "\n"
                    + json.dumps(_record("q2", QUESTION, {"from": "gpt", "value": "airport"})) + "\n")
    assert main(["eval", "--data", str(data), "--out", str(tmp_path / "p.jsonl"), "--max-new-tokens", "8"]) == 0
    rows = {r["id"]: r for r in map(json.loads, (tmp_path / "p.jsonl").read_text().splitlines())}
    assert set(rows) == {"q1", "q2"} and rows["q1"]["answer"] == rows["q2"]["answer"] != ""  # the same question
    capsys.readouterr()


def test_a_records_array_cut_short_is_one_line(tmp_path, capsys):
    """A JSON array file cut mid-record was a RecordError traceback from the --out check."""
    data = tmp_path / "cut.json"
    data.write_text('[{"id": ')
    assert main(["eval", "--data", str(data), "--out", str(tmp_path / "p.jsonl")]) == 2
    err = capsys.readouterr().err
    assert str(data) in err and "Traceback" not in err and not (tmp_path / "p.jsonl").exists()
