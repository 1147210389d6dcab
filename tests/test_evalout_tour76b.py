"""Stop 76 round 4, area P1: a Ctrl-C before ``rsvlm eval`` answers (the model loading) said in eval's one line, what
an unreadable line of the earlier answers did to this run, and an interrupted run's stamp telling the scorers so."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from rsvlm.cli import main


def eval_data(tmp_path: Path, n: int = 3) -> Path:
    """``n`` cls records asking of one black 32 x 32 ``a.png``, written as ``tmp_path/test.jsonl``."""
    Image.fromarray(np.zeros((32, 32, 3), dtype=np.uint8)).save(tmp_path / "a.png")
    data = tmp_path / "test.jsonl"
    data.write_text("".join(json.dumps(
        {"id": f"r{i}", "task": "cls", "images": [{"path": "a.png", "modality": "optical"}],
         "conversations": [{"from": "human", "value": "<image>\n[cls] What is it?"}, {"from": "gpt", "value": "lake"}]}
    ) + "\n" for i in range(n)))
    return data


def eval_argv(data: Path, out: Path, ckpt: Path, *more: str) -> list[str]:
    """``rsvlm eval`` of ``data`` on the CPU, two new tokens an answer, then ``more``."""
    return ["eval", "--data", str(data), "--out", str(out), "--device", "cpu", "--model", str(ckpt),
            "--max-new-tokens", "2", *more]


def stop_loading(monkeypatch) -> None:
    """A Ctrl-C while the model loads: ``inference.load_model`` raises KeyboardInterrupt."""
    from rsvlm import inference

    monkeypatch.setattr(inference, "load_model", lambda *a, **k: (_ for _ in ()).throw(KeyboardInterrupt))


def test_ctrl_c_while_the_model_loads_is_one_line_saying_nothing_was_answered(ckpt, tmp_path, monkeypatch, capsys):
    """It was cli's bare 'rsvlm eval: stopped (Ctrl-C)', where mid-run says what was kept and how to go on."""
    data, out = eval_data(tmp_path), tmp_path / "p.jsonl"
    stop_loading(monkeypatch)
    assert main(eval_argv(data, out, ckpt)) == 130
    assert capsys.readouterr().err.strip() == (
        "rsvlm eval: interrupted before any record was answered (reading the inputs or loading the model); this run "
        f"wrote no answer, and {out} was not made")
    assert not out.exists()


def test_ctrl_c_while_a_resume_loads_says_the_file_is_as_it_was(ckpt, tmp_path, monkeypatch, capsys):
    data, out = eval_data(tmp_path), tmp_path / "p.jsonl"
    assert main(eval_argv(data, out, ckpt, "--limit", "1")) == 0
    before = out.read_bytes()
    stop_loading(monkeypatch)
    capsys.readouterr()
    assert main(eval_argv(data, out, ckpt)) == 130
    err = capsys.readouterr().err
    assert err.strip() == (
        "rsvlm eval: interrupted before any record was answered (reading the inputs or loading the model); this run "
        f"wrote no answer: {out} is as it was, and a rerun with the same --out resumes from it")
    assert out.read_bytes() == before


def test_ctrl_c_while_reading_the_records_is_the_same_line(ckpt, tmp_path, monkeypatch, capsys):
    from rsvlm import evaluate

    data, out = eval_data(tmp_path), tmp_path / "p.jsonl"
    monkeypatch.setattr(evaluate, "load_records", lambda *a, **k: (_ for _ in ()).throw(KeyboardInterrupt))
    assert main(eval_argv(data, out, ckpt)) == 130
    assert "rsvlm eval: interrupted before any record was answered" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["predict", "chat"])
def test_ctrl_c_while_predict_or_chat_loads_is_one_line(ckpt, tmp_path, monkeypatch, capsys, command):
    """One line, exit 130, no traceback, saying nothing was asked (cli's fallback said 'stopped (Ctrl-C)' alone)."""
    eval_data(tmp_path)
    stop_loading(monkeypatch)
    argv = [command, "--model", str(ckpt), "--image", str(tmp_path / "a.png"), "--device", "cpu"]
    if command == "predict":
        argv += ["--task", "cls"]
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO("[cls] What is it?\n"))
    assert main(argv) == 130
    err = capsys.readouterr().err
    last = err.strip().splitlines()[-1]
    assert "Traceback" not in err and last.startswith(f"rsvlm {command}: stopped (Ctrl-C) ")
    assert ("while loading the model; nothing was asked or written" if command == "predict"
            else "before the chat began (reading the images, loading the model); no question was asked") in last


def _unreadable_rerun(ckpt, tmp_path, capsys, limit: str) -> str:
    data, out = eval_data(tmp_path), tmp_path / "p.jsonl"
    assert main(eval_argv(data, out, ckpt, "--limit", "2")) == 0
    out.write_text(out.read_text() + "not json\n")
    capsys.readouterr()
    assert main(eval_argv(data, out, ckpt, "--limit", limit)) == 0
    return capsys.readouterr().err


def test_an_unreadable_line_on_a_rerun_with_nothing_to_answer_says_none_was_answered_again(ckpt, tmp_path, capsys):
    """It said 'the records they answered, if any, were answered again' on every rerun, none answered."""
    err = _unreadable_rerun(ckpt, tmp_path, capsys, "2")
    assert ("1 line of the earlier answers could not be read (first: " in err
            and "each record of this run has an answer on another line, so none was answered again" in err)
    assert "were answered again" not in err


