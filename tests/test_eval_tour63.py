"""Tour 63 of evaluation: the --out warning said with what it warns of, counting's MAE over zero counts, the run
stamp's keys documented, and what a demanding user tried of the scorers."""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import eval_record, write_jsonl

DOCS = Path(__file__).resolve().parent.parent / "docs"


def _count_args(tmp_path, refs=(("a", "3"), ("b", "0"), ("c", "5")), answers=(("a", "3"), ("b", "0"), ("c", "5"))):
    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record(r, "count", "[count] How many ships?", a) for r, a in refs])
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": r, "task": "count", "answer": a} for r, a in answers])
    return ["--gt", gt, "--pred", pred]


def test_another_tasks_scores_warning_comes_only_once_they_are_replaced(tmp_path, capsys):
    """The warning that --out held another task's scores was printed before the scoring; a scoring that then
    failed (no record of the task) left that file as it was, the warning having said it was replaced. It now
    comes after the new scores are written, and a failed scoring says nothing of it."""
    from eval import common, counting

    out = tmp_path / "scores.json"
    held = json.dumps({"task": "captioning", "headline": ["CIDEr"], "pred": "cap.jsonl", "gt": "gt.jsonl"})
    out.write_text(held)
    vqa_gt = write_jsonl(tmp_path / "vqa.jsonl", [eval_record("a", "vqa", "[vqa] Is there a ship?", "yes")])
    with pytest.raises(common.ScoreError, match="no records of task count"):
        counting.main(["--gt", vqa_gt, "--pred", _count_args(tmp_path)[3], "--out", str(out)])
    assert "warning" not in capsys.readouterr().err and out.read_text() == held
    counting.main([*_count_args(tmp_path), "--out", str(out)])
    captured = capsys.readouterr()
    assert (f"warning: --out {out} held captioning's scores (of cap.jsonl against gt.jsonl): the counting scores "
            "replaced them") in captured.err and json.loads(out.read_text())["task"] == "counting"


def test_counting_mae_takes_zero_references_in(tmp_path):
    """MAE is over every record, those whose reference count is 0 too: an answer of 1 to an empty scene is an
    error of 1 (MAE 1/3 over three records, not 0 over the two others), and a missing answer to it none."""
    from eval import counting

    s = counting.main(_count_args(tmp_path, refs=(("a", "0"), ("b", "0"), ("c", "2")),
                                  answers=(("a", "1"), ("c", "2"))))
    assert s["MAE"] == pytest.approx(1 / 3) and s["MAE_parsed"] == pytest.approx(0.5)
    assert s["n_unanswered_zero"] == 1 and s["n_missing"] == 1 and s["accuracy"] == pytest.approx(1 / 3)


def test_the_run_stamp_doc_names_every_key_rsvlm_eval_writes(tmp_path):
    """docs/eval-run.md's stamp section said "the options that change answers (--max-new-tokens, --tta, ...)":
    every key run_stamp writes, and every option in it, is now named there, as is unchecked_answers."""
    from rsvlm.predictions import run_stamp, unstamped_answers

    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "config.yaml").write_text("model: {}\n")
    (tmp_path / "m" / "model.safetensors").write_bytes(b"\0" * 64)
    stamp = run_stamp(tmp_path / "m", SimpleNamespace())
    out = tmp_path / "p.jsonl"
    out.write_text('{"id": "a", "answer": "3"}\n')
    stamp, _ = unstamped_answers(out, stamp)  # no stamp beside an answered file: unchecked_answers
    text = (DOCS / "eval-run.md").read_text()
    section = text[text.index("## The run stamp"):text.index("## Several processes")]
    named = set(re.findall(r"`(\w+)`", section))
    assert not ({*stamp, *stamp["options"]} - named), {*stamp, *stamp["options"]} - named


def test_a_two_point_polygon_alone_is_unparseable_and_not_said_kept(tmp_path, capsys):
    """A detection answer whose only shape is a <poly> of 2 vertices is unparseable (nothing scored), but its note
    quoted the decoder's "kept as a zero-area ring", which it was not; the note says there is nothing to score."""
    from eval import detection

    box = "<ref>ship</ref><box><loc_100><loc_100><loc_200><loc_200></box>"
    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record("d", "det", "[det] Find all ships.", box)])
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": "d", "task": "det",
                                               "answer": "<ref>ship</ref><poly><loc_1><loc_1><loc_5><loc_5></poly>"}])
    s = detection.main(["--gt", gt, "--pred", pred])
    out = capsys.readouterr().out
    assert s["n_unparseable"] == 1 and "kept as a zero-area ring" not in out
    assert "unparseable 'd': nothing to score, every shape a polygon of under 3 vertices: <poly> has 2" in out


