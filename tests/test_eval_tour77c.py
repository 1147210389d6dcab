"""Stop 77, eval round 3: eval.report's check of a folder given bare runs after the parse (``runs/ --help`` helps,
``--scores=a.json b.json`` is told); a record skipped for a bad shape has its id read, so its count is kept apart
from the malformed records of unknown id; a ground truth refused for its GeoChat references opens with the convert
command; an all-unscorable task's error does not call its references "all" where other records were malformed."""

from __future__ import annotations

import pytest
from conftest import eval_record, write_jsonl

BOX = "<ref>ship</ref><box><loc_1><loc_1><loc_9><loc_9></box>"
SHORT_BOX = "<ref>ship</ref><box><loc_1><loc_1></box>"  # 2 location tokens: a bad shape, skipped with its id read
GEOCHAT = "{<10><20><30><40>|<0>}"
CONVERT = ("convert the set first (python -m data_gen convert llava --src SET --images IMAGES --out OUT rewrites "
           "GeoChat's boxes; docs/data-convert.md) and score OUT/records.jsonl")


def test_a_report_folder_given_bare_is_checked_after_the_parse(tmp_path, capsys):
    """The bare-word check ran on the words before argparse: `runs/ --help` was an error, not the help."""
    from eval import report

    with pytest.raises(SystemExit) as e:
        report.main([str(tmp_path), "--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    assert "(--scores SCORES [SCORES ...] | --dir DIR [DIR ...])" in out  # still shown as one of the two required
    with pytest.raises(SystemExit) as e:
        report.main([str(tmp_path)])
    assert e.value.code == 2
    assert f"error: {tmp_path}: give a folder by --dir {tmp_path} (no argument" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        report.main([])
    assert "error: one of the arguments --scores --dir is required" in capsys.readouterr().err


def test_an_equals_value_takes_one_and_the_rest_are_told(tmp_path, capsys):
    """`--scores=a.json b.json`: argparse's = gives a.json alone; b.json was 'unrecognized arguments'."""
    from eval import report, vqa

    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record("a", "vqa", "[vqa] Ship?", "yes")])
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": "a", "task": "vqa", "answer": "yes"}])
    vqa.main(["--gt", gt, "--pred", pred, "--out", str(tmp_path / "vqa.json")])
    capsys.readouterr()
    with pytest.raises(SystemExit) as e:
        report.main(["--scores=a.json", "b.json"])
    assert e.value.code == 2
    assert ("error: b.json: --scores=a.json takes a.json alone (an = gives one value); give --scores a.json b.json"
            in capsys.readouterr().err)
    rep = report.main([f"--dir={tmp_path}"])  # the = form read as argparse reads it, nothing bare
    assert {r["source"] for r in rep["metrics"]} == {"vqa.json"}
    with pytest.raises(SystemExit):
        report.main(["--scores", str(tmp_path / "vqa.json"), "--bogus"])
    assert "unrecognized arguments: --bogus" in capsys.readouterr().err


def test_a_bad_shapes_id_is_read_so_its_prediction_is_not_said_of_an_unknown_id(tmp_path, capsys):
    """A det record of a bad shape is skipped with its id read (load_gt): 'the ids of its 1 malformed record skipped
    … are not known' was said beside a prediction of another set's id, and its own prediction went unscored unsaid."""
    from eval import detection

    recs = [eval_record(f"r{i}", "det", "[det] Find the ship.", BOX) for i in range(4)]
    recs.append(eval_record("bad", "det", "[det] Find the ship.", SHORT_BOX))
    gt = write_jsonl(tmp_path / "gt.jsonl", recs)
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": r["id"], "answer": BOX} for r in recs] + [{"id": "zz", "answer": BOX}])
    s = detection.main(["--gt", gt, "--pred", pred])
    assert (s["n_gt_bad_records"], s["n_gt_bad_references"], s["n_gt_bad_shapes"], s["n_pred_not_in_gt"]) == (1, 0, 1, 1)
    out = capsys.readouterr().out
    assert "note: 1 prediction names no record of the ground truth; first: zz\n" in out
    assert "are not known" not in out
    assert "not scored (n_gt_bad_records), nor 1 prediction given for it: " in out  # was unscored unsaid
    with open(gt, "a") as f:  # a line no id is read from, beside it: that one alone is of unknown id
        f.write("{not json\n")
    s = detection.main(["--gt", gt, "--pred", pred])
    assert (s["n_gt_bad_records"], s["n_gt_bad_shapes"]) == (2, 1)
    assert ("as read (the ids of its 1 malformed record skipped, of the 2 in n_gt_bad_records, are not known: some "
            "may be theirs); first: zz") in capsys.readouterr().out


