"""Stop 76 review of area C: ``check_out`` taking ``read_answers``' pass says what its own read said; a Ctrl-C on a
resume that asks stale records again counts this run's answers; a rank part that is no text is refused, not a
traceback; a checkpoint retrained in place and a score file that skipped malformed ground truth say so."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from rsvlm.cli import main


def _data(tmp_path: Path, n: int = 6, question: str = "What is it?") -> Path:
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (32, 32, 3), dtype=np.uint8)).save(tmp_path / "a.png")
    data = tmp_path / "test.jsonl"
    data.write_text("".join(json.dumps({
        "id": f"r{i}", "task": "cls", "images": [{"path": "a.png", "modality": "optical"}],
        "conversations": [{"from": "human", "value": f"<image>\n[cls] {question}"}, {"from": "gpt", "value": "lake"}]})
        + "\n" for i in range(n)))
    return data


@pytest.mark.parametrize("out_text, part_text", [
    ('{"id": "r0", "answer": "a"}\n', '{"id": "r1", "answer": "b"}\n'),
    ('{"id": "r0", "answer": "a"}\nnot json\n', None),
    ("not json\n{\"x\": 1}\n", None),  # no prediction: a score file, a log
    ("not json\n", '{"id": "r1"}\n'),  # its part answers: --out is no score file
    ('{"id": "r0", "conversations": []}\n', None),  # the records file
    ('{"id": "zz", "answer": "a"}\n', None),  # another set's answers
    (None, '{"id": "zz", "answer": "a"}\n'),  # in a part alone
    ('{"id": "r0", "answer": "a"}\n{"id": "r1', None),  # a cut last line
])
def test_check_out_with_read_answers_pass_says_what_its_own_read_says(tmp_path, out_text, part_text):
    from rsvlm.eval_out import read_answers
    from rsvlm.predictions import check_out

    data, out, reads = _data(tmp_path), tmp_path / "p.jsonl", []
    if out_text is not None:
        out.write_text(out_text)
    if part_text is not None:
        (tmp_path / "p.jsonl.rank1").write_text(part_text)
    own = check_out(data, out)
    assert check_out(data, out, read=lambda p: (reads.append(p), read_answers(p))[1]) == own
    assert reads == [out]


def test_check_out_with_read_answers_pass_refuses_an_out_that_is_no_text(tmp_path):
    from rsvlm.eval_out import read_answers
    from rsvlm.predictions import check_out

    data, out = _data(tmp_path), tmp_path / "p.jsonl"
    out.write_bytes(b'{"id": "r0"}\n\x89PNG\r\n\x1a\n\xff\xfe\x00\n')
    assert check_out(data, out, read=read_answers) == check_out(data, out) == (
        f"--out {out} is not a text file; give the predictions JSONL's path")


def test_a_rank_part_that_is_no_text_is_refused_naming_it(tmp_path, capsys):
    """Was a UnicodeDecodeError traceback (check_out's read of the parts, before the patch and after it)."""
    data, out = _data(tmp_path), tmp_path / "p.jsonl"
    out.write_text('{"id": "r0", "answer": "a"}\n')
    (tmp_path / "p.jsonl.rank1").write_bytes(b'{"id": "r1"}\n\xff\xfe\n')
    assert main(["eval", "--data", str(data), "--out", str(out), "--device", "cpu", "--model", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert f"rsvlm eval: --out {out}: a rank part beside it is no UTF-8 text (" in err
    assert f"byte 13 of {out}.rank1" in err


def test_ctrl_c_on_a_resume_that_asks_stale_records_again_counts_their_answers(ckpt, tmp_path, monkeypatch, capsys):
    """Every record's question changed, so the rerun answers all six again; stopped on its third: it said 'this run
    wrote 0 answers' (the ids before and after were the same), where it wrote 2."""
    from rsvlm import evaluate

    data, out = _data(tmp_path), tmp_path / "p.jsonl"
    argv = ["eval", "--data", str(data), "--out", str(out), "--device", "cpu", "--model", str(ckpt),
            "--max-new-tokens", "2", "--batch-size", "1"]
    assert main(argv) == 0
    _data(tmp_path, question="What scene is it?")
    real, calls = evaluate.answer_batch, []
    monkeypatch.setattr(evaluate, "answer_batch", lambda *a, **k: (
        calls.append(1), (_ for _ in ()).throw(KeyboardInterrupt) if len(calls) == 3 else real(*a, **k))[1])
    capsys.readouterr()
    assert main(argv) == 130
    assert "(this run wrote 2 answers; 2 of the 6 records are answered, 4 left)" in capsys.readouterr().err


def test_stopped_note_without_a_tally_says_no_count(tmp_path):
    """Stopped outside the answering loop (a resume's reading, a merge): the answers are kept, no count made up."""
    from rsvlm.eval_out import stopped_note

    part = tmp_path / "p.jsonl.rank1"
    assert stopped_note("interrupted", part, 2, None) == (
        f"interrupted; the answers written so far are kept in {part} and a rerun with the same --out resumes from them")
    assert stopped_note("interrupted", part, 2, {"kept": 1, "wrote": 2, "records": 4}).endswith(
        "(this rank wrote 2 answers; 3 of the 4 records of this rank are answered, 1 left)")


def test_check_stamp_names_a_checkpoint_retrained_in_place(tmp_path):
    from rsvlm.predictions import check_stamp

    out = tmp_path / "p.jsonl"
    stamp = {"model": "/ck", "weights": {"model.safetensors": "2:b"}, "options": {}}
    old = {**stamp, "weights": {"model.safetensors": "1:a"}}
    assert "answers of other weights (/ck: its weights changed since (retrained or replaced in place)); " in (
        check_stamp(out, stamp, {"r0"}, old))
    assert "answers of other weights (/other); they are resumed" in check_stamp(out, stamp, {"r0"}, {**old, "model": "/other"})


def test_a_score_file_that_skipped_malformed_ground_truth_is_partial_in_the_report(tmp_path, capsys):
    """The scorers skip a malformed ground-truth record and count it (n_gt_bad_records): the report said nothing."""
    from eval import classification, report

    data = _data(tmp_path, n=3)
    data.write_text(data.read_text() + "not json\n")
    pred = tmp_path / "pred.jsonl"
    pred.write_text("".join(json.dumps({"id": f"r{i}", "task": "cls", "answer": "lake"}) + "\n" for i in range(3)))
    classification.main(["--gt", str(data), "--pred", str(pred), "--out", str(tmp_path / "cls.json")])
    rep = report.main(["--scores", str(tmp_path / "cls.json")])
    assert rep["partial"] == {"cls.json": "1 ground-truth record skipped as malformed or unscorable, in no score: not the whole set's score"}
    assert report.partial_why({"n_gt_bad_records": 0}) is None