def test_a_coco_rle_mask_is_said_unread_and_how_to_give_it(tmp_path, capsys):
    """An object {"kind": "mask", "segmentation": {"size", "counts"}} (a SAM or COCO tool's output) was unparseable
    with "a mask needs a grid ... or a 2-D 'mask' array", not saying the RLE was seen and not read. Scoring now
    decodes a COCO run-length mask (eval.rle), so the note no longer says to give it decoded: it says what keeps
    the field from being one, with or without a kind; a well-formed one is said to be read against the image."""
    from eval import regions
    from eval.answers import UNPARSEABLE, pred_objects
    from eval.common import Item

    layout = 'is no COCO run-length mask ({"size": [height, width], "counts": …}): '
    said = {("segmentation", "no_size"): "its 'segmentation' " + layout + "it has counts, not both 'size' and 'counts'",
            ("rle", "a string"): "its 'rle' " + layout + "it is str, not an object",
            ("segmentation", "polygons"): "its 'segmentation' " + layout + "a list (COCO's polygons?): give each as "
                                          '{"kind": "poly", "coords": [[x, y], …]}',
            ("counts", "no size"): "its 'counts' " + layout + "no 'size' [height, width] beside its 'counts'"}
    given = {"no_size": {"counts": "PPa0"}, "a string": "PPa0", "polygons": [[10, 10, 50, 10, 50, 40]],
             "no size": [0, 10, 19990]}
    rec = eval_record("r", "seg", "[seg] Segment the tree.", "None.", width=200, height=100)
    for (key, what), words in said.items():
        for kind in ({"kind": "mask"}, {}):
            got = pred_objects(Item(rec, {"id": "r", "objects": [{**kind, "label": "tree", key: given[what]}]}, 0))
            assert got.status == UNPARSEABLE and words in got.problems[0], (key, what, kind, got.problems)
            assert "give it decoded" not in got.problems[0]
    rle = {"size": [100, 200], "counts": [0, 10, 19990]}
    assert "(segmentation) is read only against its image's size" in regions.object_problem(
        {"kind": "mask", "segmentation": rle})
    assert "run-length" not in regions.object_problem({"kind": "mask", "coords": 3})


def test_a_count_answered_with_boxes_says_so(tmp_path, capsys):
    """A count question answered with boxes (a detection answer) was noted only as "states no count"; the note
    now says it holds shapes, that a count is read from a number or <point>s, and to score shapes with
    eval.detection. A record without meta.width/height (counting needs none) is noted the same way."""
    from eval import counting

    box = "<box><loc_100><loc_100><loc_200><loc_200></box>"
    rec = eval_record("n", "count", "[count] How many ships?", "2")
    del rec["meta"]
    gt = write_jsonl(tmp_path / "gt.jsonl", [rec])
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": "n", "task": "count", "answer": f"<ref>ship</ref>{box}{box}"}])
    s = counting.main(["--gt", gt, "--pred", pred])
    assert s["n_unparseable"] == 1
    assert "states no count (it holds 2 shapes: a count is read from a number or from <point>s alone" in (
        capsys.readouterr().out)


def test_report_dir_leaves_out_a_predictions_jsonl_saved_as_json(tmp_path, capsys):
    """A folder of score files that also held predictions saved as p.json (JSONL) stopped the whole --dir report
    with "p.json: not JSON (Extra data at line 2)", though a JSON file that is no score file was left out with a
    note; it is now left out with a note too. Named by --scores, it is still an error."""
    from eval import common, counting, report

    counting.main([*_count_args(tmp_path), "--out", str(tmp_path / "count.json")])
    (tmp_path / "p.json").write_text((tmp_path / "p.jsonl").read_text())
    rep = report.main(["--dir", str(tmp_path)])
    assert [r["source"] for r in rep["metrics"]] == ["count.json", "count.json"]
    assert "p.json is not JSON (Extra data at line 2), so no eval score file; left out" in capsys.readouterr().err
    with pytest.raises(common.ScoreError, match="p.json: not JSON"):
        report.main(["--scores", str(tmp_path / "p.json")])


