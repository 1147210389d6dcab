"""Objects as regions for scoring: rings, enclosing boxes, IoUs and masks, all in pixels; which objects a
prediction may give (``valid_object``, ``object_problem``: ``eval.given_objects``, named here too) and how every
script reads them (``for_scoring``).

Thin wrappers over ``rsvlm.geometry`` and shapely. A ``point`` has no area and a ``mask``
(grid) has no ring: ``object_ring`` returns None for them and the caller counts them as ignored.
"""

from __future__ import annotations

import math

import numpy as np

from eval.given_objects import (  # noqa: F401  (regions.X, as before the move: answers, notes and tests use them)
    as_lists,
    is_number,
    is_sequence,
    mask_values_problem,
    object_problem,
    valid_mask,
    valid_object,
    whole_offset,
)
from rsvlm.geometry import object_ring, ordered_box, untangle_quad
from rsvlm.geometry.codec import REPAIRED

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


def iou_matrix(gts: list[dict], preds: list[dict], image: tuple[float, float] | None = None) -> np.ndarray:
    """(len(gts), len(preds)) IoUs between area objects; with ``image`` (width, height) each object is
    clipped to the image first (the part past its edge, which no one can see, counts on neither side)."""
    out = np.zeros((len(gts), len(preds)))
    if not gts or not preds:
        return out
    if image is not None:
        gts, preds = clip_boxes(gts, *image), clip_boxes(preds, *image)
    g_shapes = [clipped_shape(g, image) for g in gts]
    for j, p in enumerate(preds):
        if all(g.get("kind") == "box" for g in gts) and p.get("kind") == "box":
            out[:, j] = [iou(g, p) for g in gts]
        else:
            out[:, j] = iou_many(clipped_shape(p, image), g_shapes)
    return out


def clipped_shape(obj: dict, image: tuple[float, float] | None):
    """``shape(obj)`` clipped to the image ``[0, width] x [0, height]`` where ``image`` is given; a shape
    inside it is returned as it is, to the last bit (an empty one where it lies wholly outside)."""
    g = shape(obj)
    if image is None or g is None or g.is_empty:
        return g
    x1, y1, x2, y2 = g.bounds
    if x1 >= 0 and y1 >= 0 and x2 <= image[0] and y2 <= image[1]:
        return g
    from shapely.geometry import box

    return g.intersection(box(0, 0, *image))


def clip_boxes(objects: list[dict], width: float, height: float) -> list[dict]:
    """``objects`` with each box clipped to the image ``[0, width] x [0, height]`` (one wholly outside
    it has no area left); other objects as they are."""
    out = []
    for o in objects:
        if o.get("kind") == "box":
            x1, y1, x2, y2 = (float(v) for v in o["coords"])
            o = {**o, "coords": [min(max(x1, 0.0), width), min(max(y1, 0.0), height),
                                 min(max(x2, 0.0), width), min(max(y2, 0.0), height)]}
        out.append(o)
    return out


def to_mask(objects: list[dict], width: int, height: int) -> np.ndarray:
    """(height, width) bool union of the objects' areas (points add nothing)."""
    from rsvlm.geometry import objects_to_mask

    return objects_to_mask(objects, width, height)


def mask_overlap(gt: list[dict], pred: list[dict], width: int, height: int) -> tuple[int, int, int]:
    """(|G ∩ P|, |P \\ G|, |G \\ P|) in pixels of the two sides' masks (``to_mask``), rasterised only in the
    bands of rows that hold shapes (``bands``), each from the image's left edge to its shapes' right end:
    elsewhere both masks are empty, so the counts are the full-size masks', without their memory (a
    12000 x 12000 scene with a few small shapes took about 0.5 GB and 2 s a record)."""
    counts = np.zeros(3, dtype=np.int64)
    for y0, y1, x1, g, p in bands(gt, pred, width, height):
        band_fits(y1 - y0, x1, y0)
        gm = to_mask(shifted(g, y0), x1, y1 - y0)  # (y1 - y0, x1) bool: rows y0..y1 of the (H, W) mask, to x1
        pm = to_mask(shifted(p, y0), x1, y1 - y0)
        inter = np.count_nonzero(gm & pm)  # three bands held at most (were four: ~gm, ~pm each one more)
        counts += [inter, np.count_nonzero(pm) - inter, np.count_nonzero(gm) - inter]
    return int(counts[0]), int(counts[1]), int(counts[2])


