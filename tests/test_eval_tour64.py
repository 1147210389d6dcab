"""Tour 64 of evaluation: what a demanding user tried of the scorers' inputs."""

from __future__ import annotations

import pytest
from conftest import eval_record, one_stream_closed, write_jsonl


def test_an_id_written_otherwise_is_named_as_such(tmp_path):
    """A prediction whose id is a record's but for a trailing space, case or an image extension ('c ', 'B',
    'd.png') was counted as naming no record and its record as missing, the notes showing 'first: c' twice with
    no difference to see; a note now pairs them, quoted, and says ids match exactly (the scores are unchanged)."""
    from eval import classification

    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record(r, "cls", "[cls] What scene?", "airport")
                                            for r in ("a", "b", "c", "d", "e")])
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": i, "answer": "airport"} for i in ("a", "c ", "B", "d.png", "zz")])
    s = classification.main(["--gt", gt, "--pred", pred])
    assert s["n_missing"] == 4 and s["n_pred_not_in_gt"] == 4 and s["accuracy"] == 0.2
    (note,) = [n for n in s["notes"] if "written otherwise" in n]
    assert note.startswith("3 predictions name no record") and "(first: 'c ' for 'c'" in note


def test_no_near_id_note_where_ids_differ_otherwise(tmp_path):
    """Predictions of another set's ids (no record's in another form) get no such note."""
    from eval import classification

    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record("a", "cls", "[cls] What scene?", "airport")])
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": "a2", "answer": "airport"}])
    s = classification.main(["--gt", gt, "--pred", pred])
    assert not [n for n in s["notes"] if "written otherwise" in n]


def test_objects_beside_a_blank_answer_are_not_said_to_disagree_with_it(tmp_path):
    """A tool that writes its shapes as 'objects' alone, with "answer": "", got a note on every record that its
    objects were of another count than its answer (2 against 0), 'objects' being scored: a blank answer says no
    count. An answer that does say one is still compared."""
    from eval import detection

    box = "<ref>ship</ref><box><loc_100><loc_100><loc_200><loc_200></box>"
    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record(i, "det", "[det] Find the ships.", box) for i in "ab"])
    obj = {"kind": "box", "label": "ship", "coords": [100.5, 100.5, 200.5, 200.5], "score": 0.9}
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": "a", "answer": " ", "objects": [obj, obj]},
                                             {"id": "b", "answer": "None.", "objects": [obj]}])
    s = detection.main(["--gt", gt, "--pred", pred])
    (note,) = [n for n in s["notes"] if "of another count than" in n]
    assert note.startswith("1 prediction ") and "(first: b: 1 in 'objects', 0 in 'answer')" in note


def test_objects_in_a_coco_or_geojson_layout_are_told_how_to_give_them(tmp_path):
    """'objects' written as a COCO result's {"bbox": [x, y, w, h]} or with GeoJSON's "type" were unparseable with
    "kind None is none of box, point, …" alone: the note now names the key found and the layout to give."""
    from eval import detection

    box = "<ref>ship</ref><box><loc_100><loc_100><loc_200><loc_200></box>"
    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record(i, "det", "[det] Find the ships.", box) for i in "ab"])
    pred = write_jsonl(tmp_path / "p.jsonl", [
        {"id": "a", "answer": "", "objects": [{"bbox": [100, 100, 100, 100], "label": "ship", "score": 0.9}]},
        {"id": "b", "answer": "", "objects": [{"type": "Polygon", "points": [[1, 1], [5, 1], [5, 5]]}]}])
    s = detection.main(["--gt", gt, "--pred", pred])
    assert s["n_unparseable"] == 2
    text = "\n".join(s["notes"])
    assert "its \"bbox\" is COCO's [x, y, width, height]? give {\"kind\": \"box\"" in text
    assert "it has \"type\": \"Polygon\": name the kind under \"kind\"" in text


