"""Stop 69's tour of the scoring scripts."""

from __future__ import annotations

import json

import pytest
from conftest import eval_record, write_jsonl


@pytest.mark.parametrize(("reference", "answer", "right"), [
    ("a dozen", "12", True), ("Two dozen.", "24 ships", True), ("half a dozen", "six", True),
    ("a dozen", "13", False), ("12", "a dozen", True), ("twelve", "12", True), ("a dozen ships", "12", False)])
def test_vqa_reads_a_reference_written_as_a_dozen_as_the_answer_is_read(tmp_path, reference, answer, right):
    """A reference "a dozen" was compared as text ("dozen") while the answer "a dozen" to the reference "12" was read
    as 12: the answer 12 was wrong to "a dozen" and "a dozen" right to 12. Both sides are read by one rule now."""
    from eval import vqa

    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record("a", "vqa", "[vqa] How many ships?", reference)])
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": "a", "task": "vqa", "answer": answer}])
    assert vqa.main(["--gt", gt, "--pred", pred])["accuracy"] == (1.0 if right else 0.0)


def test_vqa_reads_a_json_number_answer_to_a_dozen_as_its_count(tmp_path):
    """"answer": 12 (another tool's JSON) answers a whole-number reference; "a dozen" is one now."""
    from eval import vqa

    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record("a", "vqa", "[vqa] How many ships?", "a dozen")])
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": "a", "task": "vqa", "answer": 12}])
    scores = vqa.main(["--gt", gt, "--pred", pred])
    assert (scores["accuracy"], scores["n_unparseable"]) == (1.0, 0)


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


@pytest.mark.parametrize(("key", "value"), [("headline", "accuracy"), ("by_modality", [1]), ("run", "x"),
                                            ("task", None)])
def test_report_leaves_out_a_malformed_score_file_named_and_counted(tmp_path, capsys, key, value):
    """A score file of the right keys but a wrong shape (edited by hand, another tool's) stopped eval.report --dir with
    a traceback, and no report of the good files; it is left out, named, and the left-out files counted."""
    from eval import report

    good, bad = _two_scores(tmp_path)
    bad.write_text(json.dumps({**json.loads(bad.read_text()), key: value}))
    capsys.readouterr()
    rep = report.main(["--dir", str(good.parent)])
    assert {r["source"] for r in rep["metrics"]} == {"good.json"}
    err = capsys.readouterr().err
    assert f"{bad} is a score file whose '{key}'" in err and "1 of the 2 .json file(s) read were left out" in err
    with pytest.raises(SystemExit) as stop:  # given by --scores: an error naming it, as any other bad file
        _guarded(report.main, ["--scores", str(good), str(bad)])
    assert stop.value.code == 2 and f"error: {bad}: a score file whose '{key}'" in capsys.readouterr().err


def test_report_says_where_a_cut_score_file_stops_being_json(tmp_path, capsys):
    """Its note read "Unterminated string starting at at line 1": the column went unsaid and "at" came twice."""
    from eval import report

    good, bad = _two_scores(tmp_path)
    bad.write_text('{"task": "counting", "headline')
    capsys.readouterr()
    report.main(["--dir", str(good.parent)])
    err = capsys.readouterr().err
    assert f"{bad} is not JSON (Unterminated string starting at line 1 column 22)" in err
    assert "1 of the 2 .json file(s) read were left out" in err


def _guarded(fn, argv):
    """``fn(argv)`` as ``python -m`` runs it (``eval.common.main_guard``: an input error is one line, exit 2)."""
    from eval.common import main_guard

    main_guard(lambda: fn(argv))
