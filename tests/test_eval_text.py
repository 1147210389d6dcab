"""Classification, VQA, counting and captioning scores; answer normalisation; foreign formats."""

import json
import math
import shutil

import pytest

from eval import captioning, classification, counting, foreign, vqa
from eval.text import normalize_answer, parse_count


def _record(rid, task, answer, modality="optical", meta=None):
    return {"id": rid, "images": [{"path": f"{rid}.png", "modality": modality}],
            "conversations": [{"from": "human", "value": f"<image>\n[{task}] question?"},
                              {"from": "gpt", "value": answer}],
            "task": task, "meta": meta or {}}


def _run(mod, tmp_path, recs, preds, *extra):
    gt, pr = tmp_path / "gt.jsonl", tmp_path / "p.jsonl"
    gt.write_text("".join(json.dumps(r) + "\n" for r in recs))
    pr.write_text("".join((p if isinstance(p, str) else json.dumps(p)) + "\n" for p in preds))
    return mod.main(["--gt", str(gt), "--pred", str(pr), "--out", str(tmp_path / "s.json"), *extra])


@pytest.mark.parametrize("text,norm", [
    ("Yes, there is.", "yes"), ("No.", "no"), ("The Church", "church"), ("two", "2"),
    ("small-vehicle", "small vehicle"), ("[vqa] A playground</s>", "playground"), ("2.5 m", "2.5 m"),
    ("Nope", "no"), ("an orange roof!", "orange roof")])
def test_normalize_answer(text, norm):
    assert normalize_answer(text) == norm


@pytest.mark.parametrize("text,count", [("7", 7), ("seven.", 7), ("There are 12 planes", 12),
                                        ("about 1,204 cars", 1204), ("none", 0), ("There are no ships.", 0),
                                        ("many", None), ("", None),
                                        ("<point><loc_104><loc_208></point><point><loc_520><loc_625></point> 2", 2),
                                        ("<point><loc_104><loc_208></point><point><loc_5><loc_6></point>", 2),
                                        ("<ref>ship</ref><box><loc_1><loc_2><loc_3><loc_4></box>", None),
                                        ("<loc_801> three", 3)])
def test_parse_count(text, count):
    assert parse_count(text) == count


def test_classification(tmp_path):
    recs = [_record("1", "cls", "church"), _record("2", "cls", "church"), _record("3", "cls", "airport"),
            _record("4", "cls", "airport", "sar"), _record("5", "cls", "beach"), _record("6", "cls", "beach")]
    preds = [{"id": "1", "answer": "A church."}, {"id": "2", "answer": "airport"}, {"id": "3", "answer": "Airport"},
             {"id": "4", "answer": "airport"}, {"id": "5", "answer": "harbour"}, {"id": "6", "answer": 5}]
    s = _run(classification, tmp_path, recs, preds)
    assert s["accuracy"] == pytest.approx(3 / 6)
    assert s["per_class_accuracy"] == pytest.approx({"airport": 1.0, "beach": 0.0, "church": 0.5})
    assert s["mean_class_accuracy"] == pytest.approx(0.5)
    assert s["confusion_matrix"]["church"] == {"church": 1, "airport": 1}
    assert s["confusion_matrix"]["beach"] == {"(other)": 1, "(unparseable)": 1}
    assert s["n_unparseable"] == 1 and s["n_missing"] == 0
    assert s["by_modality"]["sar"]["accuracy"] == 1.0 and s["by_modality"]["optical"]["n_records"] == 5


def test_vqa_per_qtype_and_missing(tmp_path, capsys):
    recs = [_record("1", "vqa", "yes", meta={"qtype": "presence"}), _record("2", "vqa", "no", meta={"qtype": "presence"}),
            _record("3", "vqa", "3", meta={"qtype": "count"}), _record("4", "vqa", "rural", meta={"qtype": "rural_urban"}),
            _record("5", "cls", "church")]
    preds = ["{broken", {"id": "1", "answer": "Yes, there is one."}, {"id": "2", "answer": "yes"},
             {"id": "3", "answer": "three"}, {"id": "1", "answer": "no"},
             {"id": "5", "answer": "church"}, {"id": "9", "answer": "yes"}]  # another task's record; no record
    s = _run(vqa, tmp_path, recs, preds)
    assert s["per_qtype_accuracy"] == pytest.approx({"count": 1.0, "presence": 0.5, "rural_urban": 0.0})
    assert s["accuracy"] == pytest.approx(2 / 4)
    assert s["n_missing"] == 1 and s["n_pred_bad_lines"] == 1 and s["n_pred_duplicate_ids"] == 1
    assert s["n_gt_other_tasks"] == {"cls": 1}
    assert s["n_pred_not_in_gt"] == 1  # "9"; a file of every task's predictions is not flagged for "5"
    printed = capsys.readouterr().out
    assert "note: 1 prediction repeats an id (the first one counts)" in printed
    assert "note: 1 prediction names no record of the ground truth" in printed


