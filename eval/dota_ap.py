"""Oriented-box AP@0.5, VOC style, as the DOTA devkit defines it (``dota_evaluation_task1.py``,
CAPTAIN-WHU/DOTA_devkit), re-implemented on shapely polygons.

Per class: detections of every image are ranked by score, descending (a stable sort, so equal
scores keep the order they were given in: images in predictions-file order, objects in answer
order; the devkit's ``np.argsort`` leaves ties to quicksort). Going down the ranking, each
detection looks at the ground-truth polygon of its image and class with the largest IoU
(first one on a tie; difficult ones included); it is a true positive when that IoU is
**greater than** 0.5 and that ground truth was not taken by a higher-ranked detection, else a
false positive (a second hit on a taken ground truth is a false positive even when another one
would fit). Difficult ground truth (objects with ``"difficult": True``; ``eval.detection`` sets
it from the record's ``meta.difficult``) is left out of #GT, and a detection whose largest-IoU
ground truth (IoU > 0.5) is difficult is neither a true nor a false positive, however many
detections hit it: the devkit's rule, and VOC's. Then recall = TP / #GT, precision =
TP / (TP + FP) and

* ``voc07``: the 11-point AP, mean over t in 0, 0.1, …, 1 of max precision at recall >= t —
  what the devkit's ``main`` uses (``use_07_metric=True``) and the DOTA server reports;
* ``area``: the all-point AP, area under the monotone precision envelope — ``voc_eval``'s
  default (``use_07_metric=False``).

mAP is the mean over classes that have ground truth other than difficult (a class with difficult
ground truth only is listed with AP ``None``, as the devkit's 0/0 recall would give NaN);
detections of classes without any ground truth are counted, not scored. An obb whose corners fall on one
line reaches here one bin wide (``regions.one_bin_wide``), where the devkit's IoU with it is 0.
"""

from __future__ import annotations

import numpy as np

from eval import regions


def voc_ap(rec: np.ndarray, prec: np.ndarray, use_07_metric: bool) -> float:
    """AP from recall and precision arrays in ranking order (the devkit's ``voc_ap``)."""
    if use_07_metric:  # summed, then divided: eleven adds of 1/11 made a perfect AP 1.0000000000000002
        points = [np.max(prec[rec >= t]) if np.sum(rec >= t) > 0 else 0.0 for t in np.arange(0.0, 1.1, 0.1)]
        return float(np.sum(points) / 11.0)
    mrec = np.concatenate(([0.0], rec, [1.0]))
    mpre = np.concatenate(([0.0], prec, [0.0]))
    mpre = np.maximum.accumulate(mpre[::-1])[::-1]  # precision envelope
    i = np.where(mrec[1:] != mrec[:-1])[0]
    return float(np.sum((mrec[i + 1] - mrec[i]) * mpre[i + 1]))


def class_ap(gts: dict[int, list[dict]], dets: list[tuple[int, float, dict]], iou_thr: float = 0.5,
             sizes: list[tuple[int, int]] | None = None) -> dict:
    """AP of one class. ``gts``: image index -> ground-truth area objects (``"difficult": True``
    on difficult ones); ``dets``: (image index, score, object) in the order ties should keep;
    ``sizes``: each image's (width, height), to clip both sides to (``regions.clipped_shape``; the
    devkit does not clip). AP and recall are None when every ground truth is difficult."""
    frame = (lambda i: sizes[i]) if sizes is not None else (lambda i: None)  # noqa: E731
    hard = {i: np.array([bool(o.get("difficult")) for o in v], dtype=bool) for i, v in gts.items()}
    npos = sum(int((~h).sum()) for h in hard.values())
    shapes = {i: [regions.clipped_shape(o, frame(i)) for o in v] for i, v in gts.items()}
    taken = {i: np.zeros(len(v), dtype=bool) for i, v in gts.items()}
    conf = np.array([s for _, s, _ in dets], dtype=np.float64)
    order = np.argsort(-conf, kind="stable")
    tp, fp = np.zeros(len(dets)), np.zeros(len(dets))
    n_ignored = 0
    for d, k in enumerate(order):
        img, _, obj = dets[k]
        ious = regions.iou_many(regions.clipped_shape(obj, frame(img)), shapes.get(img, []))
        if len(ious) and ious.max() > iou_thr:
            j = int(np.argmax(ious))
            if hard[img][j]:
                n_ignored += 1  # on a difficult ground truth: neither TP nor FP (never taken)
            elif not taken[img][j]:
                tp[d], taken[img][j] = 1.0, True
            else:
                fp[d] = 1.0
        else:
            fp[d] = 1.0
    ctp, cfp = np.cumsum(tp), np.cumsum(fp)
    rec = ctp / float(npos) if npos else np.zeros_like(ctp)
    prec = ctp / np.maximum(ctp + cfp, np.finfo(np.float64).eps)
    scored = npos > 0 or not hard  # no ground truth at all: AP 0 as before; only difficult: None
    return {"AP50_voc07": voc_ap(rec, prec, True) if scored else None,
            "AP50_area": voc_ap(rec, prec, False) if scored else None,
            "n_gt": npos, "n_gt_difficult": sum(int(h.sum()) for h in hard.values()),
            "n_det": len(dets), "n_tp": int(tp.sum()), "n_det_on_difficult": n_ignored,
            "recall": (float(rec[-1]) if len(rec) else 0.0) if scored else None}


def dota_map(gts: list[list[dict]], dets: list[list[dict]], iou_thr: float = 0.5,
             sizes: list[tuple[int, int]] | None = None) -> dict:
    """mAP over classes. ``gts[i]``/``dets[i]``: objects of image i (label already normalised,
    difficult ground truth with ``"difficult": True``, detections with ``score``), images in
    predictions-file order; ``sizes[i]``: image i's (width, height), to clip to (``class_ap``)."""
    classes = sorted({o["label"] for img in gts for o in img})
    per_class = {}
    for c in classes:
        g = {i: [o for o in img if o["label"] == c] for i, img in enumerate(gts)}
        d = [(i, float(o["score"]), o) for i, img in enumerate(dets) for o in img if o["label"] == c]
        per_class[c] = class_ap({i: v for i, v in g.items() if v}, d, iou_thr, sizes)
    n_other = sum(1 for img in dets for o in img if o["label"] not in per_class)

    def mean(k: str) -> float | None:
        vals = [v[k] for v in per_class.values() if v[k] is not None]
        return float(np.mean(vals)) if vals else None

    return {"mAP50_voc07": mean("AP50_voc07"), "mAP50_area": mean("AP50_area"),
            "per_class": per_class, "n_det_unknown_class": n_other}


if __name__ == "__main__":  # python -m eval.dota_ap: no command line; say so, and which scripts have one
    from eval.__main__ import library_main

    raise SystemExit(library_main("dota_ap"))
