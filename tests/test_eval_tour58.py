"""Tour 58 of the scoring scripts (``eval/``) and ``rsvlm eval``: odd but legitimate input and bad input."""

from __future__ import annotations

import json

import pytest
from conftest import eval_record, write_jsonl

from eval import foreign


@pytest.mark.parametrize("fmt,answer", [("geochat", "<p>ship</p>{<50><40><10><20>}"),
                                        ("falcon", "<ref>ship</ref><box><500><400><100><200></box>")])
def test_a_foreign_box_given_corner_reversed_is_put_in_order_and_said(fmt, answer):
    from rsvlm import geometry

    assert foreign.ordered_box is geometry.ordered_box  # was a copy of its own (sorted, min/max)
    (obj,), problems = foreign.decode(answer, 1000, 1000, fmt)
    x1, y1, x2, y2 = obj["coords"]
    assert x1 < x2 and y1 < y2 and abs(x1 - 100) < 1 and abs(y2 - 400) < 1
    # was swapped without a word, where rsvlm's own decoder calls it a problem (the answer partially parsed)
    assert len(problems) == 1 and "swapped" in problems[0]




def test_predictions_given_as_one_json_array_are_scored_and_said(tmp_path):
    from eval import classification

    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record(i, "cls", "[cls] What scene?", "lake") for i in "ab"])
    pred = tmp_path / "pred.json"  # LLaVA-style tools write their answers as one array
    pred.write_text(json.dumps([{"id": "a", "task": "cls", "answer": "lake"}, {"id": "b", "task": "cls", "answer": "lake"},
                                "stray", {"task": "cls"}], indent=1))
    got = classification.main(["--gt", gt, "--pred", str(pred)])  # was: refused, "predictions are JSONL"
    assert got["accuracy"] == 1.0 and got["n_missing"] == 0
    assert got["n_pred_bad_lines"] == 2  # the items that are no prediction: counted, named by index
    assert any("pred.json:item 2: not an object with an 'id'" in n for n in got["notes"])
    assert any("is one JSON array, read item by item" in n for n in got["notes"])


def _box_answer(kind: str, coords, label="ship") -> str:
    from rsvlm import geometry

    return geometry.encode([{"kind": kind, "label": label, "coords": coords}], width=1000, height=1000)


def test_detection_clips_predicted_boxes_to_the_image_as_grounding_does(tmp_path):
    from eval import detection, grounding

    gt = write_jsonl(tmp_path / "gt.jsonl", [
        eval_record("h", "det", "[det] Detect every ship.", _box_answer("box", [0, 100, 100, 200])),
        eval_record("o", "det", "[det] Detect every ship. Use oriented boxes.",
                _box_answer("obb", [[0, 300], [100, 300], [100, 400], [0, 400]])),
        eval_record("g", "ground", "[ground] the ship", _box_answer("box", [0, 100, 100, 200]))])
    past = {"kind": "box", "label": "ship", "coords": [-150, 100, 100, 200]}  # a pixel tool's box past the left edge
    pred = write_jsonl(tmp_path / "pred.jsonl", [
        {"id": "h", "task": "det", "answer": "", "objects": [past]},
        {"id": "o", "task": "det", "answer": "",
         "objects": [{"kind": "obb", "label": "ship", "coords": [[-150, 300], [100, 300], [100, 400], [-150, 400]]}]},
        {"id": "g", "task": "ground", "answer": "", "objects": [past]}])
    assert grounding.main(["--gt", gt, "--pred", pred])["acc50"] == 1.0
    got = detection.main(["--gt", gt, "--pred", pred])
    # unclipped, IoU 0.4 on both: a miss in detection where grounding found the ship
    assert got["mAP50"] == pytest.approx(1.0) and got["mAP50_obb"] == pytest.approx(1.0)


