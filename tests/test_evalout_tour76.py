"""Stop 76, area C: ``rsvlm eval``'s run stamp read once before the model loads (``_main`` reads it and hands it to
the stale answers' need, the stamp's limit, ``predictions.check_stamp`` and ``unstamped_answers``), and a Ctrl-C
mid-run that says what it kept, then a rerun that answers the rest: nothing scored twice, nothing lost."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from rsvlm.cli import main


class _Loaded(Exception):
    """The model was about to load: the reads before it are counted."""


def _records(n: int) -> list[dict]:
    return [{"id": f"r{i}", "task": "cls", "images": [{"path": "a.png", "modality": "optical"}],
             "conversations": [{"from": "human", "value": "<image>\n[cls] What is it?"}, {"from": "gpt", "value": "lake"}]}
            for i in range(n)]


def _data(tmp_path: Path, n: int = 6) -> Path:
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (32, 32, 3), dtype=np.uint8)).save(tmp_path / "a.png")
    data = tmp_path / "test.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in _records(n)))
    return data


@pytest.mark.parametrize("unchecked", [None, 2])
def test_the_stamp_is_read_once_by_eval_s_own_code_before_the_model_loads(ckpt, tmp_path, monkeypatch, unchecked):
    """It was read four times before the model loaded (needs_stale, stamped_limit, check_stamp, unstamped_answers);
    now _main reads it once for all four. A stamp with an unchecked count too (read_answers then tells the stale
    answers)."""
    from rsvlm import inference
    from rsvlm.run_stamp import stamp_path

    data, out = _data(tmp_path), tmp_path / "p.jsonl"
    argv = ["eval", "--data", str(data), "--out", str(out), "--device", "cpu", "--model", str(ckpt),
            "--max-new-tokens", "2"]
    assert main([*argv, "--limit", "2"]) == 0
    if unchecked:
        stamp_path(out).write_text(json.dumps(json.loads(stamp_path(out).read_text()) | {"unchecked_answers": 2}))
    read = []
    real = Path.read_text
    monkeypatch.setattr(Path, "read_text", lambda self, *a, **k: (read.append(self), real(self, *a, **k))[1])
    monkeypatch.setattr(inference, "load_model", lambda *a, **k: (_ for _ in ()).throw(_Loaded()))
    with pytest.raises(_Loaded):
        main(argv)
    assert sum(p == stamp_path(out) for p in read) == 1  # _main's, handed to check_stamp and unstamped_answers


def test_ctrl_c_mid_run_says_what_it_kept_and_the_rerun_answers_the_rest_once(ckpt, tmp_path, monkeypatch, capsys):
    """Ctrl-C on the third batch of six records (two a batch): it said the answers were kept, no count; now how many
    this run wrote and how many are left. The rerun answers the other two alone, and the scorer sees each of the six
    records answered once (none twice, none missing)."""
    from eval import classification
    from rsvlm import evaluate

    data, out = _data(tmp_path), tmp_path / "p.jsonl"
    argv = ["eval", "--data", str(data), "--out", str(out), "--device", "cpu", "--model", str(ckpt),
            "--max-new-tokens", "2", "--batch-size", "2"]
    real, calls = evaluate.answer_batch, []

    def stop_third(*a, **k):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(*a, **k)

    monkeypatch.setattr(evaluate, "answer_batch", stop_third)
    assert main(argv) == 130
    assert (f"rsvlm eval: interrupted; the answers written so far are kept in {out} and a rerun with the same --out "
            "resumes from them (this run wrote 4 answers; 4 of the 6 records are answered, 2 left)"
            ) in capsys.readouterr().err
    monkeypatch.setattr(evaluate, "answer_batch", real)
    assert main(argv) == 0
    assert (f"resuming {out}: 4 of the 6 records were answered by an earlier run and are kept; 2 to answer"
            in capsys.readouterr().err)
    assert [json.loads(line)["id"] for line in out.read_text().splitlines()] == [f"r{i}" for i in range(6)]
    scores = classification.main(["--gt", str(data), "--pred", str(out)])
    assert (scores["n_records"], scores["n_missing"]) == (6, 0)


def test_an_interrupted_resume_counts_this_run_s_answers_apart_from_the_kept_ones(ckpt, tmp_path, monkeypatch,
                                                                                   capsys):
    """Stopped again on a rerun: 'this run wrote' counts its own answers, not those kept from the first run."""
    from rsvlm import evaluate

    data, out = _data(tmp_path), tmp_path / "p.jsonl"
    argv = ["eval", "--data", str(data), "--out", str(out), "--device", "cpu", "--model", str(ckpt),
            "--max-new-tokens", "2", "--batch-size", "1"]
    assert main([*argv, "--limit", "2"]) == 0
    real, calls = evaluate.answer_batch, []
    monkeypatch.setattr(evaluate, "answer_batch", lambda *a, **k: (
        calls.append(1), (_ for _ in ()).throw(KeyboardInterrupt) if len(calls) == 2 else real(*a, **k))[1])
    capsys.readouterr()
    assert main(argv) == 130
    assert "(this run wrote 1 answer; 3 of the 6 records are answered, 3 left)" in capsys.readouterr().err


def test_read_answers_sees_what_check_out_refuses_an_out_for(tmp_path):
    """One pass gives check_out's view of --out (its lines that are no answer, a records row, its rows with an id)
    beside the ids of it and its parts: the first bad line as check_out quotes it, blank lines and a cut last line
    not counted."""
    from rsvlm.eval_out import read_answers
    from rsvlm.predictions import check_out

    data, out = _data(tmp_path), tmp_path / "p.jsonl"
    out.write_text('{"id": "r0", "answer": "a"}\nnot json\n{"x": 1}\n\n{"id": "r9", "conversations": []}\n{"id": "r1')
    (tmp_path / "p.jsonl.rank1").write_text('{"id": "r2", "answer": "b"}\n')
    got = read_answers(out)
    assert (got.ids, got.n_own, got.holds_records, got.not_text) == ({"r0", "r9", "r2"}, 2, True, False)
    assert got.bad == [f"{out}:2: not valid JSON (Expecting value at column 1)",
                       f'{out}:3: not a JSON object with a string "id"']
    out.write_text("not json\n{\"x\": 1}\n")
    assert f"first: {read_answers(out).bad[0]}" in check_out(data, out)


def test_read_answers_of_an_out_that_is_no_text_says_so_and_a_part_that_is_none_raises(tmp_path):
    from rsvlm.eval_out import read_answers

    out = tmp_path / "p.jsonl"
    out.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe\x00\n")
    assert read_answers(out).not_text
    out.write_text('{"id": "r0", "answer": "a"}\n')
    (tmp_path / "p.jsonl.rank0").write_bytes(b"\xff\xfe\n")
    with pytest.raises(UnicodeDecodeError):
        read_answers(out)
