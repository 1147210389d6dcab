"""Stop 68, eval start-up: the text scorers read the ground truth without decoding its shapes (a geometry scorer
decodes its own task's records' alone; its refusal of a bad one: test_eval_review68q), and a report's or score file's JSON given as --pred or --gt is
named as what it is."""

from __future__ import annotations

import json

import pytest
from conftest import eval_record, write_jsonl

from eval import captioning, classification, common, detection, report, vqa
from rsvlm import geometry
from rsvlm.data import records
from rsvlm.data.records import RecordError, read_records

BAD_BOX = "<box><loc_10><loc_20></box>"  # two of a box's four locations


def mixed_gt(tmp_path):
    """A vqa, a cls, a cap and a det record, the det one's reference a malformed box (line 4)."""
    return write_jsonl(tmp_path / "gt.jsonl", [
        eval_record("q1", "vqa", "[vqa] Is there a ship?", "yes"),
        eval_record("c1", "cls", "[cls] What scene?", "harbor"),
        eval_record("p1", "cap", "[cap] Describe the image.", "Ships moored at a pier."),
        eval_record("d1", "det", "[det] Detect all ships.", BAD_BOX)])


@pytest.mark.parametrize("module", [vqa, classification, captioning])
def test_text_scorers_read_past_another_tasks_bad_shape(tmp_path, module):
    """(That they decode no shapes of their own records: test_eval_review68q.)"""
    gt = mixed_gt(tmp_path)
    pred = write_jsonl(tmp_path / "pred.jsonl", [{"id": "q1", "task": "vqa", "answer": "yes"},
                                                 {"id": "c1", "task": "cls", "answer": "harbor"},
                                                 {"id": "p1", "task": "cap", "answer": "Ships at a pier."}])
    java = ["--no-java"] if module is captioning else []  # Java's METEOR: seconds, and no reading of the records
    scores = module.main(["--gt", gt, "--pred", pred, *java])  # the det record's bad box refused the whole file before
    assert scores["n_records"] == 1 and scores["n_missing"] == 0


def test_geometry_scorer_checks_its_own_records_shapes_alone(tmp_path, monkeypatch):
    gt = write_jsonl(tmp_path / "gt.jsonl", [
        eval_record("q1", "vqa", "[vqa] Is <box><loc_1></box> a ship?", "yes"),  # another scorer's: not checked
        eval_record("g1", "ground", "[ground] Where is the ship?", "<box><loc_10><loc_20><loc_30><loc_40></box>"),
        eval_record("d1", "det", "[det] Detect all ships.", "<box><loc_10><loc_20><loc_30><loc_40></box>")])
    pred = write_jsonl(tmp_path / "pred.jsonl", [{"id": "d1", "task": "det",
                                                  "answer": "<box><loc_10><loc_20><loc_30><loc_40></box>"}])
    decoded = []
    real, real_geometry = records.decode, geometry.decode
    monkeypatch.setattr(records, "decode", lambda *a: decoded.append(a[0]) or real(*a))
    monkeypatch.setattr(geometry, "decode", lambda *a: decoded.append(a[0]) or real_geometry(*a))  # the scorer's
    assert detection.main(["--gt", gt, "--pred", pred])["n_records"] == 1
    # d1's answer (once, stop 69: the check's decoding is the one scored) and its prediction; not g1's, nor q1's bad box
    assert decoded == ["<box><loc_10><loc_20><loc_30><loc_40></box>"] * 2


def test_read_records_checks_shapes_unless_check_geometry_is_false(tmp_path):
    gt = mixed_gt(tmp_path)
    with pytest.raises(RecordError, match=r":4 .*geometry does not follow the grammar"):
        list(read_records(gt))
    read = list(read_records(gt, check_geometry=False))
    assert [r["id"] for r in read] == ["q1", "c1", "p1", "d1"] and read[3]["conversations"][1]["value"] == BAD_BOX


def reported(tmp_path):
    """(ground truth, predictions, a score file, eval.report's JSON of it)."""
    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record("q1", "vqa", "[vqa] Is there a ship?", "yes")])
    pred = write_jsonl(tmp_path / "pred.jsonl", [{"id": "q1", "task": "vqa", "answer": "yes"}])
    vqa.main(["--gt", gt, "--pred", pred, "--out", str(tmp_path / "vqa.json")])
    report.main(["--scores", str(tmp_path / "vqa.json"), "--out", str(tmp_path / "rep.md")])
    return gt, pred, tmp_path / "vqa.json", tmp_path / "rep.json"


def test_a_report_given_as_pred_is_named_a_report(tmp_path):
    gt, pred, _, rep = reported(tmp_path)
    assert {"metrics", "counts"} <= set(json.loads(rep.read_text()))
    with pytest.raises(common.ScoreError) as e:
        vqa.main(["--gt", gt, "--pred", str(rep)])
    assert "a report (python -m eval.report's JSON" in str(e.value)
    assert f"give one of the predictions files it tables: {pred}" in str(e.value)


@pytest.mark.parametrize("which, said", [("scores", "a score file (python -m eval.vqa's --out), not records"),
                                         ("report", "a report (python -m eval.report's JSON beside its markdown), "
                                                    "not records")])
def test_scores_or_report_given_as_gt_are_named_not_told_to_jq_a_list(tmp_path, which, said):
    gt, pred, scores, rep = reported(tmp_path)
    with pytest.raises(RecordError) as e:
        vqa.main(["--gt", str(scores if which == "scores" else rep), "--pred", pred])
    assert said in str(e.value) and "jq" not in str(e.value)
    assert (f"made against {gt}" in str(e.value)) == (which == "scores")


def test_a_report_given_to_report_is_named_with_its_score_files(tmp_path, capsys):
    _, _, scores, rep = reported(tmp_path)
    with pytest.raises(common.ScoreError, match=r"rep\.json: a report \(python -m eval\.report's JSON\), not a score "
                                                r"file: give the score files it tables \(vqa\.json\)"):
        report.main(["--scores", str(rep)])
    (tmp_path / "rep.md").unlink()
    capsys.readouterr()
    report.main(["--dir", str(tmp_path)])  # rep.json beside the scores: left out, said as what it is
    assert "rep.json is a report (python -m eval.report's JSON), not a score file; left out" in capsys.readouterr().err
