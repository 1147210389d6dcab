"""Stop 72, evaluation: the oriented AP against a literal transcription of the DOTA devkit's ``voc_eval`` on
adversarial cases, horizontal AP against pycocotools at the 0.5 IoU line, hand-computed pins of the other scorers,
and the report's / readers' leftovers (a name too long, grouped "What answered" rows, default options, run folders)."""

import contextlib
import io
import json
import random

import numpy as np
import pytest

from eval import change, counting, detection, dota_ap, grounding, report, segmentation
from rsvlm import geometry
from tests.conftest import eval_record, write_jsonl

# ---------------------------------------------------------------- DOTA devkit, transcribed


def _iou_poly(a, b):
    """The devkit's ``polyiou.iou_poly``: exact polygon intersection over union."""
    from shapely.geometry import Polygon

    pa, pb = Polygon(np.reshape(a, (4, 2))), Polygon(np.reshape(b, (4, 2)))
    inter = pa.intersection(pb).area
    return inter / (pa.area + pb.area - inter)


def _devkit_voc_ap(rec, prec, use_07_metric=False):
    """``voc_ap`` of CAPTAIN-WHU/DOTA_devkit ``dota_evaluation_task1.py``, as published."""
    if use_07_metric:
        ap = 0.
        for t in np.arange(0., 1.1, 0.1):
            if np.sum(rec >= t) == 0:
                p = 0
            else:
                p = np.max(prec[rec >= t])
            ap = ap + p / 11.
    else:
        mrec = np.concatenate(([0.], rec, [1.]))
        mpre = np.concatenate(([0.], prec, [0.]))
        for i in range(mpre.size - 1, 0, -1):
            mpre[i - 1] = np.maximum(mpre[i - 1], mpre[i])
        i = np.where(mrec[1:] != mrec[:-1])[0]
        ap = np.sum((mrec[i + 1] - mrec[i]) * mpre[i + 1])
    return ap


def _devkit_voc_eval(recs, imagenames, splitlines, classname, ovthresh=0.5, use_07_metric=False):
    """``voc_eval`` of the devkit, its file reading replaced by ``recs`` (image -> [{name, bbox (8 numbers),
    difficult}]) and ``splitlines`` ([image, score, 8 numbers]); its ``np.argsort`` made stable, the tie rule
    eval.dota_ap documents (numpy's default quicksort is stable below 17 items anyway)."""
    class_recs = {}
    npos = 0
    for imagename in imagenames:
        R = [obj for obj in recs[imagename] if obj['name'] == classname]
        bbox = np.array([x['bbox'] for x in R])
        difficult = np.array([x['difficult'] for x in R]).astype(bool)
        det = [False] * len(R)
        npos = npos + sum(~difficult)
        class_recs[imagename] = {'bbox': bbox, 'difficult': difficult, 'det': det}
    image_ids = [x[0] for x in splitlines]
    confidence = np.array([float(x[1]) for x in splitlines])
    BB = np.array([[float(z) for z in x[2:]] for x in splitlines]).reshape(-1, 8)
    sorted_ind = np.argsort(-confidence, kind="stable")
    BB = BB[sorted_ind, :]
    image_ids = [image_ids[x] for x in sorted_ind]
    nd = len(image_ids)
    tp = np.zeros(nd)
    fp = np.zeros(nd)
    for d in range(nd):
        R = class_recs[image_ids[d]]
        bb = BB[d, :].astype(float)
        ovmax = -np.inf
        BBGT = R['bbox'].astype(float)
        if BBGT.size > 0:
            BBGT_xmin, BBGT_ymin = np.min(BBGT[:, 0::2], axis=1), np.min(BBGT[:, 1::2], axis=1)
            BBGT_xmax, BBGT_ymax = np.max(BBGT[:, 0::2], axis=1), np.max(BBGT[:, 1::2], axis=1)
            bb_xmin, bb_ymin, bb_xmax, bb_ymax = np.min(bb[0::2]), np.min(bb[1::2]), np.max(bb[0::2]), np.max(bb[1::2])
            ixmin, iymin = np.maximum(BBGT_xmin, bb_xmin), np.maximum(BBGT_ymin, bb_ymin)
            ixmax, iymax = np.minimum(BBGT_xmax, bb_xmax), np.minimum(BBGT_ymax, bb_ymax)
            iw = np.maximum(ixmax - ixmin + 1., 0.)
            ih = np.maximum(iymax - iymin + 1., 0.)
            inters = iw * ih
            uni = ((bb_xmax - bb_xmin + 1.) * (bb_ymax - bb_ymin + 1.)
                   + (BBGT_xmax - BBGT_xmin + 1.) * (BBGT_ymax - BBGT_ymin + 1.) - inters)
            overlaps = inters / uni
            BBGT_keep = BBGT[overlaps > 0, :]
            BBGT_keep_index = np.where(overlaps > 0)[0]
            if len(BBGT_keep) > 0:
                overlaps = [_iou_poly(g, bb) for g in BBGT_keep]
                ovmax = np.max(overlaps)
                jmax = BBGT_keep_index[np.argmax(overlaps)]
        if ovmax > ovthresh:
            if not R['difficult'][jmax]:
                if not R['det'][jmax]:
                    tp[d] = 1.
                    R['det'][jmax] = 1
                else:
                    fp[d] = 1.
        else:
            fp[d] = 1.
    fp = np.cumsum(fp)
    tp = np.cumsum(tp)
    rec = tp / float(npos)
    prec = tp / np.maximum(tp + fp, np.finfo(np.float64).eps)
    return _devkit_voc_ap(rec, prec, use_07_metric)