def test_a_zero_area_obb_reference_is_scored_one_bin_wide_as_a_zero_width_box_is(tmp_path):
    from eval import detection, grounding
    from eval.regions import one_bin_wide

    flat = [[100.0, 50.0], [300.0, 50.0], [300.0, 50.0], [100.0, 50.0]]  # along x: as a box of zero height
    (box,), (obb,) = (one_bin_wide([{"kind": k, "coords": c}], 4000, 2000)
                      for k, c in (("box", [100.0, 50.0, 300.0, 50.0]), ("obb", flat)))
    x1, y1, x2, y2 = box["coords"]
    assert sorted(map(tuple, obb["coords"])) == sorted([(x1, y1), (x2, y1), (x2, y2), (x1, y2)])
    # a thin ship on the diagonal, its corners decoded onto one line: its own copy matched nothing (IoU 0 / 0)
    line = _box_answer("obb", [[100, 100], [300, 300], [300, 300], [100, 100]])
    gt = write_jsonl(tmp_path / "gt.jsonl", [
        eval_record("o", "det", "[det] Detect every ship. Use oriented boxes.", line),
        eval_record("g", "ground", "[ground] the thin ship", line)])
    pred = write_jsonl(tmp_path / "pred.jsonl", [{"id": i, "task": t, "answer": line} for i, t in (("o", "det"), ("g", "ground"))])
    assert detection.main(["--gt", gt, "--pred", pred])["mAP50_obb"] == pytest.approx(1.0)  # was 0
    assert grounding.main(["--gt", gt, "--pred", pred])["acc50"] == 1.0  # was 0


def test_a_row_answered_before_tags_were_put_as_learnt_is_asked_again(ckpt, tmp_path, capsys):
    import numpy as np
    from PIL import Image

    from rsvlm.cli import main
    from rsvlm.predictions import asked_digest

    Image.fromarray(np.zeros((32, 32, 3), dtype=np.uint8)).save(tmp_path / "a.png")
    recs = [{**eval_record(i, "cls", q, "lake"), "images": [{"path": "a.png", "modality": "optical"}]}
            for i, q in (("loud", "[CLS]What scene?"), ("plain", "[cls] What scene?"))]
    data = write_jsonl(tmp_path / "test.jsonl", recs)
    # what rsvlm eval wrote before it put tags as the model learnt them: "[CLS]What scene?" asked as written
    out = tmp_path / "pred.jsonl"
    write_jsonl(out, [{"id": r["id"], "task": "cls", "answer": "old", "asked_digest": asked_digest(r)} for r in recs])
    assert main(["eval", "--data", data, "--out", str(out), "--max-new-tokens", "2", "--model", str(ckpt)]) == 0
    rows = {r["id"]: r for r in map(json.loads, out.read_text().splitlines())}
    assert rows["plain"]["answer"] == "old"  # asked the same then and now: kept
    assert rows["loud"]["answer"] != "old"  # was kept: the answer to "[CLS]What scene?" read as plain text
    assert "1 record asks otherwise than when answered" in capsys.readouterr().err


def test_an_out_that_cannot_be_written_is_refused_before_scoring(tmp_path, monkeypatch, capsys):
    import tempfile

    from eval import classification, common

    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record("a", "cls", "[cls] What scene?", "lake")])
    pred = write_jsonl(tmp_path / "pred.jsonl", [{"id": "a", "task": "cls", "answer": "lake"}])
    with pytest.raises(common.ScoreError, match=r"cannot create its folder: .*gt.jsonl is a file"):  # was "Not a directory"
        classification.main(["--gt", gt, "--pred", pred, "--out", f"{gt}/scores/s.json"])

    def denied(*a, **k):  # a folder the user may not write in (root writes in any, so it is played here)
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "TemporaryFile", denied)
    with pytest.raises(common.ScoreError, match=r"cannot write a file in .* \(Permission denied\)"):
        classification.main(["--gt", gt, "--pred", pred, "--out", str(tmp_path / "s.json")])
    assert "modality" not in capsys.readouterr().out  # was found after scoring, naming a temp file


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), True, 0.5])
def test_a_reference_size_that_is_no_pixel_count_is_named_not_a_traceback(tmp_path, bad):
    from eval import common, grounding
    from rsvlm.evaluate import scored_objects

    rec = eval_record("a", "ground", "[ground] the ship", _box_answer("box", [0, 100, 100, 200]))
    rec["meta"]["width"] = bad  # JSON reads NaN and Infinity
    gt = write_jsonl(tmp_path / "gt.jsonl", [rec])
    pred = write_jsonl(tmp_path / "pred.jsonl", [{"id": "a", "task": "ground", "answer": rec["conversations"][1]["value"]}])
    # was ValueError, OverflowError; a NaN or Infinity line is no JSON, refused as read (stop 79), naming its line
    said = r"gt\.jsonl:1: not valid JSON \((NaN|Infinity) is not JSON" if bad != bad or bad == float("inf") \
        else "record 'a': meta.width/meta.height"
    with pytest.raises(common.ScoreError, match=said):
        grounding.main(["--gt", gt, "--pred", pred])
    assert scored_objects(rec["conversations"][1]["value"], [0.9], rec) == {}  # rsvlm eval's run stopped on inf


