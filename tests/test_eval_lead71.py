"""Stop 71, evaluation round 2 (area F2): a --out name too long, report's and loc_error's --out -, the flat-coords
hint for sequences, and what the tour of eval.report over two runs found."""

from __future__ import annotations

from conftest import finished_eval


def test_eval_out_with_a_name_too_long_is_one_line_naming_out(tmp_path, monkeypatch, capsys):
    """``rsvlm eval --out <300 characters>.jsonl`` ended in a traceback: check_out's ``out.is_dir()`` stat raised
    "File name too long" before ``out_paths.refused`` could say why. A folder name too long in the path too."""
    from rsvlm.cli import main

    argv, _, _, loads = finished_eval(tmp_path, monkeypatch)
    for long in ("a" * 300 + ".jsonl", "b" * 300 + "/p.jsonl"):
        out = str(tmp_path / long)
        assert main([*argv[:-4], "--out", out, *argv[-2:]]) == 2  # argv's own --out replaced
        err = capsys.readouterr().err
        assert err.startswith(f"rsvlm eval: --out {out}: the name ") and "bytes long, more than the" in err, err
        assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert loads == []