def band_fits(rows: int, cols: int, y0: int = 0, left: int | None = None) -> None:
    """ValueError where the three ``rows`` x ``cols`` bool masks ``mask_overlap`` holds for a band (the two sides'
    and their intersection) do not fit in the memory left (``rsvlm.io.budget.memory_left``; ``left``: that, in
    bytes, given): a scene of 40000 x 40000 px with a shape over all of it fits in 8 GB of RAM, but where less is
    free the kernel killed the scorer unsaid, every record scored before it lost. Not asked below 64 MiB a band."""
    need = 3 * rows * cols
    if need < 64 << 20:
        return
    where = "MemAvailable"
    if left is None:
        from rsvlm.io.budget import memory_left

        left, where = memory_left()
    if left is not None and need > left:
        raise ValueError(f"its shapes cover {cols} x {rows} px (rows {y0}..{y0 + rows - 1}, columns 0..{cols - 1}): scoring "
                         f"them takes {need / 2**30:.3g} GiB, and {left / 2**30:.3g} GiB of memory is left ({where}); "
                         "free memory or score on a larger machine, or check the record's meta size and shapes "
                         "(a shape over the whole of a huge scene?)")


def _extent(o: dict, width: int, height: int) -> tuple[float, float, float, float] | None:
    """``(x1, y1, x2, y2)`` holding every pixel centre ``o`` can set; None for a point; the whole image
    for anything it cannot read (``to_mask`` then says what is wrong with it)."""
    from rsvlm.geometry.shapes import poly_rings

    kind = o.get("kind")
    try:
        if kind == "point":
            return None
        if kind in AREA_KINDS:
            pts = np.asarray([p for r in (poly_rings(o) if kind == "poly" else [object_ring(o)]) for p in r],
                             dtype=float)  # (n, 2)
            ext = (pts[:, 0].min(), pts[:, 1].min(), pts[:, 0].max(), pts[:, 1].max())
        elif kind == "mask" and o.get("mask") is None:  # grid coords
            ext = tuple(float(v) for v in o["coords"]["box"])
        elif kind == "mask":  # an array, full-size or a crop at "offset"
            h, w = np.asarray(o["mask"]).shape
            ox, oy = _offset(o)
            ext = (ox, oy, ox + w, oy + h)
        else:
            ext = ()
        if len(ext) == 4 and all(map(math.isfinite, ext)):
            return tuple(float(v) for v in ext)
    except (TypeError, KeyError, ValueError, IndexError, OverflowError):
        pass
    return 0.0, 0.0, float(width), float(height)


def _offset(o: dict) -> tuple[int, int]:
    """(x, y) of a mask array's top-left pixel: its ``offset`` (``whole_offset``), (0, 0) where none is given."""
    return (0, 0) if o.get("offset") is None else whole_offset(o["offset"])


def bands(gt: list[dict], pred: list[dict], width: int, height: int) -> list[tuple[int, int, int, list, list]]:
    """``(y0, y1, x1, gt objects, pred objects)`` per band of image rows ``y0..y1`` that shapes of either side
    may set pixels in (overlapping rows merged), ``x1`` past the rightmost such pixel; points left out.
    An object is in the one band holding all of its rows. Only rows are cut, not columns: a move by whole
    rows is exact in floating point (``shifted``), while one by columns moved where a polygon's edge
    crosses a pixel row by its last bit, and the grammar's coordinates put many crossings exactly on
    pixel centres (one more or one fewer pixel per such row)."""
    rows = []  # (y0, y1, x1, side, object)
    for side, objs in ((0, gt), (1, pred)):
        for o in objs:
            if (e := _extent(o, width, height)) is None:
                continue
            y0, y1 = max(0, math.floor(e[1])), min(height, math.ceil(e[3]) + 1)
            x1 = min(width, math.ceil(e[2]) + 1)
            if y1 > y0 and x1 > 0:  # else it sets no pixel of the image
                rows.append((y0, y1, x1, side, o))
    out: list = []
    for y0, y1, x1, side, o in sorted(rows, key=lambda r: r[0]):
        if out and y0 < out[-1][1]:  # overlaps the band before: merged into it
            b = out[-1]
            out[-1] = (b[0], max(b[1], y1), max(b[2], x1), b[3], b[4])
        else:
            out.append((y0, y1, x1, [], []))
        out[-1][3 + side].append(o)
    return out