def _rect(x1, y1, x2, y2):
    return [[x1, y1], [x2, y1], [x2, y2], [x1, y2]]


def devkit_map(gts, dets, label):
    """The DOTA devkit's (VOC 2007 11-point, area) AP of ``label`` over per-image truths and detections (obb dicts)."""
    recs = {f"i{k}": [{"name": o["label"], "bbox": sum(o["coords"], []), "difficult": int(bool(o.get("difficult")))}
                      for o in img] for k, img in enumerate(gts)}
    lines = [(f"i{k}", o["score"], *sum(o["coords"], [])) for k, img in enumerate(dets) for o in img
             if o["label"] == label]
    return tuple(_devkit_voc_eval(recs, list(recs), lines, label, use_07_metric=m) for m in (True, False))


def _obb(label, x1, y1, x2, y2, score=None, difficult=False):
    return {"kind": "obb", "label": label, "coords": _rect(x1, y1, x2, y2),
            **({"score": score} if score is not None else {}), **({"difficult": True} if difficult else {})}


ADVERSARIAL = {
    # a detection at IoU exactly 0.5 (half a truth's area, inside it) is no hit: '>' 0.5 in both
    "iou_line": ([[_obb("a", 0, 0, 20, 10)]], [[_obb("a", 0, 0, 10, 10, 0.9), _obb("a", 0, 0, 20, 10, 0.5)]]),
    # one detection over two truths takes the larger IoU; a second detection of that truth is a FP though
    # the other truth fits it (the devkit does not look past the largest-IoU truth)
    "two_truths": ([[_obb("a", 0, 0, 10, 10), _obb("a", 2, 0, 12, 10)]],
                   [[_obb("a", 1, 0, 11, 10, 0.9), _obb("a", 1, 0, 11, 10, 0.8), _obb("a", 2, 0, 12, 10, 0.7)]]),
    # equal scores: file order (image 0 before image 1) decides; an image without truths gives FPs only
    "ties_and_empty_image": ([[_obb("a", 0, 0, 10, 10)], [], [_obb("a", 0, 0, 10, 10)]],
                             [[_obb("a", 30, 30, 40, 40, 0.5)], [_obb("a", 0, 0, 10, 10, 0.5)],
                              [_obb("a", 0, 0, 10, 10, 0.5)]]),
    # duplicates on a difficult truth are ignored however many; a missed difficult truth costs nothing
    "difficult": ([[_obb("a", 0, 0, 10, 10), _obb("a", 50, 0, 60, 10, difficult=True),
                    _obb("a", 80, 0, 90, 10, difficult=True)]],
                  [[_obb("a", 50, 0, 60, 10, 0.9), _obb("a", 51, 0, 61, 10, 0.8), _obb("a", 0, 0, 10, 10, 0.7),
                    _obb("a", 200, 0, 210, 10, 0.6)]]),
    # a class of detections only, and a class of truths only, beside class a
    "empty_classes": ([[_obb("a", 0, 0, 10, 10), _obb("b", 40, 40, 50, 50)]],
                      [[_obb("a", 0, 0, 10, 10, 0.3), _obb("c", 40, 40, 50, 50, 0.9)]]),
}


