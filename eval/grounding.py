"""Visual grounding (referring expression → boxes): acc@0.5 and mean IoU, in pixel coordinates.

``python -m eval.grounding --gt GT.jsonl --pred PRED.jsonl [--out scores.json] [--format …]``

Both sides are put in pixels before any IoU: the reference through ``rsvlm.geometry.decode``
with ``meta.width``/``meta.height``, the prediction through the same decoder (or the GeoChat /
Falcon reader, whose 0–100 and 0–999 scales are turned to pixels per axis). A prediction's
``objects`` are taken as already in pixels. Boxes pair with boxes by exact box IoU, anything
involving an obb or polygon by polygon IoU. Both sides are clipped to the image (``meta.width`` x
``meta.height``) first: a box reaching past the edge (a pixel-coordinate tool's, whose boxes are not held
to the image as the grammar's bins are) is scored on the part that can be seen, which is all a reference
can mark; one wholly outside has no area (IoU 0; it still counts as a predicted object).

Per record, predicted and reference objects are matched one to one maximising the summed IoU
(Hungarian, ``scipy.optimize.linear_sum_assignment``). Then

* record IoU = sum of matched IoUs / max(#reference, #predicted): extra and missed boxes count
  as IoU 0; for the usual one box against one box it is that box pair's IoU; both empty → 1;
* ``acc50``: fraction of records with as many predicted as reference objects, matched one to one
  at IoU >= 0.5 each (one box each: IoU >= 0.5);
* ``mIoU``: mean record IoU;
* ``object_recall50`` / ``object_precision50``: pairs at IoU >= 0.5 over all reference / all
  predicted objects, as many as one-to-one matching at 0.5 finds (not the largest sum's: of
  overlapping objects it can pair one below 0.5 where every reference has a box of its own at 0.5).

Missing and unparseable predictions have no objects and are wrong (IoU 0), on a reference with no
object ("None.") too, where both empty would give 1. Points and masks are not
boxes: they are counted as ignored. It cannot score a record by its phrase (labels are not
compared).
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from eval import common, regions
from eval.answers import area_reference

HEADLINE = ["acc50", "mIoU"]


def match(gt: list[dict], pred: list[dict], image: tuple[float, float] | None = None) -> tuple[np.ndarray, int]:
    """IoUs of the one-to-one matching of ``gt`` and ``pred`` maximising their sum, each object clipped to
    ``image`` (width, height) where given, (min(n, m),); and the most pairs at IoU >= 0.5 any one-to-one matching
    has (of overlapping objects the largest sum can take a pair under 0.5 where another matching has none)."""
    from scipy.optimize import linear_sum_assignment

    if not gt or not pred:
        return np.zeros(0), 0
    m = regions.iou_matrix(gt, pred, image)  # (n_gt, n_pred)
    r, c = linear_sum_assignment(m, maximize=True)
    hit = m >= 0.5
    r50, c50 = linear_sum_assignment(hit.astype(float), maximize=True)
    return m[r, c], int(hit[r50, c50].sum())


def record_iou(gt: list[dict], pred: list[dict], image: tuple[float, float] | None = None) -> tuple[float, np.ndarray, int]:
    """(record IoU, matched IoUs, pairs found at IoU >= 0.5) as defined in the module docstring."""
    n = max(len(gt), len(pred))
    ious, hits = match(gt, pred, image)
    return (float(ious.sum() / n) if n else 1.0), ious, hits


def score(items: list[common.Item], args=None) -> dict:
    fmt = getattr(args, "format", "rsvlm")
    statuses, ignored = [], Counter()
    rec_ious, right = [], []
    n_gt = n_pred = hit = 0
    for it in common.progress(items, "grounding"):
        gt = common.ref_objects(it)
        if any(o["kind"] not in regions.AREA_KINDS for o in gt):
            raise common.ScoreError(f"record {it.id!r}: a ground reference may hold only boxes, obbs or polygons")
        parsed = common.pred_objects(it, fmt)
        statuses.append(parsed.status)
        pred = [o for o in parsed.objects if o.get("kind") in regions.AREA_KINDS]
        ignored.update(str(o.get("kind")) for o in parsed.objects if o.get("kind") not in regions.AREA_KINDS)
        r, _, hits = common.kept(it, f"record_iou:{fmt}", record_iou,  # once a run: set, modality
                                 gt, pred, common.image_size(it.record))  # clipped to the image
        said = parsed.status not in common.NO_ANSWER  # no objects, but no answer of none either
        rec_ious.append(r if said else 0.0)  # a "None." reference: both empty gave 1
        right.append(said and len(gt) == len(pred) == hits)
        n_gt, n_pred, hit = n_gt + len(gt), n_pred + len(pred), hit + hits
    return {
        "acc50": float(np.mean(right)),
        "mIoU": float(np.mean(rec_ious)),
        "object_recall50": hit / n_gt if n_gt else None,
        "object_precision50": hit / n_pred if n_pred else None,
        "n_correct": int(sum(right)),
        **common.counts(items, statuses),
        "n_gt_objects": n_gt, "n_pred_objects": n_pred, "n_pred_objects_ignored": dict(ignored),
    }


def main(argv: list[str] | None = None) -> dict:
    return common.run("grounding", ("ground",), score, HEADLINE, argv, check=area_reference)  # points: skipped


if __name__ == "__main__":
    common.main_guard(main)