def test_change_records_left_to_the_other_script_are_said(tmp_path, capsys):
    """eval.change left a worded change record out (counted only in the score file's n_gt_other_tasks, as
    'change (not kept)'): the printed scores said 2 records of 3 and nothing of the third. A note now counts
    them and says which script scores them, or --all-maps."""
    from eval import change

    poly = "<poly><loc_10><loc_10><loc_300><loc_10><loc_300><loc_300><loc_10><loc_300></poly>"
    recs = [eval_record("a", "change", "[change] What changed?", poly),
            eval_record("b", "change", "[change] What changed?", "A new road.")]
    gt = write_jsonl(tmp_path / "gt.jsonl", recs)
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": r, "task": "change", "answer": poly} for r in ("a", "b")])
    s = change.main(["--gt", gt, "--pred", pred])
    assert s["n_records"] == 1 and s["n_gt_other_tasks"] == {"change (not kept)": 1}
    assert ("1 change record of the ground truth is not scored here (n_gt_other_tasks): its reference is in "
            "words, no change map: eval.captioning scores it") in capsys.readouterr().out


def test_vqa_answers_match_whatever_unicode_form_they_come_in(tmp_path):
    """A decomposed "é" (e + U+0301, as macOS and some tokenizers' decoders write it) lost its accent to the
    punctuation step ("cafe"), so it matched no composed "Café" reference; full-width "Ｙｅｓ" (CJK input) matched
    no "yes". Answers are now NFKC-normalised first."""
    from eval import vqa
    from eval.text import normalize_answer

    assert normalize_answer("Cafe\u0301") == normalize_answer("Café") == "café"
    assert normalize_answer("Ｙｅｓ") == "yes" and normalize_answer("３") == "3"
    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record("a", "vqa", "[vqa] What is the building?", "Café"),
                                             eval_record("b", "vqa", "[vqa] Is there a ship?", "Ｙｅｓ")])
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": "a", "task": "vqa", "answer": "cafe\u0301 "},
                                              {"id": "b", "task": "vqa", "answer": "yes, one"}])
    assert vqa.main(["--gt", gt, "--pred", pred])["accuracy"] == 1.0


def test_captions_match_whatever_unicode_form_case_or_trailing_space(tmp_path):
    """A caption written upper case, with trailing spaces and a decomposed "é" (NFD, as macOS writes it) scored
    BLEU-4 0.96 against its own reference, the "café" another word; captions are NFKC-normalised before
    tokenising, so it scores 1."""
    import unicodedata

    from eval import captioning

    refs = ["A ship is docked in the harbour near the café.", "Two planes are parked on the apron of the airport."]
    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record(f"c{i}", "cap", "[caption] Describe.", r)
                                             for i, r in enumerate(refs)])
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": f"c{i}", "task": "cap",
                                               "answer": unicodedata.normalize("NFD", r.upper()) + "   \n"}
                                              for i, r in enumerate(refs)])
    s = captioning.main(["--gt", gt, "--pred", pred, "--no-java"])
    assert s["BLEU-4"] == pytest.approx(1.0) and s["CIDEr"] == pytest.approx(10.0)


def test_detection_class_names_match_whatever_unicode_form(tmp_path):
    """A predicted class written with a decomposed accent ("pe\\u0301niche", NFD) was another class than the
    reference's "péniche": its box a false positive and the reference missed. Class names are NFKC-normalised."""
    from eval import detection
    from eval.answers import norm_label

    assert norm_label("Pe\u0301niche") == norm_label("péniche")
    box = "<box><loc_100><loc_100><loc_200><loc_200></box>"
    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record("d", "det", "[det] Find all boats.",
                                                         f"<ref>péniche</ref>{box}<ref>ship</ref>{box}")])
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": "d", "task": "det",
                                               "answer": f"<ref>pe\u0301niche</ref>{box}<ref>ship</ref>{box}"}])
    assert detection.main(["--gt", gt, "--pred", pred])["mAP50"] == pytest.approx(1.0)