@pytest.mark.parametrize("case", list(ADVERSARIAL))
def test_oriented_ap_equals_the_devkits_voc_eval_on_adversarial_cases(case):
    gts, dets = ADVERSARIAL[case]
    out = dota_ap.dota_map(gts, dets)
    for label, got in out["per_class"].items():
        want = devkit_map(gts, dets, label)
        assert (got["AP50_voc07"], got["AP50_area"]) == pytest.approx(want, abs=1e-12), label
    if case == "iou_line":
        assert out["per_class"]["a"]["n_tp"] == 1 and out["mAP50_area"] == pytest.approx(0.5)
    if case == "empty_classes":  # b: no detection, AP 0 in the mean; c: no truth, counted, not scored
        assert out["per_class"]["b"]["AP50_voc07"] == 0 and out["n_det_unknown_class"] == 1
        assert out["mAP50_voc07"] == pytest.approx(0.5)


def test_oriented_ap_equals_the_devkits_voc_eval_on_random_grid_cases():
    """Rectangles on a coarse integer grid, so that IoUs land exactly on 0.5, touch, nest and tie in score."""
    rng = random.Random(72)
    compared = 0
    for _ in range(400):
        gts, dets = [], []
        for _img in range(rng.randrange(1, 4)):
            gts.append([_obb(rng.choice("ab"), x, y, x + rng.choice([10, 20]), y + 10, difficult=rng.random() < 0.2)
                        for x, y in ((rng.randrange(0, 40, 5), rng.randrange(0, 40, 5)) for _ in range(rng.randrange(4)))])
            dets.append([_obb(rng.choice("ab"), x, y, x + rng.choice([10, 20]), y + 10, rng.choice([0.5, 0.7, 0.9]))
                         for x, y in ((rng.randrange(0, 40, 5), rng.randrange(0, 40, 5)) for _ in range(rng.randrange(5)))])
        for label, got in dota_ap.dota_map(gts, dets)["per_class"].items():
            if got["AP50_voc07"] is None:  # difficult truth only: the devkit divides 0 by 0
                continue
            assert (got["AP50_voc07"], got["AP50_area"]) == pytest.approx(devkit_map(gts, dets, label), abs=1e-12)
            compared += 1
    assert compared > 300


# ---------------------------------------------------------------- horizontal, pycocotools at the 0.5 line


def _det_record(rid, objects, w=100, h=100):
    return {"id": rid, "images": [{"path": f"{rid}.png", "modality": "optical"}], "task": "det",
            "conversations": [{"from": "human", "value": "<image>\n[det] Detect every object."},
                              {"from": "gpt", "value": geometry.encode(objects, w, h) or "None."}],
            "meta": {"width": w, "height": h}}


