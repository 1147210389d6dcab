"""Review of stop 74, evaluation: rsvlm eval's rows carry ``"tta_left_out"`` (``Fused.left_out``) beside
``"tta_note"`` and the run counts by it (a note's wording only for rows written before); the run's notes of one
record read in the singular ("its fusion", "its record and image files … fix it")."""

from __future__ import annotations

import json

from test_eval_lead73b import LEFT_OUT, reversed_box, run_tta

from rsvlm import evaluate
from rsvlm.data.records import load_records
from rsvlm.predictions import inputs_digest

CLS = {"id": "a", "task": "cls", "images": [{"path": "a.png", "modality": "optical"}],
       "conversations": [{"from": "human", "value": "<image>\n[cls] What is it?"}, {"from": "gpt", "value": "lake"}]}


def test_a_row_stores_how_many_answers_its_fusion_left_out(tmp_path, monkeypatch):
    """The note said how many in words alone; code read the count back from its wording."""
    rows = run_tta(tmp_path, monkeypatch, lambda t: reversed_box(t) + "<box><loc_1></box>")
    for row in rows:  # the h and hv views' answers do not parse: 2 left out
        assert row["tta_note"].startswith("test-time augmentation: 2 of 3 other view answers could not be fused")
        assert row["tta_left_out"] == 2


def test_a_note_of_repaired_shapes_alone_stores_none_left_out(tmp_path, monkeypatch):
    for row in run_tta(tmp_path, monkeypatch, reversed_box):
        assert "repaired on decoding" in row["tta_note"] and row["tta_left_out"] == 0


def _run_with_rows(tmp_path, monkeypatch, rows: dict[str, dict]) -> None:
    data = tmp_path / "t.jsonl"
    data.write_text("".join(json.dumps({**CLS, "id": rid}) + "\n" for rid in rows))
    monkeypatch.setattr(evaluate, "answer_batch", lambda model, processor, batch, *a, **k: [
        {"id": r["id"], "task": "cls", "answer": "lake", **rows[r["id"]]} for r in batch])
    evaluate.run(None, None, data, tmp_path / "p.jsonl", batch_size=4, progress=False)


def test_the_run_counts_views_left_out_by_the_stored_count(tmp_path, monkeypatch, capsys):
    """A note worded as views left out whose count says 0 is not counted; an older row (no count) is read by its
    wording, as before; one record's fusion is "its", not "their"."""
    said = "test-time augmentation: 1 of 3 other view answers could not be fused, left out of the vote"
    _run_with_rows(tmp_path, monkeypatch, {"r0": {"tta_note": said, "tta_left_out": 0},
                                           "r1": {"tta_note": said, "tta_left_out": 1}})
    err = capsys.readouterr().err
    assert f"1 record {LEFT_OUT.replace('their', 'its')}" in err, err
    (older := tmp_path / "older").mkdir()
    _run_with_rows(older, monkeypatch, {"r2": {"tta_note": said}, "r3": {"tta_note": said}})
    assert f"2 records {LEFT_OUT}" in capsys.readouterr().err


def test_one_kept_error_row_is_told_in_the_singular(tmp_path, monkeypatch, capsys):
    """Was "1 record answered empty … is not answered again: their record and image files are as they were …; fix
    them, or give --retry-errors, to have them answered again"."""
    data = tmp_path / "t.jsonl"
    data.write_text(json.dumps(CLS) + "\n")  # a.png is missing: it would fail again
    (record,), _ = load_records(data, strict=False)
    (tmp_path / "p.jsonl").write_text(json.dumps({"id": "a", "task": "cls", "answer": "", "error": "a.png: not found",
                                                  "inputs_digest": inputs_digest(record, tmp_path)}) + "\n")
    monkeypatch.setattr(evaluate, "answer_batch", lambda *a, **k: [])
    evaluate.run(None, None, data, tmp_path / "p.jsonl", batch_size=4, progress=False)
    err = capsys.readouterr().err
    assert ("1 record answered empty with an error last time is not answered again: its record and image files are "
            "as they were, so it would fail again (first: a: a.png: not found); fix it, or give --retry-errors, to have "
            "it answered again") in err, err
