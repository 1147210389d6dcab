"""Windows over a scene (``iter_windows``), and objects moved from a window's pixels to the scene's
(``shift_object``), for ``tiles.TileMerger`` and ``run_tiled``; data_gen.tiling spreads its windows evenly at
every overlap (``spread_starts``, built on ``even_starts``), predict where an overlap is asked (``window_starts``).
"""

from __future__ import annotations

from rsvlm.io.georef import mask_array, mask_bounds

Window = tuple[int, int, int, int]  # (x0, y0, w, h)

__all__ = ["default_overlap", "iter_windows", "n_windows", "window_starts", "even_starts", "shift_object", "set_mask_box", "label_key", "mask_bbox",
           "touches_inner_edge"]


def default_overlap(tile: int) -> int:
    """``rsvlm predict --tile``'s default ``--overlap``: a quarter of the tile, at most 64 px (``predict_tiles``
    gives it; ``fills.tiling_skips`` counts the windows it makes)."""
    return min(64, tile // 4)


def even_starts(n: int, tile: int, step: int) -> list[int]:
    """Where windows of ``tile`` px start along a side of ``n`` px: as many as steps of ``step`` need to reach its
    end, the first at 0 and the last flush with the end, spread evenly between (at most ``step`` apart): 520 px at
    tile 256 gives 0, 132, 264 where shifting the last alone back gave 0, 256, 264, a near copy."""
    if n <= tile:
        return [0]
    span = n - tile
    gaps = -(-span // step)  # ceil: neighbours at most `step` apart, as many windows as shifting the last
    return [k * span // gaps for k in range(gaps + 1)]


def window_starts(n: int, tile: int, step: int) -> list[int]:
    """predict's window starts: spread evenly (``even_starts``) where an overlap is asked (``step < tile``); at
    ``--overlap 0`` windows meet edge to edge, ``step`` apart, and the last is shifted back flush with the end.
    Spread at overlap 0, neighbours shared bands of a few px, and an object cut on both sides of one stayed two
    boxes (``bench/tiling.py --only seams``: 6 of 300 boxes split on a 290 px scene, none edge to edge); the
    merger joins pieces at an edge-to-edge seam or across an overlap, not across a sliver."""
    if step < tile:
        return even_starts(n, tile, step)
    if n <= tile:
        return [0]
    return list(range(0, n - tile, step)) + [n - tile]


def n_windows(width: int, height: int, tile: int, overlap: int) -> int:
    """How many windows ``iter_windows`` gives, without making them (an overlap near the tile's size
    makes millions): its column starts times its row starts."""
    step = tile - overlap
    return len(window_starts(width, tile, step)) * len(window_starts(height, tile, step))


def iter_windows(width: int, height: int, tile: int, overlap: int) -> list[Window]:
    """Windows (x0, y0, w, h) of size ``tile`` covering the scene, neighbours sharing at least
    ``overlap`` pixels; the last row/column is flush with the scene edge. Scenes smaller than a
    tile give one window of the scene's size."""
    if tile <= 0 or not 0 <= overlap < tile:
        raise ValueError(f"tile must be > 0 and 0 <= overlap < tile; got tile={tile}, overlap={overlap}")
    if width <= 0 or height <= 0:
        raise ValueError(f"scene size must be positive, got {width}x{height}")
    step = tile - overlap
    return [(x, y, min(tile, width), min(tile, height))
            for y in window_starts(height, tile, step) for x in window_starts(width, tile, step)]


def shift_object(obj: dict, x0: float, y0: float, window: Window) -> dict:
    """Copy of ``obj`` in scene coordinates; masks are cropped to their pixels and get "offset"."""
    out = dict(obj)
    kind, c = obj.get("kind"), obj.get("coords")
    if obj.get("score") is not None:
        float(obj["score"])  # "high" met float() in the ranking, naming no object
    if kind in ("box", "point") and len(c) != {"box": 4, "point": 2}[kind]:  # a 5th number was dropped unsaid
        raise ValueError(f"{kind} coords are {'[x1, y1, x2, y2]' if kind == 'box' else '[x, y]'}, not {c!r:.80}")
    if kind in ("box", "obb", "poly", "point"):
        _check_coords(kind, c, obj.get("rings"))
    if kind == "box":
        out["coords"] = [c[0] + x0, c[1] + y0, c[2] + x0, c[3] + y0]
    elif kind in ("obb", "poly"):
        out["coords"] = [[x + x0, y + y0] for x, y in c]
        if obj.get("rings") is not None:  # an array of rings too (its truth value is ambiguous)
            from rsvlm.geometry.shapes import poly_rings

            out["rings"] = [[[x + x0, y + y0] for x, y in r] for r in poly_rings(obj)]
    elif kind == "point":
        out["coords"] = [c[0] + x0, c[1] + y0]
    elif kind == "mask":
        decoded = mask_array(obj)
        m, (ox, oy) = decoded  # (h, w) placed at (ox, oy) in the tile
        if obj.get("mask") is not None and "offset" not in obj and m.shape != (window[3], window[2]):
            raise ValueError(f"mask of shape {m.shape} does not match its tile {window[2]}x{window[3]}")
        bounds = mask_bounds(obj, decoded)  # (bx0, by0, bx1, by1) in tile pixels
        if bounds is None:
            return None
        bx0, by0, bx1, by1 = bounds
        out["mask"] = m[by0 - oy : by1 - oy, bx0 - ox : bx1 - ox].copy()
        out["offset"] = [int(bx0 + x0), int(by0 + y0)]
        set_mask_box(out)
    else:
        raise ValueError(f"unknown object kind {kind!r} (expected box, obb, point, poly or mask)")
    return out


def _check_coords(kind: str, coords, rings) -> None:
    """ValueError where an object's coordinates are not finite numbers (a NaN box met GEOS's "Points of
    LinearRing do not form a closed linestring", naming no object; a NaN corner was kept in an obb) or
    an oriented box has other than 4 corners (3 were kept as an obb)."""
    import numpy as np

    if kind == "obb" and (len(coords) != 4 or any(len(p) != 2 for p in coords)):
        raise ValueError(f"obb coords are 4 corners [[x, y], ...], not {coords!r:.80}")
    try:
        others = [] if rings is None or isinstance(rings, str | bytes | dict) else list(rings)  # poly_rings says why
        finite = all(np.isfinite(np.asarray(c, dtype=float)).all() for c in (coords, *others))
    except (TypeError, ValueError):  # ragged, or not numbers
        raise ValueError(f"{kind} coords must be numbers, not {coords!r:.80}") from None
    if not finite:
        raise ValueError(f"{kind} coords must be finite, not {coords!r:.80}")


def set_mask_box(o: dict) -> None:
    """Scene masks are crops: "coords" holds their pixel extent {"box": [x0, y0, x1, y1]}."""
    x0, y0 = o["offset"]
    h, w = o["mask"].shape
    o["coords"] = {"box": [x0, y0, x0 + w, y0 + h]}


def label_key(label):
    """A label as merging groups by it: a list of labels (several classes of one object) as a tuple, a
    mapping as its sorted items (both met "unhashable type")."""
    if isinstance(label, list | tuple):
        return tuple(label_key(x) for x in label)
    if isinstance(label, dict):
        return tuple(sorted((str(k), label_key(v)) for k, v in label.items()))
    return label


def mask_bbox(o: dict) -> tuple[int, int, int, int]:
    x0, y0 = o["offset"]
    h, w = o["mask"].shape
    return x0, y0, x0 + w, y0 + h


def touches_inner_edge(bounds, window: Window, scene: tuple[int, int], tol: float) -> bool:
    """Whether ``bounds`` (x0, y0, x1, y1) come within ``tol`` of an edge of ``window`` that lies
    inside a ``scene`` of (width, height): an object seen through the window was likely cut there."""
    x0, y0, w, h = window
    bx0, by0, bx1, by1 = bounds
    return bool((x0 > 0 and bx0 <= x0 + tol) or (y0 > 0 and by0 <= y0 + tol)
                or (x0 + w < scene[0] and bx1 >= x0 + w - tol) or (y0 + h < scene[1] and by1 >= y0 + h - tol))
