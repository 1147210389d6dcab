"""How far two tile views, one or both cut by an inner tile edge, are one object (``TileMerger._duplicate``)."""

from __future__ import annotations

__all__ = ["cut_overlap"]


def cut_overlap(a: dict, b: dict, inter: float) -> float:
    """How far two views from different tiles, one or both cut by an inner tile edge, are one
    object: their intersection ``inter`` over the smaller area, or over the part of the other view
    inside a cut view's window, what that tile could see of it. A rotated object cut at a tile's
    corner is a triangle there, and a box around the triangle has twice its area: over the smaller
    area such a piece never reached 0.5 and was kept as a second object. The window's part counts
    only when it is a quarter or more of the cut view (a neighbour poking a few pixels into the
    window, which the cut view's edge overlaps, stays apart)."""
    from shapely.geometry import box

    ios = inter / max(min(a["geom"].area, b["geom"].area), 1e-9)
    for cut, other in ((a, b), (b, a)):
        if cut["trunc"]:
            x0, y0, w, h = cut["window"]
            seen = other["geom"].intersection(box(x0, y0, x0 + w, y0 + h)).area  # the other view, in cut's tile
            if seen >= 0.25 * cut["geom"].area:
                ios = max(ios, min(1.0, inter / max(seen, 1e-9)))
    return ios