def test_horizontal_ap_at_the_iou_line_ties_and_empty_images_equals_pycocotools(tmp_path):
    """Boxes on the grammar's bin centres (exact after encoding): a detection at IoU exactly 0.5 is a hit at 0.5 in
    COCO (``>=``), unlike the DOTA devkit's ``>``; ties in score keep file order; an image without truth."""
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    c = lambda v: v + 0.05  # noqa: E731  (bin centres at 100 px: 0.05, 0.15, …)
    gt = {"a": [{"kind": "box", "label": "ship", "coords": [c(0), c(0), c(20), c(10)]}],
          "b": [], "c": [{"kind": "box", "label": "ship", "coords": [c(40), c(40), c(60), c(60)]}]}
    pred = {"a": [{"kind": "box", "label": "ship", "coords": [c(0), c(0), c(10), c(10)], "score": 0.5}],  # IoU 0.5
            "b": [{"kind": "box", "label": "ship", "coords": [c(0), c(0), c(10), c(10)], "score": 0.5}],
            "c": [{"kind": "box", "label": "ship", "coords": [c(40), c(40), c(60), c(60)], "score": 0.5},
                  {"kind": "box", "label": "ship", "coords": [c(41), c(40), c(61), c(60)], "score": 0.5}]}
    g = write_jsonl(tmp_path / "gt.jsonl", [_det_record(k, v) for k, v in gt.items()])
    p = write_jsonl(tmp_path / "p.jsonl", [{"id": k, "task": "det", "answer": "", "objects": v} for k, v in pred.items()])
    ours = detection.main(["--gt", g, "--pred", p])
    ds = {"images": [{"id": i + 1, "width": 100, "height": 100} for i in range(3)],
          "categories": [{"id": 1, "name": "ship"}], "annotations": []}
    res = []
    for i, k in enumerate(gt):
        for o in gt[k]:
            x1, y1, x2, y2 = o["coords"]
            ds["annotations"].append({"id": len(ds["annotations"]) + 1, "image_id": i + 1, "category_id": 1,
                                      "iscrowd": 0, "bbox": [x1, y1, x2 - x1, y2 - y1], "area": (x2 - x1) * (y2 - y1)})
        res += [{"image_id": i + 1, "category_id": 1, "score": o["score"],
                 "bbox": [o["coords"][0], o["coords"][1], o["coords"][2] - o["coords"][0], o["coords"][3] - o["coords"][1]]}
                for o in pred[k]]
    with contextlib.redirect_stdout(io.StringIO()):
        coco = COCO()
        coco.dataset = ds
        coco.createIndex()
        ev = COCOeval(coco, coco.loadRes(res), "bbox")
        ev.evaluate(), ev.accumulate(), ev.summarize()
    assert ours["mAP50"] == pytest.approx(ev.stats[1], abs=1e-9) and ours["mAP"] == pytest.approx(ev.stats[0], abs=1e-9)
    # ranks: a (TP at 0.5 exactly), b (FP), c (TP), c (FP): P = 1, 1/2, 2/3, 1/2 at R = 1/2, 1/2, 1, 1
    assert ours["mAP50"] == pytest.approx((51 * 1 + 50 * 2 / 3) / 101, abs=1e-9)


# ---------------------------------------------------------------- the other scorers, hand-computed


def _rec(rid, task, question, objects, w=10, h=10, **meta):
    r = eval_record(rid, task, question, geometry.encode(objects, w, h) or "None.", **meta)
    r["meta"] = {**r.get("meta", {}), "width": w, "height": h}
    return r


def _box(x1, y1, x2, y2, label=None):
    return {"kind": "box", "coords": [x1, y1, x2, y2], **({"label": label} if label else {})}


def test_segmentation_miou_pools_each_class_over_the_set_not_per_image(tmp_path):
    """Class ship: image 1 IoU 50/100 pixels, image 2 IoU 0/4 -> pooled 50/104, not (0.5 + 0) / 2; class plane: 1.
    mIoU is the mean of the classes' pooled IoUs; gIoU the mean of the units'."""
    recs = [_rec("s1", "seg", "[seg] Segment the ship.", [_box(0, 0, 10, 10, "ship")]),
            _rec("s2", "seg", "[seg] Segment the ship.", [_box(0, 0, 2, 2, "ship")]),
            _rec("s3", "seg", "[seg] Segment the plane.", [_box(0, 0, 4, 4, "plane")])]
    preds = [{"id": "s1", "task": "seg", "answer": "", "objects": [_box(0, 0, 10, 5)]},
             {"id": "s2", "task": "seg", "answer": "", "objects": [_box(5, 5, 7, 7)]},
             {"id": "s3", "task": "seg", "answer": "", "objects": [_box(0, 0, 4, 4)]}]
    s = segmentation.main(["--gt", write_jsonl(tmp_path / "g.jsonl", recs),
                           "--pred", write_jsonl(tmp_path / "p.jsonl", preds)])
    assert s["per_class_IoU"]["ship"] == pytest.approx(50 / 108)  # 50 ∩; ∪ 100 + 4 + 4
    assert s["mIoU"] == pytest.approx((50 / 108 + 1) / 2)
    assert s["gIoU"] == pytest.approx((0.5 + 0 + 1) / 3)
    assert s["cIoU"] == pytest.approx((50 + 0 + 16) / (100 + 8 + 16))