def test_an_older_score_file_without_the_count_falls_back_to_the_references():
    from eval.notes import count_notes

    old = {"n_pred_not_in_gt": 1, "n_gt_bad_records": 2, "n_gt_bad_references": 1}
    assert "the ids of its 1 malformed record skipped, of the 2" in count_notes(old)[0]
    assert count_notes({**old, "n_gt_bad_shapes": 1}) == ["1 prediction names no record of the ground truth"]


def test_a_geochat_det_set_refused_leads_with_the_convert_command(tmp_path):
    """Only GeoChat det records (the common case): the half rule's refusal opened 'the wrong file, or another
    format?', the command's name alone (no arguments) inside the first record's error."""
    from eval import common, detection

    recs = [eval_record(f"d{i}", "det", "[det] Find ships.", GEOCHAT) for i in range(3)]
    gt = write_jsonl(tmp_path / "gt.jsonl", recs)
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": r["id"], "answer": BOX} for r in recs])
    with pytest.raises(common.ScoreError) as e:
        detection.main(["--gt", gt, "--pred", pred])
    said = str(e.value)
    assert said.startswith(f"{gt}: 3 references are in GeoChat form ({{<x1><y1><x2><y2>|<θ>}}), which reads as no "
                           f"object: {CONVERT}; every one of its 3 records is unscorable (reference: geochat geometry: 3)."
                           f" First: {gt}:1: record 'd0'")
    assert "the wrong file" not in said
    mixed = write_jsonl(tmp_path / "mixed.jsonl", recs[:2] + [eval_record("v", "vqa", "[vqa] Ship?", "yes")])
    with open(mixed, "a") as f:
        f.write("{not json\n")
    with pytest.raises(common.ScoreError) as e:
        detection.main(["--gt", mixed, "--pred", pred])
    assert str(e.value).startswith(f"{mixed}: 2 references are in GeoChat form")
    assert ("; 3 of its 4 records are malformed or unscorable (reference: geochat geometry: 2, invalid JSON: 1), 50% or "
            "more (the scorers skip fewer, counted): the wrong file, or another format? First:") in str(e.value)


def test_an_all_unscorable_task_beside_a_malformed_record_is_not_called_all(tmp_path):
    """'all 2 det references read are in GeoChat form' was said where a third det record was skipped for its shape."""
    from eval import common, detection

    recs = [eval_record(f"v{i}", "vqa", "[vqa] Ship?", "yes") for i in range(6)]
    recs += [eval_record(f"d{i}", "det", "[det] Find ships.", GEOCHAT) for i in range(2)]
    recs.append(eval_record("bad", "det", "[det] Find ships.", SHORT_BOX))
    gt = write_jsonl(tmp_path / "gt.jsonl", recs)
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": r["id"], "answer": "yes"} for r in recs])
    with pytest.raises(common.ScoreError) as e:
        detection.main(["--gt", gt, "--pred", pred])
    assert str(e.value).startswith(f"{gt}: the 2 det references read are in GeoChat form ({{<x1><y1><x2><y2>|<θ>}}), "
                                   f"which reads as no object: {CONVERT} (1 other record skipped as malformed); so no "
                                   "records of task det are left to score (found {'vqa': 6})")
    assert "all 2" not in str(e.value)


def test_the_refusal_module_is_still_read_from_eval_inputs():
    """eval/inputs.py split (496 lines): its names stay importable where they were."""
    import eval.gt_refusal as refusal
    import eval.inputs as inputs

    for name in ("BLIND", "MALFORMED_SHARE", "too_malformed", "malformed_refusal", "n_unscorable", "gt_reasons"):
        assert getattr(inputs, name) is getattr(refusal, name)
