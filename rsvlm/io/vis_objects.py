"""The objects an overlay draws (``rsvlm.io.vis``): each checked and placed (``_where``), its label as drawn
(``_drawn_label``, ``_label_text``) and where it goes (``_anchor``), and which labels are kept where they would
overlap (``place_labels``)."""

from __future__ import annotations

import numpy as np

from rsvlm.io.georef import mask_array, mask_bounds


def _anchor(obj: dict, s: tuple[float, float], mask_box: tuple | None) -> tuple[float, float]:
    """Where ``obj``'s label goes on a canvas of ``s`` (x, y) pixels per object pixel (a mask's at the
    top-left of ``mask_box``, its pixels' box)."""
    (sx, sy), kind, c = s, obj["kind"], obj.get("coords")
    if kind == "box":
        return min(c[0], c[2]) * sx, min(c[1], c[3]) * sy
    if kind in ("obb", "poly"):
        x, y = min(c, key=lambda p: (p[1], p[0]))
        return x * sx, y * sy
    if kind == "point":
        return c[0] * sx + 6, c[1] * sy - 6
    x0, y0, _, _ = mask_box  # never empty: draw_overlay leaves empty masks out
    return x0 * sx, y0 * sy


_COORDS = {"box": ((4,), "[x1, y1, x2, y2]"), "point": ((2,), "[x, y]"), "obb": ((4, 2), "4 [x, y] corners"),
           "poly": ((-1, 2), "[x, y] vertices")}


def _where(obj: dict, w: float, h: float) -> tuple[str, tuple | None]:
    """("inside" an image of ``w`` x ``h`` object pixels (in part or whole), "outside" it, or "empty"
    (a mask); a mask's (array (h, w), (x0, y0), its pixels' box), decoded here once for the fill and
    the label, else None); ValueError where it is no geometry object, its coords are not finite or its
    score is no number."""
    kind, mask = obj.get("kind"), None
    if obj.get("score") is not None:
        float(obj["score"])  # "high" met float() in the label sort, naming no object
    if kind == "mask":
        decoded = mask_array(obj)  # a grid mask is rasterised once per overlay (it was 3 times)
        box = mask_bounds(obj, decoded)
        if box is None:
            return "empty", None
        mask = (*decoded, box)
    elif kind in _COORDS:
        shape, what = _COORDS[kind]
        pts = np.asarray(obj.get("coords"), dtype=np.float64)
        if pts.ndim != len(shape) or any(n not in (-1, m) for n, m in zip(shape, pts.shape)) or not pts.size:
            raise ValueError(f"{kind} coords are {what}, not {obj.get('coords')!r:.80}")
        if not np.isfinite(pts).all():  # NaN was drawn as nothing, and counted as inside
            raise ValueError(f"{kind} coords {obj.get('coords')!r:.80} hold a value that is no finite number")
        pts = pts.reshape(-1, 2)  # (N, 2): box corners, vertices, a point
        box = (*pts.min(axis=0), *pts.max(axis=0))
    else:
        raise ValueError(f"kind {kind!r} is none of box, obb, point, poly, mask")
    return "outside" if box[2] < 0 or box[3] < 0 or box[0] > w or box[1] > h else "inside", mask


def place_labels(rects: list[tuple[float, float, float, float]]) -> list[bool]:
    """Greedy decluttering: each label rectangle (x0, y0, x1, y1), in priority order, is kept unless
    it overlaps one kept before it."""
    kept: list[tuple[float, float, float, float]] = []
    out = []
    for x0, y0, x1, y1 in rects:
        free = all(x1 <= a0 or x0 >= a1 or y1 <= b0 or y0 >= b1 for a0, b0, a1, b1 in kept)
        if free:
            kept.append((x0, y0, x1, y1))
        out.append(free)
    return out


def _label_text(label, default: str) -> str:
    """An object's label as drawn: a class id (``3``, from a GeoJSON) as its number, None or "" as ``default``."""
    return default if label is None or label == "" else str(label)


def _drawn_label(obj: dict):
    """``obj``'s label as the overlay draws and colours it: a text or a number as it is, a list of them
    (several classes of one object) as ``"ship, boat"``; ValueError for anything else (a mapping
    met "unhashable type" in the colour table, naming no object)."""
    if not isinstance(obj, dict):  # was "'list' object has no attribute 'get'"
        raise ValueError("no object: expected a dict with kind, coords and label")
    label = obj.get("label")
    if label is None or isinstance(label, (str, int, float)):
        return label
    if isinstance(label, (list, tuple)) and all(isinstance(x, (str, int, float)) for x in label):
        return ", ".join(str(x) for x in label)
    raise ValueError(f"label {label!r:.60} is no text, number or list of them")


def _score_or_inf(obj: dict) -> float:
    """An object's score for label order; one without a score (absent or None) ranks first."""
    return float("inf") if obj.get("score") is None else float(obj["score"])
