"""Whole-change review 81 (WB): resume_state's rewrite (f804e99f) left out a last line without its end as another
process's half-written one, while resume_state had counted the row on it an answer: a whole row only its line end
missed (another rsvlm eval's, its end not yet written; a file another tool wrote without a last newline) was dropped
from --out, its record counted answered and never answered again (or said lost while whole)."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

from conftest import eval_record, write_jsonl


def _cls(i):
    return eval_record(i, "cls", "[cls] What scene?", "lake")


def test_a_whole_last_row_without_its_line_end_is_kept_by_the_rewrite_that_counted_it(tmp_path):
    from rsvlm.eval_answers import tagged_record
    from rsvlm.predictions import asked_digest, resume_state

    recs = {i: tagged_record(_cls(i))[0] for i in "ab"}
    out = tmp_path / "p.jsonl"
    b = json.dumps({"id": "b", "task": "cls", "answer": "lake", "asked_digest": asked_digest(recs["b"])})
    out.write_text(json.dumps({"id": "a", "task": "cls", "answer": "sea", "asked_digest": "stale"}) + "\n" + b)
    size = out.stat().st_size
    done, errors = resume_state(out, [], recs, tmp_path)
    assert done == {"b"} and errors.asked_again == ["a"]
    assert out.read_text() == b + "\n"  # was '': b counted answered, its row gone
    assert errors.n_read == size  # b's bytes read: an end written after them is put back as no line


def test_half_a_last_row_is_still_left_out_of_the_rewrite(tmp_path):
    from rsvlm.eval_answers import tagged_record
    from rsvlm.predictions import resume_state

    recs = {i: tagged_record(_cls(i))[0] for i in "ab"}
    out = tmp_path / "p.jsonl"
    stale = json.dumps({"id": "a", "task": "cls", "answer": "sea", "asked_digest": "stale"}) + "\n"
    out.write_text(stale + '{"id": "b", "ta')
    done, errors = resume_state(out, [], recs, tmp_path)
    assert done == set() and out.read_text() == "" and errors.n_read == len(stale)


def test_another_evals_whole_row_awaiting_its_end_is_kept_not_lost(tmp_path, monkeypatch, capsys):
    """Another rsvlm eval on --out had written c's row but not yet its line end as this run read --out: c was counted
    answered, its row left out of the rewrite and said 'lost' (c then in no file, never answered again)."""
    from rsvlm import evaluate, predictions
    from rsvlm.cli import main
    from rsvlm.predictions import asked_digest

    model = tmp_path / "model"
    model.mkdir()
    (model / "config.yaml").write_text("{}\n")
    data, out = write_jsonl(tmp_path / "test.jsonl", [_cls(i) for i in "abc"]), tmp_path / "p.jsonl"
    digest = {i: asked_digest(evaluate.tagged_record(_cls(i))[0]) for i in "bc"}
    write_jsonl(out, [{"id": "a", "task": "cls", "answer": "sea", "asked_digest": "stale"},
                      {"id": "b", "task": "cls", "answer": "lake", "asked_digest": digest["b"]}])
    monkeypatch.setattr(evaluate.inf, "load_model", lambda *a, **k: (object(), SimpleNamespace()))
    monkeypatch.setattr(evaluate, "context_cap", lambda model, n, what: (n, None))
    monkeypatch.setattr(evaluate, "answer_batch", lambda model, processor, records, *a, **k: [
        {"id": r["id"], "task": "cls", "answer": "lake"} for r in records])
    real, theirs = predictions._rows, json.dumps({"id": "c", "task": "cls", "answer": "forest",
                                                   "asked_digest": digest["c"]})

    def appending(path, *rest):  # after drop_cut_line, just before resume_state reads --out
        if Path(path) == out and theirs not in out.read_text():
            with open(out, "a") as f:
                f.write(theirs)
        return real(path, *rest)

    monkeypatch.setattr(predictions, "_rows", appending)
    assert main(["eval", "--data", data, "--out", str(out), "--model", str(model)]) == 0
    rows = [json.loads(x) for x in out.read_text().splitlines()]
    assert sorted((r["id"], r["answer"]) for r in rows) == [("a", "lake"), ("b", "lake"), ("c", "forest")], rows
    assert "lost" not in capsys.readouterr().err
