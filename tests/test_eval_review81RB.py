"""Review 81 of evaluation (RB): eval_out.appends_kept put back the lines another process appended to rsvlm eval's
--out by text, from where the file ended when it was opened, not from where the rewrite stopped reading: a line the
rewrite had read and dropped was put back (and said lost), and a line being written as the rewrite read it was glued
into a garbled one; holding --out open across the rename failed every such resume on Windows; and says_none read
"The area remained unchanged." as words."""

from __future__ import annotations

import json
import os
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import eval_record, write_jsonl


def _cls(i):
    return eval_record(i, "cls", "[cls] What scene?", "lake")


def _run(tmp_path, monkeypatch, ids="abc"):
    """rsvlm eval over records ``ids`` into an --out holding a stale answer of a (dropped: asked again) and a fresh
    one of b, a stand-in model answering "lake"; its argv and --out."""
    from rsvlm import evaluate
    from rsvlm.predictions import asked_digest

    model = tmp_path / "model"
    model.mkdir()
    (model / "config.yaml").write_text("{}\n")
    data, out = write_jsonl(tmp_path / "test.jsonl", [_cls(i) for i in ids]), tmp_path / "p.jsonl"
    write_jsonl(out, [{"id": "a", "task": "cls", "answer": "sea", "asked_digest": "stale"},
                      {"id": "b", "task": "cls", "answer": "lake",
                       "asked_digest": asked_digest(evaluate.tagged_record(_cls("b"))[0])}])
    monkeypatch.setattr(evaluate.inf, "load_model", lambda *a, **k: (object(), SimpleNamespace()))
    monkeypatch.setattr(evaluate, "context_cap", lambda model, n, what: (n, None))
    monkeypatch.setattr(evaluate, "answer_batch", lambda model, processor, records, *a, **k: [
        {"id": r["id"], "task": "cls", "answer": "lake"} for r in records])
    return ["eval", "--data", data, "--out", str(out), "--model", str(model)], out


def _appending(monkeypatch, out: Path, text: str, at: str = "_rows"):
    """``text`` appended to ``out`` once (as another rsvlm eval on it would) as ``predictions.<at>`` is called on it:
    ``_rows``, just before resume_state reads it; ``replace_lines``, after the rewrite read it, before the rename."""
    from rsvlm import predictions

    real, done = getattr(predictions, at), []

    def appending(path, *rest):
        rest = (iter(list(rest[0])),) if at == "replace_lines" else rest  # the rewrite's lines read first
        if Path(path) == out and not done:
            done.append(text)
            with open(out, "a") as f:
                f.write(text)
        return real(path, *rest)

    monkeypatch.setattr(predictions, at, appending)


def _rows_of(out: Path) -> list[dict]:
    return [json.loads(line) for line in out.read_text().splitlines()]  # every line a row: none garbled


def test_a_line_the_rewrite_read_and_dropped_is_not_put_back_nor_said_lost(tmp_path, monkeypatch, capsys):
    """Appended before the rewrite read the file (here equal to the stale row it drops), so in the rewrite's view:
    it was put back by text (a's stale answer beside the new one) and said lost with the file replaced."""
    from rsvlm.cli import main

    argv, out = _run(tmp_path, monkeypatch)
    _appending(monkeypatch, out, json.dumps({"id": "a", "task": "cls", "answer": "sea",
                                                   "asked_digest": "stale"}) + "\n")
    assert main(argv) == 0
    rows = _rows_of(out)
    assert sorted(r["id"] for r in rows) == ["a", "b", "c"], rows
    assert [r["answer"] for r in rows if r["id"] == "a"] == ["lake"]
    assert "another process" not in capsys.readouterr().err


