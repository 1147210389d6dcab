"""Stop 75, metric correctness of the pixel and text scorers on randomised sets, against plain numpy references
written here from docs/eval.md's definitions: segmentation (per class pooled over the set, empty references, a
class with no pixel), change (pixels pooled over the set), grounding (brute-force one-to-one matching), counting,
classification, and captioning against pycocoevalcap fed directly."""

import contextlib
import io
import itertools
import random

import numpy as np
import pytest

from eval import captioning, change, classification, counting, grounding, segmentation
from rsvlm import geometry
from tests.conftest import eval_record, write_jsonl
from tests.test_metrics_tour75 import rotated

W = H = 100  # bins of 0.1 px: a box at whole pixels + 0.05 decodes exactly and covers whole pixels


def rec(rid, task, question, objects, **meta):
    """A record whose reference is ``objects`` (boxes at whole pixels, as ``box``) in a W x H image."""
    r = eval_record(rid, task, question, geometry.encode(objects, W, H) or "None.", **meta)
    r["meta"] = {**r["meta"], "width": W, "height": H}
    return r


def box(x1, y1, x2, y2, label=None):
    """A box covering pixels x1..x2-1, y1..y2-1 (its edges between pixel centres, on the grammar's bins)."""
    return {"kind": "box", "coords": [x1 + 0.05, y1 + 0.05, x2 + 0.05, y2 + 0.05], **({"label": label} if label else {})}


def pixels(objects):
    """(H, W) bool union of ``box`` objects, by slicing."""
    m = np.zeros((H, W), dtype=bool)
    for o in objects:
        x1, y1, x2, y2 = (round(v - 0.05) for v in o["coords"])
        m[y1:y2, x1:x2] = True
    return m


def random_box(rng, label=None):
    x, y = rng.randrange(0, 80), rng.randrange(0, 80)
    return box(x, y, x + rng.randrange(1, 20), y + rng.randrange(1, 20), label)


def random_mask(rng, ref):
    """A predicted mask near ``ref`` (moved, grown or shrunk), with a stray blob now and then."""
    m = np.zeros((H, W), dtype=bool)
    if ref.any() and rng.random() < 0.85:
        ys, xs = np.nonzero(ref)
        dy, dx = rng.randrange(-4, 5), rng.randrange(-4, 5)
        m[np.clip(ys + dy, 0, H - 1), np.clip(xs + dx, 0, W - 1)] = True
    if rng.random() < 0.3:
        x, y = rng.randrange(0, 90), rng.randrange(0, 90)
        m[y:y + rng.randrange(1, 10), x:x + rng.randrange(1, 10)] = True
    return m


def test_the_box_helper_covers_the_pixels_the_scorer_rasterises():
    o = [box(3, 4, 9, 7)]
    ref = geometry.decode(geometry.encode(o, W, H), W, H).objects
    assert (geometry.objects_to_mask(ref, W, H) == pixels(o)).all() and pixels(o).sum() == 18


