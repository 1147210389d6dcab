"""Detection: COCO mAP / mAP@0.5 / mAP@0.75 for horizontal boxes (through pycocotools) and
oriented mAP@0.5 for oriented boxes (the DOTA devkit's VOC-style AP, ``eval.dota_ap``).

``python -m eval.detection --gt GT.jsonl --pred PRED.jsonl [--out scores.json]
[--format rsvlm|geochat|falcon] [--max-dets 100]``

Each ``det`` record is one image for the metric. A record is *oriented* when its reference
holds ``<obb>`` (or, with no objects at all, when the question asks for oriented boxes);
otherwise *horizontal*. Horizontal records: predicted obbs and polygons are scored by their
enclosing box. Oriented records: predicted boxes and polygons are scored as polygons. Points and
masks are not detections: they are counted (``n_pred_objects_ignored``) and left out, as are
objects of a class no reference in the set has (``n_pred_objects_unknown_class``, by class, and a
note: a model writing ``vehicle`` for ``small vehicle`` scores 0 and is told why).

Both sides are clipped to the image (``meta.width`` x ``meta.height``) first, as ``eval.grounding`` clips
them: a pixel-coordinate tool's box reaching past the edge is scored on the part that can be seen (the
grammar's bins never leave the image, so rsvlm's answers and the references are as they were). Neither
pycocotools nor the DOTA devkit clips; on boxes inside the image the two agree to the last bit.

Classes compare by ``common.norm_label``; a predicted class that is no reference's but names one in another
form (``ships`` for ``ship``: ``common.read_as_known``) is scored as it, counted and noted; an unlabelled
prediction in a record whose reference has one class takes that class. Ranking: the ``score`` of each object where given, else 1.0,
so that equal scores fall back to the order of the answers in the predictions file and of the
objects in each answer; for COCO this is done by numbering images in predictions-file order,
which is what pycocotools' stable sorts then do with ties. COCO keeps at most ``--max-dets``
detections of each class per image, as pycocotools applies it (100, as COCO does; DOTA scenes can hold
more: raise it there). ``mAP50`` is pycocotools' AP50 at ``maxDets`` N, area "all": 101-point
interpolation and IoU >= 0.5, so it is not the VOC / DOTA-devkit AP (11-point or all-point, IoU > 0.5) that
DIOR / NWPU VHR-10 papers report; that one is ``mAP50_obb`` for oriented records only.

Difficult ground truth: a record's ``meta.difficult`` lists indices into its reference answer's
objects (as the DOTA and VOC converters write it; records without the key are scored as before).
Those objects are left out of #GT, and a detection on one is neither a true nor a false positive:

* oriented (``eval.dota_ap``): exactly the DOTA devkit's / VOC's rule — a detection whose
  largest-IoU ground truth is difficult is ignored, however many detections hit it;
* horizontal (pycocotools): the ground truth's ``ignore`` flag, COCO's own "ignored region"
  semantics (what it does with ground truth outside an area range). Not ``iscrowd``: a crowd
  region is scored with a different IoU (intersection over the *detection's* area) and matches
  any number of detections. pycocotools 2.0's ``COCOeval._prepare`` overwrites each annotation's
  ``ignore`` with its ``iscrowd``, so ``IgnoringCOCOeval`` sets it again from a ``difficult``
  field after that step. COCO matching then differs from VOC's in two ways it also has for its
  other ignored regions: a detection takes an untaken regular ground truth over an ignored one
  even at lower IoU, and an ignored ground truth absorbs one detection only (a second one on it
  is a false positive unless it fits another ground truth).

A class whose ground truth is all difficult is left out of the mean (pycocotools: no precision;
DOTA: AP ``None``). ``n_gt_difficult`` counts the difficult ground-truth objects.
"""

from __future__ import annotations

import contextlib
import io
from collections import Counter

from eval import common, dota_ap, regions
from eval.answers import area_reference
from eval.counts import counted

HEADLINE = ["mAP", "mAP50", "mAP50_obb"]


def _is_oriented(record: dict, gt: list[dict]) -> bool:
    if gt:
        return any(o["kind"] == "obb" for o in gt)
    return "oriented" in common.prompt(record).lower()


