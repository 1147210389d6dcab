"""Stop 75, area B: ``rsvlm eval`` read its ``--out`` five to seven times before the model loaded (check_out, the
stamp's limit, check_stamp, unstamped_answers, the stale answers, and the resume's look when a record was plainly
unanswered); ``rsvlm.eval_out.read_answers`` reads it once for the stamp's limit and check, the unchecked and stale
answers and whether every record is answered, and the resume's look is skipped where a record has no answer at all."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rsvlm.cli import main


class _Loaded(Exception):
    """The model was about to load: the reads before it are counted."""


def _files(tmp_path, n=6, answered=3, digest=False):
    """``n`` vqa records and ``answered`` answers to the first, with the ``asked_digest`` of what they ask where
    ``digest`` (else stale: answered again)."""
    from rsvlm.eval_answers import tagged_record
    from rsvlm.predictions import asked_digest

    data, out = tmp_path / "test.jsonl", tmp_path / "p.jsonl"
    recs = [{"id": f"r{i}", "task": "vqa", "images": [{"path": "a.png", "modality": "optical"}],
             "conversations": [{"from": "human", "value": "<image>\nIs there a ship?"}, {"from": "gpt", "value": "yes"}]}
            for i in range(n)]
    data.write_text("".join(json.dumps(r) + "\n" for r in recs))
    out.write_text("".join(json.dumps({"id": r["id"], "task": "vqa", "answer": "yes"} | (
        {"asked_digest": asked_digest(tagged_record(r)[0])} if digest else {})) + "\n" for r in recs[:answered]))
    return data, out


def _reads_before_load(monkeypatch, argv, out: Path) -> int:
    from rsvlm import inference

    opened = []
    real = Path.open
    monkeypatch.setattr(Path, "open", lambda self, *a, **k: (opened.append(self), real(self, *a, **k))[1])
    monkeypatch.setattr(inference, "load_model", lambda *a, **k: (_ for _ in ()).throw(_Loaded()))
    with pytest.raises(_Loaded):
        main(argv)
    monkeypatch.setattr(Path, "open", real)
    return sum(p == out for p in opened)


@pytest.mark.parametrize("digest", [False, True])
def test_a_resume_without_a_stamp_reads_out_twice_not_five(tmp_path, monkeypatch, capsys, digest):
    """The warning as before: answers without a stamp kept unchecked where they carry the digest of what is asked
    now; none where each is answered again (stale)."""
    data, out = _files(tmp_path, digest=digest)
    argv = ["eval", "--data", str(data), "--out", str(out), "--device", "cpu"]
    assert _reads_before_load(monkeypatch, argv, out) == 1  # check_out takes read_answers' pass (unstamped_answers its ids)
    said = "p.jsonl holds 3 answers but its p.jsonl.run.json is missing" in capsys.readouterr().err
    assert said == digest


def test_a_resume_with_a_stamp_reads_out_twice_not_six(tmp_path, monkeypatch):
    from rsvlm import evaluate

    data, out = _files(tmp_path)
    argv = ["eval", "--data", str(data), "--out", str(out), "--device", "cpu"]
    stamp = Path(f"{out}.run.json")
    monkeypatch.setattr(evaluate, "_answer", lambda args, rank, world, device, model_dir, st, *a: (
        stamp.write_text(json.dumps(st)), 0)[1])  # the stamp as _answer writes it, no model
    assert main(argv) == 0
    monkeypatch.undo()
    assert _reads_before_load(monkeypatch, argv, out) == 1  # check_out takes read_answers' pass (check_stamp, unstamped_answers its ids)


def test_the_stale_answers_are_counted_as_undigested_counts_them(tmp_path):
    """``read_answers``'s stale ids are ``undigested``'s, and its ids ``answered_ids``'s, on rows of every kind."""
    from rsvlm.eval_answers import tagged_record
    from rsvlm.eval_out import read_answers
    from rsvlm.eval_reading import undigested
    from rsvlm.predictions import answer_files, answered_ids, asked_digest

    data, out = _files(tmp_path, answered=0)
    recs = {r["id"]: tagged_record(r)[0] for r in map(json.loads, data.read_text().splitlines())}
    rows = [{"id": "r0", "answer": "yes"}, {"id": "r1", "answer": "no", "asked_digest": asked_digest(recs["r1"])},
            {"id": "r2", "answer": "", "error": "image file not found"}, {"id": "r3", "asked_digest": "old"},
            {"id": 4, "answer": "x"}, ["r5"], {"id": "elsewhere", "answer": "x"}]
    out.write_text("".join(json.dumps(r) + "\n" for r in rows) + "not json\n")
    Path(f"{out}.rank1").write_text(json.dumps({"id": "r3", "asked_digest": asked_digest(recs["r3"])}) + "\n"
                                    + json.dumps({"id": "r0", "answer": "again"}) + "\n")
    got = read_answers(out, recs)
    assert got.ids == answered_ids(out) == {"r0", "r1", "r2", "r3", "elsewhere"}
    assert got.stale == undigested(answer_files(out), recs) == ["r0"]
    assert read_answers(out).stale is None