def test_segmentation_shapes_of_a_set_class_a_several_class_reference_lacks_are_that_classs_false_positives(
        tmp_path, capsys):
    """Semantic segmentation's mIoU (a confusion matrix over the set, as mmseg's) counts a class drawn where the
    reference has none against that class; they were left out as "no class of their reference", so a model drawing
    ships on every image lost nothing. Record 2 lacks ship; its 20-pixel ship goes to ship's union alone."""
    recs = [_rec("m1", "seg", "[seg] Segment all.", [_box(0, 0, 5, 5, "ship"), _box(5, 5, 10, 10, "tree")]),
            _rec("m2", "seg", "[seg] Segment all.", [_box(0, 0, 5, 5, "tree"), _box(5, 5, 10, 10, "road")])]
    preds = [{"id": "m1", "task": "seg", "answer": "", "objects": [_box(0, 0, 5, 5, "ship"), _box(5, 5, 10, 10, "tree")]},
             {"id": "m2", "task": "seg", "answer": "", "objects": [
                 _box(0, 0, 5, 5, "tree"), _box(5, 5, 10, 10, "road"), _box(5, 0, 10, 4, "ships"),
                 _box(0, 6, 2, 8, "car")]}]
    s = segmentation.main(["--gt", write_jsonl(tmp_path / "g.jsonl", recs),
                           "--pred", write_jsonl(tmp_path / "p.jsonl", preds)])
    assert s["per_class_IoU"] == pytest.approx({"ship": 25 / 45, "tree": 1.0, "road": 1.0})
    assert s["mIoU"] == pytest.approx((25 / 45 + 2) / 3)
    assert s["cIoU"] == pytest.approx(100 / 120) and s["gIoU"] == pytest.approx(1.0) and s["n_units"] == 4
    assert s["n_pred_objects_unknown_class"] == 1  # car: no reference of the set has it
    assert "1 predicted shape in several-class records names no class of the set's references" in capsys.readouterr().out


def test_change_scores_pool_pixels_and_an_empty_map_answered_empty_adds_only_true_negatives(tmp_path):
    recs = [_rec("c1", "change", "[change] Segment the changed buildings.", [_box(0, 0, 4, 5)]),
            _rec("c2", "change", "[change] Segment the changed buildings.", [], subtask="change_seg_building")]
    preds = [{"id": "c1", "task": "change", "answer": "", "objects": [_box(2, 0, 6, 5)]},  # 10 TP, 10 FP, 10 FN
             {"id": "c2", "task": "change", "answer": "No change."}]
    s = change.main(["--gt", write_jsonl(tmp_path / "g.jsonl", recs),
                     "--pred", write_jsonl(tmp_path / "p.jsonl", preds)])
    assert s["pixels"] == {"TP": 10, "FP": 10, "FN": 10, "TN": 170}
    assert (s["precision"], s["recall"], s["F1"]) == pytest.approx((0.5, 0.5, 0.5))
    assert s["IoU_change"] == pytest.approx(1 / 3) and s["IoU_unchanged"] == pytest.approx(170 / 190)


def test_grounding_acc50_needs_one_box_per_reference_box_and_several_boxes_share_the_record_iou(tmp_path):
    ship = _box(0.05, 0.05, 10.05, 10.05)  # on bin centres at 100 px: exact after encoding
    recs = [_rec("g1", "ground", "[ground] the ship", [ship], w=100, h=100),
            _rec("g2", "ground", "[ground] the ship", [ship], w=100, h=100)]
    preds = [{"id": "g1", "task": "ground", "answer": "", "objects": [_box(0.05, 0.05, 10.05, 5.05)]},  # IoU 0.5: right
             {"id": "g2", "task": "ground", "answer": "", "objects": [ship, _box(50, 50, 60, 60)]}]
    s = grounding.main(["--gt", write_jsonl(tmp_path / "g.jsonl", recs),
                        "--pred", write_jsonl(tmp_path / "p.jsonl", preds)])
    assert s["acc50"] == pytest.approx(0.5)  # g2's extra box makes the record wrong
    assert s["mIoU"] == pytest.approx((0.5 + 1 / 2) / 2)  # g2: IoU 1 over max(1, 2) boxes