@pytest.mark.parametrize("out", ["", " ", "scores/"])
def test_an_out_of_no_file_name_is_refused(tmp_path, monkeypatch, capsys, out):
    """--out "$SCORES" with the variable unset ('') scored and wrote nothing, without a word, and --out scores/
    wrote a file named 'scores' (eval.report: 'scores' and 'scores.json'); both are usage errors naming --out,
    before the scoring, and nothing is written."""
    from eval import report, vqa

    monkeypatch.chdir(tmp_path)
    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record("a", "vqa", "[vqa] Is it urban?", "yes")])
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": "a", "answer": "yes"}])
    with pytest.raises(SystemExit) as e:
        vqa.main(["--gt", gt, "--pred", pred, "--out", out])
    said = f"--out {out!r} names no file" if not out.strip() else "--out scores/ ends in '/'"
    assert e.value.code == 2 and said in capsys.readouterr().err
    vqa.main(["--gt", gt, "--pred", pred, "--out", "s.json"])
    with pytest.raises(SystemExit) as e:
        report.main(["--scores", "s.json", "--out", out])
    said = "names no file" if not out.strip() else "such as scores/report.md"
    assert e.value.code == 2 and said in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gt.jsonl", "p.jsonl", "s.json"]


def test_an_empty_gt_or_pred_name_is_said_so(tmp_path, capsys):
    """--pred '' was "predictions file is a folder: ." and --gt '' "records file . is a folder" (an unset
    variable read as the current folder); each is now a usage error saying the option names no file."""
    from eval import vqa

    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record("a", "vqa", "[vqa] Is it urban?", "yes")])
    for argv, said in ((["--gt", gt, "--pred", ""], "--pred '' names no file"), (["--gt", " ", "--pred", gt],
                                                                                   "--gt ' ' names no file")):
        with pytest.raises(SystemExit) as e:
            vqa.main(argv)
        assert e.value.code == 2 and said in capsys.readouterr().err


def test_difficult_flags_per_object_are_refused_not_read_as_indices(tmp_path):
    """meta.difficult written as a 0/1 flag per object ([0, 0, 1], as DOTA's label column holds it) was read as
    the indices {0, 1}: the first two objects left out as difficult, the third, the difficult one, scored. A list
    that repeats an index is now an error naming the record and what it lists."""
    from eval import common, detection

    box = "".join(f"<ref>ship</ref><box><loc_{x}><loc_100><loc_{x + 50}><loc_150></box>" for x in (100, 300, 500))
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": "d", "answer": box}])
    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record("d", "det", "[det] Find the ships.", box, difficult=[0, 0, 1])])
    with pytest.raises(common.ScoreError, match=r"gt.jsonl:1: record 'd': meta.difficult \[0, 0, 1\] repeats an index"):
        detection.main(["--gt", gt, "--pred", pred])
    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record("d", "det", "[det] Find the ships.", box, difficult=[2])])
    s = detection.main(["--gt", gt, "--pred", pred])
    assert s["n_gt_difficult"] == 1 and s["mAP50"] == pytest.approx(1.0)


def test_a_json_boolean_answers_a_yes_no_question(tmp_path):
    """A tool's structured output, "answer": true to "Is it urban?" (reference "Yes"), was unparseable; it reads
    as yes where the reference answers yes or no, and stays unparseable to another question."""
    from eval import vqa

    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record("a", "vqa", "[vqa] Is it urban?", "Yes"),
                                            eval_record("b", "vqa", "[vqa] Is there water?", "No."),
                                            eval_record("c", "vqa", "[vqa] What is the largest class?", "water")])
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": "a", "answer": True}, {"id": "b", "answer": True},
                                             {"id": "c", "answer": False}])
    s = vqa.main(["--gt", gt, "--pred", pred])
    assert s["n_correct"] == 1 and s["n_unparseable"] == 1


