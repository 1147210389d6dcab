"""Stop 77 review of the scorers' skipped references: a prediction given for a record whose reference no answer
could be scored against went unscored without a word; eval.report's heading over both ground-truth rows."""

from __future__ import annotations

import json

from conftest import eval_record, write_jsonl


def test_predictions_of_skipped_references_are_said_to_go_unscored(tmp_path, capsys):
    """Their ids are the ground truth's, so no "names no record" counted them: the note said the records were not
    scored, and the predictions given for them were dropped unsaid."""
    from eval import counting

    rows = [eval_record(f"c{i}", "count", "[count] How many?", "3") for i in range(5)]
    rows += [eval_record("x", "count", "[count] How many?", "lots"), eval_record("y", "count", "[count] ?", "some")]
    gt = tmp_path / "gt.jsonl"
    gt.write_text("".join(json.dumps(r) + "\n" for r in rows) + "{not json\n")
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": r["id"], "answer": "3"} for r in rows])
    scores = counting.main(["--gt", str(gt), "--pred", pred])
    note = next(n for n in scores["notes"] if "(n_gt_bad_records)" in n)
    assert scores["n_gt_bad_records"] == 3 and scores["n_pred_not_in_gt"] == 0 and scores["n_records"] == 5
    assert "1 as rsvlm eval skips it, 2 as no answer could be scored against their references: not scored " \
           "(n_gt_bad_records), nor 2 predictions given for the unscorable ones: " in note, note
    only = write_jsonl(tmp_path / "q.jsonl", [{"id": r["id"], "answer": "3"} for r in rows[:5]])
    note = next(n for n in counting.main(["--gt", str(gt), "--pred", only])["notes"] if "(n_gt_bad_records)" in n)
    assert "not scored (n_gt_bad_records): " in note and "nor" not in note  # none given: nothing more to say
    capsys.readouterr()


def test_report_heading_names_both_ground_truth_rows_apart(tmp_path, capsys):
    from eval import report

    base = {"task": "detection", "headline": ["mAP50"], "mAP50": 0.5, "n_records": 4, "n_missing": 0,
            "by_modality": {"optical": {"mAP50": 0.5, "n_records": 4}}}
    for name, extra in (("a.json", {"n_gt_unsized": 1}), ("b.json", {"n_gt_bad_records": 2})):
        (tmp_path / name).write_text(json.dumps({**base, **extra}))
    report.main(["--scores", str(tmp_path / "a.json"), str(tmp_path / "b.json")])
    out = capsys.readouterr().out
    assert "and ground-truth records left out (unsized / malformed or unscorable)\n" in out, out


def test_rsvlm_eval_says_a_few_blind_records_are_skipped_not_the_file_refused():
    """rsvlm eval said 'python -m eval.TASK refuses a ground truth with such records' since stop 76 skipped them."""
    from rsvlm.eval_reading import record_warnings

    recs = [eval_record(i, "vqa", "[vqa] ?", "yes") for i in "abc"]
    recs[1]["conversations"] = recs[1]["conversations"][:1]  # its answer lost in a conversion
    said = " ".join(record_warnings(recs))
    assert "python -m eval.TASK refuses a ground truth with such records where half or more are (fewer are skipped, " \
           "counted in n_gt_bad_records)" in said, said
