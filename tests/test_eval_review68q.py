"""Review of stop 68's eval start-up: a text scorer reads no shapes even in its own task's records (23bff4fd left
test_eval_lead68q's text-scorer test passing without geometry=False: its records held none); a geometry scorer
still checks the shapes of its own records, the question's too: a bad one is a malformed record, skipped and counted
since stop 76 (eval.inputs.load_gt), and here, one of two records, half the file, which is refused naming its line;
every reader outside eval keeps the check (training skips a bad shape's record at read time, naming it)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import eval_record, write_jsonl

from eval import captioning, classification, counting, detection, grounding, vqa
from rsvlm.data import records
from rsvlm.data.records import ReadReport, RecordError, load_records, read_records

BAD_BOX = "<box><loc_10><loc_20></box>"  # two of a box's four locations
GOOD_BOX = "<box><loc_10><loc_20><loc_30><loc_40></box>"
ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("module, rec, answer", [
    (vqa, eval_record("q1", "vqa", f"[vqa] Is {BAD_BOX} a ship?", "yes"), "yes"),  # a region asked about
    (classification, eval_record("c1", "cls", f"[cls] What is in {BAD_BOX}?", "harbor"), "harbor"),
    (captioning, eval_record("p1", "cap", "[cap] Describe the image.", f"A <ref>ship</ref>{BAD_BOX} at a pier."),
     "A ship at a pier.")])  # a grounded caption: its geometry is left out of the words scored
def test_text_scorer_reads_its_own_records_shapes_unchecked(tmp_path, monkeypatch, module, rec, answer):
    gt = write_jsonl(tmp_path / "gt.jsonl", [rec])
    pred = write_jsonl(tmp_path / "pred.jsonl", [{"id": rec["id"], "task": rec["task"], "answer": answer}])
    decoded = []
    real = records.decode
    monkeypatch.setattr(records, "decode", lambda *a: decoded.append(a[0]) or real(*a))
    java = ["--no-java"] if module is captioning else []
    assert module.main(["--gt", gt, "--pred", pred, *java])["n_records"] == 1  # was a RecordError naming line 1
    assert decoded == []


@pytest.mark.parametrize("module, rec, turn", [
    (detection, eval_record("d1", "det", "[det] Detect all ships.", BAD_BOX), 1),  # an answer
    (grounding, eval_record("g1", "ground", f"[ground] Is {BAD_BOX} a ship?", GOOD_BOX), 0),  # a region asked about
    (counting, eval_record("n1", "count", "[count] How many cars?", "<point><loc_5> 1"), 1)])  # its points
def test_geometry_scorer_refuses_a_bad_shape_in_its_own_records_naming_line_id_and_turn(tmp_path, module, rec, turn):
    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record("q1", "vqa", "[vqa] Is there a ship?", "yes"), rec])
    pred = write_jsonl(tmp_path / "pred.jsonl", [{"id": rec["id"], "task": rec["task"], "answer": GOOD_BOX}])
    with pytest.raises(RecordError, match=rf"gt\.jsonl:2 \(id {rec['id']}\): field 'conversations\[{turn}\]\.value': "
                                          r"geometry does not follow the grammar"):
        module.main(["--gt", gt, "--pred", pred])


def test_training_reading_still_refuses_a_bad_shape_naming_the_record(tmp_path):
    gt = write_jsonl(tmp_path / "train.jsonl", [eval_record("a", "vqa", "[vqa] Is there a ship?", "yes"),
                                                eval_record("d1", "det", "[det] Detect all ships.", BAD_BOX)])
    report = ReadReport(gt)
    assert [r["id"] for r in read_records(gt, strict=False, report=report)] == ["a"]  # training's reading
    assert report.skipped == {"bad field conversations[].value": 1}
    assert re.search(r"train\.jsonl:2 \(id d1\): field 'conversations\[1\]\.value': geometry does not follow", report.examples[0])
    with pytest.raises(RecordError, match=r"train\.jsonl:2 \(id d1\): .*geometry does not follow the grammar"):
        load_records(gt)


def test_only_eval_inputs_reads_records_unchecked():
    """check_geometry=False is eval's ground-truth reading's alone (it checks a geometry scorer's records itself):
    training, conversion, synth, rsvlm eval and the benches keep the check."""
    users = sorted(str(p.relative_to(ROOT)) for d in ("rsvlm", "eval", "data_gen", "scripts", "bench")
                   for p in (ROOT / d).rglob("*.py") if "check_geometry=False" in p.read_text(encoding="utf-8")
                   and p.name != "records.py")
    assert users == ["eval/inputs.py"]


def test_a_score_file_read_as_training_data_is_not_called_for_a_test_set(tmp_path):
    """one_object's words serve training's reading too (data.train: scores.json): 'the records file of the test
    set' was asked of it."""
    import json

    scores = tmp_path / "scores.json"
    scores.write_text(json.dumps({"task": "vqa", "headline": ["accuracy"], "accuracy": 1.0, "gt": "test.jsonl"},
                                 indent=1) + "\n")
    with pytest.raises(RecordError) as e:
        list(read_records(scores, strict=False))  # training reads non-strict
    said = str(e.value)
    assert "a score file (python -m eval.vqa's --out), not records: give a records file (each record a line" in said
    assert "of the test set" not in said and said.endswith("these scores were made against test.jsonl")


def test_bench_eval_start_reads_every_scorers_records(tmp_path, monkeypatch, capsys):
    """bench/eval_start.py (docs/benchmarks.md's 'Stop 68 — eval start-up') runs: a row a scorer, its records
    counted as the scorer keeps them (no timing asserted)."""
    from script_loader import load_bench

    bench = load_bench("eval_start", monkeypatch, module="eval_start")
    rows = bench.main(["--n", "16", "--repeats", "1", "--out", str(tmp_path / "rows.json")])["rows"]
    assert {r["scorer"]: r["records"] for r in rows} == {f"python -m eval.{s}": 2 for s in (
        "vqa", "classification", "captioning", "detection", "grounding", "segmentation", "counting", "change")}
    assert (tmp_path / "rows.json").is_file() and "| `python -m eval.counting` (2) |" in capsys.readouterr().out
