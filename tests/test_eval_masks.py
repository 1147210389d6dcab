"""eval.segmentation and eval.change on hand-computed masks, and on real masks scored
against themselves."""

import json

import numpy as np
import pytest

from eval import change, segmentation
from rsvlm import geometry

W, H = 200, 100


def sq(x0, y0, x1, y1, label=None):
    """A polygon covering pixel columns x0..x1-1 and rows y0..y1-1 (pixel centres inside)."""
    return {"kind": "poly", "label": label, "coords": [[x0, y0], [x1, y0], [x1, y1], [x0, y1]]}


def _record(rid, task, objects, w=W, h=H, modality="optical", answer=None, prompt="[seg] trees"):
    n = 2 if task == "change" else 1
    return {"id": rid, "images": [{"path": f"{rid}_{i}.png", "modality": modality} for i in range(n)],
            "conversations": [{"from": "human", "value": "<image>\n" * n + prompt},
                              {"from": "gpt", "value": answer if answer is not None else geometry.encode(objects, w, h) or "None."}],
            "task": task, "meta": {"width": w, "height": h}}


def _run(mod, tmp_path, recs, preds, *extra):
    gt, pr = tmp_path / "gt.jsonl", tmp_path / "p.jsonl"
    gt.write_text("".join(json.dumps(r) + "\n" for r in recs))
    pr.write_text("".join(json.dumps(p) + "\n" for p in preds))
    return mod.main(["--gt", str(gt), "--pred", str(pr), "--out", str(tmp_path / "s.json"), *extra])


def test_segmentation_hand_computed(tmp_path):
    recs = [_record("a", "seg", [sq(10, 10, 30, 30, "tree")]),  # 400 px
            _record("b", "seg", [sq(50, 50, 60, 60, "building")], modality="sar"),  # 100 px
            _record("c", "seg", [sq(100, 20, 110, 30, "tree")])]  # 100 px, prediction missing
    preds = [{"id": "a", "objects": [sq(20, 10, 40, 30)]},  # 200 px overlap, union 600: IoU 1/3
             {"id": "b", "answer": geometry.encode([sq(50, 50, 60, 60, "building")], W, H)}]  # IoU 1
    s = _run(segmentation, tmp_path, recs, preds)
    assert s["gIoU"] == pytest.approx((1 / 3 + 1 + 0) / 3)
    assert s["cIoU"] == pytest.approx((200 + 100 + 0) / (600 + 100 + 100))
    assert s["mIoU"] == pytest.approx(((200 + 0) / (600 + 100) + 1) / 2)  # classes tree, building
    assert s["P@0.5"] == pytest.approx(1 / 3)
    assert s["n_missing"] == 1 and s["n_records"] == 3
    assert s["by_modality"]["sar"]["gIoU"] == pytest.approx(1.0)
    assert s["by_modality"]["optical"]["gIoU"] == pytest.approx((1 / 3 + 0) / 2)


def test_segmentation_several_classes_in_one_answer(tmp_path):
    rec = _record("m", "seg", [sq(0, 0, 10, 10, "tree"), sq(20, 0, 30, 10, "road")])
    pred = {"id": "m", "objects": [sq(0, 0, 10, 5, "Tree"), sq(20, 0, 30, 10, "road"), sq(50, 50, 60, 60, "car")]}
    s = _run(segmentation, tmp_path, [rec], [pred])
    assert s["per_class_IoU"] == pytest.approx({"tree": 0.5, "road": 1.0})
    assert s["n_units"] == 2 and s["n_pred_objects_unknown_class"] == 1
    assert s["cIoU"] == pytest.approx((50 + 100) / (100 + 100))


def test_segmentation_empty_and_unparseable(tmp_path):
    recs = [_record("e", "seg", []), _record("u", "seg", [sq(0, 0, 10, 10, "tree")])]
    preds = [{"id": "e", "answer": "There are no trees."}, {"id": "u", "answer": "<poly><loc_1><loc_2><loc_"}]
    s = _run(segmentation, tmp_path, recs, preds)
    assert s["gIoU"] == pytest.approx(0.5)  # empty vs empty = 1, unparseable = 0
    assert s["n_unparseable"] == 1


def test_change_hand_computed(tmp_path):
    recs = [_record("c1", "change", [sq(10, 10, 30, 30, "building")], prompt="[change] Segment new buildings."),
            _record("c2", "change", [], answer="Two houses were built.", prompt="[change] What changed?")]
    # prediction: half of the change square (200 px) plus 200 px beside it and a 100 px false alarm
    preds = [{"id": "c1", "objects": [sq(20, 10, 40, 30), sq(100, 50, 110, 60)]}, {"id": "c2", "answer": "x"}]
    s = _run(change, tmp_path, recs, preds)
    tp, fp, fn = 200, 300, 200
    assert s["pixels"] == {"TP": tp, "FP": fp, "FN": fn, "TN": W * H - tp - fp - fn}
    assert s["precision"] == pytest.approx(0.4) and s["recall"] == pytest.approx(0.5)
    assert s["F1"] == pytest.approx(2 * 0.4 * 0.5 / 0.9)
    assert s["IoU_change"] == pytest.approx(tp / (tp + fp + fn))
    assert s["n_records"] == 1 and s["n_gt_other_tasks"] == {"change (not kept)": 1}


