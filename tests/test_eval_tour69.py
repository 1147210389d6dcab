"""Stop 69's tour of the scoring scripts."""

from __future__ import annotations

import json

import pytest
from conftest import eval_record, write_jsonl


@pytest.mark.parametrize(("reference", "answer", "right"), [
    ("a dozen", "12", True), ("Two dozen.", "24 ships", True), ("half a dozen", "six", True),
    ("a dozen", "13", False), ("12", "a dozen", True), ("twelve", "12", True), ("a dozen ships", "12", False),
    ("None.", "0", True), ("nothing", "There are no ships.", True), ("0", "none", True), ("none", "1", False),
    ("No.", "0", False), ("a dozen", 12, True)])
def test_vqa_reads_a_whole_number_reference_in_words_as_the_answer_is_read(tmp_path, reference, answer, right):
    """A reference "a dozen" was compared as text ("dozen") while the answer "a dozen" to the reference "12" was read
    as 12: the answer 12 was wrong to "a dozen" and "a dozen" right to 12; so "0" to "none". Both sides are read by one
    rule now (a yes/no "No." stays one); "answer": 12 (another tool's JSON) answers "a dozen" as it answers "12"."""
    from eval import vqa

    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record("a", "vqa", "[vqa] How many ships?", reference)])
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": "a", "task": "vqa", "answer": answer}])
    assert vqa.main(["--gt", gt, "--pred", pred])["accuracy"] == (1.0 if right else 0.0)


def _two_scores(tmp_path) -> tuple:
    """A folder of two counting score files, ``good.json`` and ``bad.json``."""
    from eval import counting

    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record("a", "count", "[count] How many ships?", "2")])
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": "a", "task": "count", "answer": "2"}])
    folder = tmp_path / "scores"
    folder.mkdir()
    for name in ("good", "bad"):
        counting.main(["--gt", gt, "--pred", pred, "--out", str(folder / f"{name}.json")])
    return folder / "good.json", folder / "bad.json"


@pytest.mark.parametrize(("key", "value", "named"), [
    ("headline", "accuracy", "headline"), ("by_modality", [1], "by_modality"), ("run", "x", "run"),
    ("task", None, "task"), ("run", {"model": "m", "options": "--tta flip"}, "run.options")])
def test_report_leaves_out_a_malformed_score_file_named_and_counted(tmp_path, capsys, key, value, named):
    """A score file of the right keys but a wrong shape (edited by hand, another tool's) stopped eval.report --dir with
    a traceback (a run whose ``options`` is no mapping: an AttributeError from the "What answered" table), and no
    report of the good files; it is left out, named, and the left-out files counted."""
    from eval import report

    good, bad = _two_scores(tmp_path)
    bad.write_text(json.dumps({**json.loads(bad.read_text()), key: value}))
    capsys.readouterr()
    rep = report.main(["--dir", str(good.parent)])
    assert {r["source"] for r in rep["metrics"]} == {r["source"] for r in rep["runs"]} == {"good.json"}
    err = capsys.readouterr().err
    assert f"{bad} is a score file whose '{named}'" in err and "1 .json file left out as no readable score file" in err
    with pytest.raises(SystemExit) as stop:  # given by --scores: an error naming it, as any other bad file
        _guarded(report.main, ["--scores", str(good), str(bad)])
    assert stop.value.code == 2 and f"error: {bad}: a score file whose '{named}'" in capsys.readouterr().err


def test_report_says_where_a_cut_score_file_stops_being_json(tmp_path, capsys):
    """Its note read "Unterminated string starting at at line 1": the column went unsaid and "at" came twice."""
    from eval import report

    good, bad = _two_scores(tmp_path)
    bad.write_text('{"task": "counting", "headline')
    capsys.readouterr()
    report.main(["--dir", str(good.parent), "--out", str(good.parent / "report.md")])
    report.main(["--dir", str(good.parent)])  # its own report.json among the scores: noted, not counted
    err = capsys.readouterr().err
    assert "report.json is a report" in err and err.count("1 .json file left out as no readable score file") == 2
    assert f"{bad} is not JSON (Unterminated string starting at line 1 column 22)" in err


