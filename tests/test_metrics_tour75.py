"""Stop 75, metric correctness: the detection scores against pycocotools and a transcription of the DOTA devkit's
``voc_eval`` on randomised cases (whose polygon IoU here is an independent convex clipping, not shapely), the
oriented IoU against that clipping and shapely, and DOTA P1888's real quads as ground truth through the whole
scorer. ``--max-dets`` below 10 was scored at 10, and detections past it were counted per image where pycocotools
keeps them per image and class."""

import contextlib
import io
import random
from unittest import mock

import numpy as np
import pytest

from eval import detection, dota_ap, regions
from rsvlm import geometry
from tests import test_eval_tour72 as tour72
from tests.conftest import write_jsonl

# ---------------------------------------------------------------- references


def coco_ap50(gts, dets, sizes, max_dets):
    """pycocotools' AP at IoU 0.5, the 0.50:0.95 mean and AR, area "all", ``maxDets=[max_dets]``, on in-memory images
    ``gts[i]`` / ``dets[i]`` of ``{"label", "coords": [x1, y1, x2, y2]}`` (detections with ``score``)."""
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    cat = {c: k + 1 for k, c in enumerate(sorted({o["label"] for img in gts + dets for o in img}))}

    def xywh(c):
        return [c[0], c[1], c[2] - c[0], c[3] - c[1]]

    anns = [{"image_id": i + 1, "category_id": cat[o["label"]], "bbox": xywh(o["coords"]), "iscrowd": 0,
             "area": xywh(o["coords"])[2] * xywh(o["coords"])[3]} for i, img in enumerate(gts) for o in img]
    res = [{"image_id": i + 1, "category_id": cat[o["label"]], "bbox": xywh(o["coords"]), "score": o["score"]}
           for i, img in enumerate(dets) for o in img]
    with contextlib.redirect_stdout(io.StringIO()):
        coco = COCO()
        coco.dataset = {"images": [{"id": i + 1, "width": w, "height": h} for i, (w, h) in enumerate(sizes)],
                        "annotations": [{"id": n + 1, **a} for n, a in enumerate(anns)],
                        "categories": [{"id": k, "name": c} for c, k in cat.items()]}
        coco.createIndex()
        ev = COCOeval(coco, coco.loadRes(res), "bbox")
        ev.params.maxDets = [max_dets]
        ev.evaluate()
        ev.accumulate()
    p = ev.eval["precision"][:, :, :, 0, 0]  # (T, R, K)
    r = ev.eval["recall"][:, :, 0, 0]  # (T, K)
    return float(p[0][p[0] > -1].mean()), float(p[p > -1].mean()), float(r[r > -1].mean())


def convex_area(p):
    """Shoelace area of a ring (n, 2)."""
    x, y = p[:, 0], p[:, 1]
    return abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))) / 2 if len(p) >= 3 else 0.0


def cross(u, v):
    """z of the cross product of two 2-D vectors."""
    return u[0] * v[1] - u[1] * v[0]


def convex_clip(subject, clip):
    """Sutherland-Hodgman: the part of convex polygon ``subject`` inside convex polygon ``clip`` (both (n, 2))."""
    sign = 1.0 if cross(clip[1] - clip[0], clip[2] - clip[1]) > 0 else -1.0  # counter-clockwise: left is inside
    out = [np.asarray(v, dtype=float) for v in subject]
    for a, b in zip(clip, np.roll(clip, -1, axis=0)):
        inp, out = out, []
        inside = [sign * cross(b - a, v - a) >= 0 for v in inp]
        for k, v in enumerate(inp):
            u, u_in = inp[k - 1], inside[k - 1]
            if inside[k] != u_in:  # the edge u -> v crosses the line a -> b
                d1, d2 = cross(b - a, u - a), cross(b - a, v - a)
                out.append(u + (v - u) * d1 / (d1 - d2))
            if inside[k]:
                out.append(v)
        if not out:
            return np.zeros((0, 2))
    return np.array(out)


