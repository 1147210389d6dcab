"""Referring expressions that pick out exactly one object, and a resolver that checks it.

An expression is a tuple ``(kind, cls, param)``: ("class", "ship", ""), ("size", "ship",
"largest"), ("extreme", "ship", "leftmost"), ("region", "ship", "top left"),
("relation", "ship", anchor class), ("colour", "small vehicle", "red"). ``resolve`` finds
every object an expression could mean, with safety margins (a near tie counts as a match),
so an expression is only used when ``resolve`` returns its target alone. A side region
("top", "left", "right", "bottom") names the target's own cell but reads as the whole row or
column: "the ship in the left part of the image" matches a ship in the top left corner too.
"""

from __future__ import annotations

import math

REGIONS = ("top left", "top", "top right", "left", "centre", "right", "bottom left", "bottom", "bottom right")
SIZE_RATIO = 1.4  # the largest must be this much larger than the next
GAP = 0.08  # extremes: fraction of the image side between the first and the second
EDGE = 0.04  # region: centres this close (fraction of side) to a third line count as in both
NEAR_RATIO = 0.7  # relation: nearest at most this fraction of the second nearest, by centres and by boxes
SIDES = {"top": ("top left", "top", "top right"), "bottom": ("bottom left", "bottom", "bottom right"),
         "left": ("top left", "left", "bottom left"), "right": ("top right", "right", "bottom right")}


def region_of(cx: float, cy: float, w: int, h: int, margin: float = 0.0) -> set[str]:
    """The 3x3 region names a centre lies in; with ``margin`` every region it is near."""
    def parts(t: float) -> set[int]:
        return {i for i in range(3) if i / 3 - margin <= t < (i + 1) / 3 + margin}

    cols, rows = parts(cx / w), parts(cy / h)
    return {REGIONS[r * 3 + c] for r in rows for c in cols}


def _centre(o: dict) -> tuple[float, float]:
    return o["center"][0], o["center"][1]


def _centre_distance(a: dict, b: dict) -> float:
    return math.hypot(_centre(a)[0] - _centre(b)[0], _centre(a)[1] - _centre(b)[1])


def _box_gap(a: dict, b: dict) -> float:
    """Distance between two objects' boxes (0 where they touch or overlap); their centres' without boxes."""
    if "hbox" not in a or "hbox" not in b:
        return _centre_distance(a, b)
    (ax1, ay1, ax2, ay2), (bx1, by1, bx2, by2) = a["hbox"], b["hbox"]
    return math.hypot(max(0.0, bx1 - ax2, ax1 - bx2), max(0.0, by1 - ay2, ay1 - by2))


def resolve(expr: tuple[str, str, str], objects: list[dict], w: int, h: int, colours: bool = True) -> list[int]:
    """Ids of all objects that ``expr`` may refer to (ties within the margins included)."""
    kind, cls, param = expr
    cand = [o for o in objects if o["class"] == cls]
    if kind == "class":
        return [o["id"] for o in cand]
    if not cand:
        return []
    if kind == "size":
        sign = 1 if param == "largest" else -1
        best = max(sign * o["area"] for o in cand)
        if sign > 0:
            return [o["id"] for o in cand if o["area"] * SIZE_RATIO > best]
        return [o["id"] for o in cand if o["area"] < -best * SIZE_RATIO]
    if kind == "extreme":
        axis, sign = {"leftmost": (0, -1), "rightmost": (0, 1), "topmost": (1, -1), "bottommost": (1, 1)}[param]
        side = w if axis == 0 else h
        best = max(sign * _centre(o)[axis] for o in cand)
        return [o["id"] for o in cand if sign * _centre(o)[axis] > best - GAP * side]
    if kind == "region":  # "the ship in the top part of the image" may mean any ship of the top row
        cells = set(SIDES.get(param, (param,)))
        return [o["id"] for o in cand if cells & region_of(*_centre(o), w, h, EDGE)]
    if kind == "relation":
        anchors = [o for o in objects if o["class"] == param]
        if len(anchors) != 1:
            return [o["id"] for o in cand]  # the anchor itself is ambiguous
        a = anchors[0]
        out = set()
        for dist in (_centre_distance, _box_gap):  # a reader may judge "closest" by either
            d = {o["id"]: dist(o, a) for o in cand if o["id"] != a["id"]}
            if d:
                out |= {i for i, v in d.items() if v * NEAR_RATIO <= min(d.values())}
        return sorted(out)
    if kind == "colour":  # a painted object whose pixels read as another colour (colour "") may be any
        return [o["id"] for o in cand if not colours or o["attributes"]["colour"] == param
                or (not o["attributes"]["colour"] and o["attributes"].get("paint"))]
    raise ValueError(f"unknown referring expression kind {kind!r}")


def place(region: str) -> str:
    """Where a region of ``REGIONS`` is, as the records say it: "in the centre", a corner "in the top left
    of the image", a side (``SIDES``) "in the left part of the image", "in the top part of the image"."""
    if region == "centre":
        return "in the centre"
    return f"in the {region} part of the image" if region in SIDES else f"in the {region} of the image"


def text(expr: tuple[str, str, str]) -> str:
    kind, cls, param = expr
    if kind == "class":
        return f"the {cls}"
    if kind == "size":
        return f"the {param} {cls}"
    if kind == "extreme":
        return f"the {param} {cls}"
    if kind == "region":
        return f"the {cls} {place(param)}"
    if kind == "relation":
        return f"the {cls} closest to the {param}"
    if kind == "colour":
        return f"the {param} {cls}"
    raise ValueError(f"unknown referring expression kind {kind!r}")


def candidates(objects: list[dict], w: int, h: int, kinds=("class", "size", "extreme", "region", "relation", "colour"),
               colours: bool = True) -> list[tuple[tuple[str, str, str], int]]:
    """Every (expression, target id) among ``kinds`` that ``resolve`` confirms as unique."""
    out = []
    classes = sorted({o["class"] for o in objects})
    for cls in classes:
        exprs = []
        if "class" in kinds:
            exprs.append(("class", cls, ""))
        if "size" in kinds:
            exprs += [("size", cls, "largest"), ("size", cls, "smallest")]
        if "extreme" in kinds:
            exprs += [("extreme", cls, p) for p in ("leftmost", "rightmost", "topmost", "bottommost")]
        if "region" in kinds:
            exprs += [("region", cls, r) for r in REGIONS]
        if "relation" in kinds:
            exprs += [("relation", cls, a) for a in classes if a != cls]
        if "colour" in kinds and colours:
            exprs += [("colour", cls, c) for c in sorted({o["attributes"]["colour"] for o in objects
                                                           if o["class"] == cls and o["attributes"]["colour"]})]
        n_cls = sum(o["class"] == cls for o in objects)
        for e in exprs:
            if e[0] != "class" and n_cls < 2:
                continue  # "the largest ship" when there is one ship: say "the ship"
            ids = resolve(e, objects, w, h, colours)
            if len(ids) != 1:
                continue
            target = next(o for o in objects if o["id"] == ids[0])
            if e[0] == "region" and e[2] not in region_of(*_centre(target), w, h):
                continue  # matched only through the edge margin
            out.append((e, ids[0]))
    return out
