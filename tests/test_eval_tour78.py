"""Stop 78, eval: a prediction of a ground-truth record skipped for a bad field (its id read) counts as given for that
record, not as naming no record; the half-skipped refusal is decided per task too (a task whose own records are
broken beside sound ones was scored on what was left); the skipped counts add up."""

from __future__ import annotations

import gzip
import json

import pytest
from conftest import eval_record, write_jsonl

BOX = "<ref>ship</ref><box><loc_1><loc_1><loc_9><loc_9></box>"
BAD_BOX = "<box><loc_1></box>"


def _vqa(rid: str) -> dict:
    return eval_record(rid, "vqa", "[vqa] Is there a ship?", "yes")


def _bad_counts(s: dict) -> int:
    """The skipped records' kinds, summed: each is counted once."""
    return sum(s[k] for k in ("n_gt_bad_references", "n_gt_bad_shapes", "n_gt_bad_blind", "n_gt_bad_fields"))


@pytest.mark.parametrize("pack", ["jsonl", "gz", "array"])
def test_a_bad_fields_prediction_is_counted_with_its_skipped_record(tmp_path, capsys, pack):
    """Eight sound vqa records, one without conversations (id read), one not JSON (id unread), one blind: the first's
    prediction was in n_pred_not_in_gt ('names no record'); the zz prediction, of no record, still is. A JSON array
    or a gzip file is read again as the reader read it."""
    from eval import vqa

    rows = [json.dumps(_vqa(i)) for i in "abcdefgh"] + [json.dumps({"id": "x", "task": "vqa", "images": ["x.png"]})]
    blind = _vqa("y")
    blind["conversations"] = blind["conversations"][:1]
    rows.append(json.dumps(blind))
    text = "[" + ",\n".join(rows) + "]\n" if pack == "array" else "\n".join(rows[:3] + ["{not json"] + rows[3:]) + "\n"
    gt = tmp_path / ("gt.jsonl.gz" if pack == "gz" else "gt.jsonl")
    gt.write_bytes(gzip.compress(text.encode()) if pack == "gz" else text.encode())
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": i, "task": "vqa", "answer": "yes"} for i in [*"abcdefghxy", "zz"]])
    s = vqa.main(["--gt", str(gt), "--pred", pred])
    unread = 0 if pack == "array" else 1
    assert (s["n_gt_bad_fields"], s["n_gt_bad_blind"], s["n_gt_bad_records"]) == (1, 1, 2 + unread)
    assert s["n_gt_bad_records"] - _bad_counts(s) == unread  # the not-JSON line: its id unread
    assert (s["n_pred_not_in_gt"], s["first_ids"]["n_pred_not_in_gt"]) == (1, "zz")
    out = capsys.readouterr().out
    assert ("nor 2 predictions given for " + ("them" if pack == "array" else "the 2 whose ids were read")) in out
    assert "note: 1 prediction names no record of the ground truth as read" in out or pack == "array"


def test_a_file_without_such_records_is_not_read_again(tmp_path, monkeypatch):
    """Only invalid JSON skipped: no id to find, so the file is not parsed a second time."""
    from eval import gt_skips, vqa

    gt = tmp_path / "gt.jsonl"
    gt.write_text("".join(json.dumps(_vqa(i)) + "\n" for i in "abcd") + "{not json\n")
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": i, "task": "vqa", "answer": "yes"} for i in "abcd"])
    monkeypatch.setattr(gt_skips, "reader_skips", lambda *a: pytest.fail("read again"))
    assert vqa.main(["--gt", str(gt), "--pred", pred])["n_gt_bad_records"] == 1