def convex_iou(a, b):
    """IoU of two convex quads (four [x, y] corners each), by ``convex_clip``, not shapely (the devkit's
    ``polyiou.iou_poly`` computes the same exact area)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    inter = convex_area(convex_clip(a, b))
    union = convex_area(a) + convex_area(b) - inter
    return inter / union if union > 0 else 0.0


def devkit_ap(gts, dets, label):
    """(11-point AP, all-point AP) of one class by the devkit's ``voc_eval`` as tests/test_eval_tour72.py transcribes
    it (CAPTAIN-WHU/DOTA_devkit ``dota_evaluation_task1.py``, "+1" pre-filter and all; image k's ground truth
    ``gts[k]``, difficult ones flagged; detections with ``score``), its ``polyiou`` here ``convex_iou``, not shapely."""
    def iou_poly(g, bb):
        return convex_iou(np.reshape(g, (4, 2)), np.reshape(bb, (4, 2)))

    with mock.patch.object(tour72, "_iou_poly", iou_poly):
        return tuple(float(v) for v in tour72.devkit_map(gts, dets, label))


def rotated(cx, cy, w, h, theta):
    """Four corners of a w x h rectangle about (cx, cy) turned by ``theta`` radians, in order."""
    c, s = np.cos(theta), np.sin(theta)
    pts = np.array([[-w, -h], [w, -h], [w, h], [-w, h]]) / 2 @ np.array([[c, s], [-s, c]]) + [cx, cy]
    return pts.tolist()


# ---------------------------------------------------------------- horizontal: pycocotools


def _random_hbb_case(rng, n_images=30, classes=("ship", "plane", "tank", "bridge", "car")):
    """Images without truth, classes without detections (``car``), duplicates, ties in score, misses and FPs."""
    gts, dets = [], []
    for _ in range(n_images):
        g, d = [], []
        for _ in range(rng.choice([0, 0, 1, 3, 8, 15])):
            x, y = rng.uniform(0, 180), rng.uniform(0, 180)
            g.append({"kind": "box", "label": rng.choice(classes), "coords": [x, y, x + rng.uniform(2, 60), y + rng.uniform(2, 60)]})
        for o in g:
            for _ in range(0 if o["label"] == "car" else rng.choice([0, 1, 1, 2])):  # missed, found, found twice
                j = [v + rng.uniform(-4, 4) for v in o["coords"]]
                d.append({**o, "coords": [min(j[0], j[2] - 1), min(j[1], j[3] - 1), max(j[2], j[0] + 1), max(j[3], j[1] + 1)],
                          "score": rng.choice([0.5, 0.5, 0.9, round(rng.random(), 2)])})
        for _ in range(rng.choice([0, 1, 4])):
            x, y = rng.uniform(0, 180), rng.uniform(0, 180)
            d.append({"kind": "box", "label": rng.choice(classes[:4]), "coords": [x, y, x + 20, y + 20], "score": rng.choice([0.5, 0.3])})
        rng.shuffle(d)
        gts.append(g)
        dets.append(d)
    return gts, dets, [(240, 240)] * n_images


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("max_dets", [1, 3, 7, 10, 100])
def test_coco_map50_is_pycocotools_ap50_at_max_dets(seed, max_dets):
    """``mAP50`` / ``mAP`` are pycocotools' at ``maxDets`` N, area "all". --max-dets 1, 3 or 7 were scored at 10:
    pycocotools sorts ``maxDets`` ([1, 10, 7] → [1, 7, 10]) and scores at its last; mAP50 differed by up to 0.17 here."""
    gts, dets, sizes = _random_hbb_case(random.Random(seed))
    got = detection.coco_map(gts, dets, sizes, max_dets)
    want50, want, recall = coco_ap50(gts, dets, sizes, max_dets)
    assert got["mAP50"] == pytest.approx(want50, abs=1e-12) and got["mAP"] == pytest.approx(want, abs=1e-12)
    assert got[f"AR{max_dets}"] == pytest.approx(recall, abs=1e-12)


def test_max_dets_is_kept_per_image_and_class_and_so_counted(tmp_path, capsys):
    """pycocotools keeps ``maxDets`` detections of each class in each image. Twelve ships and twelve planes in one
    image at --max-dets 12 are all scored (mAP50 1), and none is said to be past it (was "12 predicted objects of
    1 record past it are not scored"); at --max-dets 10, 2 of each class are past it, 4 in all."""
    objs = [{"kind": "box", "label": lab, "coords": [i * 8 + 0.05, y + 0.05, i * 8 + 6.05, y + 6.05]}
            for lab, y in (("ship", 0), ("plane", 50)) for i in range(12)]
    rec = {"id": "r0", "task": "det", "images": [{"path": "r0.png", "modality": "optical"}],
           "conversations": [{"from": "human", "value": "<image>\n[det] Detect every object."},
                             {"from": "gpt", "value": geometry.encode(objs, 100, 100)}],
           "meta": {"width": 100, "height": 100}}
    args = ["--gt", write_jsonl(tmp_path / "g.jsonl", [rec]),
            "--pred", write_jsonl(tmp_path / "p.jsonl", [{"id": "r0", "task": "det", "answer": rec["conversations"][1]["value"]}])]
    s = detection.main([*args, "--max-dets", "12"])
    assert s["mAP50"] == pytest.approx(1.0) and s["n_pred_objects_past_max_dets"] == 0
    assert not any("--max-dets" in n for n in s["notes"])
    s = detection.main([*args, "--max-dets", "10"])
    assert s["n_pred_objects_past_max_dets"] == 4
    assert any("4 predicted objects of 1 record past it are not scored; 1 record holds more reference objects of a "
               "class than that" in n for n in s["notes"])
    assert s["mAP50"] == pytest.approx(10 / 12, abs=0.01)  # recall stops at 10 of 12 in each class
    capsys.readouterr()


def test_horizontal_scores_through_the_scorer_equal_pycocotools_on_random_records(tmp_path, capsys):
    """The whole path: references encoded in the grammar and decoded again, predictions as pixel ``objects`` in
    another order than the references, some records unanswered. pycocotools is run on the decoded references and
    the images in predictions-file order (unanswered last), as the scorer documents."""
    rng = random.Random(75)
    gts, dets, sizes = _random_hbb_case(rng, n_images=40)
    recs = [{"id": f"i{k}", "task": "det", "images": [{"path": f"i{k}.png", "modality": "optical"}],
             "conversations": [{"from": "human", "value": "<image>\n[det] Detect every object."},
                               {"from": "gpt", "value": geometry.encode(g, 240, 240) or "None."}],
             "meta": {"width": 240, "height": 240}} for k, g in enumerate(gts)]
    answered = [k for k in range(40) if k % 9]
    rng.shuffle(answered)
    preds = [{"id": f"i{k}", "task": "det", "answer": "", "objects": dets[k]} for k in answered]
    s = detection.main(["--gt", write_jsonl(tmp_path / "g.jsonl", recs), "--pred", write_jsonl(tmp_path / "p.jsonl", preds)])
    order = answered + [k for k in range(40) if k not in answered]
    decoded = [[{**o, "coords": regions.envelope(o)} for o in
                regions.for_scoring(geometry.decode(recs[k]["conversations"][1]["value"], 240, 240).objects, 240, 240)]
               for k in order]
    clipped = [[{**o, "coords": list(np.clip(o["coords"], 0, 240))} for o in dets[k]] for k in order]  # as documented
    want50, want, _ = coco_ap50(decoded, [c if k in answered else [] for k, c in zip(order, clipped)], sizes, 100)
    assert s["mAP50"] == pytest.approx(want50, abs=1e-12) and s["mAP"] == pytest.approx(want, abs=1e-12)
    capsys.readouterr()


# ---------------------------------------------------------------- oriented IoU


def test_convex_clip_reference_is_right_on_hand_cases():
    sq = np.array(rotated(0, 0, 2, 2, 0))
    assert convex_iou(sq, sq) == pytest.approx(1.0)
    assert convex_iou(sq, np.array(rotated(1, 0, 2, 2, 0))) == pytest.approx(2 / 6)
    assert convex_iou(sq, np.array(rotated(0, 0, 2, 2, np.pi / 4))) == pytest.approx((8 * (np.sqrt(2) - 1)) / (8 - 8 * (np.sqrt(2) - 1)))


def test_oriented_iou_equals_exact_polygon_iou_on_random_rotated_boxes():
    """``regions.iou`` of obbs against the independent clipping and shapely: random turns and sizes, and the
    edge cases: identical, contained, touching on an edge or a corner, apart, a box turned in place."""
    from shapely.geometry import Polygon

    rng = random.Random(750)
    pairs = []
    for _ in range(600):
        a = rotated(rng.uniform(20, 80), rng.uniform(20, 80), rng.uniform(1, 40), rng.uniform(1, 40), rng.uniform(0, np.pi))
        b = rotated(rng.uniform(20, 80), rng.uniform(20, 80), rng.uniform(1, 40), rng.uniform(1, 40), rng.uniform(0, np.pi))
        pairs.append((a, b))
    edge = [(rotated(50, 50, 20, 10, 0.3), rotated(50, 50, 20, 10, 0.3)),  # identical: 1
            (rotated(50, 50, 40, 40, 0.7), rotated(52, 49, 5, 3, 1.1)),  # contained: 15 / 1600
            (rotated(10, 10, 10, 10, 0), rotated(20, 10, 10, 10, 0)),  # touching on an edge: 0
            (rotated(10, 10, 10, 10, 0), rotated(20, 20, 10, 10, 0)),  # touching at a corner: 0
            (rotated(10, 10, 4, 4, 0), rotated(60, 60, 4, 4, 0.5)),  # apart: 0
            (rotated(50, 50, 30, 10, 0), rotated(50, 50, 30, 10, np.pi / 2))]  # turned a quarter in place
    largest = 0.0
    for a, b in pairs + edge:
        got = regions.iou({"kind": "obb", "coords": a}, {"kind": "obb", "coords": b})
        ref = convex_iou(a, b)
        pa, pb = Polygon(a), Polygon(b)
        shp = pa.intersection(pb).area / pa.union(pb).area
        assert got == pytest.approx(ref, abs=1e-9) and got == pytest.approx(shp, abs=1e-12)
        largest = max(largest, abs(got - ref))
    assert [regions.iou({"kind": "obb", "coords": a}, {"kind": "obb", "coords": b}) for a, b in edge] == pytest.approx(
        [1.0, 15 / 1600, 0.0, 0.0, 0.0, 100 / 500])
    assert largest < 1e-9
    # a degenerate obb (its corners on one line) has no area: IoU 0 with anything, itself included, as raw;
    # for_scoring widens it one bin (documented), after which a copy of it matches
    line = [[10, 10], [20, 20], [20, 20], [10, 10]]
    assert regions.iou({"kind": "obb", "coords": line}, {"kind": "obb", "coords": line}) == 0.0
    wide = regions.for_scoring([{"kind": "obb", "coords": line}], 1000, 1000)[0]
    assert regions.iou(wide, wide) == pytest.approx(1.0)


# ---------------------------------------------------------------- oriented AP: the DOTA devkit


def _random_obb_case(rng, n_images):
    gts, dets = [], []
    for _ in range(n_images):
        g = [{"kind": "obb", "label": rng.choice("ab"), "coords": rotated(rng.uniform(15, 185), rng.uniform(15, 185),
                                                                         rng.uniform(6, 40), rng.uniform(4, 20), rng.uniform(0, np.pi)),
              **({"difficult": True} if rng.random() < 0.15 else {})} for _ in range(rng.choice([0, 1, 2, 5, 9]))]
        d = []
        for o in g:
            q = np.array(o["coords"])
            for _ in range(rng.choice([0, 1, 1, 2])):
                t = rng.uniform(-0.3, 0.3)
                c = q.mean(0)
                moved = (q - c) @ np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]]).T + c + [rng.uniform(-3, 3), rng.uniform(-3, 3)]
                d.append({"kind": "obb", "label": o["label"], "coords": moved.tolist(), "score": rng.choice([0.5, 0.8, round(rng.random(), 2)])})
        d += [{"kind": "obb", "label": rng.choice("ab"), "coords": rotated(rng.uniform(15, 185), rng.uniform(15, 185), 12, 6, rng.uniform(0, 3)),
               "score": rng.choice([0.5, 0.1])} for _ in range(rng.choice([0, 1, 3]))]
        gts.append(g)
        dets.append(d)
    return gts, dets