def shifted(objects: list[dict], dy: int) -> list[dict]:
    """``objects`` moved up by ``dy`` whole rows, into a band starting at row ``dy``. With ``dy`` no more than
    any y of theirs (``bands``), ``y - dy`` is exact in floating point, so the same pixel centres fall inside.
    A mask array gets an explicit ``offset`` even at ``dy`` 0: without one ``objects_to_mask`` takes it for the
    whole (band-sized) image and refuses any other shape."""
    if not dy and not any(o.get("kind") == "mask" and o.get("mask") is not None for o in objects):
        return objects

    def pts(ring):
        return [[float(x), float(y) - dy] for x, y in ring]

    out = []
    for o in objects:
        kind = o.get("kind")
        if kind == "box":
            x1, y1, x2, y2 = (float(v) for v in o["coords"])
            o = {**o, "coords": [x1, y1 - dy, x2, y2 - dy]}
        elif kind == "obb":
            o = {**o, "coords": pts(o["coords"])}
        elif kind == "poly":
            rings = o.get("rings")
            o = {**o, "coords": pts(o["coords"]), **({"rings": [pts(r) for r in rings]} if rings is not None else {})}
        elif kind == "mask" and o.get("mask") is None:
            x1, y1, x2, y2 = (float(v) for v in o["coords"]["box"])
            o = {**o, "coords": {**o["coords"], "box": [x1, y1 - dy, x2, y2 - dy]}}
        elif kind == "mask":
            ox, oy = _offset(o)
            o = {**o, "offset": [ox, oy - dy]}
        out.append(o)
    return out


def ordered_boxes(objects: list[dict]) -> tuple[list[dict], list[str]]:
    """``objects`` with each box whose corners come reversed (x1 > x2 or y1 > y2), and each obb whose edges cross
    (corners out of order around the box, ``rsvlm.geometry.untangle_quad``), put in order, and a problem naming each:
    what ``rsvlm.geometry.decode`` does with such a shape in answer text. Read as given, a reversed box was a hit in
    detection (by its enclosing box) and nothing at all in grounding and masks; a crossing obb was repaired unsaid."""
    out, problems = [], []
    for i, o in enumerate(objects):
        if o.get("kind") == "box" and (o["coords"][0] > o["coords"][2] or o["coords"][1] > o["coords"][3]):
            problems.append(f"object {i}: box {list(o['coords'])} has x1>x2 or y1>y2{REPAIRED}")
            o = {**o, "coords": ordered_box(o["coords"])}
        elif o.get("kind") == "obb" and (q := untangle_quad(o["coords"])) != [list(p) for p in o["coords"]]:
            problems.append(f"object {i}: obb {o['coords']} has crossing edges (two corners out of order around the "
                            "box)" + REPAIRED)
            o = {**o, "coords": q}
        out.append(o)
    return out, problems


def mask_size_problems(objects: list[dict], width: int, height: int) -> list[str]:
    """A problem for each mask array given without an ``offset`` whose shape is not the image's
    (height, width): rasterised as it is, it lay in the top-left corner of the image (a mask of half
    the resolution covered a quarter of it) and scored there without a word."""
    out = []
    for i, o in enumerate(objects):
        if o.get("kind") == "mask" and o.get("mask") is not None and o.get("offset") is None:
            shape = np.asarray(o["mask"], dtype=bool).shape  # (h, w)
            if shape != (height, width):
                out.append(f"object {i}: mask array is {shape[1]}x{shape[0]} pixels, the image {width}x{height} "
                           "(meta.width x meta.height): resize it to the image, or give the 'offset' of a crop")
    return out