def test_counting_exact_mae_and_off_by_one(tmp_path):
    recs = [eval_record(f"n{i}", "count", "[count] How many ships?", str(v)) for i, v in enumerate((3, 5, 0, 10))]
    preds = [{"id": "n0", "task": "count", "answer": "3"}, {"id": "n1", "task": "count", "answer": "six ships"},
             {"id": "n2", "task": "count", "answer": "There are none."}, {"id": "n3", "task": "count", "answer": "7"}]
    s = counting.main(["--gt", write_jsonl(tmp_path / "g.jsonl", recs),
                       "--pred", write_jsonl(tmp_path / "p.jsonl", preds)])
    assert (s["accuracy"], s["off_by_one_accuracy"]) == pytest.approx((0.5, 0.75))
    assert s["MAE"] == pytest.approx((0 + 1 + 0 + 3) / 4) and s["RMSE"] == pytest.approx(np.sqrt(10 / 4))


@pytest.mark.parametrize("ref, answer, right", [
    ("more than 1000", "More than 1,000.", True),  # a thousands comma: was "more than 1 000", wrong
    ("between 1000 and 10000", "between 1,000 and 10,000", True),
    ("Yes", "yes, there is one", True), ("No, there is none.", "No", True), ("no", "Not at all", False),
    ("the harbor", "A harbor.", True), ("2", "two", True), ("2", "3", False), ("rural", "Rural area", False),
])
def test_vqa_normalisation(tmp_path, ref, answer, right):
    from eval import vqa

    s = vqa.main(["--gt", write_jsonl(tmp_path / "g.jsonl", [eval_record("q", "vqa", "[vqa] Q?", ref)]),
                  "--pred", write_jsonl(tmp_path / "p.jsonl", [{"id": "q", "task": "vqa", "answer": answer}])])
    assert s["accuracy"] == float(right)


# ---------------------------------------------------------------- leftovers: names too long, the report


LONG = "a" * 300


@pytest.mark.parametrize("argv, flag", [(["--gt", f"{LONG}.jsonl", "--pred", "p.jsonl"], "--gt"),
                                        (["--gt", "g.jsonl", "--pred", f"{LONG}/p.jsonl"], "--pred"),
                                        (["--gt", "g.jsonl", "--pred", "p.jsonl", "--image-root", LONG], "--image-root")])
def test_an_input_name_too_long_names_its_option(tmp_path, monkeypatch, capsys, argv, flag):
    """Was "error: [Errno 36] File name too long: 'aaa…'", naming the path but not which option gave it."""
    monkeypatch.chdir(tmp_path)
    from eval import vqa

    with pytest.raises(SystemExit) as e:
        vqa.main(argv)
    err = capsys.readouterr().err
    assert e.value.code == 2 and f"error: {flag} " in err and "more than the" in err and "Errno" not in err


def test_rsvlm_eval_and_report_name_the_option_of_a_name_too_long(tmp_path, monkeypatch, capsys):
    """rsvlm eval --data ended in a traceback (Path.is_dir raised); eval.report --scores / --dir said [Errno 36]."""
    from rsvlm.cli import main

    monkeypatch.chdir(tmp_path)
    assert main(["eval", "--data", f"{LONG}.jsonl", "--out", "p.jsonl"]) == 2
    assert "rsvlm eval: --data " in (err := capsys.readouterr().err) and "Errno" not in err
    for flag in ("--scores", "--dir"):
        with pytest.raises(SystemExit):
            report.main([flag, LONG])
        assert f"error: {flag} {LONG}: the name" in capsys.readouterr().err


def _score_file(path, task, pred, options, model="/runs/m/final"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"task": task, "headline": ["accuracy"], "accuracy": 0.5, "n_records": 2, "pred": pred,
                                "run": {"model": model, "weights": {}, "options": options, "limit": None}}))
    return str(path)


STAMP = {"max_new_tokens": 256, "free_decoding": False, "tta": "none", "min_objects": 0, "det_by_class": False,
         "missing_bands": "error", "load_4bit": False, "load_8bit": False, "dtype": "float32"}


def _answered_rows(md):
    return [ln for ln in md.split("## What answered")[1].splitlines() if ln.startswith("|")][2:]