def test_oriented_ap_equals_the_devkits_voc_eval_on_random_rotated_boxes():
    """Random turned rectangles, difficult truth, duplicates, ties, images without truth or detections; the
    devkit's IoU here is an independent clipping. Both the 11-point and the all-point AP, to 1e-9."""
    rng = random.Random(7575)
    compared, largest = 0, 0.0
    for _ in range(60):
        gts, dets = _random_obb_case(rng, rng.randrange(1, 6))
        for label, got in dota_ap.dota_map(gts, dets)["per_class"].items():
            if got["AP50_voc07"] is None:
                continue
            want = devkit_ap(gts, dets, label)
            assert (got["AP50_voc07"], got["AP50_area"]) == pytest.approx(want, abs=1e-9)
            largest = max(largest, abs(got["AP50_voc07"] - want[0]), abs(got["AP50_area"] - want[1]))
            compared += 1
    assert compared > 60 and largest < 1e-9


def _dota_p1888(realdata):
    lines = (realdata / "obb_dota" / "P1888.txt").read_text().splitlines()[2:]
    return [{"kind": "obb", "label": f[8], "coords": np.reshape([float(v) for v in f[:8]], (4, 2)).tolist(), "difficult": f[9] == "1"}
            for f in (ln.split() for ln in lines if ln.strip())]


