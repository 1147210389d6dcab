"""Averaging the shapes several views agree on into one (``rsvlm.fusion``): boxes corner by corner, points by mean,
obbs as centre, side lengths and angle (mod 180°; mod 90° with the sides swapped where every view's box is
near-square, ``SQUARE``: which side is long is then a guess), and an averaged obb moved into the image where its
angle turned a corner past an edge (``held_in``)."""

from __future__ import annotations

import math

import numpy as np

SQUARE = 0.8  # short / long side at or above which an obb's long side is taken as a guess (``average``)


def _rect(quad) -> tuple[np.ndarray, float, float, float]:
    """(centre, long side, short side, long side's angle in radians) of a 4-corner ring."""
    q = np.asarray(quad, dtype=float)  # (4,2)
    e = np.roll(q, -1, axis=0) - q  # (4,2) edges
    lens = np.linalg.norm(e, axis=1)
    i = int(lens[1] + lens[3] > lens[0] + lens[2])  # 0: edges 0 and 2 are the long pair
    u = e[i] - e[i + 2]  # opposite edges run opposite ways
    return q.mean(0), float(lens[i] + lens[i + 2]) / 2, float(lens[1 - i] + lens[3 - i]) / 2, math.atan2(u[1], u[0])


def _aligned(rect: tuple, ref: float) -> tuple[float, float, float]:
    """(angle within 45° of ``ref``, side along it, side across it) of a ``_rect``: a rectangle is
    the same turned by 180°, and by 90° with its sides swapped, so a near-square box whose long side
    one view measured along the other axis still averages with the rest (two such 45° apart in doubled
    angles cancelled out to a box turned halfway between them)."""
    _, long_, short, a = rect
    d = (a - ref + math.pi / 2) % math.pi - math.pi / 2  # in [-90°, 90°)
    if abs(d) > math.pi / 4:
        return ref + d - math.copysign(math.pi / 2, d), short, long_
    return ref + d, long_, short


def average(shapes: list[dict]) -> dict:
    """One shape of the kind of ``shapes[0]`` from all of that kind: the mean box or point, or the
    obb of the mean centre, orientation and side lengths (each obb turned by a multiple of 90° as
    ``_aligned`` says, so that its angle lies within 45° of the first's)."""
    same = [s for s in shapes if s["kind"] == shapes[0]["kind"]]
    kind = shapes[0]["kind"]
    if kind in ("box", "point"):
        return {**shapes[0], "coords": np.mean([s["coords"] for s in same], axis=0).tolist()}
    rects = [_rect(s["coords"]) for s in same]
    c = np.mean([r[0] for r in rects], axis=0)
    if all(r[2] >= SQUARE * r[1] for r in rects):  # which side is long is a guess: align mod 90°
        a, along, across = np.mean([_aligned(r, rects[0][3]) for r in rects], axis=0)  # (3,)
    else:  # the long side is seen: the doubled-angle mean of the long sides' directions (mod 180°)
        along, across = float(np.mean([r[1] for r in rects])), float(np.mean([r[2] for r in rects]))
        a = float(np.angle(np.mean([np.exp(2j * r[3]) for r in rects]))) / 2
    u = np.array([math.cos(a), math.sin(a)]) * along / 2
    v = np.array([-math.sin(a), math.cos(a)]) * across / 2
    return {**shapes[0], "coords": [(c + sx * u + sy * v).tolist() for sx, sy in ((-1, -1), (1, -1), (1, 1), (-1, 1))]}


def held_in(o: dict, w: int, h: int) -> dict:
    """An averaged obb ``o`` moved into the ``w`` × ``h`` image where a corner sticks out (its views' obbs lay inside,
    but averaging their angles can turn a corner past the edge: 0.7 px for two 40 px ships at 0° and 30° on the
    left edge, which ``encode`` then clamped alone, writing no rectangle), and shrunk about its centre first where
    it is wider or taller than the image; as it is otherwise, as is any other kind (an average of shapes inside)."""
    if o["kind"] != "obb":
        return o
    q = np.asarray(o["coords"], dtype=float)  # (4,2)
    lo, hi = q.min(0), q.max(0)  # (2,) each
    if (lo >= 0).all() and (hi <= (w, h)).all():
        return o
    c = (lo + hi) / 2
    q = c + (q - c) * min(1.0, *(np.array([w, h]) / np.maximum(hi - lo, 1e-9)))  # (4,2): no wider or taller than it
    lo, hi = q.min(0), q.max(0)
    q = q + np.maximum(0, -lo) - np.maximum(0, hi - (w, h))  # (4,2): the overhang taken back, its shape kept
    return {**o, "coords": q.tolist()}
