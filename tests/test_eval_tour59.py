"""Tour 59 of the scoring scripts (``eval/``) and ``rsvlm eval``: rows of no rsvlm task, numbers as answers,
resumed rows without an ``asked_digest``, the overlap check under ``--limit``, and odd input files."""

from __future__ import annotations

import json

import pytest
from conftest import eval_record, write_jsonl


def test_the_overlap_check_counts_only_the_records_limit_leaves(tmp_path, monkeypatch, capsys):
    from rsvlm import evaluate
    from rsvlm.cli import main

    model = tmp_path / "model"
    model.mkdir()
    (model / "config.yaml").write_text("{}\n")
    data = write_jsonl(tmp_path / "test.jsonl", [eval_record(f"r{i}", "cls", "[cls] What scene?", "lake") for i in range(5)])
    seen = []
    monkeypatch.setattr(evaluate, "overlap_report",
                        lambda _m, recs, _root: seen.append([r["id"] for r in recs]) or f"{len(seen[-1])} overlap")
    monkeypatch.setattr(evaluate, "_answer", lambda *a, **k: 0)  # the check is before the model loads
    assert main(["eval", "--data", data, "--out", str(tmp_path / "p.jsonl"), "--model", str(model),
                 "--limit", "2"]) == 0
    assert seen == [["r0", "r1"]]  # was all 5: records --limit leaves unanswered, counted as overlapping
    assert "warning: 2 overlap" in capsys.readouterr().err


def test_a_count_given_as_a_json_number_is_read_as_that_count(tmp_path):
    from eval import counting

    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record(i, "count", "[count] How many ships?", "7") for i in "abcdef"])
    pred = write_jsonl(tmp_path / "pred.jsonl", [{"id": "a", "task": "count", "answer": 7},  # another tool's JSON
                                           {"id": "b", "task": "count", "answer": 6.6},  # rounded half up, as "6.6"
                                           {"id": "c", "task": "count", "answer": -3},  # no count
                                           {"id": "d", "task": "count", "answer": True},  # no number
                                           {"id": "e", "task": "count", "answer": "7"},
                                           {"id": "f", "task": "count", "answer": 7e20}])  # no "7e+20": 20
    s = counting.main(["--gt", gt, "--pred", pred])
    assert s["n_correct"] == 3 and s["n_unparseable"] == 3  # was: a, b called unparseable (not a string)
    assert any("'c': '-3' states no count" in n for n in s["notes"])
    assert any("'d': 'answer' is true, where a counting answer is text" in n for n in s["notes"])


def test_a_number_answers_vqa_only_where_the_reference_is_one_and_elsewhere_the_row_is_named(tmp_path):
    from eval import classification, vqa

    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record("n", "vqa", "[vqa] How many?", "5"),
                                        eval_record("y", "vqa", "[vqa] Is it a port?", "yes")])
    pred = write_jsonl(tmp_path / "pred.jsonl", [{"id": "n", "task": "vqa", "answer": 5},
                                           {"id": "y", "task": "vqa", "answer": 1}])
    s = vqa.main(["--gt", gt, "--pred", pred])
    assert s["n_correct"] == 1 and s["n_unparseable"] == 1
    assert any(n.startswith("unparseable 'y': 'answer' is the number 1, where a vqa answer is text") for n in s["notes"])
    gt = write_jsonl(tmp_path / "gt2.jsonl", [eval_record("c", "cls", "[cls] What scene?", "lake")])
    pred = write_jsonl(tmp_path / "pred2.jsonl", [{"id": "c", "task": "cls", "answer": 3}])
    s = classification.main(["--gt", gt, "--pred", pred])
    assert s["n_unparseable"] == 1 and any("'c': 'answer' is the number 3" in n for n in s["notes"])


def test_a_detection_answer_that_is_a_number_says_what_it_is(tmp_path):
    from eval import detection

    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record("d", "det", "[det] Find the ships.",
                                                "<ref>ship</ref><box><loc_1><loc_1><loc_9><loc_9></box>")])
    pred = write_jsonl(tmp_path / "pred.jsonl", [{"id": "d", "task": "det", "answer": 0}])
    s = detection.main(["--gt", gt, "--pred", pred])
    assert s["n_unparseable"] == 1 and any("'d': 'answer' is the number 0" in n for n in s["notes"])