def _guarded(fn, argv):
    """``fn(argv)`` as ``python -m`` runs it (``eval.common.main_guard``: an input error is one line, exit 2)."""
    from eval.common import main_guard

    main_guard(lambda: fn(argv))


BOX = "<ref>ship</ref><box><loc_100><loc_200><loc_300><loc_400></box>"


@pytest.mark.parametrize(("task", "module"), [("det", "detection"), ("ground", "grounding"), ("seg", "segmentation"),
                                              ("change", "change")])
def test_a_geometry_scorer_decodes_each_reference_once(tmp_path, monkeypatch, task, module):
    """load_gt's check of a geometry scorer's own records decoded each reference answer, and the scoring decoded it
    again; the check's decoding, at the record's size, is the one scored now (the scores themselves: every other
    test of the scorers)."""
    import importlib

    from rsvlm import geometry
    from rsvlm.data import records

    rec = eval_record("a", task, f"[{task}] Where are the ships?", BOX, width=640, height=480,
                      **({"subtask": "change_seg_box"} if task == "change" else {}))
    gt = write_jsonl(tmp_path / "gt.jsonl", [rec])
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": "a", "task": task, "answer": BOX.replace("100", "101")}])
    decoded = []
    real_records, real_geometry = records.decode, geometry.decode
    monkeypatch.setattr(records, "decode", lambda *a: decoded.append(a) or real_records(*a))
    monkeypatch.setattr(geometry, "decode", lambda *a: decoded.append(a) or real_geometry(*a))
    scores = importlib.import_module(f"eval.{module}").main(["--gt", gt, "--pred", pred])
    assert scores["n_records"] == 1 and scores["n_unparseable"] == 0
    assert [a for a in decoded if a[0] == BOX] == [(BOX, 640, 480)]


def test_a_bad_reference_is_still_refused_naming_its_line_and_turn(tmp_path):
    """The check names the turn as before, now that it decodes the reference at the record's size."""
    from eval import grounding
    from rsvlm.data.records import RecordError

    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record("v", "vqa", "[vqa] Any ships?", "yes"),
                                             eval_record("g", "ground", "[ground] The ship.", "<box><loc_1></box>")])
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": "g", "task": "ground", "answer": BOX}])
    with pytest.raises(RecordError, match=r"gt\.jsonl:2 \(id g\): field 'conversations\[1\]\.value': geometry does not"):
        grounding.main(["--gt", gt, "--pred", pred])


def test_loc_error_reads_tasks_as_records_do_and_draws_no_bar_of_its_own(tmp_path, monkeypatch, capsys):
    """--tasks DET was an unknown task, where a record's "DET" is det; and the index's task filter drew datasets'
    own "Filter:" bar, its \\r redraws into a log (every bar goes through rsvlm.progress.bar)."""
    from test_probe_pointer_cells import ground_records, model

    import rsvlm.inference
    from eval import loc_error

    data = ground_records(tmp_path)
    monkeypatch.setattr(rsvlm.inference, "load_model", lambda *a, **k: model())
    assert loc_error.main(["--data", str(data), "--tasks", "GROUND,[det]", "--device", "cpu"]) == 0
    said = capsys.readouterr()
    assert json.loads(said.out)["task:ground"]["n"] > 0
    assert "Filter" not in said.err and "\r" not in said.err


def test_loc_error_points_a_scorer_s_name_to_its_task(tmp_path, capsys):
    """--tasks detection (the scorer's name) said "unknown task" beside the list alone."""
    from eval import loc_error

    data = write_jsonl(tmp_path / "t.jsonl", [eval_record("a", "det", "[det] Find the ships.", "None.")])
    with pytest.raises(SystemExit) as stop:
        loc_error.main(["--data", data, "--model", str(tmp_path), "--tasks", "detection,captioning"])
    err = capsys.readouterr().err
    assert stop.value.code == 2 and "'detection' is python -m eval.detection's, whose task is det" in err
    assert "'captioning' is python -m eval.captioning's, whose tasks are cap and regcap" in err