def test_every_rsvlm_eval_option_is_documented():
    """--load-4bit and --load-8bit were named in docs/eval-run.md only as run-stamp keys (load_4bit), never as
    options a user gives; every option of `rsvlm eval --help` is now named in docs/eval-run.md or docs/eval.md."""
    import re
    from pathlib import Path

    from rsvlm.cli import build_parser

    docs = Path(__file__).resolve().parent.parent / "docs"
    text = (docs / "eval-run.md").read_text() + (docs / "eval.md").read_text()
    parser = build_parser()
    sub = next(a for a in parser._actions if a.choices and "eval" in a.choices).choices["eval"]
    options = {o for a in sub._actions for o in a.option_strings if o.startswith("--") and o != "--help"}
    assert options and not {o for o in options if not re.search(rf"(?<![\w-]){o}(?![\w-])", text)}


def test_grounding_acc50_takes_any_matching_at_half(tmp_path):
    """Two overlapping references each with a box of its own at IoU >= 0.5 (0.587 and 0.515) were scored wrong:
    the matching of the largest IoU sum (0.587 + 0.486 > 0.543 + 0.515) pairs one at 0.486, and acc50 and the
    object recall read its pairs. A record is right where some one-to-one matching is at 0.5 throughout; the
    record IoU keeps the largest sum."""
    import numpy as np

    from eval import grounding

    def box(x1, y1, x2, y2):
        return {"kind": "box", "coords": [x1, y1, x2, y2]}

    gt = [box(22.2465, 67.6820, 57.2454, 101.8871), box(16.8683, 50.5280, 56.9538, 98.9094)]
    pred = [box(23.0121, 58.3952, 50.8103, 107.8537), box(24.9748, 57.9392, 51.4055, 109.8068)]
    r, ious, hits = grounding.record_iou(gt, pred, (200, 200))
    assert hits == 2 and np.round(sorted(ious), 3).tolist() == [0.486, 0.587] and r == pytest.approx(ious.mean())
    gt_rec = eval_record("g", "ground", "[ground] The two cars.", "None.", width=200, height=200)
    gt_rec["conversations"][1]["value"] = "<ref>cars</ref>" + "".join(
        "<box>" + "".join(f"<loc_{round(v * 5)}>" for v in o["coords"]) + "</box>" for o in gt)
    gt_file = write_jsonl(tmp_path / "gt.jsonl", [gt_rec])
    pred_file = write_jsonl(tmp_path / "p.jsonl", [{"id": "g", "answer": "", "objects": pred}])
    s = grounding.main(["--gt", gt_file, "--pred", pred_file])
    assert s["acc50"] == 1.0 and s["object_recall50"] == 1.0 and s["object_precision50"] == 1.0


def test_an_empty_segmentation_reference_asking_a_class_spelt_otherwise_is_that_class(tmp_path):
    """"Segment the harbours." with the reference "None." in a set whose class is DOTA's 'harbor' asked for no
    class the plural pattern knew: left out of mIoU (unassigned), the shapes drawn there no false positive of
    harbor. It is read as answer_words.label_key reads labels, as detection reads a predicted 'harbours'."""
    from eval import segmentation

    poly = "<poly><loc_100><loc_100><loc_300><loc_100><loc_300><loc_300><loc_100><loc_300></poly>"
    gt = write_jsonl(tmp_path / "gt.jsonl", [
        eval_record("a", "seg", "[seg] Segment the harbors.", f"<ref>harbor</ref>{poly}"),
        eval_record("b", "seg", "[seg] Segment the harbours.", "None.")])
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": "a", "answer": f"<ref>harbor</ref>{poly}"},
                                             {"id": "b", "answer": f"<ref>harbour</ref>{poly}"}])
    s = segmentation.main(["--gt", gt, "--pred", pred])
    assert s["n_empty_references_unassigned"] == 0 and s["mIoU"] == pytest.approx(0.5)


@pytest.mark.parametrize("script,task,ref", [("classification", "cls", "."), ("vqa", "vqa", "-"),
                                             ("vqa", "vqa", "The.")])