def _clipped_envelopes(objects: list[dict], size: tuple[int, int]) -> list[dict]:
    """Each object as its enclosing box, clipped to the image ``size`` (width, height)."""
    return regions.clip_boxes([{**o, "kind": "box", "coords": regions.envelope(o)} for o in objects], *size)


def _ignoring_cocoeval():
    """``COCOeval`` that keeps ``ignore`` set on ground truth marked ``difficult``."""
    from pycocotools.cocoeval import COCOeval

    class IgnoringCOCOeval(COCOeval):
        def _prepare(self):
            super()._prepare()  # sets every gt's "ignore" to its "iscrowd"
            for anns in self._gts.values():
                for g in anns:
                    if g.get("difficult"):
                        g["ignore"] = 1

    return IgnoringCOCOeval


def coco_map(gts: list[list[dict]], dets: list[list[dict]], sizes: list[tuple[int, int]],
             max_dets: int = 100) -> dict:
    """pycocotools COCOeval (bbox) on in-memory data. ``gts[i]``/``dets[i]``: objects of image
    i+1 with ``label`` and ``coords`` ``[x1, y1, x2, y2]`` (detections with ``score``; ground
    truth with ``"difficult": True`` is an ignored region, see the module notes)."""
    from pycocotools.coco import COCO

    labels = sorted({o["label"] for img in gts + dets for o in img})
    cat = {c: k + 1 for k, c in enumerate(labels)}

    def xywh(o):
        x1, y1, x2, y2 = o["coords"]
        return [x1, y1, x2 - x1, y2 - y1]

    images = [{"id": i + 1, "width": w, "height": h} for i, (w, h) in enumerate(sizes)]
    anns = []
    for i, img in enumerate(gts):
        for o in img:  # ids from 1: pycocotools reads a matched id 0 as "no match"
            b = xywh(o)
            anns.append({"id": len(anns) + 1, "image_id": i + 1, "category_id": cat[o["label"]], "bbox": b,
                         "area": b[2] * b[3], "iscrowd": 0, "difficult": int(bool(o.get("difficult")))})
    categories = [{"id": k, "name": c} for c, k in cat.items()]
    res_list = [{"image_id": i + 1, "category_id": cat[o["label"]], "bbox": xywh(o), "score": o["score"]}
                for i, img in enumerate(dets) for o in img]
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO()
        gt.dataset = {"images": images, "annotations": anns, "categories": categories}
        gt.createIndex()
        if res_list:
            dt = gt.loadRes(res_list)
        else:
            dt = COCO()
            dt.dataset = {"images": images, "annotations": [], "categories": categories}
            dt.createIndex()
        ev = _ignoring_cocoeval()(gt, dt, "bbox")
        # evaluate() sorts maxDets and scores at its largest: [1, 10, 5] scored 10 detections for --max-dets 5
        ev.params.maxDets = [min(1, max_dets), min(10, max_dets), max_dets]
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    s = [None if v < 0 else float(v) for v in ev.stats]
    prec = ev.eval["precision"]  # (T iou thresholds, R recall points, K classes, A areas, M maxDets)
    # mAP: summarize() reads it at maxDets 100 whatever maxDets holds, so --max-dets 10 gave mAP None; at max_dets
    every = prec[:, :, :, 0, -1]
    s[0] = float(every[every > -1].mean()) if (every > -1).any() else None
    per_class = {}
    for k, c in enumerate(labels):
        p = prec[:, :, k, 0, -1]
        if (p > -1).any():
            per_class[c] = {"AP": float(p[p > -1].mean()), "AP50": float(p[0][p[0] > -1].mean())}
    return {"mAP": s[0], "mAP50": s[1], "mAP75": s[2], "mAP_small": s[3], "mAP_medium": s[4],
            "mAP_large": s[5], f"AR{max_dets}": s[8], "per_class": per_class}


