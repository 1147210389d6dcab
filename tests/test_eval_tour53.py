"""rsvlm eval and the scorers, toured (53): temp files of killed runs, reading notes, ...
The model is a stand-in (``test_eval_ranks51.StandIn``) where the test is not about answering."""
import json
import os

import pytest
from test_eval_ranks51 import RECORD, StandIn, records_file

from rsvlm import evaluate, predictions

DEAD = 4194305  # past Linux's largest pid (2**22): no process has it


def _file(path, age_s=60.0):
    """``path`` written, last modified ``age_s`` seconds ago."""
    path.write_text("half a merge")
    t = path.stat().st_mtime - age_s
    os.utime(path, (t, t))
    return path


def test_temp_files_of_a_killed_run_are_removed_and_said_the_live_and_foreign_ones_kept(tmp_path, monkeypatch,
                                                                                       capsys):
    StandIn(monkeypatch)
    data, out = records_file(tmp_path, 2), tmp_path / "p.jsonl"
    stale = [_file(tmp_path / n) for n in (
        f"p.jsonl.merge{DEAD}.0a1b2c3d", f"p.jsonl.rank1.tmp{DEAD}",  # older rsvlm evals' names
        f"p.jsonl.tmp{DEAD}.00ff00ff", f"p.jsonl.run.json.tmp{DEAD}.12345678")]
    stale.append(_file(tmp_path / "p.jsonl.tmp1.deadbeef", predictions.STALE_AFTER_S + 60))  # pid 1 lives: for hours?
    kept = [_file(tmp_path / n) for n in (
        f"p.jsonl.tmp{os.getpid()}.abcdef01",  # a process here writing it now
        f"q.jsonl.merge{DEAD}.0a1b2c3d",  # another OUT's
        "p.jsonl.mine", f"p.jsonl.merge{DEAD}.notes")]  # no name rsvlm eval makes
    kept.append(_file(tmp_path / f"p.jsonl.tmp{DEAD}.0badf00d", 0))  # just written: maybe on another machine
    evaluate.run(None, None, data, out, batch_size=1, progress=False)
    # were left for good: the next run neither removed nor mentioned them
    assert not any(p.exists() for p in stale) and all(p.exists() for p in kept)
    err = capsys.readouterr().err
    assert f"removed {len(stale)} temp file(s) a killed run left beside {out}" in err
    assert [json.loads(line)["id"] for line in out.read_text().splitlines()] == ["r0", "r1"]
    kept[-1].unlink()
    evaluate.run(None, None, data, out, batch_size=1, progress=False)
    assert "temp file" not in capsys.readouterr().err  # nothing left to say


def test_a_failed_rewrite_leaves_no_temp_file(tmp_path):
    target = tmp_path / "p.jsonl"
    target.mkdir()  # os.replace onto a folder fails after the temp file is written
    with pytest.raises(OSError):
        predictions.replace_text(target, "row\n")
    assert [p.name for p in tmp_path.iterdir()] == ["p.jsonl"]


def test_a_scorer_removes_its_killed_runs_temp_file_and_writes_its_scores_whole(tmp_path, capsys):
    from eval import classification

    gt, pred, out = tmp_path / "gt.jsonl", tmp_path / "p.jsonl", tmp_path / "scores.json"
    gt.write_text(json.dumps(RECORD) + "\n")
    pred.write_text(json.dumps({"id": "r0", "task": "cls", "answer": "lake"}) + "\n")
    _file(tmp_path / f"scores.json.tmp{DEAD}.01234567")
    assert classification.main(["--gt", str(gt), "--pred", str(pred), "--out", str(out)])["accuracy"] == 1.0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gt.jsonl", "p.jsonl", "scores.json"]
    assert "removed 1 temp file(s) a killed run left beside" in capsys.readouterr().out
    assert json.loads(out.read_text())["n_records"] == 1
