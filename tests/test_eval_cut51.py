"""The scorers count the answers ``rsvlm eval`` marked ``"cut": true`` (stopped at --max-new-tokens;
under the grammar such an answer reads as a whole one), name the first in a note, and eval.report
tabulates the count; hand-written predictions files, no model."""
import json

import pytest

from eval import captioning, change, classification, counting, detection, grounding, report, segmentation, vqa
from rsvlm import geometry

W, H = 100, 100
BOX = {"kind": "box", "label": "ship", "coords": [10, 10, 40, 40]}
SQUARE = {"kind": "poly", "label": "ship", "coords": [[10, 10], [40, 10], [40, 40], [10, 40]]}


def cut_record(rid, task, prompt, answer, modality, n_images=1):
    return {"id": rid, "task": task, "images": [{"path": f"{rid}{i}.png", "modality": modality} for i in range(n_images)],
            "conversations": [{"from": "human", "value": "<image>\n" * n_images + prompt},
                              {"from": "gpt", "value": answer}], "meta": {"width": W, "height": H}}


# (scorer, task, prompt, reference answer, images per record)
CASES = {
    "classification": (classification, "cls", "[cls] What is it?", "lake", 1),
    "vqa": (vqa, "vqa", "[vqa] Is there a ship?", "yes", 1),
    "captioning": (captioning, "cap", "[cap] Describe the image.", "A harbour with two ships.", 1),
    "counting": (counting, "count", "[count] How many ships?", "3", 1),
    "detection": (detection, "det", "[det] Detect every ship.", geometry.encode([BOX], W, H), 1),
    "grounding": (grounding, "ground", "[ground] Where is the ship?", geometry.encode([BOX], W, H), 1),
    "segmentation": (segmentation, "seg", "[seg] Segment the ships.", geometry.encode([SQUARE], W, H), 1),
    "change": (change, "change", "[change] Segment new buildings.",
               geometry.encode([{**SQUARE, "label": "building"}], W, H), 2),
}


def write_records(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return str(path)


def score_flags(tmp_path, name, flags, stamp=None):
    """Scores of ``name``'s scorer over three right answers, to a (optical), b and c (sar), each row
    with its ``flags`` (``{"cut": True}``...), and the score file's path."""
    mod, task, prompt, answer, n = CASES[name]
    recs = [cut_record(rid, task, prompt, answer, mod_, n)
            for rid, mod_ in (("a", "optical"), ("b", "sar"), ("c", "sar"))]
    preds = [{"id": rid, "task": task, "answer": answer, **f} for rid, f in zip("abc", flags)]
    gt, pred = write_records(tmp_path / "gt.jsonl", recs), write_records(tmp_path / "p.jsonl", preds)
    if stamp:
        (tmp_path / "p.jsonl.run.json").write_text(json.dumps(stamp))
    out = tmp_path / f"{name}.json"
    java = ["--no-java"] if mod is captioning else []  # METEOR through Java takes seconds
    return mod.main(["--gt", gt, "--pred", pred, "--out", str(out), *java]), out


def report_rows(tmp_path, new, key):
    """eval.report over the score file ``new`` and a copy without ``key`` (an older version's):
    the counts table's rows of ``key``."""
    old = tmp_path / "old.json"
    old.write_text(json.dumps({k: v for k, v in json.loads(new.read_text()).items() if k != key}))
    rep = report.main(["--scores", str(new), str(old)])
    return [(r["source"], r["all"], r["optical"], r["sar"]) for r in rep["counts"] if r["count"] == key]


def _score(tmp_path, name, stamp=None):
    # a: stopped at the limit (counted); b: not cut; c: an older rsvlm eval's row (not cut)
    return score_flags(tmp_path, name, ({"cut": True}, {"cut": False}, {}), stamp)


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_scorer_counts_cut_answers_and_names_the_first(name, tmp_path, capsys):
    scores, _ = _score(tmp_path, name)
    # was: a cut answer scored as a whole one and nothing in the scores said so
    assert scores["n_pred_cut"] == 1 and scores["n_records"] == 3
    assert scores["by_modality"]["optical"]["n_pred_cut"] == 1 and scores["by_modality"]["sar"]["n_pred_cut"] == 0
    (note,) = [n for n in scores["notes"] if "token limit" in n]
    # "stopped at" was untrue of an answer whose last word fell on the last token (d36c244d: cut_note's words)
    assert note.startswith("1 answer reached rsvlm eval's token limit") and "may be cut" in note
    assert "(first: a)" in note
    assert "--max-new-tokens" in note
    assert "note: " + note in capsys.readouterr().out


def test_the_note_gives_the_limit_run_json_recorded(tmp_path):
    scores, _ = _score(tmp_path, "classification",
                       stamp={"model": "/ckpt/m", "weights": {}, "options": {"max_new_tokens": 24}})
    (note,) = [n for n in scores["notes"] if "token limit" in n]
    assert "token limit of 24 tokens (p.jsonl.run.json)" in note


def test_no_cut_answer_no_note(tmp_path):
    mod, task, prompt, answer, n = CASES["vqa"]
    gt = write_records(tmp_path / "gt.jsonl", [cut_record("a", task, prompt, answer, "optical")])
    pred = write_records(tmp_path / "p.jsonl", [{"id": "a", "task": task, "answer": answer, "cut": "yes"}])  # not true
    scores = mod.main(["--gt", gt, "--pred", pred])
    assert scores["n_pred_cut"] == 0 and not [n for n in scores["notes"] if "token limit" in n]


def test_the_report_tabulates_cut_answers_per_modality_and_passes_over_older_score_files(tmp_path, capsys):
    _, new = _score(tmp_path, "detection")
    assert report_rows(tmp_path, new, "n_pred_cut") == [("detection.json", 1, 1, 0)]
    out = capsys.readouterr().out
    assert "## Records scored, missing, unparseable, failed, cut and past the context" in out
    assert "| n_pred_cut " in out
