"""Referring and class segmentation: mIoU, cIoU, gIoU and P@0.5 on rasterised answers.

``python -m eval.segmentation --gt GT.jsonl --pred PRED.jsonl [--out scores.json] [--format …]``

Reference and prediction are rasterised to (height, width) masks with
``rsvlm.geometry.objects_to_mask`` (pixel centres inside polygons, boxes and obbs; grid masks
as decoded; points add nothing). The unit of scoring is a (record, class) pair, the class being
the reference's normalised ``<ref>`` phrase: a record whose reference has one class is one unit
and every predicted shape counts for it, whatever its label; a record with several classes
(semantic segmentation in one answer) gives one unit per class, and predicted shapes go to the
class of their label — shapes of a class the reference lacks are counted
(``n_pred_objects_unknown_class``) and cannot be scored.

* unit IoU = |P ∩ G| / |P ∪ G|, and 1 when both masks are empty;
* ``gIoU``: mean unit IoU; ``cIoU``: sum of intersections / sum of unions over all units;
* ``mIoU``: mean over classes of (sum of intersections / sum of unions of that class's units);
  with free-form referring phrases every phrase is a class of its own. A class with no pixel in
  any reference or prediction (the ``""`` class of empty references answered empty) has no IoU
  (``None`` in ``per_class_IoU``) and is left out of the mean, as semantic-segmentation mIoU
  leaves out absent classes;
* ``P@0.5`` (also ``P@0.7``, ``P@0.9``): fraction of units with IoU >= the threshold.

Missing and unparseable predictions are empty masks (and counted). It cannot read reference
masks from image files: the reference must be geometry in the answer (a mask file converts with
``rsvlm.geometry.mask_to_objects``).
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from eval import common, regions

HEADLINE = ["mIoU", "cIoU", "gIoU", "P@0.5"]
THRESHOLDS = (0.5, 0.7, 0.9)


def units(gt: list[dict], pred: list[dict], width: int, height: int) -> tuple[list[tuple], int]:
    """([(class, inter, union)], number of predicted shapes of a class the reference lacks)."""
    classes = list(dict.fromkeys(common.norm_label(o.get("label")) for o in gt)) or [""]
    if len(classes) == 1:
        groups = {classes[0]: (gt, pred)}
        unknown = 0
    else:
        groups = {c: ([o for o in gt if common.norm_label(o.get("label")) == c],
                      [o for o in pred if common.norm_label(o.get("label")) == c]) for c in classes}
        unknown = sum(1 for o in pred if common.norm_label(o.get("label")) not in groups)
    out = []
    for c, (g, p) in groups.items():
        gm, pm = regions.to_mask(g, width, height), regions.to_mask(p, width, height)  # (H, W) bool
        out.append((c, int(np.logical_and(gm, pm).sum()), int(np.logical_or(gm, pm).sum())))
    return out, unknown


def score(items: list[common.Item], args=None) -> dict:
    fmt = getattr(args, "format", "rsvlm")
    statuses, all_units, n_unknown = [], [], 0
    for it in common.progress(items, "segmentation"):
        w, h = common.image_size(it.record)
        parsed = common.pred_objects(it, fmt)
        statuses.append(parsed.status)
        try:
            u, unknown = units(common.gt_objects(it.record), parsed.objects, w, h)
        except ValueError as e:
            raise common.ScoreError(f"record {it.id!r}: {e}") from e
        all_units += u
        n_unknown += unknown
    ious = np.array([i / u if u else 1.0 for _, i, u in all_units])
    by_class = defaultdict(lambda: [0, 0])
    for c, i, u in all_units:
        by_class[c][0] += i
        by_class[c][1] += u
    class_iou = {c: (i / u if u else None) for c, (i, u) in sorted(by_class.items())}  # None: no pixel either side
    present = [v for v in class_iou.values() if v is not None]
    sum_i, sum_u = sum(i for _, i, _ in all_units), sum(u for _, _, u in all_units)
    return {
        "mIoU": float(np.mean(present)) if present else None,
        "cIoU": sum_i / sum_u if sum_u else 1.0,
        "gIoU": float(ious.mean()),
        **{f"P@{t}": float((ious >= t).mean()) for t in THRESHOLDS},
        **common.counts(items, statuses),
        "n_units": len(all_units), "n_classes": len(class_iou),
        "n_pred_objects_unknown_class": n_unknown,
        "per_class_IoU": class_iou if len(class_iou) <= 200 else "(over 200 classes; left out)",
        "notes": [f"{n_unknown} predicted shape(s) in several-class records name no class of their reference, "
                  "not scored"] if n_unknown else [],
    }


def main(argv: list[str] | None = None) -> dict:
    return common.run("segmentation", ("seg",), score, HEADLINE, argv)


if __name__ == "__main__":
    common.main_guard(main)