def test_rows_of_no_rsvlm_task_are_counted_and_said(tmp_path, capsys):
    from eval import classification
    from eval.common import ScoreError

    untasked = eval_record("d", "cls", "What scene?", "lake")
    del untasked["task"]
    gt = write_jsonl(tmp_path / "gt.jsonl", [*(eval_record(i, "cls", "[cls] What scene?", "lake") for i in "abc"), untasked])
    pred = write_jsonl(tmp_path / "pred.jsonl", [{"id": "a", "task": "scene_cls", "answer": "lake"},  # another tool's name
                                           {"id": "b", "task": "CLS", "answer": "lake"},  # rsvlm's, shouted
                                           {"id": "c", "answer": "lake"},  # no task: other tools write none
                                           {"id": "z", "task": "hrben", "answer": "x"}])  # not in GT: counted there
    s = classification.main(["--gt", gt, "--pred", pred, "--out", str(tmp_path / "s.json")])
    # was: "a" scored without a word, and the untasked record "d" only in n_gt_other_tasks, never printed
    assert s["n_correct"] == 3 and s["n_pred_other_task"] == {"scene_cls": 1} and s["n_pred_not_in_gt"] == 1
    assert s["n_gt_no_task"] == 1 and json.loads((tmp_path / "s.json").read_text())["n_pred_other_task"]
    out = capsys.readouterr().out
    assert "note: 1 prediction names a task that is no rsvlm task ({'scene_cls': 1}); it is scored" in out
    assert "note: 1 ground-truth record has no task" in out
    gt = write_jsonl(tmp_path / "gt.jsonl", [untasked])  # nothing of an rsvlm task left: refused, the untasked counted
    with pytest.raises(ScoreError, match=r"gt.jsonl: no records of task cls \(found \{'None': 1\}\)"):
        classification.main(["--gt", gt, "--pred", pred])


def test_a_resumed_answer_without_an_asked_digest_is_asked_again_and_counted(tmp_path, monkeypatch, capsys):
    from test_eval_ranks51 import StandIn, records_file

    from rsvlm import evaluate
    from rsvlm.predictions import asked_digest

    model = StandIn(monkeypatch)
    data, out = records_file(tmp_path, 4), tmp_path / "p.jsonl"
    recs = {r["id"]: evaluate.tagged_record(r)[0] for r in map(json.loads, data.read_text().splitlines())}
    write_jsonl(out, [{"id": "r0", "task": "cls", "answer": "old"},  # an older rsvlm eval's: asked what?
                 {"id": "r1", "task": "cls", "answer": "old", "asked_digest": asked_digest(recs["r1"])},
                 {"id": "r2", "task": "cls", "answer": "old", "asked_digest": "0" * 16},  # asked otherwise
                 {"id": "r2", "task": "cls", "answer": "older"}])  # and no digest: not an answer to it either
    write_jsonl(tmp_path / "p.jsonl.rank1", [{"id": "r3", "task": "cls", "answer": "old"}])  # a 2-process run's part
    evaluate.run(None, None, data, out, batch_size=4, progress=False)
    err = capsys.readouterr().err
    # were kept: answers that cannot be checked against what their records ask now
    assert 'rsvlm eval: 3 records were answered without an "asked_digest" (by an older rsvlm eval, or another ' \
           "tool; first: r0)" in err
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert sorted(model.asked) == ["r0", "r2", "r3"]
    assert {r["id"]: r["answer"] for r in rows} == {"r0": "run 1", "r1": "old", "r2": "run 1", "r3": "run 1"}
    assert len(rows) == 4  # the scorers take an id's first line: the old one was left before the new