def test_a_line_being_written_as_the_rewrite_read_is_put_back_whole(tmp_path, monkeypatch, capsys):
    """Half of z's line was there when the rewrite read (kept cut, this run's next line glued to it) and the rest came
    before the rename: a garbled line, z lost. Now the whole line is put back, said."""
    from rsvlm.cli import main

    argv, out = _run(tmp_path, monkeypatch)
    z = json.dumps({"id": "z", "task": "cls", "answer": "forest"}) + "\n"
    _appending(monkeypatch, out, z[:12])
    _appending(monkeypatch, out, z[12:], "replace_lines")
    assert main(argv) == 0
    assert sorted(r["id"] for r in _rows_of(out)) == ["a", "b", "c", "z"]
    assert f"1 line another process appended to {out} while this run rewrote it (first: z)" in capsys.readouterr().err


def test_a_line_still_being_written_is_said_lost(tmp_path, monkeypatch, capsys):
    from rsvlm.cli import main

    argv, out = _run(tmp_path, monkeypatch)
    _appending(monkeypatch, out, '{"id": "z", "ta', "replace_lines")
    assert main(argv) == 0
    assert sorted(r["id"] for r in _rows_of(out)) == ["a", "b", "c"]
    err = capsys.readouterr().err
    assert f"the line another process was writing to {out} as this run rewrote it ('{{\"id\": \"z\", \"ta')" in err


def _refusing_a_rename_over_an_open_file(monkeypatch):
    """os.replace as Windows does it: refused (PermissionError) where this process holds the file replaced open."""
    real = os.replace

    def windows_replace(src, dst):
        for fd in os.listdir("/proc/self/fd"):
            try:
                held = os.stat(f"/proc/self/fd/{fd}")
            except OSError:
                continue
            if Path(dst).exists() and os.path.samestat(held, os.stat(dst)):
                raise PermissionError(13, "Access is denied (held open)", str(dst))
        return real(src, dst)

    monkeypatch.setattr(os, "replace", windows_replace)


NEEDS_PROC = pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc/self/fd: this process's files")


@NEEDS_PROC
def test_where_a_rename_over_an_open_file_is_refused_the_resume_does_not_hold_out_open(tmp_path, monkeypatch):
    """appends_kept's handle on --out failed every resume that drops a row on Windows."""
    from rsvlm import eval_out
    from rsvlm.cli import main

    argv, out = _run(tmp_path, monkeypatch)
    monkeypatch.setattr(eval_out, "RENAME_OVER_OPEN", False, raising=False)
    _refusing_a_rename_over_an_open_file(monkeypatch)
    assert main(argv) == 0
    assert sorted(r["id"] for r in _rows_of(out)) == ["a", "b", "c"]


@NEEDS_PROC
def test_the_merge_does_not_hold_out_open_as_it_renames_over_it(tmp_path, monkeypatch):
    """merge_answers read every file through a handle kept open across its rename over --out (refused on Windows:
    the merge of a resumed several-process run failed)."""
    from rsvlm.eval_answers import tagged_record
    from rsvlm.predictions import asked_digest, merge_answers

    recs = [tagged_record(_cls(i))[0] for i in "ab"]
    out = write_jsonl(tmp_path / "p.jsonl", [{"id": "a", "task": "cls", "answer": "lake",
                                              "asked_digest": asked_digest(recs[0])}])
    write_jsonl(tmp_path / "p.jsonl.rank1", [{"id": "b", "task": "cls", "answer": "sea",
                                              "asked_digest": asked_digest(recs[1])}])
    _refusing_a_rename_over_an_open_file(monkeypatch)
    assert merge_answers(recs, 2, Path(out), 2, tmp_path)
    assert [(r["id"], r["answer"]) for r in _rows_of(Path(out))] == [("a", "lake"), ("b", "sea")]


def test_remained_and_stayed_unchanged_say_none_and_partial_ones_do_not():
    from rsvlm.answer_words import says_none

    for text in ("The area remained unchanged.", "The scene has stayed unchanged.", "It stayed unchanged.",
                 "The two images remained completely unchanged."):
        assert says_none(text), text
    for text in ("The roads remained unchanged.", "Unchanged buildings are visible.",
                 "No, the area is unchanged except the new road.", "The area remained largely unchanged."):
        assert not says_none(text), text
