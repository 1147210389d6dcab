"""Raster masks <-> geometry objects, rasterisation and mask IoU.

``mask_to_objects`` writes a bool mask either as polygons (``form="poly"``: one object per
4-connected instance, its exterior and holes traced along pixel edges, then simplified with
Douglas-Peucker until the rings fit ``budget`` location tokens, 2 per vertex) or as grids
(``form="grid"``: see ``rsvlm.geometry.grid``). ``budget`` always counts location tokens
per instance. Defaults come from the mask-fidelity study in docs/geometry.md.

Cannot: keep an instance whose simplified exterior collapses (it is dropped only if the mask
instance itself is empty); holes that do not fit the budget are dropped, smallest first.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from rsvlm.geometry import grid
from rsvlm.geometry.shapes import blank_mask, check_size, dedupe_ring, fill_rings, poly_rings

MASK_FORMS = ("poly", "grid")
DEFAULT_MASK_FORM = "poly"  # wins on building / ship / change instances; use "grid" for amorphous regions
DEFAULT_MASK_BUDGET = 32  # location tokens per instance; see the table in docs/geometry.md


@dataclass(frozen=True)
class MaskFault:
    """Why an array is no mask (``mask_fault``): ``what`` is "array" (no array: ragged rows), "ndim",
    "text" (strings, objects, complex numbers), "mixed" (0, 1 and 255) or "values" (others: ``example``,
    one of ``count`` pixels); ``str()`` words it as the geometry helpers raise it."""

    what: str
    dtype: str = ""
    shape: tuple = ()
    example: Any = None
    count: int = 0

    @property
    def band_hint(self) -> str:
        """What a (height, width, bands) array is likely to be, and what to pass instead; "" otherwise."""
        if len(self.shape) == 3 and self.shape[-1] in (1, 3, 4):  # a PNG read with its bands: (H, W, C)
            n = self.shape[-1]
            said = "1 band on a third axis" if n == 1 else f"its {n} bands"
            return f": a PNG read with {said}? pass one band, mask[..., 0]"
        return ""

    def __str__(self) -> str:
        if self.what == "array":
            return "mask is no (height, width) array of numbers (ragged rows?)"
        if self.what == "ndim":
            return f"mask must be 2-D (height, width), got shape {self.shape}{self.band_hint}"
        if self.what == "text":
            return f"a {self.dtype} mask holds no numbers (text?): its values must be 0/1, true/false or 0/255"
        if self.what == "mixed":
            return f"a {self.dtype} mask must hold 0 and 1 only, or 0 and 255 only; it mixes 1 and 255"
        other = "1 pixel of another value (" if self.count == 1 else f"{self.count} pixels of other values (e.g. "
        return (f"a {self.dtype} mask must hold 0 and 1 only; it has {other}{self.example}; nor is it 0 and 255 "
                "only, a PNG's): threshold a probability map (mask >= 0.5) and set nodata to 0 first")


def mask_fault(mask, any_integer: bool = True) -> MaskFault | None:
    """The one rule of which values make a mask, for the helpers here and the scorers (``eval.regions``):
    a 2-D array of bools, or of numbers that are 0 and 1 only or 0 and 255 only (a PNG's, floats too);
    integers of any value (nonzero is on: a class-label raster is the mask of every class) where
    ``any_integer``. None for a mask, else what is wrong: a probability map or NaN for nodata was read as
    on wherever it is not 0 (a map of 0.01s encoded as the whole image), a string "0" as on."""
    try:
        m = np.asarray(mask)
    except (TypeError, ValueError):
        return MaskFault("array")
    if m.ndim != 2:
        return MaskFault("ndim", m.dtype.name, m.shape)
    if m.dtype == bool or m.size == 0 or (any_integer and m.dtype.kind in "iu"):
        return None
    if m.dtype.kind not in "iuf":
        return MaskFault("text", m.dtype.name)
    bad = m[~np.isin(m, (0, 1))]  # NaN is in neither set
    if not bad.size or np.isin(m, (0, 255)).all():
        return None
    if not (off := bad[~np.isin(bad, (0, 1, 255))]).size:
        return MaskFault("mixed", m.dtype.name)
    return MaskFault("values", m.dtype.name, example=np.unique(off)[0].item(), count=int(off.size))


def refuse_rle(mask) -> None:
    """ValueError where ``mask`` is a COCO run-length dict (``{"size", "counts"}``), saying how to pass it: read as an
    array it was a 0-d one, refused as "mask must be 2-D, got shape ()" or "mask shape () is not (height, width)"."""
    if isinstance(mask, Mapping) and "counts" in mask:
        raise ValueError(f"mask is a COCO run-length dict, not a (height, width) array: {grid.RLE_ADVICE}")


def _check_mask(mask) -> np.ndarray:
    """``mask`` as a (H, W) bool array, or ValueError saying why it is none (``refuse_rle``, ``mask_fault``)."""
    refuse_rle(mask)
    if (fault := mask_fault(mask)) is not None:
        raise ValueError(str(fault))
    return np.asarray(mask).astype(bool, copy=False)


def instances(mask: np.ndarray) -> tuple[np.ndarray, int]:
    """4-connected instance labels of a bool mask: ((H, W) int32 labels, count)."""
    from scipy import ndimage

    lab, n = ndimage.label(_check_mask(mask))
    return lab, int(n)


def mask_polygon(mask: np.ndarray):
    """The pixel-edge outline of a bool mask as a shapely (Multi)Polygon (union of row runs), without
    the vertices the union leaves along straight edges (one per pixel row: a 1 × 7 column had 16)."""
    import shapely
    from shapely.geometry import box

    m = _check_mask(mask)
    boxes = []
    for r in np.nonzero(m.any(axis=1))[0]:
        d = np.diff(np.concatenate([[0], m[r].view(np.int8), [0]]))
        for a, b in zip(np.nonzero(d == 1)[0], np.nonzero(d == -1)[0]):
            boxes.append(box(a, r, b, r + 1))
    return shapely.union_all(boxes).simplify(0) if boxes else shapely.Polygon()  # tolerance 0: the same shape


def _rings(poly) -> list[list[list[float]]]:
    """Exterior then holes, largest hole first (so cutting the tail drops the smallest)."""
    from shapely.geometry import Polygon

    holes = sorted(poly.interiors, key=lambda h: -Polygon(h).area)
    return [dedupe_ring(poly.exterior.coords)] + [dedupe_ring(h.coords) for h in holes]


def _vertices(rings) -> int:
    return sum(len(r) for r in rings)


def _fit(poly, max_v: int):
    """Finest Douglas-Peucker simplification (bisected tolerance) with <= max_v vertices, or None."""
    rings = _rings(poly)
    if _vertices(rings) <= max_v:
        return rings
    lo, hi, best = 0.0, max(1.0, poly.length), None
    for _ in range(24):
        tol = (lo + hi) / 2
        s = poly.simplify(tol, preserve_topology=True)
        cand = _rings(s) if s.geom_type == "Polygon" and not s.is_empty else None
        if cand is not None and _vertices(cand) <= max_v:
            best, hi = cand, tol
        else:
            lo = tol
    return best


def simplify_to_budget(poly, budget: int) -> list[list[list[float]]]:
    """Rings (exterior first) of ``poly`` simplified to at most ``budget // 2`` vertices in all.

    Bisects the Douglas-Peucker tolerance (shapely, topology preserved) for the finest outline
    that fits; where the holes alone are too many, the smaller half is dropped until it fits;
    if the exterior alone cannot fit, its minimum rotated rectangle stands in for it.
    """
    from shapely.geometry import Polygon

    max_v = budget // 2
    if max_v < 4:
        raise ValueError(f"poly budget {budget} is below the minimum of 8 location tokens")
    holes = sorted(poly.interiors, key=lambda h: -Polygon(h).area)
    while True:
        best = _fit(Polygon(poly.exterior, holes), max_v)
        if best is not None or not holes:
            break
        holes = holes[: len(holes) // 2]
    if best is None:
        best = [dedupe_ring(poly.minimum_rotated_rectangle.exterior.coords)]
    return best


def rings_to_budget(rings: list[list[list[float]]], budget) -> list[list[list[float]]]:
    """A polygon's rings (exterior first, pixels) within ``budget`` location tokens (2 per vertex), as
    ``simplify_to_budget`` fits a mask's outline; as given where they fit. ValueError for a budget that is no whole
    number of at least 8, or rings over it that are no valid polygon (crossing edges: shapely's reason named)."""
    import shapely
    from shapely.geometry import Polygon

    budget = grid._whole(budget, "poly budget")
    if budget < 8:
        raise ValueError(f"poly budget {budget} is below the minimum of 8 location tokens")
    if sum(len(dedupe_ring(r)) for r in rings) <= budget // 2:
        return rings
    poly = Polygon(rings[0], rings[1:])
    if not poly.is_valid:
        raise ValueError(f"its rings are no valid polygon ({shapely.is_valid_reason(poly)}), so they cannot be "
                         f"simplified to its budget of {budget}: repair them first (shapely.make_valid, one poly object per "
                         "polygon it gives), or give no budget (they are then written as given)")
    return simplify_to_budget(poly, budget)


def mask_to_objects(mask: np.ndarray, label: str | None, form: str = DEFAULT_MASK_FORM,
                    budget: int = DEFAULT_MASK_BUDGET, per_instance: bool | None = None) -> list[dict]:
    """A (H, W) bool mask -> geometry objects carrying ``label``; ``[]`` for an empty mask.

    ``form="poly"``: one ``poly`` object per 4-connected instance (``"rings"``: exterior, holes),
    at most ``budget`` location tokens each. ``form="grid"``: one ``mask`` object for the whole
    mask with ``budget`` x instances location tokens, or one per instance with
    ``per_instance=True``. ``budget`` is a whole number (8 or more); ``label`` None or a non-empty str (``encode``
    writes no other: a class id 3 was refused only there, naming no argument); ``per_instance`` None or a bool ("no"
    split the mask per instance); else ValueError naming the argument.
    """
    m = _check_mask(mask)
    if label is not None and (not isinstance(label, str) or not label.strip()):
        hint = "" if isinstance(label, str) else " (a class id: pass its name, or str(id))"
        raise ValueError(f"mask_to_objects: label must be None or a non-empty str, got {type(label).__name__} "
                         f"{label!r:.40}{hint}")
    if per_instance is not None and not isinstance(per_instance, (bool, np.bool_)):
        raise ValueError(f"mask_to_objects: per_instance must be None, True or False, got {type(per_instance).__name__} "
                         f"{per_instance!r:.40}")
    if not isinstance(form, str) or form not in MASK_FORMS:
        raise ValueError(f"unknown mask form {form!r} (expected one of {MASK_FORMS})")
    budget = grid._whole(budget, "mask budget")  # "32" was a TypeError, NaN or 32.7 passed unread
    if budget < 8:  # was "poly budget 7 …" of a mask, and nothing where the mask was empty
        raise ValueError(f"mask budget {budget} is below the minimum of 8 location tokens")
    lab, n = instances(m)
    if n == 0:
        return []
    if form == "grid" and not per_instance:
        return [{"kind": "mask", "label": label, "coords": grid.grid_from_mask(m, budget * n)}]
    from scipy import ndimage

    out = []
    sub = np.zeros_like(m) if form == "grid" else None  # one (H, W) buffer, each instance set and cleared in its box
    for k, sl in enumerate(ndimage.find_objects(lab), start=1):  # (a fresh one each was O(H·W) per instance)
        inst = lab[sl] == k
        if form == "grid":
            sub[sl] = inst
            out.append({"kind": "mask", "label": label, "coords": grid.grid_from_mask(sub, budget, sl)})
            sub[sl] = False
            continue
        y0, x0 = sl[0].start, sl[1].start
        rings = simplify_to_budget(mask_polygon(inst), budget)
        rings = [[[x + x0, y + y0] for x, y in r] for r in rings]
        obj = {"kind": "poly", "label": label, "coords": rings[0]}
        if len(rings) > 1:
            obj["rings"] = rings
        out.append(obj)
    return out


def objects_to_mask(objects: list[dict], width: int, height: int) -> np.ndarray:
    """Rasterise box/obb/poly/mask objects (pixel centres inside) to a (height, width) bool mask.

    Each poly object is filled even-odd over its rings (so holes cut), objects are OR-ed.
    Points cover no area and are skipped. A ``"mask"`` array is the image's (height, width), or a crop
    placed at its ``"offset"`` (pixels past the image cut). Raises ValueError naming a malformed object
    (a mask array without an offset of another shape than the image's: a transposed one was cropped
    without a word), or a size that is no positive int (0 gave an empty mask, 712.0 a TypeError).
    """
    width, height = check_size(width, height)
    if isinstance(objects, (dict, str, bytes)) or not hasattr(objects, "__iter__"):  # a dict iterated its keys
        hint = (" (wrap one object in a list: [obj])" if isinstance(objects, dict) else
                " (a Decoded: pass its .objects)" if hasattr(objects, "objects") else "")
        raise ValueError(f"objects must be a list of dicts, got a {type(objects).__name__}{hint}")
    out = blank_mask(width, height)
    for i, o in enumerate(objects):
        if not isinstance(o, Mapping):  # a bare [x1, y1, x2, y2] was "'list' object has no attribute 'get'"
            raise ValueError(f"object {i}: expected a dict with 'kind' and 'coords', got {type(o).__name__} {o!r:.60}")
        kind, c = o.get("kind"), o.get("coords")
        try:
            parts = poly_rings(o) if kind == "poly" else [c] if kind in ("box", "obb") else []
            if not all(np.isfinite(np.asarray(r, dtype=float)).all() for r in parts):
                raise ValueError("non-finite coordinates")  # NaN drew nothing (box) or garbage (obb, poly)
            if kind == "box":
                x1, y1, x2, y2 = (float(v) for v in c)
                cx, cy = np.arange(width) + 0.5, np.arange(height) + 0.5  # pixel centres in [x1, x2] x [y1, y2]
                c0, c1 = np.searchsorted(cx, x1, "left"), np.searchsorted(cx, x2, "right")
                r0, r1 = np.searchsorted(cy, y1, "left"), np.searchsorted(cy, y2, "right")
                out[r0:r1, c0:c1] = True  # a slice: an (H, W) product of the two axes took 0.5 s a box at 8000 px
            elif kind in ("obb", "poly"):
                fill_rings(parts, width, height, out=out)  # into out: no full-size mask an object
            elif kind == "mask":
                if o.get("mask") is None:
                    grid.grid_to_mask(c, width, height, out=out)
                else:  # a full-size array, or a crop placed at "offset" (merged tiles)
                    m = _check_mask(o["mask"])  # (h, w) bool; a probability map was on wherever it was not 0
                    if o.get("offset") is None and m.shape != (height, width):  # transposed: cropped unsaid
                        raise ValueError(f"its 'mask' array is {m.shape[1]}x{m.shape[0]} pixels (width x height), "
                                         f"the image {width}x{height}: resize it to the image, or give the "
                                         "'offset' of a crop")
                    ox, oy = (0, 0) if o.get("offset") is None else mask_offset(o["offset"])
                    x0, y0 = max(ox, 0), max(oy, 0)
                    x1, y1 = min(ox + m.shape[1], width), min(oy + m.shape[0], height)
                    if x1 > x0 and y1 > y0:
                        out[y0:y1, x0:x1] |= m[y0 - oy : y1 - oy, x0 - ox : x1 - ox]
            elif kind != "point":
                raise ValueError(f"unknown kind {kind!r}")
        except (TypeError, KeyError, ValueError) as e:
            raise ValueError(f"object {i} ({kind}): cannot rasterise: {e}") from e
    return out


def mask_offset(offset) -> tuple[int, int]:
    """``offset`` as the two ints (x, y) of a mask crop's top-left pixel: a list, tuple or NumPy array of two whole
    numbers (2 or 2.0, NumPy's too; never a bool, text or a non-finite number); ValueError naming the offset
    otherwise. The one rule of an offset (``objects_to_mask``), eval's too (``eval.given_objects.whole_offset``):
    ``["1", "2"]`` and ``[True, False]`` had been drawn at (1, 2) and (1, 0), 2.7 cut to 2."""
    def whole(v) -> bool:
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.integer, np.floating)):
            return False
        try:
            return math.isfinite(v) and float(v).is_integer()
        except OverflowError:  # an int past float's range
            return False

    seq = isinstance(offset, (list, tuple)) or (isinstance(offset, np.ndarray) and offset.ndim == 1)
    if not (seq and len(offset) == 2 and all(whole(v) for v in offset)):
        raise ValueError(f"its 'offset' must be [x, y], two whole numbers of pixels (a list, tuple or array; "
                         f"no bool, no text), got {offset!r:.60}")
    return int(offset[0]), int(offset[1])


