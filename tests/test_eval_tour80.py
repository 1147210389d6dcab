"""Stop 80's eval tour: a ground truth's skipped lines sharing one id are each counted under their own task (the
reader keeps the last line's, and a refusal named the wrong task, or none); rsvlm eval's closing note counts --out's
repeated ids from the pass before the run (the file was read again after every run); one error-row rule for the
scorers; NaN and Infinity in a prediction are an unreadable line named by file and line; a [seg] reference of
points is skipped (an empty answer scored 1 on it) and one of boxes is scored as its rectangles, with a note."""

from __future__ import annotations

import json

import pytest
from conftest import eval_record, write_jsonl

POLY = "<ref>ship</ref><poly><loc_100><loc_100><loc_500><loc_100><loc_500><loc_500><loc_100><loc_500></poly>"
BOX = "<ref>ship</ref><box><loc_100><loc_100><loc_500><loc_500></box>"


def _captions(tmp_path, n_regcap: int, broken: list[str]) -> tuple[str, str]:
    """Ten sound cap records, ``n_regcap`` sound regcap ones, and a line of each task of ``broken`` (no
    conversations), all of id "b"; predictions for the sound ones."""
    recs = [eval_record(f"c{i}", "cap", "[cap] Describe the image.", "a harbour with ships") for i in range(10)]
    recs += [eval_record(f"r{i}", "regcap", "[regcap] Describe the region.", "a ship") for i in range(n_regcap)]
    good = list(recs)
    recs += [{"id": "b", "task": t, "images": ["b.png"]} for t in broken]
    return (write_jsonl(tmp_path / "gt.jsonl", recs),
            write_jsonl(tmp_path / "p.jsonl", [{"id": r["id"], "answer": "ships"} for r in good]))


def test_a_broken_cap_line_sharing_a_regcap_lines_id_is_not_counted_as_regcap(tmp_path):
    """2 sound regcap records and one broken, beside a broken cap line of the same id read last as regcap: the
    refusal said '2 of its 4 regcap records are skipped' and refused a set whose regcap share is 1 of 3."""
    from eval import captioning

    gt, pred = _captions(tmp_path, 2, ["cap", "regcap"])
    s = captioning.main(["--gt", gt, "--pred", pred, "--no-java"])
    assert (s["n_records"], s["n_gt_bad_records"], s["n_gt_bad_fields"]) == (12, 2, 2)


def test_a_task_half_broken_is_refused_though_its_lines_id_is_read_last_as_another_task(tmp_path):
    """1 sound regcap record and a broken one whose id a later broken cap line repeats: both were filed under cap (2
    of 12, no refusal), and regcap was scored on its one sound record as the task's score."""
    from eval import captioning
    from eval.inputs import MalformedGT

    gt, pred = _captions(tmp_path, 1, ["regcap", "cap"])
    with pytest.raises(MalformedGT, match=r"1 of its 2 regcap records is skipped \(bad field conversations: 1\)"):
        captioning.main(["--gt", gt, "--pred", pred, "--no-java"])


def test_an_untasked_line_sharing_a_tasked_lines_id_is_counted_as_task_unknown(tmp_path):
    """The refusal's 'task unknown' count took an id's every line under its last line's task."""
    from eval import captioning
    from eval.inputs import MalformedGT

    gt, pred = _captions(tmp_path, 1, [None, "regcap"])
    with pytest.raises(MalformedGT) as e:
        captioning.main(["--gt", gt, "--pred", pred, "--no-java"])
    assert "1 of its 2 regcap records is skipped" in str(e.value)
    assert "1 other record skipped, task unknown" in str(e.value)