def test_a_task_broken_beside_sound_ones_is_refused_in_a_multi_task_scorer(tmp_path):
    """Captioning scores cap, regcap and change: ten sound cap records beside four regcap ones missing their
    conversations (4 of 14: under the whole file's half) scored the ten as the set, the regcap ones a note's count."""
    from eval import captioning
    from eval.inputs import MalformedGT

    recs = [eval_record(f"c{i}", "cap", "[cap] Describe the image.", "a harbour with ships") for i in range(10)]
    recs += [{"id": f"r{i}", "task": "regcap", "images": [f"r{i}.png"]} for i in range(4)]
    gt = write_jsonl(tmp_path / "gt.jsonl", recs)
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": r["id"], "task": r["task"], "answer": "ships"} for r in recs])
    with pytest.raises(MalformedGT, match=r"gt\.jsonl: every one of its 4 regcap records is skipped \(bad field "
                                          r"conversations: 4\), 50% or more of the task's, where the file as a whole is "
                                          r"not: the cap records alone would be scored; .* First: .*gt\.jsonl:11 "):
        captioning.main(["--gt", gt, "--pred", pred, "--no-java"])


@pytest.mark.parametrize("n_bad,refused", [(3, True), (1, False)])
def test_a_task_half_of_whose_records_are_bad_is_refused_though_the_file_is_sound(tmp_path, n_bad, refused):
    """Ten vqa records, one sound det one and three of bad shape: eval.detection scored the one (3 of 14 skipped:
    under the file's half); 3 of 4 det records is the task's half, refused; 1 of 4 is scored, counted."""
    from eval import detection
    from eval.inputs import MalformedGT

    recs = [_vqa(f"v{i}") for i in range(10)]
    recs += [eval_record(f"d{i}", "det", "[det] Find the ships.", BAD_BOX if i < n_bad else BOX) for i in range(4)]
    gt = write_jsonl(tmp_path / "gt.jsonl", recs)
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": f"d{i}", "task": "det", "answer": BOX} for i in range(4)])
    if refused:
        with pytest.raises(MalformedGT, match=r"3 of its 4 det records are skipped \(bad field conversations\[\]\.value: 3\), .*"
                                              r"scoring the other 1 would pass it off as the task's score"):
            detection.main(["--gt", gt, "--pred", pred])
        return
    s = detection.main(["--gt", gt, "--pred", pred])
    assert (s["n_records"], s["n_gt_bad_shapes"], s["n_gt_bad_records"], s["n_pred_not_in_gt"]) == (3, 1, 1, 0)


def test_a_task_all_skipped_alone_keeps_its_no_records_error(tmp_path):
    """Every det record bad, no other det ones: the scorer's 'no records of task det' error, naming the skipped,
    as before (test_eval_review76b pins its words)."""
    from eval import detection
    from eval.inputs import MalformedGT, ScoreError

    recs = [_vqa(f"v{i}") for i in range(10)] + [eval_record("d0", "det", "[det] Find the ships.", BAD_BOX)]
    gt = write_jsonl(tmp_path / "gt.jsonl", recs)
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": "d0", "task": "det", "answer": BOX}])
    with pytest.raises(ScoreError, match="no records of task det") as e:
        detection.main(["--gt", gt, "--pred", pred])
    assert not isinstance(e.value, MalformedGT)


FALCON = "<ref>ship</ref><box><100><100><500><500></box>"


def test_a_falcon_set_is_told_the_rewrite_that_scores_it(tmp_path):
    """A det set whose references are Falcon's was refused with GeoChat's converter named (data_gen convert llava,
    which reads no Falcon box); no converter reads Falcon's, so the error gives the library rewrite, and that rewrite,
    run as written, gives a set that scores."""
    from eval import detection
    from eval.foreign import decode_falcon
    from eval.inputs import ScoreError
    from rsvlm.geometry import encode

    recs = [eval_record(f"d{i}", "det", "[det] Find the ships.", FALCON) for i in range(3)]
    gt = write_jsonl(tmp_path / "gt.jsonl", recs)
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": r["id"], "task": "det", "answer": FALCON} for r in recs])
    with pytest.raises(ScoreError) as e:
        detection.main(["--gt", gt, "--pred", pred, "--format", "falcon"])
    said = str(e.value)
    assert "in Falcon form" in said and "convert llava" not in said
    assert "rsvlm.geometry.encode(eval.foreign.decode_falcon(answer, width, height)[0], width, height)" in said
    for r in recs:
        r["conversations"][-1]["value"] = encode(decode_falcon(FALCON, 1000, 1000)[0], 1000, 1000)
    s = detection.main(["--gt", write_jsonl(tmp_path / "gt2.jsonl", recs), "--pred", pred, "--format", "falcon"])
    assert (s["n_records"], s["n_gt_bad_records"], s["mAP50"]) == (3, 0, 1.0)


