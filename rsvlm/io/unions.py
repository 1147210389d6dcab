"""How ``tiles.TileMerger`` joins polygons, masks and points of one label across tiles (boxes and oriented
boxes go through its NMS): each function takes the merger and the label's items, and returns (order, object)
pairs. They use only the merger's public part: its thresholds (``iou_threshold``, ``point_radius``, ``edge_tol``,
``seam_share``), ``n_seam_gaps``, its ``seams`` (``seams.SeamIndex``, for ``seams.at_seam``), ``clusters`` and ``best_of``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from rsvlm.io.seams import at_seam, masks_meet, seam_meeting
from rsvlm.io.windows import mask_bbox, set_mask_box

if TYPE_CHECKING:
    from rsvlm.io.tiles import TileMerger

__all__ = ["union_polys", "union_masks", "dedupe_points"]


def union_polys(merger: TileMerger, items: list[dict]) -> list[tuple[int, dict]]:
    """Polygons of one label that overlap, or meet at an ``--overlap 0`` seam (``seams.at_seam``), across
    tiles: their union (its holes kept as ``rings``; a union in several parts, one object per part)."""
    import shapely

    from rsvlm.geometry import canonical_ring
    from rsvlm.io.georef import object_geometry

    out, areal = [], []
    for it in items:
        geom = object_geometry(it["obj"]).buffer(0) if len(it["obj"]["coords"]) >= 3 else None
        if geom is None or geom.is_empty:  # under 3 vertices or no area (collinear): nothing to union
            out.append((it["order"], it["obj"]))  # kept as the model drew it
            continue
        it["geom"] = geom  # buffer(0) repairs self-intersections
        areal.append(it)
    meet = lambda a, b: (a["geom"].intersection(b["geom"]).area > 0  # noqa: E731
                         or at_seam(merger.seams, a, b, merger.iou_threshold, merger.edge_tol, longer=True))
    lone = lambda a, b: at_seam(merger.seams, a, b, merger.iou_threshold, merger.edge_tol)  # noqa: E731 (as oriented boxes)
    for g in merger.clusters(areal, meet, lambda it: it["geom"].bounds, lone):
        obj = merger.best_of(g)
        if len(g) > 1:  # (with the gaps a model left at a seam between them)
            u = shapely.union_all([it["geom"] for it in g] + [b for it in g for b in it.get("bridges", [])])
            parts = list(u.geoms) if hasattr(u, "geoms") else [u]
            for k, part in enumerate(sorted(parts, key=lambda p: -p.area)):
                ext = canonical_ring([[float(x), float(y)] for x, y in part.exterior.coords[:-1]])
                o = {key: v for key, v in obj.items() if key != "rings"}
                o["coords"] = ext
                if part.interiors:
                    o["rings"] = [ext] + [canonical_ring([[float(x), float(y)] for x, y in r.coords[:-1]], hole=True)
                                          for r in part.interiors]
                out.append((g[0]["order"] + k * 1e-6, o))
            continue
        out.append((g[0]["order"], obj))
    return out


def union_masks(merger: TileMerger, items: list[dict]) -> list[tuple[int, dict]]:
    """Masks of one label that share a pixel, or meet at an ``--overlap 0`` seam (``seams.masks_meet``), across
    tiles: one mask over their joint extent; a 1-px line along a seam meeting a road that leaves it only by
    ``masks_meet``'s ``fork`` rule where neither is joined to anything in the other's tile (an object's 1-px
    tip poking into the rows of another beside it is joined to its own). Pairs left apart by a gap of 1-2 px
    at a seam, facing each other there, are counted in ``merger.n_seam_gaps``."""
    def overlaps(a, b):
        ax0, ay0, ax1, ay1 = mask_bbox(a["obj"])
        bx0, by0, bx1, by1 = mask_bbox(b["obj"])
        x0, y0, x1, y1 = max(ax0, bx0), max(ay0, by0), min(ax1, bx1), min(ay1, by1)
        if x0 >= x1 or y0 >= y1:
            return False
        ma = a["obj"]["mask"][y0 - ay0 : y1 - ay0, x0 - ax0 : x1 - ax0]
        mb = b["obj"]["mask"][y0 - by0 : y1 - by0, x0 - bx0 : x1 - bx0]
        return bool((ma & mb).any())

    gaps = []  # (a, b): pieces 1-2 px apart across a seam, facing each other (a model drawing short of the edge?)
    forks = set()  # (id(a), id(b)): a 1-px line along a seam meeting a road leaving it (masks_meet's ``fork``) only

    def meet(a, b):  # overlapping, or side by side across a seam between abutting tiles (--overlap 0)
        line = merger.seams.line(a["window"], b["window"])
        if overlaps(a, b):
            return True
        if line is None:
            return False
        args = a["obj"]["mask"], a["obj"]["offset"], b["obj"]["mask"], b["obj"]["offset"], line, max(1, round(merger.edge_tol))
        how = seam_meeting(*args, merger.seam_share)
        if how == "meet":
            return True
        if how == "fork":  # joined after, where neither is joined to anything in the other's tile: an object's
            forks.add((id(a), id(b)))  # 1-px tip is joined to it, not to a neighbour it pokes into
        elif masks_meet(*args, merger.seam_share, gap=2):
            gaps.append((a, b))
        return False

    out = []
    groups = merger.clusters(items, meet, lambda it: mask_bbox(it["obj"]), lone=lambda a, b: (id(a), id(b)) in forks)
    group_of = {id(it): k for k, g in enumerate(groups) for it in g}
    merger.n_seam_gaps += sum(group_of[id(a)] != group_of[id(b)] for a, b in gaps)  # not joined another way
    for g in groups:
        obj = merger.best_of(g)
        if len(g) > 1:
            bbs = np.array([mask_bbox(it["obj"]) for it in g])
            x0, y0, x1, y1 = bbs[:, 0].min(), bbs[:, 1].min(), bbs[:, 2].max(), bbs[:, 3].max()
            m = np.zeros((y1 - y0, x1 - x0), dtype=bool)  # (h, w) of the union's extent
            for it in g:
                ax0, ay0, ax1, ay1 = mask_bbox(it["obj"])
                m[ay0 - y0 : ay1 - y0, ax0 - x0 : ax1 - x0] |= it["obj"]["mask"]
            obj["mask"], obj["offset"] = m, [int(x0), int(y0)]
            set_mask_box(obj)
        out.append((g[0]["order"], obj))
    return out


def dedupe_points(merger: TileMerger, items: list[dict]) -> list[tuple[int, dict]]:
    """Points of one label closer than ``point_radius`` across tiles: one point, the best ranked."""
    r = merger.point_radius

    def bounds(it):
        x, y = it["obj"]["coords"]
        return x - r / 2, y - r / 2, x + r / 2, y + r / 2

    def close(a, b):
        (ax, ay), (bx, by) = a["obj"]["coords"], b["obj"]["coords"]
        return (ax - bx) ** 2 + (ay - by) ** 2 <= r * r

    return [(g[0]["order"], merger.best_of(g)) for g in merger.clusters(items, close, bounds)]