def test_segmentation_scores_equal_a_numpy_count_pooled_per_class_over_the_set(tmp_path, capsys):
    """One-class references (some "None.", answered empty or not) and two-class ones, predictions as mask arrays.
    gIoU = mean unit IoU, cIoU = Σ∩ / Σ∪ over units, mIoU = mean over classes of the class's Σ∩ / Σ∪ (a class with no
    pixel anywhere left out), P@0.5 over units; a unanswered unit is 0."""
    rng = random.Random(75)
    classes = ["ship", "tree", "road", "pool"]
    recs, preds, units = [], [], []  # units: (class, inter, union, answered)
    for k in range(60):
        rid = f"s{k}"
        two = rng.random() < 0.25
        if two:
            a, b = rng.sample(classes[:3], 2)
            objs = [random_box(rng, a), random_box(rng, b)]
            recs.append(rec(rid, "seg", "[seg] Segment every object.", objs))
            masks = {c: random_mask(rng, pixels([o for o in objs if o["label"] == c])) for c in (a, b)}
            preds.append({"id": rid, "task": "seg", "answer": "", "objects": [
                {"kind": "mask", "label": c, "mask": m.astype(int).tolist()} for c, m in masks.items() if m.any()]})
            for c in (a, b):
                g, p = pixels([o for o in objs if o["label"] == c]), masks[c]
                units.append((c, int((g & p).sum()), int((g | p).sum()), True))
            continue
        c = rng.choice(classes)
        objs = [] if c == "pool" or rng.random() < 0.15 else [random_box(rng, c) for _ in range(rng.choice([1, 1, 2]))]
        recs.append(rec(rid, "seg", f"[seg] Segment the {c}." if objs else f"[seg] Segment the {c}s.", objs))
        g = pixels(objs)
        answered = rng.random() > 0.1
        p = random_mask(rng, g) if not (c == "pool" and rng.random() < 0.5) else np.zeros((H, W), dtype=bool)
        if answered:
            preds.append({"id": rid, "task": "seg", "answer": "None." if not p.any() else "",
                          "objects": [{"kind": "mask", "mask": p.astype(int).tolist()}] if p.any() else []})
        else:
            p = np.zeros((H, W), dtype=bool)
        units.append((c, int((g & p).sum()), int((g | p).sum()), answered))
    s = segmentation.main(["--gt", write_jsonl(tmp_path / "g.jsonl", recs),
                           "--pred", write_jsonl(tmp_path / "p.jsonl", preds)])
    ious = [(i / u if u else 1.0) if ans else 0.0 for _, i, u, ans in units]
    per_class = {}  # pool: in no reference's objects, so its "None." references belong to no class of mIoU
    for c in sorted({o["label"] for r in recs for o in geometry.decode(r["conversations"][1]["value"], W, H).objects}):
        i, u = sum(x[1] for x in units if x[0] == c), sum(x[2] for x in units if x[0] == c)
        per_class[c] = i / u if u else None
    assert s["n_units"] == len(units)
    assert s["gIoU"] == pytest.approx(np.mean(ious), abs=1e-12)
    assert s["cIoU"] == pytest.approx(sum(x[1] for x in units) / sum(x[2] for x in units), abs=1e-12)
    assert s["per_class_IoU"] == pytest.approx(per_class, abs=1e-12)
    assert s["mIoU"] == pytest.approx(np.mean([v for v in per_class.values() if v is not None]), abs=1e-12)
    assert s["P@0.5"] == pytest.approx(np.mean([v >= 0.5 for v in ious]), abs=1e-12)
    assert s["n_empty_references_unassigned"] == sum(x[0] == "pool" for x in units) > 0
    assert 0.2 < s["mIoU"] < 0.9
    capsys.readouterr()


def test_segmentation_class_with_no_pixel_anywhere_has_no_iou_and_is_left_out(tmp_path, capsys):
    recs = [rec("a", "seg", "[seg] Segment the ship.", [box(0, 0, 10, 10, "ship")]),
            rec("b", "seg", "[seg] Segment the ships.", []),  # empty reference of class ship: answered empty
            rec("c", "seg", "[seg] Segment the pools.", [])]  # asks for no class of the set: no class of mIoU
    preds = [{"id": "a", "task": "seg", "answer": "", "objects": [box(0, 0, 10, 5)]},
             {"id": "b", "task": "seg", "answer": "None."}, {"id": "c", "task": "seg", "answer": "None."}]
    s = segmentation.main(["--gt", write_jsonl(tmp_path / "g.jsonl", recs), "--pred", write_jsonl(tmp_path / "p.jsonl", preds)])
    assert s["per_class_IoU"] == pytest.approx({"ship": 0.5}) and s["mIoU"] == pytest.approx(0.5)
    assert s["gIoU"] == pytest.approx((0.5 + 1 + 1) / 3) and s["n_empty_references_unassigned"] == 1
    capsys.readouterr()