def test_the_stamp_counts_as_unchecked_only_the_answers_kept(tmp_path, monkeypatch, capsys):
    from rsvlm import evaluate
    from rsvlm.cli import main
    from rsvlm.predictions import asked_digest

    model = tmp_path / "model"
    model.mkdir()
    (model / "config.yaml").write_text("{}\n")
    recs = [eval_record(f"r{i}", "cls", "[cls] What scene?", "lake") for i in range(2)]
    data, out = write_jsonl(tmp_path / "test.jsonl", recs), tmp_path / "p.jsonl"
    write_jsonl(out, [{"id": "r0", "task": "cls", "answer": "old"}])  # another tool's, no OUT.run.json
    stamps = []
    monkeypatch.setattr(evaluate, "_answer", lambda args, rank, world, device, model_dir, stamp, *a: stamps.append(
        stamp) and 0)
    assert main(["eval", "--data", data, "--out", str(out), "--model", str(model)]) == 0
    # was: "kept as they are, unchecked" and unchecked_answers 1, for an answer the run then asks again
    assert "unchecked_answers" not in stamps[0] and "warning" not in capsys.readouterr().err
    r1 = {"id": "r1", "task": "cls", "answer": "old", "asked_digest": asked_digest(evaluate.tagged_record(recs[1])[0])}
    write_jsonl(out, [{"id": "r0", "task": "cls", "answer": "old"}, r1])
    main(["eval", "--data", data, "--out", str(out), "--model", str(model)])
    assert stamps[1]["unchecked_answers"] == 1  # r1, kept: it answers what is asked, by a model no stamp names
    assert '(1 of them, not shown by an "asked_digest" to answer what is asked now, are answered again)' \
        in capsys.readouterr().err
    write_jsonl(out, [{"id": "r0", "task": "cls", "answer": "old"}, {**r1, "asked_digest": "a stale digest"}])
    main(["eval", "--data", data, "--out", str(out), "--model", str(model)])
    assert "unchecked_answers" not in stamps[2]  # was 1: r1's stale answer counted unchecked though asked again


def test_a_pred_file_that_is_the_gt_file_or_records_is_refused(tmp_path):
    from eval import counting
    from eval.common import ScoreError

    recs = [eval_record(i, "count", "[count] How many ships?", "3") for i in "ab"]
    gt = write_jsonl(tmp_path / "gt.jsonl", recs)
    with pytest.raises(ScoreError, match=r"--pred .*gt.jsonl is the --gt file: give the predictions"):
        counting.main(["--gt", gt, "--pred", gt])  # was scored: every record unparseable, 0.0 written to --out
    copy = write_jsonl(tmp_path / "copy.jsonl", recs)
    with pytest.raises(ScoreError, match=r"copy.jsonl holds records \(conversations\), not predictions"):
        counting.main(["--gt", gt, "--pred", copy])


def test_a_repeated_id_of_another_task_is_not_said_to_be_scored_here(tmp_path):
    from eval import classification, counting

    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record("c", "cls", "[cls] What?", "lake"),
                                        eval_record("n", "count", "[count] How many?", "3")])
    pred = write_jsonl(tmp_path / "pred.jsonl", [{"id": "c", "task": "cls", "answer": "lake"},
                                           {"id": "n", "task": "count", "answer": "3"},
                                           {"id": "c", "task": "cls", "answer": "forest"}])  # a second run's
    s = counting.main(["--gt", gt, "--pred", pred])
    # was: "1 id(s) repeated with another answer than their first line's, which is the one scored (first: c)"
    assert s["n_pred_duplicate_ids_differing"] == 0 and not any("repeated" in n for n in s["notes"])
    s = classification.main(["--gt", gt, "--pred", pred])
    assert s["n_pred_duplicate_ids_differing"] == 1 and any("(first: c)" in n for n in s["notes"])


@pytest.mark.parametrize("encode", [
    lambda t: t.encode("utf-16"),  # PowerShell's `python tool.py > pred.jsonl`: UTF-16 with its BOM
    lambda t: t.replace("\n", "\r").encode(),  # bare CRs: an old Mac's line ends
    lambda t: b"\xef\xbb\xbf" + t.replace("\n", "\r\n").encode()])  # a Windows editor's BOM and CRLF