def test_counting_mae_counts_unparseable_as_zero(tmp_path):
    recs = [_record(str(i), "count", str(n)) for i, n in enumerate([4, 10, 7, 2])]
    preds = [{"id": "0", "answer": "4"}, {"id": "1", "answer": "There are twelve."}, {"id": "2", "answer": "many"}]
    s = _run(counting, tmp_path, recs, preds)
    assert s["accuracy"] == pytest.approx(1 / 4)
    assert s["MAE"] == pytest.approx((0 + 2 + 7 + 2) / 4)  # unparseable and missing enter as 0
    assert s["MAE_parsed"] == pytest.approx((0 + 2) / 2)
    assert s["RMSE"] == pytest.approx(math.sqrt((0 + 4 + 49 + 4) / 4))
    assert (s["n_unparseable"], s["n_missing"]) == (1, 1)


def test_counting_reference_without_count_is_an_error(tmp_path):
    with pytest.raises(Exception, match="holds no count"):
        _run(counting, tmp_path, [_record("x", "count", "lots")], [])


CAPS = ["a large church with a red roof stands beside a road .", "many green trees are around a white building.",
        "several planes are parked at the airport near the runway", "a river goes through a residential area"]


def _cap_case():
    recs = [_record(f"c{i}", "cap", c, meta={"references": [c.upper()]}) for i, c in enumerate(CAPS)]
    recs.append(_record("r0", "regcap", "a white storage tank"))
    recs.append(_record("ch", "change", "new houses were built on the bare land"))
    recs.append(_record("chg", "change", "<poly><loc_1><loc_1><loc_5><loc_1><loc_5><loc_5></poly>"))  # eval.change's
    return recs


def test_captioning_identical_and_missing(tmp_path):
    recs = _cap_case()
    perfect = [{"id": r["id"], "answer": r["conversations"][1]["value"]} for r in recs]
    s = _run(captioning, tmp_path, recs, perfect, "--no-java")
    assert s["n_records"] == 6 and s["n_gt_other_tasks"] == {"change (not kept)": 1}
    assert s["BLEU-1"] == pytest.approx(1.0, abs=1e-6) and s["ROUGE-L"] == pytest.approx(1.0)
    assert s["BLEU-4"] > 0.99 and s["CIDEr"] > 1.0
    assert s["METEOR"] is None and s["tokenizer"] == "python" and "METEOR" in s["notes"][0]
    assert s["n_records_by_task"] == {"cap": 4, "change": 1, "regcap": 1}
    half = perfect[:3]
    s2 = _run(captioning, tmp_path, recs, half, "--no-java")
    assert s2["n_missing"] == 3 and s2["ROUGE-L"] == pytest.approx(3 / 6)


def test_python_tokenizer_matches_ptb_on_plain_sentences():
    tok = captioning.python_tokenize
    assert tok("The plane's wing, don't (here) -- well-known 2.5 m... End.") == \
        "the plane 's wing do n't -lrb- here -rrb- well-known 2.5 m end"


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("java") is None, reason="Java absent: PTBTokenizer and METEOR cannot run")
def test_captioning_with_java(tmp_path):
    recs = _cap_case()
    preds = [{"id": r["id"], "answer": r["conversations"][1]["value"]} for r in recs]
    preds[0]["answer"] = "a church with a red roof near a road"
    s = _run(captioning, tmp_path, recs, preds)
    py = _run(captioning, tmp_path, recs, preds, "--no-java")
    assert s["tokenizer"] == "ptb" and 0.5 < s["METEOR"] < 1.0
    for k in ("BLEU-1", "BLEU-4", "ROUGE-L", "CIDEr"):  # same tokens on plain sentences
        assert s[k] == pytest.approx(py[k], abs=1e-9)


def test_foreign_geochat_rotation_and_labels():
    objs, problems = foreign.decode("<p>ship</p>{<10><20><30><40>|90}{<0><0><10><10>}", 200, 100, "geochat")
    assert problems == []
    assert objs[0]["kind"] == "obb" and objs[0]["label"] == "ship" and objs[1]["kind"] == "box"
    # 40 x 20 px box centred (40, 30) turned 90 degrees: a 20 x 40 box around the same centre
    xs, ys = [p[0] for p in objs[0]["coords"]], [p[1] for p in objs[0]["coords"]]
    assert (min(xs), max(xs), min(ys), max(ys)) == pytest.approx((30, 50, 10, 50))
    assert objs[1]["coords"] == pytest.approx([0, 0, 20, 10])
    _, bad = foreign.decode("{<10><20><300><40>}{<1><2>", 200, 100, "geochat")
    assert len(bad) == 2


def test_foreign_falcon():
    objs, problems = foreign.decode("<p>car</p><box><0><500><999><999></box><quad><1><1><9><1><9><9><1><9></quad>",
                                    1000, 2000, "falcon")
    assert problems == [] and [o["kind"] for o in objs] == ["box", "obb"]
    assert objs[0]["coords"] == pytest.approx([0.5, 1001.0, 999.5, 1999.0]) and objs[0]["label"] == "car"
    _, bad = foreign.decode("<box><1><2><3></box><box><1>", 10, 10, "falcon")
    assert len(bad) == 2