def mask_iou(a: np.ndarray, b: np.ndarray) -> float:
    """IoU of two bool masks of one shape (0 when both are empty)."""
    a, b = _check_mask(a), _check_mask(b)
    if a.shape != b.shape:
        raise ValueError(f"mask shapes differ: {a.shape} vs {b.shape}")
    union = np.logical_or(a, b).sum()
    return float(np.logical_and(a, b).sum() / union) if union else 0.0


def instance_ious(truth: np.ndarray, pred: np.ndarray) -> list[float]:
    """IoU of each 4-connected instance of ``truth`` against ``pred`` within the instance's zone
    (the pixels nearer to it than to any other instance), so one merged or split prediction
    cannot serve two instances."""
    from scipy import ndimage

    lab, n = instances(truth)
    if n == 0:
        return []
    _, (iy, ix) = ndimage.distance_transform_edt(lab == 0, return_indices=True)
    zone = lab[iy, ix]  # (H, W) nearest instance id
    p = _check_mask(pred)
    inter = np.bincount(zone[p & (lab > 0)].ravel(), minlength=n + 1)  # label == zone where lab > 0
    pred_in_zone = np.bincount(zone[p].ravel(), minlength=n + 1)
    area = np.bincount(lab.ravel(), minlength=n + 1)
    union = area + pred_in_zone - inter
    return [float(inter[k] / union[k]) for k in range(1, n + 1)]


def round_trip(mask: np.ndarray, form: str, budget: int, per_instance: bool | None = None) -> dict:
    """Encode a mask as text, decode and rasterise it back; report tokens and IoUs.

    Returns ``{"instances", "loc_tokens", "tokens", "mean_iou", "mask_iou", "problems"}``:
    ``tokens`` counts every geometry token (tags, ``<row>``/``<run>`` and locations, not the
    ``<ref>`` phrase); ``mean_iou`` is the mean of ``instance_ious``.
    """
    from rsvlm.geometry.codec import decode, encode

    m = _check_mask(mask)
    h, w = m.shape
    text = encode(mask_to_objects(m, None, form, budget, per_instance), w, h)
    d = decode(text, w, h)
    pred = objects_to_mask(d.objects, w, h)
    ious = instance_ious(m, pred)
    return {
        "instances": len(ious),
        "loc_tokens": text.count("<loc_"),
        "tokens": text.count("<") - text.count("<ref>") - text.count("</ref>"),
        "mean_iou": float(np.mean(ious)) if ious else float("nan"),
        "mask_iou": mask_iou(m, pred),
        "problems": d.problems,
    }