def test_a_reference_that_cannot_be_scored_is_named_by_file_and_line(tmp_path):
    """"record 'b': reference answer 'many' holds no count" named no file or line (a set is often several files,
    the ids repeating between them); the error now opens with the ground truth's file and line, gzip too."""
    import gzip

    from eval import common, counting

    args = _count_args(tmp_path, refs=(("a", "3"), ("b", "many")), answers=(("a", "3"), ("b", "2")))
    # stop 77: one of two such records is half the set, the file refused by the malformed records' rule, naming it
    with pytest.raises(common.ScoreError, match=rf"^{re.escape(args[1])}: 1 of its 2 records are unscorable .* First: "
                       rf"{re.escape(args[1])}:2: record 'b': reference answer 'many'"):
        counting.main(args)
    packed = tmp_path / "gt.jsonl.gz"
    packed.write_bytes(gzip.compress((tmp_path / "gt.jsonl").read_bytes()))
    with pytest.raises(common.ScoreError, match=rf"First: {re.escape(str(packed))}:2: record 'b'"):
        counting.main(["--gt", str(packed), *args[2:]])


def test_a_last_line_cut_short_is_said_to_be_so(tmp_path, capsys):
    """Predictions whose last line a kill cut short (no line end) noted only "not valid JSON (Unterminated
    string …)"; the note now says it is the last line, cut short. A bad line inside the file is not called so."""
    from eval import counting

    args = _count_args(tmp_path)
    good = (tmp_path / "p.jsonl").read_text().splitlines()
    (tmp_path / "p.jsonl").write_text("\r\n".join(good[:2]) + "\r\n" + good[2][:18])
    s = counting.main(args)
    out = capsys.readouterr().out
    assert s["n_pred_bad_lines"] == 1 and "p.jsonl:3: not valid JSON" in out
    assert "the last line, without its line end: cut short, a run killed while writing it?" in out
    (tmp_path / "p.jsonl").write_text(good[0] + "\n{oops\n" + good[2] + "\n")
    counting.main(args)
    assert "cut short" not in capsys.readouterr().out


def test_a_probability_map_given_as_a_mask_is_unparseable_not_read_as_everything(tmp_path, capsys):
    """A 'mask' array of probabilities (a model's sigmoid) was read as booleans, so 0.01 was a mask pixel: the
    mask covered nearly the whole image and scored without a word (a string "0" too). Values must be 0/1,
    true/false or 0/255; others make the answer unparseable, the note saying what the mask holds."""
    import numpy as np

    from eval import regions, segmentation

    assert regions.object_problem({"kind": "mask", "mask": [[0, 255], [255, 0]]}) is None
    assert "its 'mask' values must be 0/1" in regions.object_problem({"kind": "mask", "mask": [["0", "1"]]})
    w = h = 20
    rec = eval_record("s", "seg", "[seg] Segment the trees.",
                      "<ref>tree</ref><poly><loc_0><loc_0><loc_500><loc_0><loc_500><loc_500><loc_0><loc_500></poly>",
                      width=w, height=h)
    soft = np.full((h, w), 0.01)
    soft[:10, :10] = 0.9
    gt = write_jsonl(tmp_path / "gt.jsonl", [rec])
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": "s", "task": "seg", "answer": "",
                                               "objects": [{"kind": "mask", "label": "tree", "mask": soft.tolist()}]}])
    s = segmentation.main(["--gt", gt, "--pred", pred])
    assert s["n_unparseable"] == 1
    assert "it holds 0.01: a probability map? threshold it" in capsys.readouterr().out


def test_a_worded_answer_of_no_shape_is_said_not_scored_as_none_silently(tmp_path, capsys):
    """"There are 3 ships." to a [det] question read cleanly as no object and scored as "None." does, without a
    word (--tta says so of a plain answer; eval did not). A note counts such answers and quotes the first; "None."
    and a worded none ("There are no ships.") are answers of nothing and are not in it."""
    from eval import detection

    box = "<ref>ship</ref><box><loc_100><loc_100><loc_200><loc_200></box>"
    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record(i, "det", "[det] Find all ships.", box) for i in "abcd"])
    answers = {"a": "None.", "b": "There are 3 ships.", "c": "There are no ships.", "d": box}
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": i, "task": "det", "answer": a} for i, a in answers.items()])
    s = detection.main(["--gt", gt, "--pred", pred])
    said = [n for n in s["notes"] if "found none (first:" in n]
    assert said == ["1 answer holds no shape and does not say it found none (first: b: 'There are 3 ships.'); it "
                    "scores as finding nothing, as \"None.\" does: the model answered in words where "
                    "shapes were asked for"], s["notes"]
    assert s["n_unparseable"] == 0 and said[0] in capsys.readouterr().out
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": i, "task": "det", "answer": a}
                                              for i, a in {**answers, "b": "<ref>ship</ref> none found"}.items()])
    assert not [n for n in detection.main(["--gt", gt, "--pred", pred])["notes"] if "found none" in n]


