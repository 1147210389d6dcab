"""Follow-ups of tour 55 in the scorers: the answers ``rsvlm eval`` marked ``"past_context": true``
are named in a note by every scorer, as cut ones are, and eval.report tabulates their count;
hand-written predictions files, no model."""
import json

import pytest
from test_eval_cut51 import CASES, _record, _write

from eval import captioning, report


def _score(tmp_path, name):
    mod, task, prompt, answer, n = CASES[name]
    recs = [_record(rid, task, prompt, answer, m, n) for rid, m in (("a", "optical"), ("b", "sar"), ("c", "sar"))]
    preds = [{"id": "a", "task": task, "answer": answer},
             {"id": "b", "task": task, "answer": answer, "past_context": True},  # ran past the context
             {"id": "c", "task": task, "answer": answer, "past_context": "yes"}]  # not true: not counted
    gt, pred = _write(tmp_path / "gt.jsonl", recs), _write(tmp_path / "p.jsonl", preds)
    out = tmp_path / f"{name}.json"
    java = ["--no-java"] if mod is captioning else []  # METEOR through Java takes seconds
    return mod.main(["--gt", gt, "--pred", pred, "--out", str(out), *java]), out


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_scorer_names_the_first_answer_past_the_context(name, tmp_path, capsys):
    scores, _ = _score(tmp_path, name)
    # was: counted in n_pred_past_context, but no note said what such answers are or which
    assert scores["n_pred_past_context"] == 1
    (note,) = [n for n in scores["notes"] if "past the LLM's context" in n]
    assert note.startswith("1 answer(s) ran past the LLM's context (\"past_context\": true)")
    assert "unreliable" in note and "(first: b)" in note
    assert "note: " + note in capsys.readouterr().out


def test_no_answer_past_the_context_no_note(tmp_path):
    mod, task, prompt, answer, n = CASES["vqa"]
    gt = _write(tmp_path / "gt.jsonl", [_record("a", task, prompt, answer, "optical")])
    pred = _write(tmp_path / "p.jsonl", [{"id": "a", "task": task, "answer": answer, "past_context": False}])
    scores = mod.main(["--gt", gt, "--pred", pred])
    assert scores["n_pred_past_context"] == 0 and not [n for n in scores["notes"] if "LLM's context" in n]


def test_the_report_tabulates_answers_past_the_context_and_passes_over_older_score_files(tmp_path, capsys):
    _, new = _score(tmp_path, "detection")
    old = tmp_path / "old.json"  # a score file of a version without n_pred_past_context
    old.write_text(json.dumps({k: v for k, v in json.loads(new.read_text()).items() if k != "n_pred_past_context"}))
    rep = report.main(["--scores", str(new), str(old)])
    # was: the count was in the score file but not in the report's counts table
    rows = [r for r in rep["counts"] if r["count"] == "n_pred_past_context"]
    assert [(r["source"], r["all"], r["optical"], r["sar"]) for r in rows] == [("detection.json", 1, 0, 1)]
    assert "| n_pred_past_context " in capsys.readouterr().out