def test_predictions_in_windows_encodings_and_line_ends_are_read(tmp_path, encode):
    from eval import classification

    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record(i, "cls", "[cls] What scene?", "lake") for i in "ab"])
    pred = tmp_path / "pred.jsonl"
    pred.write_bytes(encode("".join(json.dumps({"id": i, "task": "cls", "answer": a}) + "\n"
                                    for i, a in (("a", "lake"), ("b", "forest")))))
    s = classification.main(["--gt", gt, "--pred", str(pred)])
    # were: "not UTF-8 text", and every line glued into one unreadable line; every record missing
    assert s["n_correct"] == 1 and s["n_missing"] == 0 and s["n_pred_bad_lines"] == 0


def test_a_prediction_whose_id_is_null_is_an_unreadable_line_not_the_id_none(tmp_path):
    from eval import classification

    rec = eval_record("None", "cls", "[cls] What scene?", "lake")
    gt = write_jsonl(tmp_path / "gt.jsonl", [rec])
    pred = write_jsonl(tmp_path / "pred.jsonl", [{"id": None, "task": "cls", "answer": "lake"},
                                           {"id": ["None"], "task": "cls", "answer": "lake"}])
    s = classification.main(["--gt", gt, "--pred", pred])
    assert s["n_missing"] == 1 and s["n_pred_bad_lines"] == 2  # was: scored as record "None"'s answer
    assert any("pred.jsonl:1: 'id' is null, not a string" in n for n in s["notes"])


def test_objects_that_disagree_with_their_answer_are_said(tmp_path):
    from eval import detection

    box = "<ref>ship</ref><box><loc_100><loc_100><loc_200><loc_200></box>"
    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record(i, "det", "[det] Find the ships.", box) for i in "ab"])
    obj = {"kind": "box", "label": "ship", "coords": [100.5, 100.5, 200.5, 200.5], "score": 0.9}
    pred = write_jsonl(tmp_path / "pred.jsonl", [{"id": "a", "task": "det", "answer": box, "objects": []},  # a hand edit
                                           {"id": "b", "task": "det", "answer": box, "objects": [obj]}])
    s = detection.main(["--gt", gt, "--pred", pred])
    # was scored as finding nothing in "a" without a word
    assert any(n.startswith("1 prediction gives 'objects' of another count than its answer reads as (first: a: 0 "
                            "in 'objects', 1 in 'answer')") for n in s["notes"])


def test_two_appended_runs_are_scored_in_time_linear_in_the_records(tmp_path, monkeypatch):
    """The note on repeated ids built the set of scored ids anew for each repeated id: a file of two runs
    appended (every id repeated, answered otherwise) took O(records²); 20 000 records ran past 5 minutes."""
    from eval import classification
    from eval.inputs import Item

    n, reads = 400, [0]

    def counted(self):
        reads[0] += 1
        return self.record["id"]

    monkeypatch.setattr(Item, "id", property(counted))
    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record(f"r{i}", "cls", "[cls] What scene?", "lake") for i in range(n)])
    pred = write_jsonl(tmp_path / "pred.jsonl", [{"id": f"r{i}", "task": "cls", "answer": a}
                                           for a in ("lake", "forest") for i in range(n)])
    s = classification.main(["--gt", gt, "--pred", pred])
    assert s["n_pred_duplicate_ids_differing"] == n and s["accuracy"] == 1.0
    assert reads[0] < 50 * n  # was over n² (160 000)


def test_reading_two_appended_runs_lists_each_differing_id_once_in_order(tmp_path):
    """``load_predictions`` keeps a set beside its list of ids answered otherwise (the list's ``in`` made 40 000
    records appended twice take 39 s to read); the list keeps its order and each id once. Speed is not asserted
    here (no timed tests): 1eb5c67's message has the figures."""
    from eval.inputs import load_predictions

    n = 2000
    pred = write_jsonl(tmp_path / "pred.jsonl", [{"id": f"r{i}", "answer": a} for a in ("lake", "forest") for i in range(n)]
                  + [{"id": "r0", "answer": "lake again"}])  # repeated twice: listed once
    preds = load_predictions(pred)
    assert preds.differing[:2] == ["r0", "r1"] and len(preds.differing) == n and preds.n_duplicates == n + 1