def test_objects_that_are_not_finite_name_the_first_bad_one(tmp_path):
    from eval import detection

    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record("a", "det", "[det] Detect every ship.", _box_answer("box", [0, 100, 100, 200]))])
    objs = [{"kind": "box", "label": "ship", "coords": [0, 100, 100, 200]}, {"kind": "box", "coords": [1, float("inf"), 2, 3]}]
    pred = tmp_path / "pred.jsonl"  # a number too large (1e999: inf as json reads it); a NaN literal is no JSON (stop 80)
    pred.write_text(json.dumps({"id": "a", "task": "det", "answer": "", "objects": objs}).replace("Infinity", "1e999") + "\n")
    got = detection.main(["--gt", gt, "--pred", str(pred)])
    assert got["n_unparseable"] == 1
    assert any('(object 1: {"kind": "box", "coords": [1, Infinity, 2, 3]})' in n for n in got["notes"])  # was: no object named


def test_rsvlm_eval_refuses_an_out_it_cannot_write_before_the_model_loads(tmp_path, monkeypatch, capsys):
    import tempfile

    from rsvlm.cli import main

    data = write_jsonl(tmp_path / "test.jsonl", [eval_record("a", "cls", "[cls] What scene?", "lake")])

    def denied(*a, **k):  # a read-only mount (root passes os.access, so check_out let it through)
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "TemporaryFile", denied)
    out = tmp_path / "new" / "pred.jsonl"
    assert main(["eval", "--data", data, "--out", str(out), "--model", str(tmp_path / "no-model")]) == 2
    assert f"--out {out}: cannot write a file in {tmp_path} (Permission denied)" in capsys.readouterr().err
    assert not (tmp_path / "new").exists()  # was a traceback writing pred.jsonl.run.json, after the model loaded


def test_predictions_given_as_one_json_object_are_refused_saying_what_to_do(tmp_path):
    from eval import classification, common

    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record(i, "cls", "[cls] What scene?", "lake") for i in "ab"])
    pred = tmp_path / "pred.json"
    pred.write_text(json.dumps({"a": "lake", "b": "lake"}, indent=1))  # an {id: answer} mapping, pretty-printed
    with pytest.raises(common.ScoreError, match=r"pred.json is one JSON object, not JSONL: .*jq -c 'to_entries"):
        classification.main(["--gt", gt, "--pred", str(pred)])  # was: 4 unreadable lines, every record missing
    write_jsonl(pred, [{"id": "a", "task": "cls", "answer": "lake"}])  # one prediction alone is JSONL of one line
    assert classification.main(["--gt", gt, "--pred", str(pred)])["n_missing"] == 1


def test_rsvlm_predicts_out_given_as_predictions_says_what_it_is(tmp_path):
    from eval import classification, common

    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record("a", "cls", "[cls] What scene?", "lake")])
    pred = tmp_path / "predict.json"  # rsvlm predict --out: one image's answer, indented
    pred.write_text(json.dumps({"answer": "lake", "text": "lake", "objects": [], "problems": [], "task": "cls",
                                "prompt": "[cls] What type of scene is this?", "notes": []}, indent=1))
    with pytest.raises(common.ScoreError, match=r"rsvlm predict's --out, one image's answer: .*rsvlm eval --data"):
        classification.main(["--gt", gt, "--pred", str(pred)])
