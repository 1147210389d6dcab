"""bench/load_time.py (moved from tests/test_model_review69.py, assertions unchanged): its --model is read where
it was given."""

from __future__ import annotations

from script_loader import load_bench


def test_load_time_reads_a_relative_model_where_it_was_given(tmp_path, monkeypatch, capsys):
    """Its processes run in the tree measured (the baseline's a temporary folder): ``--model runs/x`` was looked for
    there, and failed for the baseline (or measured another folder)."""
    bench = load_bench("load_time", monkeypatch)
    asked = []
    monkeypatch.setattr(bench, "export", lambda rev, into: into)
    monkeypatch.setattr(bench, "measure", lambda src, model, repeats: asked.append(model) or
                        {"load": 1.0, "cpu": 1.0, "rss_mb": 1.0})
    (tmp_path / "ck").mkdir()
    monkeypatch.chdir(tmp_path)
    assert bench.main(["--model", "ck", "--model", "", "--repeats", "1"]) == 0
    assert asked == [str((tmp_path / "ck").resolve())] * 2 + ["", ""]
    assert "| bundled |" in capsys.readouterr().out
