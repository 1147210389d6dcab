"""Review of stop 79, evaluation: a blind GT line and a bad-field line of one id are counted one each (both were
called blind); a task's share and refusal count a repeated id's skipped lines, so the refusal's counts add up to the
file's; an --out line whose id is a list or an object no longer crashes rsvlm eval's closing line, its resume or its
stale-answers refusal; a real resume's dropped-lines note and closing line add up to the file."""

from __future__ import annotations

import json
import types
from pathlib import Path

import pytest
from conftest import eval_record, write_jsonl

GROUND = "<box><loc_1><loc_1><loc_9><loc_9></box>"


def _vqa(rid: str) -> dict:
    return eval_record(rid, "vqa", "[vqa] Is there a ship?", "yes")


def test_a_blind_line_and_a_bad_field_line_of_one_id_count_one_each(tmp_path):
    """Both were counted in n_gt_bad_blind (2 of 2), the bad field's line called blind."""
    from eval import vqa

    blind, field = _vqa("dup"), _vqa("dup")
    blind["conversations"] = blind["conversations"][:1]
    field["conversations"] = "x"
    gt = write_jsonl(tmp_path / "gt.jsonl", [_vqa(i) for i in "abcdefgh"] + [field, blind])
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": i, "task": "vqa", "answer": "yes"} for i in "abcdefgh"])
    s = vqa.main(["--gt", gt, "--pred", pred])
    assert (s["n_gt_bad_blind"], s["n_gt_bad_fields"], s["n_gt_bad_records"]) == (1, 1, 2)


def test_a_bad_field_line_sharing_a_sound_records_id_is_a_bad_field(tmp_path):
    """A broken copy of record a: its id was read, yet it was left to the records of unknown id (n_gt_bad_fields 0
    of n_gt_bad_records 1)."""
    from eval import vqa

    gt = write_jsonl(tmp_path / "gt.jsonl", [_vqa(i) for i in "abcdefgh"] + [{**_vqa("a"), "conversations": "x"}])
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": i, "task": "vqa", "answer": "yes"} for i in "abcdefgh"])
    s = vqa.main(["--gt", gt, "--pred", pred])
    assert (s["n_gt_bad_fields"], s["n_gt_bad_records"], s["n_records"]) == (1, 1, 8)


def test_a_task_refusal_counts_a_repeated_ids_skipped_lines(tmp_path):
    """Three broken ground lines, two of one id, beside one sound one: the refusal said '2 of its 3 ground records'
    and '1 other record skipped, task unknown' of 4 skipped lines; it counts lines, as n_gt_bad_fields does."""
    from eval import grounding
    from eval.common import ScoreError

    def broken(rid: str) -> dict:
        return {**eval_record(rid, "ground", "[ground] Find the ship.", GROUND), "conversations": "x"}

    recs = [eval_record("g0", "ground", "[ground] Find the ship.", GROUND), broken("gx"), broken("gx"), broken("gy")]
    gt = tmp_path / "gt.jsonl"
    gt.write_text("".join(json.dumps(r) + "\n" for r in recs + [_vqa(i) for i in "abcdefgh"]) + "{not json\n")
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": "g0", "task": "ground", "answer": GROUND}])
    with pytest.raises(ScoreError) as e:
        grounding.main(["--gt", str(gt), "--pred", pred])
    said = str(e.value)
    assert "3 of its 4 ground records are skipped (bad field conversations: 3)" in said
    assert "; 1 other record skipped, task unknown" in said


def test_an_out_line_with_an_unhashable_id_is_passed_over(tmp_path):
    """`{"id": ["x"]}` in --out: the closing line (now said after every run), the resume's rewrite and the
    stale-answers refusal raised "TypeError: unhashable type: 'list'"."""
    from rsvlm.eval_out import kept_note
    from rsvlm.predictions import check_out, resume_state

    out = tmp_path / "out.jsonl"
    write_jsonl(out, [{"id": ["x"], "answer": "q"}, {"id": {"k": 1}, "answer": "q"},
                      {"id": "a", "task": "vqa", "answer": "yes"}])
    assert kept_note(out, ["a"], unchanged=False) == f"wrote {out}"
    _, errors = resume_state(out, [], {"a": _vqa("a")}, tmp_path)  # a: no asked_digest, answered again
    assert errors.unvouched == ["a"] and (errors.n_dropped, errors.n_dropped_ids) == (1, 1)
    assert len(out.read_text().splitlines()) == 2  # the two unreadable lines are left where they are
    data = write_jsonl(tmp_path / "test.jsonl", [_vqa("b")])
    write_jsonl(out, [{"id": ["x"], "answer": "q"}, {"id": "zz", "answer": "yes"}])
    assert f"(first: zz at {out}:2)" in check_out(Path(data), out)


def test_a_resumed_runs_dropped_lines_and_closing_line_add_up(tmp_path, monkeypatch, capsys):
    """An --out of 5 lines: a (twice) and b without an asked_digest, c twice with one. The run drops 3 lines for 2
    records, says so, answers a, b and d, and its closing line says the one line left repeating c: 5 lines, 4 ids."""
    from rsvlm import evaluate, inference
    from rsvlm.cli import main
    from rsvlm.eval_answers import tagged_record
    from rsvlm.predictions import asked_digest

    def rec(i: str) -> dict:
        return {"id": i, "task": "cls", "images": [{"path": f"{i}.png", "modality": "optical"}],
                "conversations": [{"from": "human", "value": "<image>\n[cls] What is it?"},
                                  {"from": "gpt", "value": "lake"}]}

    data = write_jsonl(tmp_path / "test.jsonl", [rec(i) for i in "abcd"])
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "config.yaml").write_text("{}\n")
    monkeypatch.setattr(inference, "load_model", lambda *a, **kw: (None, types.SimpleNamespace()))
    monkeypatch.setattr(evaluate, "answer_batch", lambda model, processor, batch, *a, **k: [
        {"id": r["id"], "task": "cls", "answer": "lake", "asked_digest": asked_digest(r)} for r in batch])
    digest = asked_digest(tagged_record(rec("c"))[0])
    out = tmp_path / "p.jsonl"
    write_jsonl(out, [{"id": "a", "task": "cls", "answer": "x"}, {"id": "a", "task": "cls", "answer": "y"},
                      {"id": "b", "task": "cls", "answer": "x"},
                      {"id": "c", "task": "cls", "answer": "lake", "asked_digest": digest},
                      {"id": "c", "task": "cls", "answer": "sea", "asked_digest": digest}])
    assert main(["eval", "--model", str(tmp_path / "m"), "--data", data, "--out", str(out), "--device", "cpu"]) == 0
    said = capsys.readouterr()
    assert f"3 lines of {out} dropped for the 2 records answered again: 1 repeated another line's id" in said.err
    assert said.out.startswith(f"wrote {out}; 1 more line repeats an id, 1 with another answer than the first")
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["id"] for r in rows] == ["c", "c", "a", "b", "d"]


def test_a_long_unknown_option_of_underscored_words_is_answered_at_once():
    """The picture-option pattern's `(\\w+[-_])*` split `a_a_…` every way before failing: 22 words took 3 s, each two
    more four times as long, before 'unrecognized arguments' was said."""
    import time

    from eval.thresholds import threshold_hint

    start = time.perf_counter()
    assert threshold_hint("detection", ["--" + "a_" * 24 + "x"]) == ([], "")
    assert time.perf_counter() - start < 1
    assert threshold_hint("detection", ["--save_vis"])[0] == ["--save_vis"]  # underscored words still read
