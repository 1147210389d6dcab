"""Review of stop 76 area P1 (eval interrupts, the stopped stamp): a rank rerun alone that finished a stopped run left
its stamp 'stopped'; a Ctrl-C before any answer with an --out name too long was a traceback; and what P1's tests left
unchecked: a second Ctrl-C mid-rewrite of the stamp, SIGTERM's mark, the rank parts named, the old-stamp note."""

from __future__ import annotations

import json

import pytest

from rsvlm.cli import main
from tests.test_evalout_tour76b import eval_argv, eval_data, stop_loading


def _raise(e):
    return lambda *a, **k: (_ for _ in ()).throw(e)


def test_a_rank_rerun_alone_after_its_stop_unmarks_the_stamp(ckpt, tmp_path, monkeypatch):
    """Ranks started by hand (no rendezvous): rank 1 stopped marks the stamp; its rerun found a stamp and wrote none,
    so the merged --limit 4 run still read 'interrupted … a rerun answers the rest' (before P1: 'ran with --limit 4')."""
    from rsvlm import evaluate
    from rsvlm.run_stamp import read_stamp

    data, out = eval_data(tmp_path, 6), tmp_path / "p.jsonl"
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.delenv("MASTER_ADDR", raising=False)
    monkeypatch.setenv("RANK", "0")
    assert main(eval_argv(data, out, ckpt, "--limit", "4")) == 0
    monkeypatch.setenv("RANK", "1")
    real = evaluate.answer_batch
    monkeypatch.setattr(evaluate, "answer_batch", _raise(KeyboardInterrupt))
    assert main(eval_argv(data, out, ckpt, "--limit", "4")) == 130
    assert read_stamp(out)["stopped"] == {"why": "interrupted", "limit": 4}
    monkeypatch.setattr(evaluate, "answer_batch", real)
    assert main(eval_argv(data, out, ckpt, "--limit", "4")) == 0
    stamp = read_stamp(out)
    assert len(out.read_text().splitlines()) == 4 and "stopped" not in stamp and stamp["limit"] == 4


def test_a_second_ctrl_c_mid_rewrite_of_the_stamp_leaves_a_stamp_the_rerun_resumes(ckpt, tmp_path, monkeypatch, capsys):
    """The stamp is rewritten through a temp file and a rename: a Ctrl-C halfway leaves the run's own stamp whole,
    no temp file, and the rerun resumes (a broken run.json would be 'cannot be read' and its answers unchecked)."""
    from rsvlm import eval_out, evaluate
    from rsvlm.run_stamp import read_stamp, stamp_path
    from rsvlm.temp_files import replace_lines

    data, out = eval_data(tmp_path, 6), tmp_path / "p.jsonl"
    real, calls = evaluate.answer_batch, []

    def stop_second(*a, **k):
        calls.append(1)
        if len(calls) > 1:
            raise KeyboardInterrupt
        return real(*a, **k)

    def halfway(path, text):  # the first half written, then the second Ctrl-C
        def lines():
            yield text[: len(text) // 2]
            raise KeyboardInterrupt
        replace_lines(path, lines())

    monkeypatch.setattr(evaluate, "answer_batch", stop_second)
    monkeypatch.setattr(eval_out, "replace_text", halfway)
    assert main(eval_argv(data, out, ckpt, "--batch-size", "2", "--limit", "4")) == 130
    assert capsys.readouterr().err.strip().splitlines()[-1] == "rsvlm eval: stopped (Ctrl-C)"
    stamp = json.loads(stamp_path(out).read_text())  # whole JSON: the start-of-run stamp
    assert stamp["limit"] == 4 and "stopped" not in stamp
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("p.jsonl")) == ["p.jsonl", "p.jsonl.run.json"]
    monkeypatch.setattr(evaluate, "answer_batch", real)
    assert main(eval_argv(data, out, ckpt, "--batch-size", "2", "--limit", "4")) == 0
    err = capsys.readouterr().err
    assert "cannot be read" not in err and "unchecked" not in err
    assert len(out.read_text().splitlines()) == 4 and read_stamp(out)["limit"] == 4


def test_sigterm_marks_the_stamp_and_exits_143(ckpt, tmp_path, monkeypatch):
    from rsvlm import evaluate
    from rsvlm.processes import Terminated
    from rsvlm.run_stamp import read_stamp

    data, out = eval_data(tmp_path, 6), tmp_path / "p.jsonl"
    monkeypatch.setattr(evaluate, "answer_batch", _raise(Terminated()))
    assert main(eval_argv(data, out, ckpt, "--limit", "4")) == 143
    assert read_stamp(out)["stopped"] == {"why": "stopped by SIGTERM", "limit": 4}


def test_ctrl_c_before_any_answer_names_the_rank_parts_a_resume_had(ckpt, tmp_path, monkeypatch, capsys):
    data, out = eval_data(tmp_path, 6), tmp_path / "p.jsonl"
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.delenv("MASTER_ADDR", raising=False)
    monkeypatch.setenv("RANK", "0")
    assert main(eval_argv(data, out, ckpt)) == 0
    monkeypatch.setenv("RANK", "1")
    stop_loading(monkeypatch)
    capsys.readouterr()
    assert main(eval_argv(data, out, ckpt)) == 130
    assert capsys.readouterr().err.strip() == (
        "rsvlm eval: interrupted before any record was answered (reading the inputs or loading the model); this run "
        f"wrote no answer: {out}.rank0 is as it was, and a rerun with the same --out resumes from it")


def test_ctrl_c_before_any_answer_with_an_out_name_too_long_is_one_line(ckpt, tmp_path, monkeypatch, capsys):
    """--out is checked after the records are read: listing its files raised ENAMETOOLONG under the Ctrl-C."""
    from rsvlm import evaluate

    data = eval_data(tmp_path)
    monkeypatch.setattr(evaluate, "load_records", _raise(KeyboardInterrupt))
    assert main(eval_argv(data, tmp_path / ("x" * 300), ckpt)) == 130
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.strip() == (
        "rsvlm eval: interrupted before any record was answered (reading the inputs or loading the model); this run "
        "wrote no answer")


@pytest.mark.parametrize("n_missing", [1, 3])
def test_the_limit_note_of_a_stamp_without_stopped_is_the_words_before(tmp_path, n_missing):
    """eval/notes.read_run's words before stamp_note (8ddc75a7), byte for byte."""
    from eval.notes import read_run

    pred = tmp_path / "p.jsonl"
    pred.write_text('{"id": "r0", "answer": "lake"}\n')
    (tmp_path / "p.jsonl.run.json").write_text(json.dumps({"model": "m", "weights": {}, "options": {}, "limit": 4}))
    run, note = read_run(pred, n_missing)
    counts = "record without an answer counts" if n_missing == 1 else "records without an answer count"
    assert note == (f"p.jsonl.run.json says the last rsvlm eval to write p.jsonl ran with --limit 4: it answered the first "
                    f"records of its --data alone, so this is no full set's score (the {n_missing} {counts} as missing)")
    assert run["limit"] == 4 and run["stopped"] is None
