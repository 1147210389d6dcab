"""Stop 71, evaluation (area F): the --limit an interrupted run's stamp keeps, score files report finds, sequence
coords, the near-option hint, one whole-number offset rule, and what the tour of the scorers found."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import eval_record, finished_eval, write_jsonl


def test_an_interrupted_runs_limit_is_not_kept_by_a_rerun_with_another(tmp_path, monkeypatch, capsys):
    """A full run stopped after its first answer, rerun with --limit 1, kept "no limit" in its stamp (the wider of the
    two), though the finished file holds one record's answer: the scorers took a partial run's scores for the whole
    set's. So the other way, a --limit 2 run stopped after one answer and rerun with --limit 1 stamped 2. The stamp
    keeps an earlier limit only where the file holds that run's every answer."""
    from rsvlm.cli import main

    argv, out, rows, _ = finished_eval(tmp_path, monkeypatch)
    stamp = tmp_path / "p.jsonl.run.json"
    write = json.loads
    out.write_text(json.dumps(rows[0]) + "\n")
    assert main([*argv, "--limit", "1"]) == 0, capsys.readouterr().err
    for interrupted in (None, 2):  # a full run's stamp, a --limit 2 run's: either stopped after record a
        stamp.write_text(json.dumps({**write(stamp.read_text()), "limit": interrupted}))
        assert main([*argv, "--limit", "1"]) == 0, capsys.readouterr().err
        assert write(stamp.read_text())["limit"] == 1
    out.write_text("".join(json.dumps(r) + "\n" for r in rows))  # the full run did finish: its answers are all there
    stamp.write_text(json.dumps({**write(stamp.read_text()), "limit": None}))
    assert main([*argv, "--limit", "1"]) == 0, capsys.readouterr().err
    assert write(stamp.read_text())["limit"] is None
    more = [*map(json.loads, open(argv[2])), eval_record("c", "cls", "[cls] What scene?", "lake")]
    write_jsonl(Path(argv[2]), more)  # a full run of three stopped after two: the file holds the first two
    assert main([*argv, "--limit", "1"]) == 0, capsys.readouterr().err
    assert write(stamp.read_text())["limit"] == 2


def test_a_score_file_not_named_json_is_written_with_a_note_that_report_would_pass_it_over(tmp_path, capsys):
    """`--out scores.jsonl` wrote the scores, and `python -m eval.report --dir` (which reads *.json alone) left them
    out without a word. They are written, with a note naming the .json name to give (a script's vqa.json.tmp, renamed
    after the scoring, must still run: the refusal first made here stopped it); /dev/stdout says nothing."""
    from eval import report, vqa

    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record("q", "vqa", "[vqa] Is there a ship?", "yes")])
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": "q", "task": "vqa", "answer": "yes"}])
    scores = tmp_path / "s"
    for name in ("vqa.jsonl", "vqa", "vqa.JSON", "vqa.json.tmp"):
        assert vqa.main(["--gt", gt, "--pred", pred, "--out", str(scores / name)])["accuracy"] == 1.0
        err = capsys.readouterr().err
        assert f"note: --out {scores / name} is not named .json" in err and "eval.report --dir" in err
        assert f"name it {scores / 'vqa.json'}" in err and json.loads((scores / name).read_text())["task"] == "vqa"
    vqa.main(["--gt", gt, "--pred", pred, "--out", str(scores / "vqa.json")])
    assert "not named .json" not in capsys.readouterr().err
    report.main(["--dir", str(scores), "--out", str(tmp_path / "r.md")])
    assert "vqa.json" in (tmp_path / "r.md").read_text()
    assert f"note: 4 score files in {scores} not named .json are left out" in capsys.readouterr().err
    assert vqa.main(["--gt", gt, "--pred", pred, "--out", "/dev/stdout"])["accuracy"] == 1.0
    assert "not named .json" not in capsys.readouterr().err


def test_objects_coords_may_be_tuples_or_numpy_arrays_from_python_callers(tmp_path):
    """object_problem refused a box given as a tuple and an obb's corners as a (4, 2) array ("kind box: coords …"),
    so a Python caller's objects read as unparseable. Any sequence of numbers is taken, scored as the lists JSON
    gives; text is still no coordinates."""
    import numpy as np

    from eval import answers, regions
    from eval.inputs import Item

    box = {"kind": "box", "coords": (10, 20, 50, 60), "label": "ship"}
    obb = {"kind": "obb", "coords": np.array([[10, 20], [50, 20], [50, 60], [10, 60]], np.float32)}
    poly = {"kind": "poly", "coords": [np.array([10, 20]), np.array([50, 20]), np.array([30, 60])]}
    for o in (box, obb, poly, {"kind": "point", "coords": np.array([3.0, 4.0])}):
        assert regions.object_problem(o) is None, o
    assert regions.object_problem({"kind": "box", "coords": "1234"}) is not None
    assert regions.object_problem({"kind": "box", "coords": np.float32(3)}) is not None
    rec = eval_record("g", "ground", "[ground] The ship.", "None.")
    got = answers.read_pred_objects(Item(rec, {"id": "g", "objects": [box, obb, poly]}, 0))
    assert got.status == answers.OK
    as_json = answers.read_pred_objects(Item(rec, {"id": "g", "objects": json.loads(json.dumps(regions.as_lists(
        [box, obb, poly])))}, 0))
    assert [o["coords"] for o in got.objects] == [o["coords"] for o in as_json.objects]
    assert all(isinstance(o["coords"], list) for o in got.objects)