def test_change_scores_equal_a_numpy_confusion_matrix_pooled_over_the_set(tmp_path, capsys):
    rng = random.Random(7)
    recs, preds = [], []
    cm = np.zeros((2, 2), dtype=np.int64)  # [reference][prediction], 1 = changed
    for k in range(40):
        objs = [random_box(rng) for _ in range(rng.choice([0, 1, 2, 3]))]
        recs.append(rec(f"c{k}", "change", "[change] Segment the changed buildings.", objs, subtask="change_seg_building"))
        g = pixels(objs)
        p = random_mask(rng, g)
        answered = rng.random() > 0.1
        if answered:
            preds.append({"id": f"c{k}", "task": "change", "answer": "" if p.any() else "No change.",
                          "objects": [{"kind": "mask", "mask": p.astype(int).tolist()}] if p.any() else []})
        else:
            p[:] = False
        for a in (0, 1):
            for b in (0, 1):
                cm[a, b] += int(((g == a) & (p == b)).sum())
    s = change.main(["--gt", write_jsonl(tmp_path / "g.jsonl", recs), "--pred", write_jsonl(tmp_path / "p.jsonl", preds)])
    tn, fp, fn, tp = cm.ravel()
    assert s["pixels"] == {"TP": tp, "FP": fp, "FN": fn, "TN": tn}
    p_, r_ = tp / (tp + fp), tp / (tp + fn)
    assert (s["precision"], s["recall"], s["F1"]) == pytest.approx((p_, r_, 2 * p_ * r_ / (p_ + r_)), abs=1e-12)
    assert s["IoU_change"] == pytest.approx(tp / (tp + fp + fn), abs=1e-12)
    assert s["IoU_unchanged"] == pytest.approx(tn / (tn + fp + fn), abs=1e-12)
    assert s["mIoU"] == pytest.approx((tp / (tp + fp + fn) + tn / (tn + fp + fn)) / 2, abs=1e-12)
    assert s["OA"] == pytest.approx((tp + tn) / cm.sum(), abs=1e-12)
    capsys.readouterr()


def _iou(a, b):
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    u = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - ix * iy
    return ix * iy / u if u > 0 else 0.0


def test_grounding_acc50_and_miou_equal_a_brute_force_matching(tmp_path, capsys):
    """Record IoU = the largest sum of one-to-one IoUs over max(#ref, #pred); right when the counts agree and a
    one-to-one matching has every IoU >= 0.5 (tried over all permutations here)."""
    rng = random.Random(3)
    recs, preds, rec_iou, right = [], [], [], []
    for k in range(80):
        gt = [random_box(rng) for _ in range(rng.choice([1, 1, 1, 2, 3]))]
        pred = []
        for o in gt:
            if rng.random() < 0.85:
                x1, y1, x2, y2 = (v + rng.uniform(-3, 3) for v in o["coords"])
                pred.append({"kind": "box", "coords": [min(x1, x2 - 0.5), min(y1, y2 - 0.5), max(x2, x1 + 0.5), max(y2, y1 + 0.5)]})
        pred += [{"kind": "box", "coords": random_box(rng)["coords"]} for _ in range(rng.choice([0, 0, 0, 1]))]
        rng.shuffle(pred)
        recs.append(rec(f"g{k}", "ground", "[ground] the building", gt))
        preds.append({"id": f"g{k}", "task": "ground", "answer": "", "objects": pred})
        clip = [[min(max(v, 0.0), W) for v in p["coords"]] for p in pred]  # both sides clipped to the image
        m = np.array([[_iou(g["coords"], p) for p in clip] for g in gt])
        n = max(len(gt), len(pred))
        small, big = (m, len(pred)) if len(gt) <= len(pred) else (m.T, len(gt))
        best = max(sum(small[i, j] for i, j in enumerate(perm)) for perm in itertools.permutations(range(big), small.shape[0]))
        rec_iou.append(best / n)
        right.append(len(gt) == len(pred) and any(all(m[i, j] >= 0.5 for i, j in enumerate(perm))
                                                  for perm in itertools.permutations(range(len(pred)))))
    s = grounding.main(["--gt", write_jsonl(tmp_path / "g.jsonl", recs), "--pred", write_jsonl(tmp_path / "p.jsonl", preds)])
    assert s["mIoU"] == pytest.approx(np.mean(rec_iou), abs=1e-9)
    assert s["acc50"] == pytest.approx(np.mean(right), abs=1e-12) and 0.2 < s["acc50"] < 0.9
    capsys.readouterr()