def test_a_plural_class_name_is_scored_as_its_reference_class_never_merging_two(tmp_path, capsys):
    """A predicted "ships" (or "Storage tanks") was another class than the reference's "ship" ("storage-tank"):
    its box a false positive, the reference missed, AP 0, though the fusion reads them as one class
    (answer_words.label_key). Such a label is now scored as the reference class, counted and noted. Two reference
    classes that are one word's singular and plural stay two, and a label that is a class is never read as another."""
    from eval import detection, segmentation
    from eval.answers import read_as_known

    assert read_as_known({"ship", "storage tank"}, {"ships", "storage tanks", "ship", "plane", ""}) == {
        "ships": "ship", "storage tanks": "storage tank"}
    assert read_as_known({"building", "buildings"}, {"building", "buildings", "building s"}) == {}
    box, box2 = "<box><loc_100><loc_100><loc_200><loc_200></box>", "<box><loc_500><loc_500><loc_700><loc_700></box>"

    def scored(reference: str, answer: str) -> dict:
        gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record("a", "det", "[det] Find all objects.", reference)])
        pred = write_jsonl(tmp_path / "p.jsonl", [{"id": "a", "task": "det", "answer": answer}])
        return detection.main(["--gt", gt, "--pred", pred])

    s = scored(f"<ref>ship</ref>{box}<ref>storage-tank</ref>{box2}", f"<ref>ships</ref>{box}<ref>Storage tanks</ref>{box2}")
    assert s["mAP50"] == pytest.approx(1.0) and s["n_pred_objects_unknown_class"] == {}
    assert s["n_pred_objects_read_as_class"] == {"ships → ship": 1, "storage tanks → storage tank": 1}
    assert "2 predicted objects name a reference class in another form, a plural" in capsys.readouterr().out
    s = scored(f"<ref>building</ref>{box}<ref>buildings</ref>{box2}", f"<ref>buildings</ref>{box}<ref>building</ref>{box2}")
    assert s["mAP50"] == pytest.approx(0.0) and s["n_pred_objects_read_as_class"] == {}
    sq = "<poly><loc_0><loc_0><loc_400><loc_0><loc_400><loc_400><loc_0><loc_400></poly>"
    sq2 = "<poly><loc_600><loc_600><loc_900><loc_600><loc_900><loc_900><loc_600><loc_900></poly>"
    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record("s", "seg", "[seg] Segment trees and roads.",
                                                         f"<ref>tree</ref>{sq}<ref>road</ref>{sq2}")])
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": "s", "task": "seg",
                                               "answer": f"<ref>Trees</ref>{sq}<ref>road</ref>{sq2}"}])
    s = segmentation.main(["--gt", gt, "--pred", pred])
    assert s["n_pred_objects_unknown_class"] == 0 and s["per_class_IoU"] == pytest.approx({"tree": 1.0, "road": 1.0})


def test_a_reference_error_finds_the_line_of_an_id_that_repr_escapes(tmp_path):
    """The file and line of a bad reference were looked up by the id as the error's repr wrote it: an id holding a
    backslash (a Windows path, tiles\\P0001) was not found, and the error named the file without its line."""
    from eval import common, counting

    rid = "tiles\\P0001"
    args = _count_args(tmp_path, refs=(("a", "3"), (rid, "many")), answers=(("a", "3"), (rid, "2")))
    with pytest.raises(common.ScoreError, match=f"First: {re.escape(args[1])}:2: record {re.escape(repr(rid))}: reference"):
        counting.main(args)


