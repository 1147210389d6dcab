"""Objects as regions for scoring: rings, enclosing boxes, IoUs and masks, all in pixels.

Thin wrappers over ``rsvlm.geometry`` and shapely. A ``point`` has no area and a ``mask``
(grid) has no ring: ``object_ring`` returns None for them and the caller counts them as ignored.
"""

from __future__ import annotations

import numpy as np

from rsvlm.geometry import object_ring

AREA_KINDS = ("box", "obb", "poly")


def envelope(obj: dict) -> list[float] | None:
    """``[x1, y1, x2, y2]`` enclosing a box, obb or polygon; None for points and masks."""
    r = object_ring(obj)
    if r is None:
        return None
    xs, ys = [p[0] for p in r], [p[1] for p in r]
    return [min(xs), min(ys), max(xs), max(ys)]


def shape(obj: dict):
    """A valid shapely polygon of an area object (holes from ``rings`` kept); None otherwise."""
    import shapely
    from shapely.geometry import Polygon

    r = object_ring(obj)
    if r is None:
        return None
    rings = obj.get("rings") if obj.get("kind") == "poly" else None
    g = Polygon(rings[0], rings[1:]) if rings else (Polygon(r) if len(r) >= 3 else Polygon())
    return g if g.is_valid else shapely.make_valid(g)


def iou(a: dict, b: dict) -> float:
    """IoU of two area objects: exact box IoU for two boxes, polygon IoU otherwise."""
    from rsvlm.geometry import box_iou

    if a.get("kind") == "box" and b.get("kind") == "box":
        return box_iou([float(v) for v in a["coords"]], [float(v) for v in b["coords"]])
    return iou_many(shape(a), [shape(b)])[0]


def iou_many(det, gts: list) -> np.ndarray:
    """IoU of one shapely polygon against many, vectorised. (len(gts),) float64."""
    import shapely

    if not gts:
        return np.zeros(0)
    arr = np.asarray(gts, dtype=object)
    inter = shapely.area(shapely.intersection(arr, det))
    union = shapely.area(arr) + det.area - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)


def iou_matrix(gts: list[dict], preds: list[dict]) -> np.ndarray:
    """(len(gts), len(preds)) IoUs between area objects."""
    out = np.zeros((len(gts), len(preds)))
    if not gts or not preds:
        return out
    g_shapes = [shape(g) for g in gts]
    for j, p in enumerate(preds):
        if all(g.get("kind") == "box" for g in gts) and p.get("kind") == "box":
            out[:, j] = [iou(g, p) for g in gts]
        else:
            out[:, j] = iou_many(shape(p), g_shapes)
    return out


def to_mask(objects: list[dict], width: int, height: int) -> np.ndarray:
    """(height, width) bool union of the objects' areas (points add nothing)."""
    from rsvlm.geometry import objects_to_mask

    return objects_to_mask(objects, width, height)
