"""Stop 82, tour of evaluation (area B): the scorers' ``--out -`` said "scores written to -", a file's words, and a
scored record whose question's tag is another task's than its "task" field was scored unsaid (rsvlm eval says it)."""

from __future__ import annotations

import json

import pytest
from conftest import eval_record, write_jsonl


def _vqa_set(tmp_path, question="[vqa] Is there a ship?"):
    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record("q", "vqa", question, "yes"),
                                             eval_record("r", "vqa", "[vqa] Is there a road?", "no")])
    return gt, write_jsonl(tmp_path / "p.jsonl", [{"id": "q", "task": "vqa", "answer": "yes"},
                                                  {"id": "r", "task": "vqa", "answer": "yes"}])


def test_out_dash_ends_saying_standard_output_not_a_file_named_dash(tmp_path, monkeypatch, capsys):
    from eval import vqa

    monkeypatch.chdir(tmp_path)
    gt, pred = _vqa_set(tmp_path)
    assert vqa.main(["--gt", gt, "--pred", pred, "--out", "-"])["accuracy"] == 0.5
    out = capsys.readouterr().out
    scores, end = json.JSONDecoder().raw_decode(out)
    assert scores["n_records"] == 2 and not (tmp_path / "-").exists()
    last = out.rstrip().splitlines()[-1]
    assert last == "scores written to standard output (the JSON above the table)", last
    assert "written to -" not in out


def test_out_to_a_file_still_says_its_name(tmp_path, capsys):
    from eval import vqa

    gt, pred = _vqa_set(tmp_path)
    vqa.main(["--gt", gt, "--pred", pred, "--out", str(tmp_path / "s.json")])
    out = capsys.readouterr().out
    assert out.rstrip().splitlines()[-1] == f"scores written to {tmp_path / 's.json'}"
    assert json.loads((tmp_path / "s.json").read_text())["accuracy"] == 0.5


@pytest.mark.parametrize("name", ["vqa", "detection", "change"])
def test_every_scorers_out_help_says_dash_is_standard_output(name, capsys):
    import importlib

    with pytest.raises(SystemExit):
        importlib.import_module(f"eval.{name}").main(["--help"])
    said = " ".join(capsys.readouterr().out.split())
    assert "or - for standard output (default: printed only)" in said


def test_a_record_asked_with_another_tasks_tag_is_counted_and_named(tmp_path, capsys):
    """rsvlm eval said "1 kept whose task field is not the tag of the question eval answers"; the scorer scored the
    record as its field's task without a word."""
    from eval import vqa

    gt, pred = _vqa_set(tmp_path, question="[cls] Is there a ship?")
    s = vqa.main(["--gt", gt, "--pred", pred])
    assert s["n_gt_task_clashes"] == 1 and s["n_records"] == 2
    said = [n for n in s["notes"] if "n_gt_task_clashes" in n]
    assert len(said) == 1 and "(id q): task 'vqa', prompt [cls]" in said[0], s["notes"]
    assert said[0].startswith("the question of 1 scored record opens") and "note: " + said[0] in capsys.readouterr().out


def test_a_clash_of_a_record_another_script_scores_is_not_counted(tmp_path):
    from eval import vqa

    gt, pred = _vqa_set(tmp_path)
    rows = [json.loads(line) for line in open(gt)] + [eval_record("d", "det", "[seg] The ship.", "None.")]
    write_jsonl(tmp_path / "gt.jsonl", rows)
    s = vqa.main(["--gt", gt, "--pred", pred])
    assert s["n_gt_task_clashes"] == 0 and not any("n_gt_task_clashes" in n for n in s["notes"])
    assert s["n_gt_other_tasks"] == {"det": 1}