def test_counts_are_read_whatever_unicode_form_they_come_in(tmp_path):
    """Short answers were NFKC-normalised (VQA read full-width "ｎｏｎｅ" as none), but counting's parse_count was
    not: "Ｔｈｒｅｅ ships" and "ｎｏｎｅ" were unparseable, and "About ３．５" (a full-width point) read as 3, not 4."""
    from eval import counting
    from eval.text import parse_count

    assert parse_count("Ｔｈｒｅｅ ships") == 3 and parse_count("About ３．５") == 4 and parse_count("ｎｏｎｅ") == 0
    s = counting.main(_count_args(tmp_path, refs=(("a", "3"), ("b", "4"), ("c", "0")),
                                  answers=(("a", "Ｔｈｒｅｅ ships"), ("b", "About ３．５"), ("c", "ｎｏｎｅ"))))
    assert s["accuracy"] == 1.0 and s["n_unparseable"] == 0


def test_every_plain_form_of_a_binary_mask_still_reads_and_scores_alike(tmp_path):
    """The 0/1 rule (265c0af) must leave every plain binary mask read as before: a uint8 numpy array of 0/1, a
    list of booleans, 0/255 as a PNG holds it, floats 0.0/1.0 (each scores the reference's square exactly)."""
    import numpy as np

    from eval import regions, segmentation

    w = h = 20
    square = np.zeros((h, w), dtype=np.uint8)
    square[:10, :10] = 1
    forms = {"u8": square, "bool": square.astype(bool).tolist(), "png": (square * 255).tolist(),
             "float": square.astype(float).tolist(), "ints": square.tolist()}
    for name, m in forms.items():
        assert regions.object_problem({"kind": "mask", "label": "tree", "mask": m}) is None, name
    poly = "<ref>tree</ref><poly><loc_0><loc_0><loc_500><loc_0><loc_500><loc_500><loc_0><loc_500></poly>"
    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record(n, "seg", "[seg] Segment the trees.", poly, width=w, height=h)
                                             for n in forms])
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": n, "task": "seg", "answer": "", "objects": [
        {"kind": "mask", "label": "tree", "mask": np.asarray(m).tolist()}]} for n, m in forms.items()])
    s = segmentation.main(["--gt", gt, "--pred", pred])
    assert s["n_unparseable"] == 0 and s["gIoU"] == pytest.approx(1.0)


def test_an_answer_of_another_formats_geometry_is_not_also_called_worded(tmp_path):
    """A GeoChat answer scored as rsvlm's ({<10><10><50><50>}) has its own note (--format geochat?); the worded
    answers' note counted it too, as an answer of words."""
    from eval import detection

    box = "<ref>ship</ref><box><loc_100><loc_100><loc_200><loc_200></box>"
    gt = write_jsonl(tmp_path / "gt.jsonl", [eval_record("a", "det", "[det] Find all ships.", box)])
    pred = write_jsonl(tmp_path / "p.jsonl", [{"id": "a", "task": "det", "answer": "ship {<10><10><50><50>|<0>}"}])
    notes = detection.main(["--gt", gt, "--pred", pred])["notes"]
    assert any("geochat geometry" in n for n in notes) and not any("found none" in n for n in notes), notes


def test_the_run_stamp_doc_says_how_a_weights_file_of_8_mib_or_less_is_hashed(tmp_path):
    """docs/eval-run.md said a weights file is hashed by its first 4 MiB (and its last 4 MiB over 8 MiB); since
    96e1273 one of 8 MiB or less is hashed whole, so a 6 MiB adapter changed past its first 4 MiB is another model.
    The doc says so, and the stamp does it."""
    from rsvlm.predictions import run_stamp

    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "config.yaml").write_text("model: {}\n")
    weights = tmp_path / "m" / "adapter.safetensors"
    weights.write_bytes(b"\0" * (6 << 20))
    before = run_stamp(tmp_path / "m", SimpleNamespace())["weights"]
    weights.write_bytes(b"\0" * (5 << 20) + b"\1" * (1 << 20))
    assert run_stamp(tmp_path / "m", SimpleNamespace())["weights"] != before
    text = (DOCS / "eval-run.md").read_text()
    section = " ".join(text[text.index("## The run stamp"):text.index("## Several processes")].split())
    assert "SHA-256 of the whole file where it is 8 MiB or less, of its first and last 4 MiB where larger" in section