def test_real_dota_scene_through_the_scorer_equals_the_devkit_and_pycocotools(realdata, tmp_path, capsys):
    """DOTA P1888 (712 x 557, 64 quads; its difficult column, all 0, and every ninth as ``meta.difficult``) as the reference of an oriented
    record and of a horizontal one; detections made from its quads (moved, turned, doubled, missed, false ones).
    ``mAP50_obb`` / ``mAP50_obb_area`` equal the devkit's ``voc_eval`` on the reference as decoded; the horizontal
    ``mAP50`` equals pycocotools' AP50 on the quads' enclosing boxes, difficult ones ignored regions."""
    quads = _dota_p1888(realdata)
    w, h = 712, 557
    rng = random.Random(1888)
    dets = []
    for o in quads:
        q = np.array(o["coords"])
        for _ in range(rng.choice([0, 1, 1, 2])):
            t = np.deg2rad(rng.uniform(-20, 20))
            moved = (q - q.mean(0)) @ np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]]).T + q.mean(0) + [rng.uniform(-3, 3), rng.uniform(-3, 3)]
            dets.append({"kind": "obb", "label": o["label"], "coords": np.clip(moved, 0, [w, h]).tolist(),
                         "score": rng.choice([0.5, 0.5, 0.9, round(rng.random(), 3)])})
    answer = geometry.encode([{k: v for k, v in o.items() if k != "difficult"} for o in quads], w, h)
    difficult = [k for k, o in enumerate(quads) if o["difficult"] or k % 9 == 4]  # P1888 marks none: some made so

    def record(rid, question):
        return {"id": rid, "task": "det", "images": [{"path": "P1888.png", "modality": "optical"}],
                "conversations": [{"from": "human", "value": f"<image>\n[det] {question}"}, {"from": "gpt", "value": answer}],
                "meta": {"width": w, "height": h, "difficult": difficult}}

    g = write_jsonl(tmp_path / "g.jsonl", [record("obb", "Detect every vehicle with oriented boxes.")])
    s = detection.main(["--gt", g, "--pred", write_jsonl(tmp_path / "p.jsonl", [{"id": "obb", "task": "det", "answer": "", "objects": dets}])])
    decoded = regions.for_scoring(geometry.decode(answer, w, h).objects, w, h)
    ref = [{**o, "difficult": k in difficult} for k, o in enumerate(decoded)]
    want = [devkit_ap([ref], [dets], c) for c in ("large-vehicle", "small-vehicle")]
    assert s["n_records_obb"] == 1 and s["n_gt_difficult"] == len(difficult)
    assert s["mAP50_obb"] == pytest.approx(np.mean([a for a, _ in want]), abs=1e-9)
    assert s["mAP50_obb_area"] == pytest.approx(np.mean([b for _, b in want]), abs=1e-9)
    assert 0.3 < s["mAP50_obb"] < 1

    # the same scene scored horizontally, without meta.difficult: the enclosing boxes, against plain pycocotools
    hbb_rec = record("hbb", "Detect every vehicle.")
    del hbb_rec["meta"]["difficult"]
    hbb_rec["conversations"][1]["value"] = geometry.encode([{"kind": "box", "label": o["label"], "coords": regions.envelope(o)}
                                                            for o in quads], w, h)
    boxes = [{**o, "kind": "box", "coords": regions.envelope(o)} for o in dets]
    s = detection.main(["--gt", write_jsonl(tmp_path / "g2.jsonl", [hbb_rec]),
                        "--pred", write_jsonl(tmp_path / "p2.jsonl", [{"id": "hbb", "task": "det", "answer": "", "objects": boxes}])])
    ref_boxes = geometry.decode(hbb_rec["conversations"][1]["value"], w, h).objects
    want50, want, _ = coco_ap50([ref_boxes], [boxes], [(w, h)], 100)
    assert s["mAP50"] == pytest.approx(want50, abs=1e-12) and s["mAP"] == pytest.approx(want, abs=1e-12)
    assert 0.3 < s["mAP50"] < 1
    capsys.readouterr()


