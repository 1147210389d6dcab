"""eval.detection against pycocotools itself (horizontal) and an independent DOTA-style AP
(oriented), on data written as instruction records and predictions files."""

import contextlib
import io
import json
import random

import numpy as np
import pytest

from eval import detection
from rsvlm import geometry


def _record(rid, objects, w, h, modality="optical", prompt="[det] Detect every object."):
    return {"id": rid, "images": [{"path": f"{rid}.png", "modality": modality}],
            "conversations": [{"from": "human", "value": "<image>\n" + prompt},
                              {"from": "gpt", "value": geometry.encode(objects, w, h) or "None."}],
            "task": "det", "meta": {"width": w, "height": h}}


def _write(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _centre(b, size):
    """Pixel coordinate of bin b's centre: survives encode/decode exactly."""
    return (b + 0.5) / 1000 * size


def _rand_box(rng, w, h):
    x1, y1 = rng.randrange(0, 900), rng.randrange(0, 900)
    x2, y2 = x1 + rng.randrange(5, 100), y1 + rng.randrange(5, 100)
    return [_centre(x1, w), _centre(y1, h), _centre(x2, w), _centre(y2, h)]


def _jitter(rng, box, w, h):
    bins = [min(999, max(0, round(v / s * 1000 - 0.5) + rng.randrange(-6, 7)))
            for v, s in zip(box, (w, h, w, h))]
    x1, x2 = sorted((bins[0], bins[2]))
    y1, y2 = sorted((bins[1], bins[3]))
    return [_centre(x1, w), _centre(y1, h), _centre(x2, w), _centre(y2, h)]


def _random_case(seed, n_images=40, classes=("plane", "ship", "storage tank", "small vehicle", "bridge")):
    """GT and predictions with true hits, near misses, duplicates, false positives, misses."""
    rng = random.Random(seed)
    gts, preds, sizes = [], [], []
    for _ in range(n_images):
        w, h = rng.choice([(800, 600), (512, 512), (1024, 300), (300, 700)])
        gt = [{"kind": "box", "label": rng.choice(classes), "coords": _rand_box(rng, w, h)}
              for _ in range(rng.randrange(0, 8))]
        pred = []
        for o in gt:
            r = rng.random()
            if r < 0.15:
                continue  # missed
            pred.append({**o, "coords": _jitter(rng, o["coords"], w, h), "score": rng.random()})
            if r > 0.85:  # duplicate
                pred.append({**o, "coords": _jitter(rng, o["coords"], w, h), "score": rng.random()})
        for _ in range(rng.randrange(0, 3)):  # false positives, some of a class no image has
            pred.append({"kind": "box", "label": rng.choice((*classes, "helicopter")),
                         "coords": _rand_box(rng, w, h), "score": rng.random()})
        rng.shuffle(pred)
        gts.append(gt)
        preds.append(pred)
        sizes.append((w, h))
    return gts, preds, sizes


def _direct_cocoeval(gts, preds, sizes, order, scored):
    """pycocotools on the same boxes, built here independently; images numbered in ``order``."""
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    names = sorted({o["label"] for img in gts + preds for o in img})
    cid = {n: i + 1 for i, n in enumerate(names)}
    img_id = {k: rank + 1 for rank, k in enumerate(order)}
    ds = {"images": [{"id": img_id[k], "width": sizes[k][0], "height": sizes[k][1]} for k in range(len(gts))],
          "categories": [{"id": v, "name": n} for n, v in cid.items()], "annotations": []}
    for k, img in enumerate(gts):
        for o in img:
            x1, y1, x2, y2 = o["coords"]
            ds["annotations"].append({"id": len(ds["annotations"]) + 1, "image_id": img_id[k], "iscrowd": 0,
                                      "category_id": cid[o["label"]], "bbox": [x1, y1, x2 - x1, y2 - y1],
                                      "area": (x2 - x1) * (y2 - y1)})
    res = []
    for k in order:
        for o in preds[k]:
            x1, y1, x2, y2 = o["coords"]
            res.append({"image_id": img_id[k], "category_id": cid[o["label"]], "bbox": [x1, y1, x2 - x1, y2 - y1],
                        "score": o["score"] if scored else 1.0})
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO()
        gt.dataset = ds
        gt.createIndex()
        ev = COCOeval(gt, gt.loadRes(res), "bbox")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return ev.stats


@pytest.mark.parametrize("scored", [True, False], ids=["scores", "ties-by-order"])
def test_horizontal_map_equals_pycocotools(tmp_path, scored):
    gts, preds, sizes = _random_case(seed=7)
    recs = [_record(f"img{k}", g, *sizes[k]) for k, g in enumerate(gts)]
    order = list(range(len(gts)))
    random.Random(1).shuffle(order)  # predictions file in another order than the ground truth
    order = [k for k in order if k != 3]  # one record has no prediction at all
    rows = []
    for k in order:
        if scored:
            rows.append({"id": f"img{k}", "task": "det", "answer": "",
                         "objects": [{k2: v for k2, v in o.items()} for o in preds[k]]})
        else:  # no scores: objects rank by their order in the answer, answers by file order
            rows.append({"id": f"img{k}", "task": "det", "answer": geometry.encode(
                [{k2: v for k2, v in o.items() if k2 != "score"} for o in preds[k]], *sizes[k])})
    gt_path = _write(tmp_path / "gt.jsonl", recs)
    pred_path = _write(tmp_path / "pred.jsonl", rows)
    scores = detection.main(["--gt", str(gt_path), "--pred", str(pred_path), "--out", str(tmp_path / "s.json")])

    preds_eff = [p if k != 3 else [] for k, p in enumerate(preds)]
    if not scored:  # encode regroups objects by label: rank them as the answer text lists them
        preds_eff = [[{**o, "score": 1.0} for o in geometry.decode(geometry.encode(
            [{k2: v for k2, v in o.items() if k2 != "score"} for o in p], *sizes[k]), *sizes[k]).objects]
            if p else [] for k, p in enumerate(preds_eff)]
    stats = _direct_cocoeval(gts, preds_eff, sizes, order + [3], scored)
    assert scores["n_records"] == 40 and scores["n_missing"] == 1 and scores["n_unparseable"] == 0
    assert 0.2 < stats[0] < 0.95  # a case with real misses and false positives
    assert scores["mAP"] == pytest.approx(stats[0], abs=1e-6)
    assert scores["mAP50"] == pytest.approx(stats[1], abs=1e-6)
    assert scores["mAP75"] == pytest.approx(stats[2], abs=1e-6)
    assert scores["AR100"] == pytest.approx(stats[8], abs=1e-6)
    assert json.loads((tmp_path / "s.json").read_text())["mAP50"] == scores["mAP50"]


def test_ties_follow_file_order(tmp_path):
    """Two equal-score detections competing for one ground truth: the earlier answer wins."""
    w, h = 1000, 500
    gt_box = {"kind": "box", "label": "ship", "coords": [_centre(100, w), _centre(100, h), _centre(300, w),
                                                          _centre(300, h)]}
    recs = [_record("a", [gt_box], w, h), _record("b", [], w, h)]
    hit, miss = geometry.encode([gt_box], w, h), geometry.encode([{**gt_box, "coords": [1, 1, 20, 20]}], w, h)
    # miss first in file order: P/R goes FP then TP -> AP50 < 1; hit first -> AP50 = 1
    first = _write(tmp_path / "p1.jsonl", [{"id": "b", "answer": miss}, {"id": "a", "answer": hit}])
    second = _write(tmp_path / "p2.jsonl", [{"id": "a", "answer": hit}, {"id": "b", "answer": miss}])
    gt = _write(tmp_path / "gt.jsonl", recs)
    s1 = detection.main(["--gt", str(gt), "--pred", str(first)])
    s2 = detection.main(["--gt", str(gt), "--pred", str(second)])
    assert s2["mAP50"] == pytest.approx(1.0)
    assert s1["mAP50"] == pytest.approx(0.5, abs=0.01)  # 101-point COCO interpolation of P=0.5 at R=1


# ---------------------------------------------------------------- oriented (DOTA)


def _dota_reference(gts, dets, thr=0.5):
    """The DOTA devkit's voc_eval, written out plainly: returns (AP 11-point, AP all-point)."""
    npos = len(gts)
    used = [False] * npos
    ranked = sorted(range(len(dets)), key=lambda i: -dets[i][1])  # sorted() is stable
    tp, fp = [], []
    for i in ranked:
        img, _, quad = dets[i]
        best, jbest = -1.0, -1
        for j, (gimg, gq) in enumerate(gts):
            if gimg == img:
                v = geometry.polygon_iou(gq, quad)
                if v > best:
                    best, jbest = v, j
        if best > thr and not used[jbest]:
            used[jbest] = True
            tp.append(1), fp.append(0)
        else:
            tp.append(0), fp.append(1)
    ctp, cfp = np.cumsum(tp), np.cumsum(fp)
    rec, prec = ctp / npos, ctp / (ctp + cfp)
    ap07 = sum(max([p for p, r in zip(prec, rec) if r >= t], default=0.0) for t in np.linspace(0, 1, 11)) / 11
    # all-point: area under the interpolated curve, summed at each recall step
    area, prev_r = 0.0, 0.0
    for k in range(len(rec)):
        if rec[k] > prev_r:
            area += (rec[k] - prev_r) * max(prec[k:])
            prev_r = rec[k]
    return ap07, area


def _oriented_case():
    q = geometry.rbox_to_quad
    gts = {  # image -> [(label, quad)]
        0: [("plane", q(200, 150, 120, 40, 30)), ("plane", q(500, 300, 100, 30, -60)),
            ("ship", q(650, 100, 80, 20, 15))],
        1: [("plane", q(300, 300, 90, 50, 45)), ("ship", q(100, 400, 60, 25, 80)),
            ("ship", q(140, 430, 60, 25, 80))],
        2: [("plane", q(400, 200, 200, 60, -10))],
    }
    dets = {  # image -> [(label, quad, score)]
        0: [("plane", q(202, 152, 118, 42, 33), 0.95), ("plane", q(200, 150, 120, 40, 30), 0.40),  # duplicate
            ("plane", q(500, 300, 100, 30, -20), 0.80),  # right place, wrong angle: IoU < 0.5
            ("ship", q(652, 101, 78, 20, 12), 0.70), ("ship", q(50, 50, 30, 10, 0), 0.90)],  # + FP
        1: [("plane", q(305, 298, 90, 50, 50), 0.60), ("ship", q(100, 400, 60, 25, 78), 0.85),
            ("plane", q(700, 500, 40, 40, 0), 0.30)],  # FP; second ship missed
        2: [("plane", q(400, 200, 200, 60, -10), 0.50), ("ship", q(410, 205, 190, 60, -12), 0.20)],
    }
    return gts, dets


def test_oriented_ap_matches_dota_definition(tmp_path):
    w, h = 800, 520
    gts, dets = _oriented_case()
    # quads at arbitrary pixel positions do not survive quantisation, so both sides are given
    # in pixels: the reference in tokens is decoded first, and the reference computation uses it
    recs, rows, dec_gt = [], [], {}
    for img, objs in gts.items():
        r = _record(f"o{img}", [{"kind": "obb", "label": lab, "coords": qd} for lab, qd in objs], w, h,
                    prompt="[det] Detect planes and ships. Use oriented boxes.")
        recs.append(r)
        dec_gt[img] = geometry.decode(r["conversations"][1]["value"], w, h).objects
        rows.append({"id": f"o{img}", "task": "det", "answer": "",
                     "objects": [{"kind": "obb", "label": lab, "coords": qd, "score": s} for lab, qd, s in dets[img]]})
    scores = detection.main(["--gt", str(_write(tmp_path / "gt.jsonl", recs)),
                             "--pred", str(_write(tmp_path / "p.jsonl", rows))])
    per_class = {}
    for c in ("plane", "ship"):
        g = [(img, o["coords"]) for img, objs in dec_gt.items() for o in objs if o["label"] == c]
        d = [(img, s, qd) for img, objs in dets.items() for lab, qd, s in objs if lab == c]
        per_class[c] = _dota_reference(g, d)
        assert scores["per_class_obb"][c]["AP50_voc07"] == pytest.approx(per_class[c][0], abs=1e-9)
        assert scores["per_class_obb"][c]["AP50_area"] == pytest.approx(per_class[c][1], abs=1e-9)
    assert scores["mAP50_obb"] == pytest.approx(np.mean([v[0] for v in per_class.values()]), abs=1e-9)
    assert scores["n_records_obb"] == 3 and scores["n_records_hbb"] == 0 and scores["mAP"] is None
    assert 0.3 < scores["mAP50_obb"] < 0.95  # the case has hits, a duplicate, FPs and a miss


def test_oriented_ap_hand_computed():
    """2 ground truths; ranked detections TP, FP, TP: P = 1, 1/2, 2/3 at R = 1/2, 1/2, 1."""
    from eval import dota_ap

    sq = lambda x: [[x, 0], [x + 10, 0], [x + 10, 10], [x, 10]]  # noqa: E731
    gts = [[{"kind": "obb", "label": "a", "coords": sq(0)}, {"kind": "obb", "label": "a", "coords": sq(50)}]]
    dets = [[{"kind": "obb", "label": "a", "coords": sq(0), "score": 0.9},
             {"kind": "obb", "label": "a", "coords": sq(5), "score": 0.8},  # IoU 1/3 with sq(0): FP
             {"kind": "obb", "label": "a", "coords": sq(51), "score": 0.7}]]  # IoU 9/11: TP
    out = dota_ap.dota_map(gts, dets)
    assert out["mAP50_voc07"] == pytest.approx((6 * 1 + 5 * (2 / 3)) / 11)
    assert out["mAP50_area"] == pytest.approx(0.5 * 1 + 0.5 * (2 / 3))


# ---------------------------------------------------------------- difficult ground truth


def test_oriented_ap_difficult_hand_computed():
    """DOTA devkit rule: difficult GT out of #GT; detections whose best-IoU GT is difficult are
    neither TP nor FP, however many there are. Class a: GT A (normal), B and C (difficult, C
    missed); ranked detections on B, A, B again -> ignored, TP, ignored: P = 1 at R = 1."""
    from eval import dota_ap

    sq = lambda x: [[x, 0], [x + 10, 0], [x + 10, 10], [x, 10]]  # noqa: E731

    def gt(x, hard=False):
        return {"kind": "obb", "label": "a", "coords": sq(x), **({"difficult": True} if hard else {})}

    det = lambda x, s, lab="a": {"kind": "obb", "label": lab, "coords": sq(x), "score": s}  # noqa: E731
    gts = [[gt(0), gt(50, True), gt(100, True), {**gt(200, True), "label": "b"}]]
    dets = [[det(50, 0.95), det(0, 0.9), det(51, 0.8), det(200, 0.7, "b"), det(300, 0.6)]]  # + one FP last
    out = dota_ap.dota_map(gts, dets)
    a = out["per_class"]["a"]
    assert (a["n_gt"], a["n_gt_difficult"], a["n_tp"], a["n_det_on_difficult"]) == (1, 2, 1, 2)
    # rows in rank order: (R, P) = (0, 0) ignored, (1, 1), (1, 1) ignored, (1, 1/2) FP
    assert a["AP50_voc07"] == pytest.approx(1.0) and a["AP50_area"] == pytest.approx(1.0)
    # class b has difficult ground truth only: no AP (the devkit's 0/0), left out of the mean
    assert out["per_class"]["b"]["AP50_voc07"] is None and out["per_class"]["b"]["n_det_on_difficult"] == 1
    assert out["mAP50_voc07"] == pytest.approx(1.0) and out["mAP50_area"] == pytest.approx(1.0)
    assert out["n_det_unknown_class"] == 0

    # the same input without the flag: #GT = 3; TP, TP, FP(duplicate), FP -> R = 1/3, 2/3, 2/3, 2/3
    plain = [[{k: v for k, v in o.items() if k != "difficult"} for o in img] for img in gts]
    a0 = dota_ap.dota_map(plain, dets)["per_class"]["a"]
    assert a0["AP50_voc07"] == pytest.approx(7 / 11)  # t = 0 .. 0.6 reach P = 1, t >= 0.7 nothing
    assert a0["AP50_area"] == pytest.approx(2 / 3)


def _difficult_case(tmp_path, kind, flag, dup_first=False):
    """One record: GT A (normal), B and C (difficult by meta when ``flag``; C is missed).
    Exact detections on B (score 0.95) and A (0.9), optionally a second one on B (0.92)."""
    w, h = 1000, 500
    c = lambda x: [_centre(x, w), _centre(100, h), _centre(x + 100, w), _centre(300, h)]  # noqa: E731
    quad = lambda b: [[b[0], b[1]], [b[2], b[1]], [b[2], b[3]], [b[0], b[3]]]  # noqa: E731
    obj = lambda x: {"kind": kind, "label": "ship", "coords": c(x) if kind == "box" else quad(c(x))}  # noqa: E731
    gt = [obj(100), obj(300), obj(500)]  # answer order = this order (one class)
    rec = _record("d", gt, w, h, prompt="[det] Detect every ship." + (" Use oriented boxes." if kind == "obb" else ""))
    if flag:
        rec["meta"]["difficult"] = [1, 2]
    dets = [{**obj(300), "score": 0.95}, {**obj(100), "score": 0.9}]
    if dup_first:
        dets.insert(1, {**obj(300), "score": 0.92})
    g = _write(tmp_path / f"gt-{kind}-{flag}-{dup_first}.jsonl", [rec])
    pr = _write(tmp_path / f"p-{kind}-{flag}-{dup_first}.jsonl",
                [{"id": "d", "task": "det", "answer": "", "objects": dets}])
    return detection.main(["--gt", str(g), "--pred", str(pr)])


def test_coco_map_ignores_difficult_ground_truth(tmp_path):
    s = _difficult_case(tmp_path, "box", flag=True)
    # B's detection is ignored (not a FP ranked first, which would give P = 1/2), C's miss costs nothing
    assert s["mAP50"] == pytest.approx(1.0) and s["mAP"] == pytest.approx(1.0)
    assert s["n_gt_difficult"] == 2 and s["n_gt_objects"] == 3
    s0 = _difficult_case(tmp_path, "box", flag=False)  # same input, no flag: recall stops at 2/3
    assert s0["mAP50"] == pytest.approx(67 / 101) and s0["n_gt_difficult"] == 0  # recall points 0 .. 0.66
    # COCO's ignored regions absorb one detection: a second one on B, ranked above A, is a FP
    # (P = 1/2 at R = 1), where the DOTA/VOC rule ignores it (next test)
    assert _difficult_case(tmp_path, "box", flag=True, dup_first=True)["mAP50"] == pytest.approx(0.5)


def test_coco_ignore_equals_removing_the_region_and_its_detection(tmp_path):
    """Against pycocotools directly: a difficult box that overlaps nothing else of its class,
    with one exact detection, scores as if both were absent (what an ignored region means)."""
    from shapely.geometry import box as sbox

    gts, preds, sizes = _random_case(seed=11, n_images=20)
    rng = random.Random(3)
    recs, rows, n_hard = [], [], 0
    for k, (w, h) in enumerate(sizes):
        gt, extra = list(gts[k]), []
        for _ in range(30):
            if len(extra) == 2:
                break
            b = _rand_box(rng, w, h)
            same = [o["coords"] for o in gts[k] + preds[k] + extra if o["label"] == "ship"]
            if all(not sbox(*b).intersects(sbox(*c)) for c in same):
                extra.append({"kind": "box", "label": "ship", "coords": b})
        n_hard += len(extra)
        r = _record(f"img{k}", gt + extra, w, h)  # encode keeps the given order: extras last
        if extra:
            r["meta"]["difficult"] = list(range(len(gt), len(gt) + len(extra)))
        recs.append(r)
        rows.append({"id": f"img{k}", "task": "det", "answer": "",
                     "objects": preds[k] + [{**o, "score": rng.random()} for o in extra]})
    s = detection.main(["--gt", str(_write(tmp_path / "gt.jsonl", recs)),
                        "--pred", str(_write(tmp_path / "p.jsonl", rows))])
    stats = _direct_cocoeval(gts, preds, sizes, list(range(len(gts))), True)
    assert n_hard >= 10 and s["n_gt_difficult"] == n_hard
    assert s["mAP"] == pytest.approx(stats[0], abs=1e-6) and s["mAP50"] == pytest.approx(stats[1], abs=1e-6)
    assert s["mAP75"] == pytest.approx(stats[2], abs=1e-6) and s["AR100"] == pytest.approx(stats[8], abs=1e-6)
    # without the flag the same boxes are ordinary ground truth with perfect detections: scores differ
    for r in recs:
        r["meta"].pop("difficult", None)
    s0 = detection.main(["--gt", str(_write(tmp_path / "gt0.jsonl", recs)), "--pred", str(tmp_path / "p.jsonl")])
    assert s0["mAP"] != pytest.approx(stats[0], abs=1e-3)


def test_oriented_path_applies_difficult_meta(tmp_path):
    s = _difficult_case(tmp_path, "obb", flag=True, dup_first=True)  # ignored, ignored, TP
    assert s["mAP50_obb"] == pytest.approx(1.0) and s["mAP50_obb_area"] == pytest.approx(1.0)
    assert s["per_class_obb"]["ship"]["n_det_on_difficult"] == 2 and s["n_gt_difficult"] == 2
    s0 = _difficult_case(tmp_path, "obb", flag=False, dup_first=True)  # TP, FP, TP of 3
    # (R, P) = (1/3, 1), (1/3, 1/2), (2/3, 2/3): P 1 for t = 0 .. 0.3, 2/3 for t = 0.4 .. 0.6
    assert s0["mAP50_obb"] == pytest.approx((4 * 1 + 3 * 2 / 3) / 11)
    assert s0["mAP50_obb_area"] == pytest.approx(1 / 3 + 1 / 3 * 2 / 3)


def test_bad_difficult_meta_is_an_error(tmp_path):
    from eval.common import ScoreError

    w, h = 1000, 500
    rec = _record("x", [{"kind": "box", "label": "ship", "coords": [10, 10, 50, 50]}], w, h)
    rec["meta"]["difficult"] = [1]  # only index 0 exists
    g = _write(tmp_path / "gt.jsonl", [rec])
    pr = _write(tmp_path / "p.jsonl", [{"id": "x", "answer": ""}])
    with pytest.raises(ScoreError, match="meta.difficult"):
        detection.main(["--gt", str(g), "--pred", str(pr)])


def test_unparseable_and_foreign_formats(tmp_path):
    w, h = 1000, 400
    box = {"kind": "box", "label": "ship", "coords": [_centre(100, w), _centre(250, h), _centre(300, w),
                                                       _centre(750, h)]}
    gt = _write(tmp_path / "gt.jsonl", [_record("a", [box], w, h), _record("b", [box], w, h)])
    bad = _write(tmp_path / "bad.jsonl", [{"id": "a", "answer": "<box><loc_12><loc_"}, "not json",
                                          {"id": "zzz", "answer": ""}])
    bad.write_text(bad.read_text().replace('"not json"', "{not json"))
    s = detection.main(["--gt", str(gt), "--pred", str(bad)])
    assert (s["n_unparseable"], s["n_missing"], s["n_pred_bad_lines"], s["n_pred_not_in_gt"]) == (1, 1, 1, 1)
    assert s["mAP50"] == 0.0
    # GeoChat: 0-100 scale of each axis; Falcon: 1000 bins, bin centres
    geochat = _write(tmp_path / "g.jsonl", [{"id": i, "answer": "<p>ship</p>{<10><25><30><75>|0}"} for i in "ab"])
    falcon = _write(tmp_path / "f.jsonl", [{"id": i, "answer": "<box><100><250><300><750></box>"} for i in "ab"])
    sg = detection.main(["--gt", str(gt), "--pred", str(geochat), "--format", "geochat"])
    sf = detection.main(["--gt", str(gt), "--pred", str(falcon), "--format", "falcon"])
    assert sg["mAP50"] == pytest.approx(1.0) and sf["mAP"] == pytest.approx(1.0)


def test_realdata_dota_self_prediction(tmp_path, realdata):
    from PIL import Image

    label = realdata / "obb_dota" / "P1888.txt"
    if not label.is_file():
        pytest.skip(f"{label} absent")
    w, h = Image.open(realdata / "obb_dota" / "P1888.png").size
    quads = []
    for line in label.read_text().splitlines():
        parts = line.split()
        if len(parts) >= 9:
            v = [float(x) for x in parts[:8]]
            quads.append({"kind": "obb", "label": parts[8], "coords": [v[i:i + 2] for i in range(0, 8, 2)]})
    assert len(quads) == 64
    hbb = [{"kind": "box", "label": o["label"], "coords": [min(p[0] for p in o["coords"]), min(p[1] for p in o["coords"]),
                                                          max(p[0] for p in o["coords"]), max(p[1] for p in o["coords"])]}
           for o in quads]
    recs = [_record("P1888-obb", quads, w, h, prompt="[det] Detect every vehicle. Use oriented boxes."),
            _record("P1888-hbb", hbb, w, h)]
    gt = _write(tmp_path / "gt.jsonl", recs)
    pred = _write(tmp_path / "p.jsonl", [{"id": r["id"], "task": "det", "answer": r["conversations"][1]["value"]}
                                         for r in recs])
    s = detection.main(["--gt", str(gt), "--pred", str(pred)])
    assert s["mAP"] == pytest.approx(1.0) and s["mAP50"] == pytest.approx(1.0)
    assert s["mAP50_obb"] == pytest.approx(1.0) and s["mAP50_obb_area"] == pytest.approx(1.0)
    assert set(s["per_class_obb"]) == {"large vehicle", "small vehicle"}
    assert s["n_gt_objects"] == 128


@pytest.mark.parametrize("value", ["0", "-5", "x"])
def test_max_dets_below_one_is_a_usage_error(value, capsys):
    with pytest.raises(SystemExit) as e:
        detection.main(["--gt", "g", "--pred", "p", "--max-dets", value])
    assert e.value.code == 2 and "--max-dets: needs a whole number of at least 1" in capsys.readouterr().err
