"""Tile views matched as one object (``TileMerger``): how far two views, one or both cut by an inner tile edge,
are one (``_duplicate``), and a box of no area widened to 1 px for matching (``result``)."""

from __future__ import annotations

__all__ = ["cut_overlap", "pixel_wide"]


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


def pixel_wide(g, scene: tuple[int, int]):
    """A box or oriented box of no area (``g``: a line or point) as 1 px wide for matching; one flat along x
    or y as the 1-px span about its line moved inside the scene (``scene``: (w, h); on a 1-px strip its one
    pixel row): on a 712x1 strip a model draws a car's box from y 0 to 0 in one tile and 1 to 1 in the next,
    1 px apart once each was widened about its line alone, and the scene kept both (IoU 1/3). A slanted line
    is widened about itself."""
    from shapely.geometry import box

    b = list(g.bounds)  # (x0, y0, x1, y1)
    if b[2] > b[0] and b[3] > b[1]:  # a slanted line (an oriented box of no width)
        return g.buffer(0.5, cap_style="square")
    for i in (0, 1):
        if b[i + 2] == b[i]:  # flat along this axis: the 1-px span about it, moved inside [0, side]
            lo = min(max(b[i] - 0.5, 0.0), max(scene[i] - 1.0, 0.0)) if scene[i] else b[i] - 0.5
            b[i], b[i + 2] = lo, lo + 1.0
    return box(*b)