def test_a_falcon_reference_among_sound_ones_names_the_rewrite():
    from eval.answers import foreign_reference
    from eval.inputs import BadReference

    with pytest.raises(BadReference, match=r"no converter reads Falcon's sets: rewrite it with rsvlm\.geometry\.encode"):
        foreign_reference(eval_record("f", "det", "[det] Find the ships.", FALCON))


def test_a_file_refused_for_falcon_references_leads_with_the_rewrite(tmp_path):
    from eval import detection
    from eval.inputs import MalformedGT

    recs = [eval_record("ok", "det", "[det] Find the ships.", BOX)]
    recs += [eval_record(f"f{i}", "det", "[det] Find the ships.", FALCON) for i in range(2)]
    gt = write_jsonl(tmp_path / "gt.jsonl", recs)
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": "ok", "task": "det", "answer": BOX}])
    with pytest.raises(MalformedGT, match=r"gt\.jsonl: 2 references are in Falcon form .*decode_falcon"):
        detection.main(["--gt", gt, "--pred", pred])


@pytest.mark.parametrize("second,differs", [
    ("<ref>ship</ref><box><loc_2><loc_1><loc_9><loc_10></box>", False),  # each a bin apart at most: one answer
    ("<ref>ship</ref><box><loc_3><loc_1><loc_9><loc_9></box>", True),  # two bins
    ("<ref>boat</ref><box><loc_1><loc_1><loc_9><loc_9></box>", True),  # another label
    ("<ref>ship</ref><box><loc_1><loc_1><loc_9><loc_9></box><box><loc_1><loc_1><loc_9><loc_9></box>", True),
])
def test_a_repeated_answer_one_bin_apart_is_not_said_to_differ(tmp_path, second, differs):
    """Two runs' lines of one id, compared as text: a box one bin apart (a GPU's rounding) was 'repeated with another
    answer'; locations are now compared as numbers, a bin apart or less the same."""
    from eval.inputs import load_predictions

    p = write_jsonl(tmp_path / "p.jsonl", [{"id": "a", "answer": BOX}, {"id": "a", "answer": second}])
    got = load_predictions(p)
    assert (got.n_duplicates, got.differing) == (1, ["a"] if differs else [])


def test_repeated_objects_a_pixel_apart_are_one_answer():
    from eval.pred_file import same_answer

    box = {"kind": "box", "coords": [10, 10, 50, 50], "label": "ship"}
    assert same_answer({"objects": [box]}, {"objects": [{**box, "coords": [10.6, 9.2, 50, 51]}]})
    assert not same_answer({"objects": [box]}, {"objects": [{**box, "coords": [12, 10, 50, 50]}]})
    assert not same_answer({"objects": [box]}, {"objects": [{**box, "label": "boat"}]})
    assert not same_answer({"answer": "yes"}, {"answer": "no"}) and same_answer({"answer": "yes"}, {"answer": "yes"})


POLY = "<poly><loc_100><loc_100><loc_500><loc_100><loc_500><loc_500></poly>"
REFS = {"cls": "harbor", "vqa": "yes", "count": "3", "cap": "a harbour with ships", "det": BOX, "ground": BOX,
        "seg": f"<ref>building</ref>{POLY}", "change": POLY}