def test_an_unreadable_line_on_a_rerun_that_answers_some_says_they_may_be_among_them(ckpt, tmp_path, capsys):
    err = _unreadable_rerun(ckpt, tmp_path, capsys, "3")
    assert "the records they answered, if any, were answered again" in err and "none was answered again" not in err


def _stopped_after(ckpt, tmp_path, monkeypatch, n_batches: int, *more: str) -> tuple[Path, Path]:
    from rsvlm import evaluate

    data, out = eval_data(tmp_path, 6), tmp_path / "p.jsonl"
    real, calls = evaluate.answer_batch, []

    def stop(*a, **k):
        calls.append(1)
        if len(calls) > n_batches:
            raise KeyboardInterrupt
        return real(*a, **k)

    monkeypatch.setattr(evaluate, "answer_batch", stop)
    assert main(eval_argv(data, out, ckpt, "--batch-size", "2", *more)) == 130
    monkeypatch.setattr(evaluate, "answer_batch", real)
    return data, out


def test_an_interrupted_limit_run_s_stamp_says_it_was_interrupted_and_the_scorer_says_so(ckpt, tmp_path, monkeypatch):
    """A --limit 4 run stopped after 2 answers kept 'limit: 4': the scorer said --limit 4 answered the first records
    alone, blaming it for the 4 missing records; its stamp now says the run was interrupted, under --limit 4."""
    from rsvlm.run_stamp import read_stamp, stamp_note

    data, out = _stopped_after(ckpt, tmp_path, monkeypatch, 1, "--limit", "4")
    stamp = read_stamp(out)
    assert stamp["limit"] is None and stamp["stopped"] == {"why": "interrupted", "limit": 4}
    note = stamp_note(stamp, out.name, f"{out.name}.run.json", 4)
    assert note == ("p.jsonl.run.json says the last rsvlm eval to write p.jsonl was interrupted before it answered every "
                    "record it was given (it ran with --limit 4, the first 4 records of its --data): a rerun with the "
                    "same --out answers the rest; this is no full set's score (the 4 records without an answer count "
                    "as missing)")
    # the rerun finishes it: a --limit run's stamp again, no 'stopped'
    assert main(eval_argv(data, out, ckpt, "--limit", "4")) == 0
    stamp = read_stamp(out)
    assert stamp["limit"] == 4 and "stopped" not in stamp
    assert stamp_note(stamp, out.name, f"{out.name}.run.json", 2).startswith(
        "p.jsonl.run.json says the last rsvlm eval to write p.jsonl ran with --limit 4: it answered the first records")


def test_an_interrupted_full_run_is_told_apart_and_the_scorer_blames_no_limit(ckpt, tmp_path, monkeypatch):
    from eval.notes import read_run
    from rsvlm.run_stamp import read_stamp, stamp_note

    _, out = _stopped_after(ckpt, tmp_path, monkeypatch, 1)
    stamp = read_stamp(out)
    assert stamp["stopped"] == {"why": "interrupted", "limit": None}
    assert "(it ran with --limit" not in stamp_note(stamp, out.name, f"{out.name}.run.json", 4)
    assert "--limit" not in (read_run(out, 4)[1] or "")  # the scorers as they stand: no --limit blamed


@pytest.mark.parametrize("limit", ["6", "3"])
def test_a_finished_limit_run_keeps_its_limit_in_the_stamp(ckpt, tmp_path, limit):
    """A limit equal to the record count (6 of 6) or under it: stamped as given, no 'stopped'."""
    from rsvlm.run_stamp import read_stamp, stamp_note

    data, out = eval_data(tmp_path, 6), tmp_path / "p.jsonl"
    assert main(eval_argv(data, out, ckpt, "--limit", limit)) == 0
    stamp = read_stamp(out)
    assert stamp["limit"] == int(limit) and "stopped" not in stamp
    assert stamp_note(stamp, out.name, "p.jsonl.run.json", 0) is None


def test_a_run_out_of_memory_marks_its_stamp_too(ckpt, tmp_path, monkeypatch, capsys):
    import torch

    from rsvlm import evaluate
    from rsvlm.run_stamp import read_stamp

    data, out = eval_data(tmp_path, 6), tmp_path / "p.jsonl"
    monkeypatch.setattr(evaluate, "answer_batch", lambda *a, **k: (_ for _ in ()).throw(torch.OutOfMemoryError("CUDA out of memory.")))
    assert main(eval_argv(data, out, ckpt, "--limit", "4")) == 1
    assert "rsvlm eval: out of memory answering a batch of 8 (CUDA out of memory.); the answers written so far" in capsys.readouterr().err
    assert read_stamp(out)["stopped"] == {"why": "stopped (out of memory)", "limit": 4}


def test_a_second_ctrl_c_while_the_stop_is_said_is_not_called_one_before_any_answer(ckpt, tmp_path, monkeypatch, capsys):
    """Answering had begun: cli's plain line, not 'before any record was answered'."""
    from rsvlm import evaluate

    data, out = eval_data(tmp_path, 6), tmp_path / "p.jsonl"
    monkeypatch.setattr(evaluate, "answer_batch", lambda *a, **k: (_ for _ in ()).throw(KeyboardInterrupt))
    monkeypatch.setattr(evaluate, "stopped_run", lambda *a, **k: (_ for _ in ()).throw(KeyboardInterrupt))
    assert main(eval_argv(data, out, ckpt)) == 130
    assert capsys.readouterr().err.strip().splitlines()[-1] == "rsvlm eval: stopped (Ctrl-C)"