def score(items: list[common.Item], args=None) -> dict:
    fmt = getattr(args, "format", "rsvlm")
    max_dets = getattr(args, "max_dets", 100)
    statuses, ignored, coco_segm = [], Counter(), 0
    hbb = {"gts": [], "dets": [], "sizes": []}
    obb = {"gts": [], "dets": [], "sizes": []}
    n_gt_objects = n_gt_difficult = n_pred_objects = 0
    for it in common.progress(items, "detection"):
        gt = [{**o, "label": common.norm_label(o.get("label"))} for o in common.ref_objects(it)]
        for j in common.gt_difficult(it.record, len(gt)):
            gt[j]["difficult"] = True
        parsed = common.pred_objects(it, fmt)
        statuses.append(parsed.status)
        preds = []
        for o in common.single_label_fill(parsed.objects, gt):
            if o.get("kind") in regions.AREA_KINDS:
                preds.append({**o, "label": common.norm_label(o.get("label"))})
            else:
                ignored[str(o.get("kind"))] += 1
                coco_segm += o.get("kind") == "mask" and "bbox" in o  # a COCO segm result: its RLE read, its bbox not
        n_gt_objects += len(gt)
        n_gt_difficult += sum(1 for o in gt if o.get("difficult"))
        n_pred_objects += len(preds)
        gt_area = [o for o in gt if o["kind"] in regions.AREA_KINDS]
        if len(gt_area) != len(gt):
            raise common.ScoreError(f"record {it.id!r}: a det reference may hold only boxes, obbs or polygons")
        size = common.image_size(it.record)
        if _is_oriented(it.record, gt):
            obb["gts"].append(gt)
            obb["dets"].append(preds)
            obb["sizes"].append(size)  # dota_ap clips both sides to the image
        else:  # enclosing boxes clipped to the image, as grounding clips: the part past the edge no one can see
            hbb["gts"].append(_clipped_envelopes(gt, size))
            hbb["dets"].append(_clipped_envelopes(preds, size))
            hbb["sizes"].append(size)
    gt_labels = {o["label"] for imgs in (hbb["gts"], obb["gts"]) for img in imgs for o in img}
    dets = [o for imgs in (hbb["dets"], obb["dets"]) for img in imgs for o in img]
    read_as = common.read_as_known(gt_labels, {o["label"] for o in dets})  # "ships" was no class of "ship"
    plural = Counter(f"{o['label']} → {read_as[o['label']]}" for o in dets if o["label"] in read_as)
    for o in dets:
        o["label"] = read_as.get(o["label"], o["label"])
    unknown = Counter(o["label"] or "(unlabelled)" for o in dets if o["label"] not in gt_labels)  # AP cannot see them
    notes = []
    if not n_gt_objects:
        # the answers' objects were unsaid beside it: a model that saw objects in empty scenes looked like no result
        false = f"; the answers hold {counted(len(dets), 'object')}, every one a false positive " \
            f"(n_pred_objects_unknown_class: {dict(unknown.most_common(5))})" if dets else ""
        notes.append(f"no reference holds an object: AP is undefined (-){false}")
    elif unknown:
        notes.append(f"{counted(sum(unknown.values()), 'predicted object')} of classes no reference has, not scored: "
                     f"{dict(unknown.most_common(5))}")
    if hbb["gts"] and obb["gts"]:  # a class of the other kind's references alone: known, so not in `unknown`, but unscored
        for kind, other, refs, found in (("oriented", "horizontal", obb["gts"], obb["dets"]),
                                          ("horizontal", "oriented", hbb["gts"], hbb["dets"])):
            own = {o["label"] for img in refs for o in img}
            if cross := Counter(o["label"] for img in found for o in img if o["label"] not in own and o["label"] in gt_labels):
                notes.append(f"{counted(cross.total(), 'predicted object')} of the {kind} records "
                             f"{'is of a class' if cross.total() == 1 else 'are of classes'} only {other} references have, "
                             f"not scored: {dict(cross.most_common(5))} (each box kind's AP is of its own references' classes"
                             + ("; n_obb_det_unknown_class)" if kind == "oriented" else ")"))
    if unlabelled := common.coco_unlabelled(dets):
        notes.append(f"{counted(unlabelled, 'predicted object', 'carries/carry')} {common.COCO_CLASS_ADVICE}")
    if coco_segm:  # was only "left out: {'mask': N}", mAP 0 beside the boxes they carry
        notes.append(f"{counted(coco_segm, 'predicted mask')} left out {'is a COCO segm result' if coco_segm == 1 else 'are COCO segm results'} with a 'bbox' beside "
                     f"{'its' if coco_segm == 1 else 'their'} run-length mask: detection scores boxes, and COCO's bbox is [x, y, width, height]; give each as "
                     '{"kind": "box", "coords": [x1, y1, x2, y2]} (eval.segmentation scores the masks)')
    if plural:
        notes.append(f"{counted(sum(plural.values()), 'predicted object', 'names/name')} a reference class in another form, a plural "
                     f"(rsvlm.answer_words.label_key), and {'is' if sum(plural.values()) == 1 else 'are'} scored as it: {dict(plural.most_common(5))}")
    # pycocotools keeps the max_dets highest-scored of each class in each image (evaluateImg runs per image and
    # class): the rest of a dense scene's answer drops out unseen. Counted per image were 150 detections of two
    # classes, 75 each, said to lose 50 at --max-dets 100, where COCO scores them all
    over = [v for d in hbb["dets"] if (v := sum(max(0, n - max_dets) for n in Counter(o["label"] for o in d).values()))]
    n_gt_over = sum(any(n > max_dets for n in Counter(o["label"] for o in g if not o.get("difficult")).values())
                    for g in hbb["gts"])
    if over or n_gt_over:
        notes.append(f"--max-dets {max_dets}: COCO keeps that many detections of each class per image, the highest-scored: "
                     + (f"{counted(sum(over), 'predicted object')} of {counted(len(over), 'record')} past it {'is' if sum(over) == 1 else 'are'} not scored" if over
                        else "")
                     + ("; " if over and n_gt_over else "")
                     + (f"{counted(n_gt_over, 'record', 'holds/hold')} more reference objects of a class than that, so {'its' if n_gt_over == 1 else 'their'} recall cannot be "
                        "complete" if n_gt_over else "")
                     + "; raise --max-dets for dense scenes (DOTA)")
    out: dict = {"mAP": None, "mAP50": None, "mAP50_obb": None}
    if hbb["gts"]:
        c = coco_map(hbb["gts"], hbb["dets"], hbb["sizes"], max_dets)
        out.update({k: v for k, v in c.items() if k != "per_class"})
        out["per_class_hbb"] = c["per_class"]
    if obb["gts"]:
        d = dota_ap.dota_map(obb["gts"], obb["dets"], sizes=obb["sizes"])
        out.update({"mAP50_obb": d["mAP50_voc07"], "mAP50_obb_area": d["mAP50_area"],
                    "per_class_obb": d["per_class"], "n_obb_det_unknown_class": d["n_det_unknown_class"]})
    return {**out, **common.counts(items, statuses), "n_records_hbb": len(hbb["gts"]),
            "n_records_obb": len(obb["gts"]), "n_gt_objects": n_gt_objects, "n_gt_difficult": n_gt_difficult,
            "n_pred_objects": n_pred_objects, "n_pred_objects_past_max_dets": sum(over),
            "n_pred_objects_ignored": dict(ignored), "n_pred_objects_unknown_class": dict(unknown),
            "n_pred_objects_read_as_class": dict(plural),
            "notes": notes}


def details(scores: dict) -> str:
    rows = [[c, "hbb", v["AP"], v["AP50"]] for c, v in scores.get("per_class_hbb", {}).items()]
    rows += [[c, "obb", None, v["AP50_voc07"]] for c, v in scores.get("per_class_obb", {}).items()]
    if not rows or len(rows) > 40:
        return f"({len(rows)} per-class rows; see the JSON output)" if rows else ""
    return "per class (obb AP50 is the DOTA 11-point AP)\n" + common.table(rows, ["class", "boxes", "AP", "AP50"])


def main(argv: list[str] | None = None) -> dict:
    def extra(ap):
        ap.add_argument("--max-dets", type=common.at_least_one, default=100,
                        help="COCO: detections kept per image and class, the highest-scored (default 100; raise it for dense scenes)")

    return common.run("detection", ("det",), score, HEADLINE, argv, extra_args=extra, details=details,
                      check=area_reference)  # points, masks: skipped, counted


if __name__ == "__main__":
    common.main_guard(main)