def test_a_converted_dota_record_retagged_is_counted_by_detection(realdata, tmp_path):
    """The tour's case on real data: DOTA P1888 converted, its box record's question retagged [seg]; its own
    reference as the prediction still scores 1.0, and the clash is said."""
    import subprocess
    import sys
    from pathlib import Path

    from eval import detection

    repo = Path(__file__).resolve().parents[1]
    subprocess.run([sys.executable, "-m", "data_gen", "convert", "dota", "--src", str(realdata / "obb_dota"), "--out",
                    str(tmp_path / "d"), "--no-progress"], cwd=repo, check=True, capture_output=True, timeout=300)
    recs = [json.loads(line) for line in open(tmp_path / "d" / "records.jsonl")]
    box = next(r for r in recs if "<box>" in r["conversations"][-1]["value"])
    box["conversations"][0]["value"] = box["conversations"][0]["value"].replace("[det]", "[seg]")
    gt = write_jsonl(tmp_path / "d" / "gt.jsonl", [box])
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": box["id"], "task": "det",
                                               "answer": box["conversations"][-1]["value"]}])
    s = detection.main(["--gt", gt, "--pred", pred])
    assert s["mAP50"] == pytest.approx(1.0) and s["n_gt_task_clashes"] == 1
    assert any(f"(id {box['id']}): task 'det', prompt [seg]" in n for n in s["notes"]), s["notes"]


def test_the_start_bench_times_every_scoring_script_eval_lists(monkeypatch):
    """bench/eval_start.py's SCORERS is a hand copy (each row checked against the scorer's own call by
    test_eval_tour70 and test_eval_tour77b); a scorer added to eval's list and not to the bench went untimed."""
    from script_loader import load_bench

    from eval.__main__ import SCRIPTS

    bench = load_bench("eval_start", monkeypatch, module="eval_start")
    assert set(bench.SCORERS) == set(SCRIPTS) - {"report", "loc_error"} == set(bench.CHECKS)


def test_an_object_of_a_class_only_the_other_box_kinds_references_have_is_said_unscored(tmp_path):
    """Real data (DOTA P1888's oriented record beside a GeoJSON building record): the model's three oriented
    'building' boxes fell out of mAP50_obb (DOTA AP is of the oriented references' classes) with no note, as
    'building' is a class of the set (the horizontal record's), so not an unknown one."""
    from eval import detection
    from rsvlm.geometry import encode

    ship = {"kind": "obb", "label": "ship", "coords": [[100, 100], [200, 100], [200, 150], [100, 150]]}
    plane = {"kind": "box", "label": "plane", "coords": [300, 300, 400, 380]}
    stray = {**ship, "label": "plane"}
    gt = write_jsonl(tmp_path / "gt.jsonl", [
        eval_record("o", "det", "[det] Detect every ship. Use oriented boxes.", encode([ship], 1000, 1000)),
        eval_record("h", "det", "[det] Detect every plane.", encode([plane], 1000, 1000))])
    pred = write_jsonl(tmp_path / "p.jsonl", [
        {"id": "o", "task": "det", "answer": encode([ship, stray], 1000, 1000)},
        {"id": "h", "task": "det", "answer": encode([plane], 1000, 1000)}])
    s = detection.main(["--gt", gt, "--pred", pred])
    assert s["mAP50_obb"] == pytest.approx(1.0) and s["n_obb_det_unknown_class"] == 1
    said = [n for n in s["notes"] if "only horizontal references have" in n]
    assert said == ["1 predicted object of the oriented records is of a class only horizontal references have, not "
                    "scored: {'plane': 1} (each box kind's AP is of its own references' classes; n_obb_det_unknown_class)"]
    assert not s["n_pred_objects_unknown_class"]


def test_the_start_bench_refuses_out_dash_as_every_bench_does(tmp_path, monkeypatch, capsys):
    """docs/benchmarks.md: "`--out -` is refused: stdout holds the table"; bench/eval_start.py wrote a file named -."""
    from script_loader import load_bench

    bench = load_bench("eval_start", monkeypatch, module="eval_start")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as e:
        bench.main(["--n", "8", "--repeats", "1", "--out", "-"])
    assert e.value.code == 2 and "--out -: the table is printed on standard output" in capsys.readouterr().err
    assert not (tmp_path / "-").exists()
    bench.main(["--n", "8", "--repeats", "1", "--out", "rows.json"])
    rows = json.loads((tmp_path / "rows.json").read_text())
    assert [r["scorer"] for r in rows] == [f"python -m eval.{n}" for n in bench.SCORERS]
