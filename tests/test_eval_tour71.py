"""Stop 71, evaluation (area F): the --limit an interrupted run's stamp keeps, score files report finds, sequence
coords, the near-option hint, one whole-number offset rule, and what the tour of the scorers found."""

from __future__ import annotations

import json

from conftest import finished_eval


def test_an_interrupted_runs_limit_is_not_kept_by_a_rerun_with_another(tmp_path, monkeypatch, capsys):
    """A full run stopped after its first answer, rerun with --limit 1, kept "no limit" in its stamp (the wider of the
    two), though the finished file holds one record's answer: the scorers took a partial run's scores for the whole
    set's. So the other way, a --limit 2 run stopped after one answer and rerun with --limit 1 stamped 2. The stamp
    keeps an earlier limit only where the file holds that run's every answer."""
    from rsvlm.cli import main

    argv, out, rows, _ = finished_eval(tmp_path, monkeypatch)
    stamp = tmp_path / "p.jsonl.run.json"
    write = json.loads
    out.write_text(json.dumps(rows[0]) + "\n")
    assert main([*argv, "--limit", "1"]) == 0, capsys.readouterr().err
    for interrupted in (None, 2):  # a full run's stamp, a --limit 2 run's: either stopped after record a
        stamp.write_text(json.dumps({**write(stamp.read_text()), "limit": interrupted}))
        assert main([*argv, "--limit", "1"]) == 0, capsys.readouterr().err
        assert write(stamp.read_text())["limit"] == 1
    out.write_text("".join(json.dumps(r) + "\n" for r in rows))  # the full run did finish: its answers are all there
    stamp.write_text(json.dumps({**write(stamp.read_text()), "limit": None}))
    assert main([*argv, "--limit", "1"]) == 0, capsys.readouterr().err
    assert write(stamp.read_text())["limit"] is None