def one_bin_wide(objects: list[dict], width: int, height: int) -> list[dict]:
    """``objects`` with each box of zero width or height made one bin of the codec (``width / 1000``
    or ``height / 1000`` pixels) wide about that line, and each obb whose corners fall on one line (or one
    point) made one bin wide about it (``_widened_ring``). An object narrower than a bin has its corners
    decoded to bin centres on one line: at zero area no prediction, a copy of the reference included,
    could match it (IoU 0 / 0; the DOTA devkit's IoU is 0 with every detection), nor draw a pixel of it.
    Other objects (a polygon traced along a line among them) are returned as they are."""
    from rsvlm.geometry.shapes import NUM_BINS

    bx, by = width / NUM_BINS / 2, height / NUM_BINS / 2  # half a bin, in pixels
    out = []
    for o in objects:
        if o.get("kind") == "box" and (o["coords"][2] <= o["coords"][0] or o["coords"][3] <= o["coords"][1]):
            x1, y1, x2, y2 = (float(v) for v in o["coords"])
            hx = bx if x2 <= x1 else 0.0
            hy = by if y2 <= y1 else 0.0
            o = {**o, "coords": [x1 - hx, y1 - hy, x2 + hx, y2 + hy]}
        elif o.get("kind") == "obb" and (ring := _widened_ring(o.get("coords"), bx, by)) is not None:
            o = {**o, "coords": ring}
        out.append(o)
    return out


def _widened_ring(coords, bx: float, by: float) -> list[list[float]] | None:
    """Four corners one bin wide about the segment a ring of zero area (an obb's) lies on (``bx``, ``by``: half a
    bin across x and y; a segment along x or y widened as ``one_bin_wide`` widens a box), a square of a
    bin about its one point; None for a ring with area, or one that cannot be read."""
    try:
        pts = np.asarray(coords, dtype=float)  # (n, 2)
    except (TypeError, ValueError):
        return None
    if pts.ndim != 2 or pts.shape[1] != 2 or len(pts) < 3 or not np.isfinite(pts).all():
        return None
    x, y = pts[:, 0], pts[:, 1]
    area = abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))) / 2  # shoelace
    span = np.ptp(pts, axis=0)  # (2,)
    if area > 1e-9 * max(span[0] * span[1], bx * by):  # a ring with area, if thin: scored as it is
        return None
    d = pts[:, None, :] - pts[None, :, :]  # (n, n, 2)
    i, j = np.unravel_index(np.argmax((d ** 2).sum(-1)), d.shape[:2])  # the segment's two ends
    p, q = pts[i], pts[j]
    length = float(np.hypot(*(q - p)))
    if length == 0:  # one point: a square of a bin, as a box of zero width and height
        corners = [p + [-bx, -by], p + [bx, -by], p + [bx, by], p + [-bx, by]]
    else:
        n = np.array([-(q - p)[1], (q - p)[0]]) / length  # (2,) unit normal
        o = n * float(np.hypot(n[0] * bx, n[1] * by))  # half a bin across the segment
        corners = [p + o, q + o, q - o, p - o]
    return [[float(v[0]), float(v[1])] for v in corners]


def convex_obbs(objects: list[dict]) -> list[dict]:
    """``objects`` with each obb whose four corners come in crossing order (``[[x1, y1], [x2, y1], [x1, y2],
    [x2, y2]]``, a "bowtie") given in order round its centre: read as written it was two triangles, half
    the rectangle meant, in IoU and in masks alike. An obb in order (every one the encoder writes) is
    returned as it is, as are other objects."""
    from shapely.geometry import Polygon

    out = []
    for o in objects:
        c = o.get("coords") if o.get("kind") == "obb" else None
        if c is not None and len(c) == 4 and not Polygon(c).is_valid:
            cx, cy = sum(p[0] for p in c) / 4, sum(p[1] for p in c) / 4
            o = {**o, "coords": sorted(c, key=lambda p: math.atan2(p[1] - cy, p[0] - cx))}
        out.append(o)
    return out


def for_scoring(objects: list[dict], width: int, height: int) -> list[dict]:
    """Decoded objects as every script scores them: ``convex_obbs``, then ``one_bin_wide``."""
    return one_bin_wide(convex_obbs(objects), width, height)


if __name__ == "__main__":  # python -m eval.regions: no command line; say so, and which scripts have one
    from eval.__main__ import library_main

    raise SystemExit(library_main("regions"))
