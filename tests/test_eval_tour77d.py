"""Stop 77, eval round 4: the score file's skipped ground-truth counts add up (``n_gt_bad_records`` =
``n_gt_bad_references`` + ``n_gt_bad_shapes`` + ``n_gt_bad_blind`` + the malformed rest of unknown id;
``n_gt_bad_ids_read`` held the references inside it), and a blind record's id, read by the records reader
(``ReadReport.skipped_ids``), keeps its prediction out of ``n_pred_not_in_gt``: it was said to name no record."""

from __future__ import annotations

from conftest import eval_record, write_jsonl

BOX = "<ref>ship</ref><box><loc_1><loc_1><loc_9><loc_9></box>"
SHORT_BOX = "<ref>ship</ref><box><loc_1><loc_1></box>"  # 2 location tokens: a bad shape
GEOCHAT = "{<10><20><30><40>|<0>}"  # a reference no answer is scored against


def blind(rid: str) -> dict:
    """A vqa record of its question alone (no gpt turn): ``rsvlm eval`` answers it, no scorer scores it."""
    rec = eval_record(rid, "vqa", "[vqa] Is there a ship?", "yes")
    rec["conversations"] = rec["conversations"][:1]
    return rec


def test_the_skipped_counts_add_up(tmp_path):
    from eval import detection

    recs = [eval_record(f"r{i}", "det", "[det] Find the ship.", BOX) for i in range(6)]
    recs += [eval_record("shape", "det", "[det] Find the ship.", SHORT_BOX),
             eval_record("geo", "det", "[det] Find the ship.", GEOCHAT)]
    gt = write_jsonl(tmp_path / "gt.jsonl", recs)
    with open(gt, "a") as f:
        f.write("{not json\n")
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": r["id"], "answer": BOX} for r in recs])
    s = detection.main(["--gt", gt, "--pred", pred])
    assert "n_gt_bad_ids_read" not in s
    assert (s["n_gt_bad_records"], s["n_gt_bad_references"], s["n_gt_bad_shapes"], s["n_gt_bad_blind"]) == (3, 1, 1, 0)
    assert s["n_pred_not_in_gt"] == 0


def test_count_notes_reads_the_unknown_as_records_less_the_id_read_ones():
    from eval.notes import count_notes

    scores = {"n_pred_not_in_gt": 1, "n_gt_bad_records": 4, "n_gt_bad_references": 1, "n_gt_bad_shapes": 1}
    assert "the ids of its 2 malformed records skipped, of the 4 in n_gt_bad_records" in count_notes(scores)[0]
    assert count_notes({**scores, "n_gt_bad_shapes": 3}) == ["1 prediction names no record of the ground truth"]
    assert "the ids of its 1 malformed record skipped, of the 4" in count_notes({**scores, "n_gt_bad_blind": 1})[0]


def test_the_records_reader_keeps_the_ids_of_the_blind_records_it_skipped(tmp_path):
    from rsvlm.data.read_report import ReadReport
    from rsvlm.data.records import read_records

    recs = [eval_record("a", "vqa", "[vqa] Is there a ship?", "yes"), blind("bl"), {**blind("x"), "id": ""},
            {**blind("y"), "images": 3}]
    path = write_jsonl(tmp_path / "gt.jsonl", recs)
    with open(path, "a") as f:
        f.write('{"id": "cut"\n')  # not JSON: no id read
    report = ReadReport(path)
    assert [r["id"] for r in read_records(path, strict=False, report=report)] == ["a"]
    assert (report.n_skipped, report.skipped_ids) == (4, {"bl"})  # a blank id is no id; y's fault is its images


def test_a_blind_records_prediction_is_unscored_with_it_not_of_no_record(tmp_path, capsys):
    """A vqa set of 4 records and a blind one, all answered: the blind one's prediction was counted in
    n_pred_not_in_gt and said to name no record ('first: bl'), though the skipped note named its id."""
    from eval import vqa

    recs = [eval_record(i, "vqa", "[vqa] Is there a ship?", "yes") for i in "abcd"] + [blind("bl")]
    gt = write_jsonl(tmp_path / "gt.jsonl", recs)
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": r["id"], "answer": "yes"} for r in recs])
    s = vqa.main(["--gt", gt, "--pred", pred])
    assert (s["n_gt_bad_records"], s["n_gt_bad_shapes"], s["n_gt_bad_blind"], s["n_pred_not_in_gt"]) == (1, 0, 1, 0)
    out = capsys.readouterr().out
    assert "names no record" not in out
    assert "not scored (n_gt_bad_records), nor 1 prediction given for it: " in out
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": r["id"], "answer": "yes"} for r in recs] + [{"id": "zz", "answer": "no"}])
    s = vqa.main(["--gt", gt, "--pred", pred])  # another set's id beside it: the blind id is not called unknown
    assert s["n_pred_not_in_gt"] == 1
    assert "note: 1 prediction names no record of the ground truth; first: zz\n" in capsys.readouterr().out