def test_counting_and_classification_equal_numpy(tmp_path, capsys):
    rng = random.Random(11)
    truth = [rng.choice([0, 1, 2, 3, 5, 8, 13, 40]) for _ in range(100)]
    said = [None if rng.random() < 0.08 else max(0, t + rng.choice([0, 0, 0, 1, -1, 2, -3, 10])) for t in truth]
    recs = [eval_record(f"n{k}", "count", "[count] How many cars?", str(t)) for k, t in enumerate(truth)]
    preds = [{"id": f"n{k}", "task": "count", "answer": f"There are {a} cars."} for k, a in enumerate(said) if a is not None]
    s = counting.main(["--gt", write_jsonl(tmp_path / "g.jsonl", recs), "--pred", write_jsonl(tmp_path / "p.jsonl", preds)])
    t, a = np.array(truth), np.array([0 if v is None else v for v in said])
    ok = np.array([v is not None for v in said])
    assert s["accuracy"] == pytest.approx(np.mean(ok & (a == t)), abs=1e-12)
    assert s["off_by_one_accuracy"] == pytest.approx(np.mean(ok & (abs(a - t) <= 1)), abs=1e-12)
    assert (s["MAE"], s["RMSE"]) == pytest.approx((np.mean(abs(a - t)), np.sqrt(np.mean((a - t) ** 2))), abs=1e-12)
    assert s["MAE_parsed"] == pytest.approx(np.mean(abs(a - t)[ok]), abs=1e-12)

    names = ["airport", "beach", "forest", "harbor", "river"]
    truth = [rng.choice(names) for _ in range(120)]
    said = [c if rng.random() < 0.6 else rng.choice(names + ["meadow"]) for c in truth]
    recs = [eval_record(f"c{k}", "cls", "[cls] What scene is this?", c.capitalize() + ".") for k, c in enumerate(truth)]
    preds = [{"id": f"c{k}", "task": "cls", "answer": c} for k, c in enumerate(said)]
    s = classification.main(["--gt", write_jsonl(tmp_path / "g2.jsonl", recs), "--pred", write_jsonl(tmp_path / "p2.jsonl", preds)])
    t, a = np.array(truth), np.array(said)
    per = {c: float(np.mean(a[t == c] == c)) for c in names}
    assert s["accuracy"] == pytest.approx(np.mean(a == t), abs=1e-12)
    assert s["per_class_accuracy"] == pytest.approx(per, abs=1e-12)
    assert s["mean_class_accuracy"] == pytest.approx(np.mean(list(per.values())), abs=1e-12)  # balanced accuracy
    capsys.readouterr()