@pytest.mark.parametrize("script, option, said", [("detection", "--iou", "mAP50_obb at IoU > 0.5"),
                                                  ("grounding", "--iou-thr=0.7", "acc50"),
                                                  ("segmentation", "--threshold", "P@0.7"),
                                                  ("vqa", "--iou", "scores no shapes"),
                                                  ("loc_error", "--iou_threshold", "location error in bins")])
def test_an_iou_threshold_option_is_told_the_thresholds_are_fixed(capsys, script, option, said):
    """`python -m eval.detection … --iou 0.7` was answered "did you mean --out?": no scorer has an IoU threshold
    option (each reports its metrics at fixed ones). The error says so and what the script reports; a typo of a real
    option is still told the option meant."""
    import importlib

    main = importlib.import_module(f"eval.{script}").main
    with pytest.raises(SystemExit) as e:
        main(["--gt", "g.jsonl", "--pred", "p.jsonl", option, "0.7"] if script != "loc_error" else
             ["--data", "t.jsonl", option, "0.7"])
    err = capsys.readouterr().err
    assert e.value.code == 2 and f"{option.split('=')[0]}: eval.{script} takes no IoU threshold" in err and said in err
    assert "did you mean" not in err
    with pytest.raises(SystemExit):
        main(["--gt", "g.jsonl", "--pred", "p.jsonl", "--ou", "s.json"] if script != "loc_error" else
             ["--data", "t.jsonl", "--ou", "s.json"])
    assert "did you mean --out?" in capsys.readouterr().err


def test_a_mask_offset_is_read_by_one_rule_in_the_check_and_the_scoring(tmp_path):
    """The check of a mask's offset took a list or tuple of two whole numbers, while the scoring took int() of anything
    two long: an offset given as a NumPy array (as a Python caller crops one) was refused as unparseable, though
    rasterised right where it got through. One rule (regions.whole_offset) now serves both: any sequence of two
    whole numbers, never a bool or text."""
    import numpy as np

    from eval import answers, regions
    from eval.inputs import Item
    from rsvlm.geometry import objects_to_mask

    crop = np.ones((4, 5), bool)
    rec = eval_record("s", "seg", "[seg] Segment the ships.", "None.")
    for offset, ok in [(np.array([2, 3]), True), ((2.0, np.int64(3)), True), ([2, 3], True), ([True, 0], False),
                       (["2", "3"], False), ([2.5, 3], False), ([2, 3, 4], False), (np.array(2), False)]:
        o = {"kind": "mask", "mask": crop, "offset": offset}
        assert regions.valid_mask(o) is ok, offset
        got = answers.read_pred_objects(Item(rec, {"id": "s", "objects": [o]}, 0))
        assert (got.status == answers.OK) is ok, (offset, got.problems)
        if ok:
            assert regions.whole_offset(offset) == (2, 3)
            drawn = objects_to_mask(got.objects, 64, 64)  # (64, 64): the crop at rows 3..6, columns 2..6
            assert drawn.sum() == 20 and drawn[3:7, 2:7].all()
        else:
            with pytest.raises(ValueError, match="two whole numbers"):
                regions.whole_offset(offset)


def test_a_gzipped_predictions_file_reads_the_run_stamp_of_the_file_it_compresses(tmp_path):
    """`gzip pred.jsonl` leaves pred.jsonl.run.json beside pred.jsonl.gz, and the scorers looked for
    pred.jsonl.gz.run.json alone: "the model and options that gave them are not recorded", run null in the score
    file and "not recorded" in eval.report, though the stamp was there. It is read, and a note says whose it is."""
    import gzip

    from eval import vqa

    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record("q", "vqa", "[vqa] Is there a ship?", "yes")])
    pred = tmp_path / "pred.jsonl.gz"
    pred.write_bytes(gzip.compress(b'{"id": "q", "task": "vqa", "answer": "yes"}\n'))
    stamp = {"model": {"dir": "m"}, "options": {"max_new_tokens": 64}, "limit": None}
    (tmp_path / "pred.jsonl.run.json").write_text(json.dumps(stamp))
    scores = vqa.main(["--gt", gt, "--pred", str(pred)])
    assert scores["run"]["model"] == {"dir": "m"} and not any("not recorded" in n for n in scores["notes"])
    assert any("pred.jsonl.run.json is read as the run stamp of pred.jsonl.gz" in n for n in scores["notes"])
    (tmp_path / "pred.jsonl.gz.run.json").write_text(json.dumps({**stamp, "model": {"dir": "own"}}))  # its own first
    scores = vqa.main(["--gt", gt, "--pred", str(pred)])
    assert scores["run"]["model"] == {"dir": "own"} and not any("is read as the run stamp" in n for n in scores["notes"])