def test_what_answered_groups_the_files_of_one_run_and_shows_only_options_set_otherwise(tmp_path, capsys):
    files = [_score_file(tmp_path / f"{t}.json", t, "p.jsonl", STAMP) for t in ("vqa", "counting", "classification")]
    files.append(_score_file(tmp_path / "other.json", "vqa", "q.jsonl", {**STAMP, "missing_bands": "copy",
                                                                         "max_new_tokens": 64}))
    report.main(["--scores", *files])
    rows = _answered_rows(capsys.readouterr().out)
    assert len(rows) == 2  # was one row per file, three of them the same
    assert "vqa.json, counting.json, classification.json" in rows[0] and "vqa, counting, classification" in rows[0]
    assert "missing_bands" not in rows[0] and "max_new_tokens" not in rows[0] and "dtype=float32" in rows[0]
    assert "max_new_tokens=64" in rows[1] and "missing_bands=copy" in rows[1]


def test_the_defaults_left_out_are_rsvlm_evals_own():
    d = report.answer_defaults()
    assert (d["missing_bands"], d["max_new_tokens"], d["tta"]) == ("error", 256, "none")


def test_dir_of_two_runs_names_each_row_by_its_run_folder(tmp_path, capsys):
    """``--dir runA runB`` of different tasks named the rows vqa.json and detection.json, no run in sight."""
    _score_file(tmp_path / "runA" / "vqa.json", "vqa", "a.jsonl", STAMP)
    _score_file(tmp_path / "runB" / "counting.json", "counting", "b.jsonl", STAMP)
    rep = report.main(["--dir", str(tmp_path / "runA"), str(tmp_path / "runB")])
    assert [r["source"] for r in rep["metrics"]] == ["runA/vqa.json", "runB/counting.json"]
    assert report.source_labels([tmp_path / "runA" / "vqa.json", tmp_path / "runA" / "x.json"]) == ["vqa.json", "x.json"]


CAPTIONS = {  # answer, then RSICD-style references (the record's own answer first, meta.references after)
    "c1": ("Many boats are parked near the pier.", ["Many boats are docked at a pier.", "Some boats near a harbour.",
                                                    "There are many boats beside the pier, in blue water."]),
    "c2": ("A green park with trees", ["A park with many green trees.", "Green trees surround a lawn.",
                                       "The park's lawn is green; trees are around it."]),
    "c3": ("Two white airplanes at an airport.", ["Two airplanes are parked at the airport.",
                                                  "Some planes stop at an airport near a runway."]),
}


@pytest.mark.parametrize("java", [True, False], ids=["ptb", "no-java"])
def test_captioning_with_several_references_equals_pycocoevalcaps_own_run(tmp_path, monkeypatch, java):
    """BLEU-4, ROUGE-L and CIDEr of records with several references each, against pycocoevalcap fed directly: its
    PTBTokenizer (the COCO caption protocol) with Java, eval.captioning's Python stand-in without. METEOR, not
    compared here, is stubbed: its JVM and paraphrase tables took ~35 s of the test's 38 on 2 cores."""
    import shutil

    from pycocoevalcap.bleu.bleu import Bleu
    from pycocoevalcap.cider.cider import Cider
    from pycocoevalcap.meteor import meteor
    from pycocoevalcap.rouge.rouge import Rouge

    from eval import captioning

    if java and not shutil.which("java"):
        pytest.skip("no java on the PATH: PTBTokenizer cannot run")

    class NoMeteor:
        def compute_score(self, refs, cands):
            return 0.0, []

    monkeypatch.setattr(meteor, "Meteor", NoMeteor)
    recs = [{**eval_record(k, "cap", "[cap] Describe the image.", refs[0]), "meta": {"references": refs[1:]}}
            for k, (_, refs) in CAPTIONS.items()]
    preds = [{"id": k, "task": "cap", "answer": a} for k, (a, _) in CAPTIONS.items()]
    s = captioning.main(["--gt", write_jsonl(tmp_path / "g.jsonl", recs),
                         "--pred", write_jsonl(tmp_path / "p.jsonl", preds), *([] if java else ["--no-java"])])
    if java:
        from pycocoevalcap.tokenizer.ptbtokenizer import PTBTokenizer

        with contextlib.redirect_stdout(io.StringIO()):
            tok = PTBTokenizer()
            refs = tok.tokenize({k: [{"caption": c} for c in r] for k, (_, r) in CAPTIONS.items()})
            cands = tok.tokenize({k: [{"caption": a}] for k, (a, _) in CAPTIONS.items()})
    else:
        refs = {k: [captioning.python_tokenize(c) for c in r] for k, (_, r) in CAPTIONS.items()}
        cands = {k: [captioning.python_tokenize(a)] for k, (a, _) in CAPTIONS.items()}
    with contextlib.redirect_stdout(io.StringIO()):
        bleu = Bleu(4).compute_score(refs, cands, verbose=0)[0]
    assert s["tokenizer"] == ("ptb" if java else "python")
    assert s["BLEU-4"] == pytest.approx(bleu[3], abs=1e-12) and s["BLEU-1"] == pytest.approx(bleu[0], abs=1e-12)
    assert s["ROUGE-L"] == pytest.approx(Rouge().compute_score(refs, cands)[0], abs=1e-12)
    assert s["CIDEr"] == pytest.approx(Cider().compute_score(refs, cands)[0], abs=1e-12)
    assert 0 < s["BLEU-4"] < s["BLEU-1"] < 1