def test_captioning_on_a_random_set_equals_pycocoevalcap(tmp_path, monkeypatch, capsys):
    """Lowercase sentences without punctuation, which the Python tokenizer leaves as they are, fed to pycocoevalcap
    directly: corpus BLEU-1..4, ROUGE-L and CIDEr-D to 1e-12 (METEOR, which needs Java, stubbed)."""
    from pycocoevalcap.bleu.bleu import Bleu
    from pycocoevalcap.cider.cider import Cider
    from pycocoevalcap.meteor import meteor
    from pycocoevalcap.rouge.rouge import Rouge

    class NoMeteor:
        def compute_score(self, refs, cands):
            return 0.0, []

    monkeypatch.setattr(meteor, "Meteor", NoMeteor)
    rng = random.Random(5)
    words = "a the many some green white red large small buildings trees road river cars ships planes near beside parked in of field".split()
    refs, cands = {}, {}
    for k in range(50):
        base = [rng.choice(words) for _ in range(rng.randrange(5, 12))]
        refs[f"r{k}"] = [" ".join(w if rng.random() < 0.7 else rng.choice(words) for w in base) for _ in range(rng.randrange(1, 5))]
        cands[f"r{k}"] = [" ".join(w if rng.random() < 0.6 else rng.choice(words) for w in base[: rng.randrange(3, len(base) + 1)])]
    recs = [{**eval_record(k, "cap", "[cap] Describe the image.", r[0]), "meta": {"references": r[1:]}} for k, r in refs.items()]
    preds = [{"id": k, "task": "cap", "answer": c[0]} for k, c in cands.items()]
    s = captioning.main(["--gt", write_jsonl(tmp_path / "g.jsonl", recs), "--pred", write_jsonl(tmp_path / "p.jsonl", preds), "--no-java"])
    with contextlib.redirect_stdout(io.StringIO()):
        bleu = Bleu(4).compute_score(refs, cands, verbose=0)[0]
    assert [s[f"BLEU-{n}"] for n in (1, 2, 3, 4)] == pytest.approx(bleu, abs=1e-12)
    assert s["ROUGE-L"] == pytest.approx(Rouge().compute_score(refs, cands)[0], abs=1e-12)
    assert s["CIDEr"] == pytest.approx(Cider().compute_score(refs, cands)[0], abs=1e-12)
    capsys.readouterr()


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # pycocotools' decode under NumPy 2
def test_coco_run_length_masks_decode_as_pycocotools_decodes_them():
    """``eval.rle`` reads compressed and uncompressed COCO RLE itself (checking the counts first); on random masks,
    empty and full ones, odd sizes and long runs (counts past 5 bits, negative deltas) it sets pycocotools' pixels."""
    from pycocotools import mask as mask_utils

    from eval import rle

    rng = np.random.default_rng(75)
    for k in range(60):
        h, w = int(rng.integers(1, 70)), int(rng.integers(1, 70))
        kind = k % 4
        m = (np.zeros((h, w)) if kind == 0 else np.ones((h, w)) if kind == 1 else
             rng.random((h, w)) < rng.uniform(0.05, 0.95)) if kind < 3 else np.zeros((h, w))
        if kind == 3:  # a few large blocks: long runs
            y, x = rng.integers(0, h), rng.integers(0, w)
            m[y:, x:] = 1
        m = np.asfortranarray(m.astype(np.uint8))
        code = mask_utils.encode(m)
        want = mask_utils.decode(code).astype(bool)
        for counts in (code["counts"].decode("ascii"), rle.string_counts(code["counts"].decode("ascii"))):
            got, problem = rle.decoded({"size": [h, w], "counts": counts, "label": "x"}, w, h)
            assert problem is None
            full = np.zeros((h, w), dtype=bool)
            x0, y0 = got["offset"]
            full[y0:y0 + got["mask"].shape[0], x0:x0 + got["mask"].shape[1]] = got["mask"]
            assert (full == want).all() and got["label"] == "x"


def test_rasterised_shapes_are_the_pixel_centres_shapely_finds_inside():
    """What segmentation and change count: ``objects_to_mask`` sets the pixels whose centres lie inside a box, obb
    or polygon (docs/eval.md), checked against shapely's ``contains_xy`` on random shapes, some past the edge."""
    import shapely
    from shapely.geometry import Polygon

    rng = random.Random(1)
    w, h = 64, 48
    ys, xs = np.mgrid[0:h, 0:w] + 0.5
    for _ in range(300):
        kind = rng.choice(["box", "obb", "poly"])
        if kind == "box":
            x1, y1 = rng.uniform(-5, 60), rng.uniform(-5, 45)
            x2, y2 = x1 + rng.uniform(0.3, 30), y1 + rng.uniform(0.3, 30)
            o, ring = {"kind": "box", "coords": [x1, y1, x2, y2]}, [[x1, y1], [x2, y1], [x2, y2], [x1, y2]]
        elif kind == "obb":
            ring = rotated(rng.uniform(0, w), rng.uniform(0, h), rng.uniform(1, 30), rng.uniform(1, 20), rng.uniform(0, np.pi))
            o = {"kind": "obb", "coords": ring}
        else:
            cx, cy = rng.uniform(10, 54), rng.uniform(10, 38)
            ring = [[cx + rng.uniform(3, 15) * np.cos(a), cy + rng.uniform(3, 15) * np.sin(a)]
                    for a in sorted(rng.uniform(0, 2 * np.pi) for _ in range(rng.randrange(3, 9)))]
            o = {"kind": "poly", "coords": ring}
        assert (geometry.objects_to_mask([o], w, h) == shapely.contains_xy(Polygon(ring), xs, ys)).all(), o