def test_a_reference_with_nothing_left_once_normalised_is_an_error(tmp_path, script, task, ref):
    """A classification reference of '.' (a broken conversion) was the class '' (an unnamed row of the confusion
    matrix) that no answer could match, and a VQA one of '-' the same: scored wrong without a word. Each is an
    error naming the file, line and record."""
    import importlib

    from eval import common

    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record("a", task, f"[{task}] What scene?", "airport"),
                                            eval_record("b", task, f"[{task}] What scene?", ref)])
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": "a", "answer": "airport"}, {"id": "b", "answer": "airport"}])
    with pytest.raises(common.ScoreError, match=r"gt.jsonl:2: record 'b': reference answer"):
        importlib.import_module(f"eval.{script}").main(["--gt", gt, "--pred", pred])


def test_answers_under_another_key_are_named(tmp_path):
    """Lines {"id", "response"} (another tool's name for the answer) were told "is it a records file, --gt and
    --pred swapped?"; the note now names the key their text is under and the jq line that renames it."""
    from eval import classification

    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record(r, "cls", "[cls] What scene?", "airport") for r in "ab"])
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": r, "task": "cls", "response": "airport"} for r in "ab"])
    s = classification.main(["--gt", gt, "--pred", pred])
    (note,) = [n for n in s["notes"] if n.startswith("no line of")]
    assert "their text is under 'response'" in note and "jq -c '.answer = .response'" in note
    assert "swapped" not in note


@pytest.mark.parametrize("closed", ["stdout", "stderr"])
def test_rsvlm_eval_says_which_stream_lost_its_reader(closed, monkeypatch):
    """rsvlm eval went on to write its answers where a reader of its output had gone (`… | head -1`), but said
    nothing of it, the later lines lost unsaid; as train and merge-lora do, the stream still read now names the one
    closed, and the run's own status stands."""
    import sys

    from rsvlm import evaluate

    def run(args):
        print("answered 1/1")
        print("wrote preds.jsonl", file=sys.stderr)
        return 3

    monkeypatch.setattr(evaluate, "_main", run)
    kept, said = one_stream_closed(monkeypatch, closed)
    assert evaluate.main(None) == 3
    assert f"rsvlm eval: {said} was closed by its reader; the run failed (exit status 3)" in kept.text


def test_the_answer_key_named_is_the_one_whose_text_differs(tmp_path):
    """Lines {"id", "model", "response"} had their jq line name the first text key, '.answer = .model' (the model's
    name on every line), not the answers: the key named first is the one whose values differ most, and a key that
    is no jq name is quoted."""
    from eval import classification

    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record(r, "cls", "[cls] What scene?", "airport") for r in "ab"])
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": r, "model": "m1", "response": a}
                                             for r, a in (("a", "airport"), ("b", "forest"))])
    (note,) = [n for n in classification.main(["--gt", gt, "--pred", pred])["notes"] if n.startswith("no line of")]
    assert "under 'response', 'model'" in note and "jq -c '.answer = .response'" in note
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": r, "pred-text": "airport"} for r in "ab"])
    (note,) = [n for n in classification.main(["--gt", gt, "--pred", pred])["notes"] if n.startswith("no line of")]
    assert """jq -c '.answer = .["pred-text"]'""" in note


def test_a_multiple_choice_letter_reference_is_said_to_read_as_the_article(tmp_path):
    """A multiple-choice set's reference 'A' (the option's letter) is the article 'a', left out: an error whose
    reason, 'nothing left once normalised', named no article; it now says the letter reads as one and what to give."""
    from eval import common, vqa

    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record("a", "vqa", "[vqa] Which? (A) port (B) farm", "B"),
                                            eval_record("b", "vqa", "[vqa] Which? (A) port (B) farm", "(A)")])
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": "a", "answer": "B"}, {"id": "b", "answer": "A"}])
    with pytest.raises(common.ScoreError, match=r"record 'b': reference answer '\(A\)'.*a multiple-choice letter\? "
                                                r"'A' reads as the article"):
        vqa.main(["--gt", gt, "--pred", pred])