SCRIPTS = {"cls": "classification", "vqa": "vqa", "count": "counting", "cap": "captioning", "det": "detection",
           "ground": "grounding", "seg": "segmentation", "change": "change"}


def task_record(rid: str, task: str) -> dict:
    """A sound record of ``task`` answered with its ``REFS`` reference (a change record of two images)."""
    r = eval_record(rid, task, f"[{task}] Answer.", REFS[task])
    if task == "change":
        r["images"] *= 2
        r["conversations"][0]["value"] = "<image><image>\n[change] Segment the change."
    return r


def _tour_set(tmp_path) -> tuple[str, str, int]:
    """Four sound records of every task, a bad-field record of each (its id read), a blind one, a line not JSON; a
    prediction of each record and of the broken ones, with broken lines of each kind: (gt, pred, its lines)."""
    gt, preds = [], []
    for t in REFS:
        gt += [json.dumps(task_record(f"{t}{i}", t)) for i in range(4)]
        gt.append(json.dumps({"id": f"{t}_bad", "task": t, "images": [f"{t}.png"]}))
        preds += [{"id": f"{t}{i}", "task": t, "answer": REFS[t]} for i in [0, 1, 2, 3, "_bad"]]
    blind = task_record("blind", "vqa")
    blind["conversations"] = blind["conversations"][:1]
    gt += [json.dumps(blind), "{not json"]
    lines = [json.dumps(p) for p in preds + [{"id": "blind", "task": "vqa", "answer": "yes"}]]
    lines += ["{not json", json.dumps({"answer": "no id"}), "[1, 2]", lines[0], json.dumps({**preds[6], "answer": "no"}),
              json.dumps({"id": "zz", "task": "vqa", "answer": "yes"}), ""]
    (tmp_path / "gt.jsonl").write_text("\n".join(gt) + "\n")
    (tmp_path / "p.jsonl").write_text("\n".join(lines) + "\n")
    return str(tmp_path / "gt.jsonl"), str(tmp_path / "p.jsonl"), sum(bool(line) for line in lines)


@pytest.mark.parametrize("task", list(SCRIPTS))
def test_every_line_of_the_predictions_is_accounted_for(tmp_path, capsys, task):
    """The tour: every scorer on a set with broken lines of each kind. Its score file counted the scored task's lines
    alone: another task's predictions, those for skipped records and the other tasks' repeats went uncounted, so
    nothing added up to the file. n_pred_lines and the line under the table now do, in every script; a broken change
    record is no reason for captioning, which scores worded ones alone, to refuse a set of change maps."""
    import importlib

    gt, pred, n_lines = _tour_set(tmp_path)
    argv = ["--gt", gt, "--pred", pred] + (["--no-java"] if task == "cap" else [])
    s = importlib.import_module(f"eval.{SCRIPTS[task]}").main(argv)
    scored = s["n_records"] - s["n_missing"]
    assert s["n_pred_lines"] == n_lines == 47
    repeats = 2  # cls0's line again, vqa1's with another answer
    assert (scored + s["n_pred_other_records"] + s["n_pred_skipped_records"] + s["n_pred_not_in_gt"]
            + s["n_pred_bad_lines"] + repeats) == n_lines
    assert (scored, s["n_pred_other_records"], s["n_pred_skipped_records"], s["n_pred_not_in_gt"],
            s["n_pred_bad_lines"]) == (4, 28, 9, 1, 3)
    assert (s["n_gt_bad_records"], s["n_gt_bad_fields"], s["n_gt_bad_blind"]) == (10, 8, 1)
    said = (f"the 47 lines of the predictions file: {scored} scored, {s['n_pred_other_records']} for records not "
            "scored here (n_pred_other_records), 9 for records skipped from the ground truth, 1 naming no record, "
            "3 unreadable, 2 repeating an id")
    assert f"note: {said}\n" in capsys.readouterr().out
