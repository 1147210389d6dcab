"""Fusing polygons or grid masks of several views (``rsvlm.fusion.fuse``, which names ``fuse_masks``
too): per class, the pixels at least ``FuseConfig.min_share`` of the views cover, less the
slivers views that drew different things share (``_agreed``, ``min_piece``), re-encoded in the identity view's
form, polygons smoothed out of the pixel grid's staircases (``smooth_poly``, ``smooth_px``) after small pieces meeting
another only at a corner are joined to it (``_bridged``); a polygon covering no pixel centre (a speck, ``_speck``)
voted as a spot instead (``_voted_specks``)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from rsvlm.answer_words import label_key, majority_label

if TYPE_CHECKING:
    from rsvlm.tta import FuseConfig

KEPT = 0.5  # a view instance of which at least this share is voted is agreed on: no piece of it is a sliver (_agreed)


def fuse_masks(views: list[list[dict]], w: int, h: int, form: str, cfg: FuseConfig) -> list[dict]:
    """Per class (``label_key``: "building" and "Buildings" one), the pixels at least ``min_share`` of the views cover, re-encoded as ``form`` (polygons
    smoothed out of their pixel staircases: ``smooth_poly``); a shape with no label counts for the label
    most shapes of the views carry (``majority_label``), not as another class. Where every view drew a class's
    pixels alike, the identity view's polygons of it are the answer where valid (no pixel staircase where all views
    agree; a self-crossing one is traced)."""
    from rsvlm import geometry
    from rsvlm.geometry.shapes import poly_rings

    common = majority_label([o for objs in views for o in objs])
    views = [[{**o, "label": o.get("label") or common} for o in objs] for objs in views]
    keys = list(dict.fromkeys(label_key(o.get("label")) for objs in views for o in objs))  # one per class
    out = []
    for key in keys:
        label = majority_label([o for objs in views for o in objs if label_key(o.get("label")) == key])
        specks = [[o for o in objs if label_key(o.get("label")) == key and _speck(o, w, h)] for objs in views]
        out += [_as_fused(poly_rings(o), label) for o in _voted_specks(specks, w, h, views_needed(cfg, len(views)))]
        views = [[o for o in objs if not any(o is s for s in sp)] for objs, sp in zip(views, specks)]
        masks = [geometry.objects_to_mask([o for o in objs if label_key(o.get("label")) == key], w, h)
                 for objs in views]  # (H,W) bool each
        votes = sum(m.astype(np.int32) for m in masks)  # (H,W) views covering each pixel
        mask = _agreed(votes >= views_needed(cfg, len(views)), masks, cfg.min_piece)
        plain = [o for o in views[0] if label_key(o.get("label")) == key]  # the identity view's of this class
        if form == "poly" and plain and all(np.array_equal(m, mask) for m in masks) and all(map(_valid, plain)):
            out += [_as_fused(poly_rings(o), label) for o in plain]
        else:
            if form == "poly":  # a polygon per 4-connected piece: specks meeting a larger piece at a corner joined to it
                mask = _bridged(mask, votes, cfg.min_piece)
            if form == "poly" and cfg.smooth_px > 0:  # each instance traced whole along its pixels' edges, then fitted
                out += [smooth_poly(o, cfg.budget, cfg.smooth_px)
                        for o in geometry.mask_to_objects(mask, label, form="poly", budget=1 << 30)]
            else:
                out += geometry.mask_to_objects(mask, label, form=form, budget=cfg.budget)
    return out


def bin_px(w: int, h: int) -> np.ndarray:
    """(2,) px: a location bin of a ``w`` × ``h`` image, and a float step (as ``fusion._SPOT``): how far apart two
    specks may lie and be one spot (a view's answer a bin off once mapped back), and how long a speck may be."""
    from rsvlm.tokens import NUM_BINS

    return np.array([w, h], dtype=float) / NUM_BINS + 1e-6


def _speck(o: dict, w: int, h: int) -> bool:
    """Whether polygon ``o`` of a ``w`` × ``h`` image lies within a location bin and covers no pixel centre (a one-bin
    speck on a large image, ``<poly>`` of one spot): it casts no vote in the pixels, so every view's was dropped, the
    views all agreeing on it. A longer shape of no area (a line) is none: its centre says little of where it lies."""
    from rsvlm.geometry.shapes import fill_rings, poly_rings

    if o.get("kind") != "poly":
        return False
    rings = [np.asarray(r, dtype=float) for r in poly_rings(o)]  # (K,2) each
    pts = np.concatenate(rings)
    if (np.ptp(pts, axis=0) > bin_px(w, h)).any():
        return False
    x0, y0 = np.floor(pts.min(0)).astype(int)
    x1, y1 = np.ceil(pts.max(0)).astype(int) + 1
    return not fill_rings([r - (x0, y0) for r in rings], x1 - x0, y1 - y0).any()


def _voted_specks(specks: list[list[dict]], w: int, h: int, needed: int) -> list[dict]:
    """Per spot, the first view's speck (the identity view's where it drew one) where at least ``needed`` views drew
    one there: specks whose centres lie within a location bin of the spot's first (a view's answer a bin off once
    mapped back) are one, at most one per view."""
    bin_ = bin_px(w, h)
    spots: list[tuple[np.ndarray, dict, set[int]]] = []  # (centre (2,), first speck, views)
    for v, objs in enumerate(specks):
        for o in objs:
            c = np.asarray(o["coords"], dtype=float).reshape(-1, 2).mean(0)  # (2,)
            spot = next((s for s in spots if v not in s[2] and (np.abs(s[0] - c) <= bin_).all()), None)
            if spot is None:
                spots.append((c, o, {v}))
            else:
                spot[2].add(v)
    return [o for _, o, seen in spots if len(seen) >= needed]


def _valid(o: dict) -> bool:
    """Whether polygon ``o`` is a valid shapely polygon (a self-crossing "bowtie" is not: fusion traces its pixels)."""
    from shapely.geometry import Polygon

    from rsvlm.geometry.shapes import poly_rings

    rings = poly_rings(o)
    return len(rings[0]) >= 3 and Polygon(rings[0], rings[1:]).is_valid


def _as_fused(rings: list, label: str | None) -> dict:
    """A polygon of ``rings`` (exterior first) as ``fuse_masks`` writes one: ``label``, ``rings`` only with a hole, no score."""
    return {"kind": "poly", "label": label, "coords": rings[0], **({"rings": rings} if len(rings) > 1 else {})}


def views_needed(cfg: FuseConfig, n_views: int) -> int:
    """Views that must cover a pixel for it to be kept (``cfg.min_share`` of them, at least one)."""
    return max(1, math.ceil(cfg.min_share * n_views - 1e-9))


def _agreed(mask: np.ndarray, masks: list[np.ndarray], share: float) -> np.ndarray:
    """``mask`` (H,W) voted from the views' ``masks`` without its 4-connected pieces smaller than ``share`` of
    the smallest view instance they overlap, unless every view instance they overlap is mostly kept (``KEPT``)
    and overlaps one voted piece most (the piece is part of one object the views agree on: a small wing every
    view drew on a large building whose thin link to it they drew apart; not the gap between two buildings, one
    view drawing one of them into it and another the other). Where views drew different things, the pixels two of them share along their
    edges (a diagonal of 1-px squares where one view's triangle met another's) are no object any view drew,
    while a piece of a small instance two views drew a little apart stays."""
    from rsvlm.geometry.masks import instances

    lab, n = instances(mask)
    if n == 0 or share <= 0:
        return mask
    smallest = np.full(n + 1, np.inf)  # (n+1,) per piece, the smallest view instance overlapping it
    agreed = np.ones(n + 1, dtype=bool)  # (n+1,) per piece, whether every view instance overlapping it is mostly kept
    lo, hi = np.full(n + 1, n + 1), np.full(n + 1, -1)  # (n+1,) per piece, the least and most main piece of those
    for m in masks:
        vlab, k = instances(m)
        both = (lab > 0) & (vlab > 0)
        if k and both.any():
            pairs, count = np.unique(lab[both].astype(np.int64) * (k + 1) + vlab[both], return_counts=True)  # (P,)
            piece, inst = pairs // (k + 1), pairs % (k + 1)  # (P,) each
            size = np.bincount(vlab.ravel(), minlength=k + 1)  # (k+1,)
            kept = np.bincount(vlab[mask], minlength=k + 1) >= KEPT * size  # (k+1,)
            order = np.lexsort((count, inst))  # by instance, then overlap: each instance's last is its main piece
            main = np.zeros(k + 1, dtype=np.int64)  # (k+1,) the piece each instance overlaps most
            main[inst[order]] = piece[order]
            np.minimum.at(smallest, piece, size[inst])
            np.logical_and.at(agreed, piece, kept[inst])
            np.minimum.at(lo, piece, main[inst])
            np.maximum.at(hi, piece, main[inst])
    agreed &= lo == hi  # one object: every instance's voted pixels mostly in one piece (two buildings' gap is none)
    keep = agreed | (np.bincount(lab.ravel(), minlength=n + 1) >= share * smallest)  # (n+1,)
    keep[0] = False
    return keep[lab]


def _bridged(mask: np.ndarray, votes: np.ndarray, share: float) -> np.ndarray:
    """``mask`` (H,W) with each 4-connected piece under ``share`` of the 8-connected one it lies in joined to the
    pixels it touches only at a corner, by one pixel of the two beside both (the one more ``votes`` (H,W) cover, ties:
    the upper): two triangles' shared diagonal was voted as a staircase of pixels meeting at corners, encoded as one
    ``<poly>`` per pixel (70 one-pixel rings, 5363 characters where the plain answer was 178). Pieces that large
    (two buildings meeting at a corner) stay apart; 0: off."""
    from scipy import ndimage

    if share <= 0 or not mask.any():
        return mask
    mask = mask.copy()
    for _ in range(8):  # a pixel added can meet another piece at a corner in turn
        lab, _n = ndimage.label(mask)  # 4-connected, as mask_to_objects traces them
        comp, _k = ndimage.label(mask, structure=np.ones((3, 3), dtype=bool))  # 8-connected
        small = (np.bincount(lab.ravel())[lab] < share * np.bincount(comp.ravel())[comp]) & mask  # (H,W)
        added = False
        for a, b, c, d in (((0, 0), (1, 1), (0, 1), (1, 0)), ((0, 1), (1, 0), (0, 0), (1, 1))):  # both diagonals
            at = [np.s_[i:mask.shape[0] - 1 + i, j:mask.shape[1] - 1 + j] for i, j in (a, b, c, d)]
            meet = (mask[at[0]] & mask[at[1]] & ~mask[at[2]] & ~mask[at[3]] & (lab[at[0]] != lab[at[1]])
                    & (small[at[0]] | small[at[1]]))  # (H-1,W-1) corners where two pieces meet, one small
            upper = votes[at[2]] >= votes[at[3]]  # c lies above d in both diagonals
            mask[at[2]] |= meet & upper
            mask[at[3]] |= meet & ~upper
            added |= bool(meet.any())
        if not added:
            break
    return mask


def _through_steps(ring) -> np.ndarray:
    """A ring traced along pixel edges, through the middle of each pixel's length of edge instead: a
    slanted side's staircase becomes a slope. A step is an edge of one pixel between turns of opposite
    ways (a stair's riser or tread, a notch); a corner with no step beside it stays (a small square's too)."""
    c = np.asarray(ring, dtype=float)  # (N,2), whole-pixel vertices
    if len(c) > 1 and (c[0] == c[-1]).all():
        c = c[:-1]
    e = np.roll(c, -1, axis=0) - c  # (N,2) edges, each along x or y; edge i runs from vertex i
    n = np.maximum(1, np.rint(np.abs(e).sum(1))).astype(int)  # (N,) pixels along each edge
    prev = np.roll(e, 1, axis=0)  # (N,2) the edge into each vertex
    turn = np.sign(prev[:, 0] * e[:, 1] - prev[:, 1] * e[:, 0])  # (N,) which way the ring turns at each vertex
    step = (n == 1) & (turn != np.roll(turn, -1))  # (N,) edge i turns one way at its start, the other at its end
    corner = ~step & ~np.roll(step, 1)  # (N,) no step on either side of the vertex
    out = []
    for p, d, k, keep in zip(c, e, n, corner):
        if keep:
            out.append(p)
        out += [p + d * (j + 0.5) / k for j in range(k)]
    return np.array(out)  # (M,2)


def _pixel_iou(a: list, b: list) -> float:
    """IoU of the pixels (centres inside) of two polygons' rings, in the window both lie in."""
    from rsvlm.geometry.masks import mask_iou
    from rsvlm.geometry.shapes import fill_rings

    pts = np.concatenate([np.asarray(r, dtype=float) for r in [*a, *b]])  # (K,2)
    x0, y0 = np.floor(pts.min(0)).astype(int)
    x1, y1 = np.ceil(pts.max(0)).astype(int) + 1
    fill = [fill_rings([np.asarray(r, dtype=float) - (x0, y0) for r in rings], x1 - x0, y1 - y0) for rings in (a, b)]
    return mask_iou(*fill)


def smooth_poly(o: dict, budget: int, tol: float) -> dict:
    """Polygon ``o``, traced along pixel edges (``geometry.mask_to_objects`` with no budget), in at most
    ``budget`` location tokens: its staircases cut through their steps (``_through_steps``) and
    simplified (Douglas-Peucker, topology kept) at ``tol`` pixels, or ¾ or ½ of it, the coarsest whose
    pixels are as near the traced ones as the traced outline fitted to the budget alone (which stays
    where none is): a slanted or round outline in fewer vertices, no further from the pixels voted."""
    from shapely.geometry import Polygon

    from rsvlm.geometry.masks import simplify_to_budget
    from rsvlm.geometry.shapes import poly_rings

    rings = poly_rings(o)
    best = simplify_to_budget(Polygon(rings[0], rings[1:]), budget)  # as mask_to_objects fits it
    floor = _pixel_iou(best, rings)
    smooth = Polygon(_through_steps(rings[0]), [_through_steps(r) for r in rings[1:]])
    for t in (tol, 0.75 * tol, 0.5 * tol) if smooth.is_valid else ():  # a hole touching the outside may cross
        cand = simplify_to_budget(smooth.simplify(t, preserve_topology=True), budget)
        if _pixel_iou(cand, rings) >= floor:
            best = cand
            break
    return _as_fused(best, o.get("label"))