def _answered_twice(tmp_path):
    """Three cls records; --out answers a twice without an asked_digest (answered again), b twice (kept), c not."""
    from rsvlm.evaluate import tagged_record
    from rsvlm.predictions import asked_digest

    recs = [eval_record(i, "cls", "[cls] What scene?", "lake") for i in "abc"]
    data = write_jsonl(tmp_path / "test.jsonl", recs)
    digest = {r["id"]: asked_digest(tagged_record(r)[0]) for r in recs}
    rows = [{"id": "a", "task": "cls", "answer": "sea"}, {"id": "a", "task": "cls", "answer": "lake"},
            {"id": "b", "task": "cls", "answer": "lake", "asked_digest": digest["b"]},
            {"id": "b", "task": "cls", "answer": "sea", "asked_digest": digest["b"], "cut": True}]
    return recs, data, write_jsonl(tmp_path / "p.jsonl", rows)


def test_the_closing_note_counts_repeats_from_the_pass_before_the_run(tmp_path, monkeypatch):
    """A run in place: a's two lines are dropped and answered again, b's stay; the note from the read before the run
    (kept up by the run with the rows it dropped and wrote) says what reading the file after it says, unread."""
    from pathlib import Path

    from rsvlm import eval_out, evaluate

    recs, data, out = _answered_twice(tmp_path)
    held = eval_out.read_answers(Path(out), None, {r["id"] for r in recs})
    assert held.rows.repeats() == (2, 2, 0)  # before the run: a's line too
    monkeypatch.setattr(evaluate, "answer_batch", lambda m, p, records, *a, **k: [
        {"id": r["id"], "task": "cls", "answer": "lake"} for r in records])
    evaluate.run(None, None, Path(data), Path(out), progress=False, answered=held.rows)
    assert set(held.rows.first) == {"a", "b", "c"} and not held.rows.moved
    read_after = eval_out.kept_note(Path(out), list("abc"), unchanged=False)
    assert read_after == f"wrote {out}; 1 more line repeats an id, 1 with another answer than the first: the scorers " \
        "score each id's first line and count the rest (n_pred_duplicate_ids)"
    monkeypatch.setattr(eval_out, "answer_lines", lambda path: pytest.fail("read again"))
    assert eval_out.kept_note(Path(out), list("abc"), False, held.rows) == read_after


def test_a_finished_rerun_reads_out_once(tmp_path, monkeypatch, capsys):
    """Nothing left to answer: --out was read before the run and again for the note."""
    from conftest import finished_eval

    from rsvlm import eval_out
    from rsvlm.cli import main

    argv, out, rows, loads = finished_eval(tmp_path, monkeypatch)
    write_jsonl(out, [*rows, {**rows[0], "answer": "sea", "cut": True}])
    reads, lines = [], eval_out.answer_lines
    monkeypatch.setattr(eval_out, "answer_lines", lambda path: reads.append(path) or lines(path))
    assert main(argv) == 0 and not loads
    assert reads.count(out) == 1
    said = capsys.readouterr().out
    assert f"nothing left to answer: {out} unchanged (2 answers kept, 1 cut: " in said
    assert "; 1 more line repeats an id, 1 with another answer than the first" in said


@pytest.mark.parametrize("row", [{"error": "unreadable"}, {"error": None}, {"error": 3}, {"answer": "x"}, None])
def test_the_scorers_error_count_and_the_repeat_rule_are_one_rule(row):
    from eval.flags import is_errored
    from eval.inputs import Item
    from eval.pred_file import is_error_row

    assert is_errored(Item({"id": "a"}, row, 0)) == is_error_row(row) == (row == {"error": "unreadable"})


