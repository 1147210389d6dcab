"""Stop 71, evaluation round 2 (area F2): a --out name too long, report's and loc_error's --out -, the flat-coords
hint for sequences, and what the tour of eval.report over two runs found."""

from __future__ import annotations

import json

from conftest import eval_record, finished_eval, write_jsonl


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


def test_report_and_loc_error_out_dash_agree_with_the_scorers(tmp_path, monkeypatch, capfd):
    """``eval.report --out -`` and ``eval.loc_error --out -`` wrote a file named '-' (report a '-.json' beside it)
    while the scorers' ``--out -`` is standard output. loc_error prints its JSON there, once (``--out /dev/stdout``
    printed it twice: two JSON documents in ``> log``); report, whose JSON goes beside its markdown, refuses '-'
    saying why and what to give."""
    import pytest

    import rsvlm.inference
    from eval import loc_error, report, vqa

    monkeypatch.chdir(tmp_path)
    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record("q", "vqa", "[vqa] Is there a ship?", "yes")])
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": "q", "task": "vqa", "answer": "yes"}])
    vqa.main(["--gt", gt, "--pred", pred, "--out", "vqa.json"])
    capfd.readouterr()
    with pytest.raises(SystemExit) as e:
        report.main(["--scores", "vqa.json", "--out", "-"])
    err = capfd.readouterr().err
    assert e.value.code == 2 and "--out -: the report is a markdown file and its JSON beside it" in err, err
    assert "without --out the markdown is printed" in err
    monkeypatch.setattr(rsvlm.inference, "load_model", lambda *a, **k: (None, None))
    monkeypatch.setattr(loc_error, "location_errors", lambda *a, **k: {"all": {"n": 3, "mae_bins": 1.5}})
    for out in ("-", "/dev/stdout"):
        assert loc_error.main(["--data", gt, "--out", out]) == 0
        said = capfd.readouterr().out
        assert json.loads(said) == {"all": {"n": 3, "mae_bins": 1.5}}, said  # one JSON document
    assert not (tmp_path / "-").exists() and not (tmp_path / "-.json").exists()


def test_a_flat_run_of_numbers_is_told_to_pair_them_as_a_tuple_or_array_too(tmp_path):
    """An obb's or polygon's coords as a flat list of numbers (DOTA's x1 y1 … x4 y4) got the hint to pair them; the
    same numbers as a tuple or a NumPy array (as a Python caller gives them, which the scorers take since stop 71)
    were told only the shape."""
    import numpy as np

    from eval.given_objects import object_problem

    flat = [10, 10, 50, 10, 50, 30, 10, 30]
    for coords in (flat, tuple(flat), np.array(flat), np.array(flat, dtype=np.float32)):
        for kind, shape in (("obb", "4 [x, y] corners"), ("poly", "3 or more [x, y] points")):
            said = object_problem({"kind": kind, "coords": coords})
            assert said == (f"{kind} coords must be {shape} of finite numbers, not a flat list of 8 numbers (DOTA's "
                            "x1 y1 x2 y2 …): pair them, [[x1, y1], [x2, y2], …]"), (type(coords), said)
    assert "flat" not in object_problem({"kind": "obb", "coords": np.array(flat).reshape(2, 4)})  # no run of numbers
    assert object_problem({"kind": "obb", "coords": np.array(flat).reshape(4, 2)}) is None