def test_oriented_scores_through_the_scorer_equal_the_devkit_in_predictions_file_order(tmp_path, capsys):
    """Many oriented records through ``eval.detection``: references encoded and decoded, predictions as pixel
    ``objects`` in a shuffled order with tied scores, some records unanswered. The devkit run on the decoded
    references, images in predictions-file order (unanswered last): its ``np.argsort`` made stable is the tie rule."""
    rng = random.Random(57)
    gts, dets = _random_obb_case(rng, 30)
    for g in gts:
        for o in g:
            o.pop("difficult", None)
    recs = [{"id": f"o{k}", "task": "det", "images": [{"path": f"o{k}.png", "modality": "optical"}],
             "conversations": [{"from": "human", "value": "<image>\n[det] Detect every object with oriented boxes."},
                               {"from": "gpt", "value": geometry.encode(g, 200, 200) or "None."}],
             "meta": {"width": 200, "height": 200}} for k, g in enumerate(gts)]
    dets = [[{**o, "coords": np.clip(o["coords"], 0, 200).tolist()} for o in d] for d in dets]  # inside the image
    answered = [k for k in range(30) if k % 7]
    rng.shuffle(answered)
    s = detection.main(["--gt", write_jsonl(tmp_path / "g.jsonl", recs), "--pred", write_jsonl(
        tmp_path / "p.jsonl", [{"id": f"o{k}", "task": "det", "answer": "", "objects": dets[k]} for k in answered])])
    order = answered + [k for k in range(30) if k not in answered]
    ref = [regions.for_scoring(geometry.decode(recs[k]["conversations"][1]["value"], 200, 200).objects, 200, 200) for k in order]
    got = [dets[k] if k in answered else [] for k in order]
    want = [devkit_ap(ref, got, c) for c in ("a", "b")]
    assert s["n_records_obb"] == 30
    assert s["mAP50_obb"] == pytest.approx(np.mean([a for a, _ in want]), abs=1e-9)
    assert s["mAP50_obb_area"] == pytest.approx(np.mean([b for _, b in want]), abs=1e-9)
    capsys.readouterr()