def test_oriented_ap_equals_the_devkits_voc_eval_on_a_real_dota_scene(realdata):
    """DOTA P1888's 64 quads (dense, touching vehicles; its difficult column read) against detections made from them:
    shifted and turned copies, duplicates, misses and false positives, scores with ties, on both sides unclipped."""
    lines = (realdata / "obb_dota" / "P1888.txt").read_text().splitlines()[2:]
    gts = [[{"kind": "obb", "label": f[8], "coords": np.reshape([float(v) for v in f[:8]], (4, 2)).tolist(),
             **({"difficult": True} if f[9] == "1" else {})} for f in (ln.split() for ln in lines if ln.strip())]]
    rng = random.Random(1888)
    dets = [[]]
    for o in gts[0]:
        quad = np.array(o["coords"])
        for _ in range(rng.choice([0, 1, 1, 2])):  # missed, found, found twice
            angle = np.deg2rad(rng.uniform(-25, 25))
            rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
            c = quad.mean(axis=0)
            moved = (quad - c) @ rot.T + c + [rng.uniform(-4, 4), rng.uniform(-4, 4)]
            dets[0].append({"kind": "obb", "label": o["label"], "coords": moved.tolist(),
                            "score": rng.choice([0.3, 0.5, 0.5, 0.8, rng.random()])})
    for _ in range(10):  # false positives
        x, y = rng.uniform(0, 680), rng.uniform(0, 530)
        dets[0].append(_obb(rng.choice(["small-vehicle", "large-vehicle"]), x, y, x + 20, y + 10, rng.random()))
    out = dota_ap.dota_map(gts, dets)
    assert set(out["per_class"]) == {"small-vehicle", "large-vehicle"}
    for label, got in out["per_class"].items():
        assert (got["AP50_voc07"], got["AP50_area"]) == pytest.approx(devkit_map(gts, dets, label), abs=1e-12)
        assert 0.2 < got["AP50_area"] < 1


def test_the_flag_rows_left_out_are_said_by_task(tmp_path, capsys):
    """vqa's n_pred_errors row was in the table while the line under it said "rows left out, 0 in every file of their
    task: n_pred_errors, …" (counting's): which task's rows were left out is said now."""
    files = []
    for task, errors in (("vqa", 1), ("counting", 0)):
        path = tmp_path / f"{task}.json"
        path.write_text(json.dumps({"task": task, "headline": ["accuracy"], "accuracy": 0.5, "n_records": 2,
                                    "n_missing": 0, "n_unparseable": 0, "n_pred_errors": errors, "n_pred_cut": 0,
                                    "n_pred_past_context": 0}))
        files.append(str(path))
    report.main(["--scores", *files])
    counts = capsys.readouterr().out.split("## Records")[1].split("## What")[0]
    assert "| vqa      | vqa.json      | n_pred_errors" in counts
    assert ("- rows left out, 0 in every file of their task: n_pred_cut, n_pred_past_context (vqa); n_pred_errors, "
            "n_pred_cut, n_pred_past_context (counting)") in counts