def test_a_blind_record_in_the_ground_truth_says_what_it_is_and_what_to_give(tmp_path, capsys):
    """A --gt record without its reference answer (a blind benchmark's question) was refused with the format's
    words alone, "field 'conversations': has no gpt (assistant) turn", which said neither why a scorer needs one nor
    what to give. The error names the line and id, says it is a blind record and asks for the set with its answers."""
    from eval import common, vqa

    blind = eval_record("b", "vqa", "[vqa] Is there a ship?", "yes")
    blind["conversations"] = blind["conversations"][:1]
    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record("a", "vqa", "[vqa] Is there a ship?", "yes"), blind])
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": "a", "answer": "yes"}, {"id": "b", "answer": "no"}])
    with pytest.raises(common.ScoreError) as e:
        vqa.main(["--gt", gt, "--pred", pred])
    assert f"{gt}:2 (id b)" in str(e.value) and "a blind record" in str(e.value)
    assert "give --gt the set with its answers" in str(e.value)


def test_a_set_whose_change_records_are_all_the_other_scripts_says_which_script(tmp_path):
    """eval.captioning on a set whose change records all ask for a map (meta.subtask change_seg_*) refused with
    "no records of task cap/regcap/change (found {'change (not kept)': 2})", and eval.change on worded ones so: the
    note that names the script for them is made only where some record is scored. The error says it too."""
    from eval import captioning, change, common

    rec = eval_record("c", "change", "[change] Segment the changed buildings.",
                      "<ref>building</ref><box><loc_100><loc_100><loc_300><loc_300></box>", subtask="change_seg_building")
    gt = write_jsonl(tmp_path / "gt.jsonl", [rec])
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": "c", "answer": "No change."}])
    with pytest.raises(common.ScoreError, match="1 change record.*a change map: eval.change scores it"):
        captioning.main(["--gt", gt, "--pred", pred])
    worded = {**rec, "meta": {"width": 1000, "height": 1000},
              "conversations": [rec["conversations"][0], {"from": "gpt", "value": "No change."}]}
    gt = write_jsonl(tmp_path / "gt.jsonl", [worded])
    with pytest.raises(common.ScoreError, match="eval.captioning scores it, or --all-maps"):
        change.main(["--gt", gt, "--pred", pred])
    assert change.main(["--gt", gt, "--pred", pred, "--all-maps"])["n_records"] == 1


def test_bench_eval_start_refuses_a_gt_that_is_no_records_set_in_one_line(tmp_path, monkeypatch, capsys):
    """bench/eval_start.py --gt of an empty file printed a table of 0-record rows, timed as if read; of predictions,
    or a record whose shapes break the grammar, a traceback. Each is a usage error naming the file."""
    from script_loader import load_bench

    bench = load_bench("eval_start", monkeypatch, module="eval_start")
    empty, preds = tmp_path / "empty.jsonl", write_jsonl(tmp_path / "p.jsonl", [{"id": "a", "answer": "yes"}])
    empty.write_text("")
    bad = eval_record("d", "det", "[det] Detect ships.", "<box><loc_1></box>")
    for gt, said in [(str(empty), "no record in it"), (preds, "holds predictions"),
                     (write_jsonl(tmp_path / "bad.jsonl", [bad]), "<box> needs 4 location tokens")]:
        with pytest.raises(SystemExit) as e:
            bench.main(["--gt", gt, "--repeats", "1"])
        err = capsys.readouterr()
        assert e.value.code == 2 and gt in err.err and said in err.err and "|" not in err.out, gt


def test_report_dir_names_score_files_not_named_json_that_it_leaves_out(tmp_path, capsys):
    """A folder holding vqa.jsonl, written by a scorer before `--out` had to end .json, was tabled without it and
    without a word. --dir names it in a note (a predictions file beside it is no score file, and said nothing of)."""
    from eval import report, vqa

    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record("q", "vqa", "[vqa] Is there a ship?", "yes")])
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": "q", "task": "vqa", "answer": "yes"}])
    scores = tmp_path / "s"
    vqa.main(["--gt", gt, "--pred", pred, "--out", str(scores / "vqa.json")])
    (scores / "old.jsonl").write_text((scores / "vqa.json").read_text())
    (scores / "p.jsonl").write_text(Path(pred).read_text())
    capsys.readouterr()
    report.main(["--dir", str(scores)])
    err = capsys.readouterr().err
    assert f"1 score file in {scores} not named .json is left out (first: {scores / 'old.jsonl'})" in err
    assert "p.jsonl" not in err