@pytest.mark.parametrize("text,where,bad", [
    ('{"id": "a", "answer": "3"}\n{"id": "b", "answer": NaN}\n', "p.jsonl:2", "NaN"),
    ('{"id": "b", "answer": Infinity}\n{"id": "a", "answer": "3"}\n', "p.jsonl:1", "Infinity"),  # the first line
    ('{"id": "a", "answer": "3"}\n{"id": "b", "answer": -Infinity}', "p.jsonl:2", "-Infinity"),  # no line end
    ('[{"id": "a", "answer": "3"}, {"id": "b", "answer": NaN}]', "p.jsonl:item 1", "NaN"),
])
def test_a_count_of_nan_is_an_unreadable_line_named_by_file_and_line(tmp_path, text, where, bad):
    """Python's json reads NaN and Infinity, which JSON has not: a count of NaN was an 'answer' of float NaN."""
    from eval import counting

    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record(i, "count", "[count] How many ships?", "3") for i in "ab"])
    (tmp_path / "p.jsonl").write_text(text)
    s = counting.main(["--gt", gt, "--pred", str(tmp_path / "p.jsonl")])
    assert (s["n_pred_bad_lines"], s["n_missing"], s["n_unparseable"], s["accuracy"]) == (1, 1, 0, 0.5)
    said = next(n for n in s["notes"] if "is not JSON" in n)
    assert said.startswith(f"{tmp_path / where}: not valid JSON ({bad} is not JSON") and "cut short" not in said


def test_a_box_of_nan_in_objects_is_no_hit(tmp_path):
    """'[NaN, 1, 2, 3]' in a detection's objects: the line is unreadable, its record missing, nothing matched."""
    from eval import detection

    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record("a", "det", "[det] Detect every ship.", BOX)])
    (tmp_path / "p.jsonl").write_text('{"id": "a", "objects": [{"kind": "box", "label": "ship", '
                                      '"coords": [NaN, 100, 500, 500], "score": 0.9}]}\n')
    s = detection.main(["--gt", gt, "--pred", str(tmp_path / "p.jsonl")])
    assert (s["n_pred_bad_lines"], s["n_missing"], s["mAP50"]) == (1, 1, 0.0)


def test_a_seg_reference_of_points_is_skipped_and_one_of_boxes_scored_with_a_note(tmp_path):
    """A reference of points read as an empty one: "None." scored IoU 1 on it. A box is scored as its rectangle,
    which the note says (the model answers <poly> or <mask> alone; training skips such a record)."""
    from eval import segmentation

    point = "<ref>ship</ref><point><loc_300><loc_300></point>"
    recs = [eval_record(f"s{i}", "seg", "[seg] Segment the ship.", POLY) for i in range(3)]
    recs += [eval_record("p0", "seg", "[seg] Segment the ship.", point), eval_record("b0", "seg", "[seg] Segment the ship.", BOX)]
    gt = write_jsonl(tmp_path / "gt.jsonl", recs)
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": r["id"], "answer": POLY if r["id"] != "p0" else "None."}
                                               for r in recs])
    s = segmentation.main(["--gt", gt, "--pred", pred])
    assert (s["n_records"], s["n_gt_bad_references"], s["n_pred_skipped_records"]) == (4, 1, 1)
    assert s["gIoU"] == pytest.approx(1.0)  # the poly over the box's own square
    notes = "\n".join(s["notes"])
    assert "gt.jsonl:4: record 'p0': the seg reference holds points" in notes
    assert "1 of the 4 seg references holds a box or obb (first: b0): scored as its rectangles' pixels" in notes
    assert json.loads(json.dumps(s))["n_gt_bad_records"] == 1


def test_a_scorer_run_by_its_path_names_itself_in_its_errors(tmp_path):
    """python eval/vqa.py (the file, not -m) said 'python -m eval: error: …', naming no script."""
    import subprocess
    import sys
    from pathlib import Path

    root, pred = Path(__file__).resolve().parents[1], tmp_path / "p.jsonl"
    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record("a", "vqa", "[vqa] Is there a ship?", "yes")])
    got = subprocess.run([sys.executable, "eval/vqa.py", "--gt", gt, "--pred", str(pred)], cwd=root,
                         capture_output=True, text=True, timeout=120)
    assert got.returncode == 2
    assert got.stderr.startswith(f"python -m eval.vqa: error: predictions file not found: {pred}")