def test_change_nothing_found_counts_missing(tmp_path):
    recs = [_record("c1", "change", [sq(10, 10, 30, 30)], prompt="[change] Segment changes.")]
    s = _run(change, tmp_path, recs, [])
    assert s["n_missing"] == 1 and s["recall"] == 0.0 and s["F1"] == 0.0 and s["precision"] == 0.0


def _mask_record(rid, task, mask, modality="optical", form="grid"):
    h, w = mask.shape
    objs = [{"kind": "mask", "label": "change" if task == "change" else "tree", "mask": mask, "form": form}]
    return _record(rid, task, objs, w, h, modality, prompt="[seg] Segment the trees.")


def _self_preds(recs):
    return [{"id": r["id"], "task": r["task"], "answer": r["conversations"][1]["value"]} for r in recs]


def test_realdata_levir_and_detectree_self_prediction(tmp_path, realdata):
    from PIL import Image

    levir = realdata / "cd_levir" / "test_7_0256_0512_label.png"
    tree = realdata / "seg_detectree" / "1091-322_00_response.tif"
    if not levir.is_file() or not tree.is_file():
        pytest.skip("LEVIR-CD label or detectree response absent")
    cmask = np.asarray(Image.open(levir).convert("L")) > 127
    import tifffile

    tmask = np.asarray(tifffile.imread(tree)).squeeze() > 0
    assert cmask.shape == (256, 256) and 0.05 < cmask.mean() < 0.3
    assert tmask.shape == (120, 175) and 0 < tmask.mean() < 1

    crec = [_mask_record("levir", "change", cmask)]
    crec[0]["conversations"][0]["value"] = "<image>\n<image>\n[change] Segment the new buildings."
    sc = _run(change, tmp_path, crec, _self_preds(crec))
    assert sc["F1"] == pytest.approx(1.0) and sc["IoU_change"] == pytest.approx(1.0)
    # the decoded reference is close to the real label (the grid is a lossy form)
    dec = geometry.decode(crec[0]["conversations"][1]["value"], 256, 256).objects
    assert geometry.mask_iou(geometry.objects_to_mask(dec, 256, 256), cmask) > 0.7

    srec = [_mask_record("tree-grid", "seg", tmask), _mask_record("tree-poly", "seg", tmask, form="poly")]
    ss = _run(segmentation, tmp_path, srec, _self_preds(srec))
    assert ss["mIoU"] == pytest.approx(1.0) and ss["cIoU"] == pytest.approx(1.0)
    assert ss["gIoU"] == pytest.approx(1.0) and ss["P@0.5"] == 1.0


def test_change_map_request_on_an_unchanged_pair_counts_false_alarms(tmp_path):
    """A "No change." reference to a map request is an empty map: shapes drawn there are false
    positives, "No change." is right; captioning leaves it to eval.change."""
    from eval import captioning

    def ask(rid, objects, answer=None):
        r = _record(rid, "change", objects, answer=answer, prompt="[change] Segment what changed.")
        r["meta"]["subtask"] = "change_seg_poly"
        return r

    recs = [ask("c1", [sq(10, 10, 30, 30, "building")]), ask("quiet", [], answer="No change."),
            _record("c3", "change", [], answer="Two houses were built.", prompt="[change] What changed?")]
    right = [{"id": "c1", "objects": [sq(10, 10, 30, 30)]}, {"id": "quiet", "answer": "No change."}]
    s = _run(change, tmp_path, recs, right)
    assert s["n_records"] == 2 and s["n_unparseable"] == 0
    assert s["pixels"] == {"TP": 400, "FP": 0, "FN": 0, "TN": 2 * W * H - 400} and s["IoU_change"] == 1.0
    alarm = [right[0], {"id": "quiet", "objects": [sq(100, 50, 110, 70)]}]  # 200 px drawn on an unchanged pair
    s = _run(change, tmp_path, recs, alarm)
    assert s["pixels"]["FP"] == 200 and s["precision"] == pytest.approx(400 / 600)
    assert s["IoU_change"] == pytest.approx(400 / 600)
    # --no-java: METEOR through Java took 18 s here, for a count of records
    caps = _run(captioning, tmp_path, recs, [{"id": "c3", "answer": "Two houses were built."}], "--no-java")
    assert caps["n_records"] == 1  # only the worded change; the two map requests are not captions


def test_change_all_maps_scores_unlabelled_no_change_answers(tmp_path):
    """Without ``meta.subtask`` a "No change." reference is a worded answer and is left out;
    ``--all-maps`` scores it as an empty map, so a shape drawn there is a false alarm."""
    recs = [_record("c1", "change", [sq(10, 10, 30, 30, "building")], prompt="[change] Segment what changed."),
            _record("quiet", "change", [], answer="No change.", prompt="[change] Segment what changed.")]
    preds = [{"id": "c1", "objects": [sq(10, 10, 30, 30)]}, {"id": "quiet", "objects": [sq(100, 50, 110, 70)]}]
    s = _run(change, tmp_path, recs, preds)
    assert s["n_records"] == 1 and s["pixels"]["FP"] == 0
    assert s["n_gt_other_tasks"] == {"change (not kept)": 1}
    s = _run(change, tmp_path, recs, preds, "--all-maps")
    assert s["n_records"] == 2 and s["pixels"]["FP"] == 200 and s["precision"] == pytest.approx(400 / 600)
