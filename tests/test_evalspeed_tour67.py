"""Stop 67's evaluation-speed tour: each scorer decodes a record's reference and its prediction's answer once per
run (kept on the item), where the whole set, each modality's part and the notes decoded them again."""

from collections import Counter

import pytest
from conftest import eval_record, write_jsonl

BOX = "<box><loc_100><loc_100><loc_300><loc_300></box>"
SHIP = f"<ref>ship</ref>{BOX}"
NEAR = "<box><loc_110><loc_100><loc_300><loc_310></box>"
POLY = "<poly><loc_100><loc_100><loc_300><loc_100><loc_300><loc_300><loc_100><loc_300></poly>"
NEAR_POLY = "<poly><loc_110><loc_100><loc_300><loc_100><loc_300><loc_310><loc_100><loc_300></poly>"
CASES = {  # script: (task, question, reference, answer)
    "detection": ("det", "[det] Find all ships.", SHIP, f"<ref>ship</ref>{NEAR}"),
    "grounding": ("ground", "[ground] The ship at the top.", BOX, NEAR),
    "segmentation": ("seg", "[seg] Segment the ship.", f"<ref>ship</ref>{POLY}", f"<ref>ship</ref>{NEAR_POLY}"),
    "change": ("change", "[change] Outline what changed.", POLY, NEAR_POLY),
}


def _set(tmp_path, script: str, n: int = 6):
    """``n`` records of ``script``'s task, half of them SAR (so the set is scored whole and by modality), and their
    predictions: text answers, one with an ``objects`` list beside it (the notes compare it with the answer)."""
    task, question, ref, answer = CASES[script]
    rows, preds = [], []
    for i in range(n):
        r = eval_record(f"r{i}", task, question, ref, subtask="change_map")
        r["images"][0]["modality"] = "sar" if i % 2 else "optical"
        rows.append(r)
        preds.append({"id": f"r{i}", "task": task, "answer": f"{answer} " if i == 0 else answer})  # r0: its own text
    if script == "detection":
        preds[1]["objects"] = [{"kind": "box", "coords": [110, 100, 300, 310], "label": "ship", "score": 0.9}]
    return write_jsonl(tmp_path / "gt.jsonl", rows), write_jsonl(tmp_path / "pred.jsonl", preds)


@pytest.mark.parametrize("script", list(CASES))
def test_each_reference_and_answer_is_decoded_once_per_run(tmp_path, monkeypatch, script):
    """Scoring decoded every record's reference and answer for the whole set, again for its modality's part, and
    again for notes (a detection answer with ``objects`` beside it was decoded by objects_answer_note): 3,900 det
    records spent 11 of 19 s in the decoder. Each text is decoded once now, with the same scores."""
    import importlib

    from rsvlm import geometry

    mod = importlib.import_module(f"eval.{script}")
    gt, pred = _set(tmp_path, script)
    first = mod.main(["--gt", gt, "--pred", pred])
    assert set(first["by_modality"]) == {"optical", "sar"}  # scored whole, then by modality
    calls, decode = Counter(), geometry.decode
    monkeypatch.setattr(geometry, "decode", lambda text, *a, **k: calls.update([text]) or decode(text, *a, **k))
    scores = mod.main(["--gt", gt, "--pred", pred])
    _, _, ref, answer = CASES[script]
    assert calls == {ref: 6, answer: 5, f"{answer} ": 1}  # one a record: its reference, its prediction's answer
    assert scores == first


def test_a_cached_reading_hands_each_caller_its_own_objects():
    """The decoded objects are kept on the item: a scorer that labels or flags its objects in place (detection sets
    ``difficult`` on its copies) must not change what the next reading of the item gets."""
    from eval import common

    it = common.Item(eval_record("a", "det", "[det] Find ships.", SHIP), {"id": "a", "answer": SHIP}, 0)
    pred, ref = common.pred_objects(it), common.ref_objects(it)
    assert [o["label"] for o in pred.objects + ref] == ["ship", "ship"] and pred.problems == []
    pred.objects[0]["label"], ref[0]["label"] = "changed", "changed"
    pred.objects.append({"kind": "point", "coords": [1, 1]})
    pred.problems.append("x")
    again = common.pred_objects(it)
    assert [o["label"] for o in again.objects] == ["ship"] and again.problems == []
    assert [o["label"] for o in common.ref_objects(it)] == ["ship"]


@pytest.mark.parametrize(("script", "target"), [("segmentation", "eval.regions.mask_overlap"),
                                                ("change", "eval.regions.mask_overlap"),
                                                ("grounding", "eval.grounding.record_iou")])
def test_each_record_is_rasterised_or_matched_once_per_run(tmp_path, monkeypatch, script, target):
    """The masks of a segmentation or change record were rasterised, and a grounding record's shapes matched, for
    the whole set and again for its modality's part: the same pixels counted twice over. Once now, same scores."""
    import importlib

    mod = importlib.import_module(f"eval.{script}")
    gt, pred = _set(tmp_path, script)
    first = mod.main(["--gt", gt, "--pred", pred])
    owner, name = target.rsplit(".", 1)
    owner = importlib.import_module(owner)
    calls, work = [], getattr(owner, name)
    monkeypatch.setattr(owner, name, lambda *a, **k: calls.append(1) or work(*a, **k))
    assert mod.main(["--gt", gt, "--pred", pred]) == first
    assert len(calls) == 6  # one a record
