"""Quantisation, canonical vertex orders, oriented boxes, IoUs and an even-odd ring rasteriser.

Conventions (image coordinates: x to the right, y *down*, pixel ``(r, c)`` covers
``[c, c+1) x [r, r+1)``, its centre is ``(c + 0.5, r + 0.5)``):

* ``quantize(x, size) = min(999, floor(x / size * 1000))`` clamped to 0..999; ``dequantize``
  returns the bin centre, so a round trip moves a coordinate inside ``[0, size]`` by at most
  half a bin (``size / 2000``). Coordinates outside the image are clamped (``codec.encode``'s ``clamped`` says
  where that changed an oriented box's or a polygon's shape).
* Orientation: ``signed_area`` is the shoelace sum in image coordinates; it is positive for a
  ring that runs **clockwise as seen on screen** (y down). Exterior rings and oriented boxes
  are written clockwise, polygon holes counter-clockwise (GeoJSON's rule after the y flip).
* Start vertex: the top-most vertex (smallest y), then the left-most (smallest x); where that
  vertex occurs more than once, the rotation whose whole (y, x) sequence is smallest wins.
  A ring of zero area has no orientation: the direction with the smaller sequence wins.
"""

from __future__ import annotations

import math
import numbers
import os
from collections.abc import Sequence

import numpy as np

_BAND_CROSSINGS = 1 << 21  # fill_rings' crossings held at once (~100 MB of arrays)
NUM_BINS = 1000  # mirrors rsvlm.tokens.NUM_BINS (kept local so this module imports nothing of ours)


def check_size(width, height) -> tuple[int, int]:
    """(width, height) as ints: any positive integer (numpy's too: sizes read from an array or a
    table), never a bool or a float; else ValueError."""
    for name, v in (("width", width), ("height", height)):
        if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v <= 0:
            raise ValueError(f"image {name} must be a positive int, got {v!r}")
    return int(width), int(height)


def _pixels(size) -> int:
    """``size`` (an image's width or height) as an int: a positive whole number of pixels, numpy's too; else ValueError
    naming it (0 divided by zero, a negative size put every coordinate in bin 0, and a float, 96.0 or a width halved
    to 47.5, quantised on a grid no image has: ``check_size`` refuses it in ``encode`` and ``decode``)."""
    if type(size) is not int and (isinstance(size, bool) or not isinstance(size, numbers.Integral)):
        raise ValueError(f"image size must be positive and a whole number of pixels (an int), got {size!r}")
    if size <= 0:
        raise ValueError(f"image size must be positive, got {size!r}")
    return int(size)


def quantize(x: float, size: int) -> int:
    """Pixel coordinate -> bin ``floor(x * 1000 / size)``, clamped to 0..999; ValueError for an ``x`` that is no
    finite number, or a ``size`` that is no positive int (``_pixels``)."""
    if type(x) is not float and type(x) is not int and (isinstance(x, bool) or not isinstance(x, numbers.Real)):
        raise ValueError(f"coordinate must be a number, got {x!r:.40}")  # "3" said "must be real number, not str"
    if not math.isfinite(x):
        raise ValueError(f"coordinate {x!r} is not finite")
    size = _pixels(size)
    q = x * NUM_BINS / size  # x·1000 first: exact for pixel centres
    if math.isinf(q):  # a huge finite x (1e308) overflows: floor(inf) raised OverflowError, not clamped
        return NUM_BINS - 1 if q > 0 else 0
    return max(0, min(NUM_BINS - 1, math.floor(q)))


def dequantize(b: int, size: int) -> float:
    """Bin -> pixel coordinate of its centre, ``(b + 0.5) / 1000 * size``; ValueError for a bin that is no
    whole number in 0..999 (1000 gave a point off the image, 5.5 or NaN one of no bin) or a size that is
    no positive int (``_pixels``)."""
    if isinstance(b, bool) or not isinstance(b, numbers.Integral) or not 0 <= b < NUM_BINS:
        raise ValueError(f"bin must be a whole number in 0..{NUM_BINS - 1}, got {b!r}")
    return (b + 0.5) / NUM_BINS * _pixels(size)


def signed_area(ring: Sequence[Sequence[float]]) -> float:
    """Shoelace area; > 0 when the ring runs clockwise on screen (image coordinates, y down)."""
    n = len(ring)
    s = 0.0
    for i in range(n):
        x0, y0 = ring[i]
        x1, y1 = ring[(i + 1) % n]
        s += x0 * y1 - x1 * y0
    return s / 2.0


def dedupe_ring(ring: Sequence[Sequence[float]]) -> list[list[float]]:
    """Drop consecutive repeated vertices, including the closing vertex equal to the first."""
    out: list[list[float]] = []
    for p in ring:
        p = [p[0], p[1]]
        if not out or out[-1] != p:
            out.append(p)
    while len(out) > 1 and out[-1] == out[0]:
        out.pop()
    return out


def least_rotation(ring: list[list[float]]) -> list[list[float]]:
    """Rotation whose whole (y, x) sequence is smallest, so it starts at the smallest (y, x) vertex.

    Booth's least-rotation algorithm, O(n): comparing every rotation that starts at the smallest
    vertex was O(n²) on a ring that revisits it (a free-decoded ``<poly>`` looping over two points:
    17 s to encode one of 8000 vertices)."""
    s = [(p[1], p[0]) for p in ring]
    n = len(s)
    if n < 2:
        return list(ring)
    lo = min(s)
    if s.count(lo) == 1:  # the usual ring: its smallest vertex occurs once
        k = s.index(lo)
        return ring[k:] + ring[:k]
    fail = [-1] * (2 * n)  # failure function of the doubled sequence
    k = 0  # start of the least rotation found so far
    for j in range(1, 2 * n):
        c, i = s[j % n], fail[j - k - 1]
        while i != -1 and c != s[(k + i + 1) % n]:
            if c < s[(k + i + 1) % n]:
                k = j - i - 1
            i = fail[i]
        if i == -1 and c != s[k % n]:
            if c < s[k % n]:
                k = j
            fail[j - k] = -1
        else:
            fail[j - k] = i + 1
    k %= n
    return ring[k:] + ring[:k]


def canonical_ring(ring: Sequence[Sequence[float]], hole: bool = False, dedupe: bool = True) -> list[list[float]]:
    """One spelling per ring: deduped, clockwise on screen (counter-clockwise if ``hole``),
    starting at the top-most then left-most vertex. Works on pixels or on bins; the codec
    applies it to bins, after quantisation, so that equal token sequences mean equal shapes.
    A NaN or infinite coordinate raises ValueError (a NaN vertex was sorted anywhere)."""
    _check_finite(ring, "a ring")
    r = dedupe_ring(ring) if dedupe else [[p[0], p[1]] for p in ring]
    if len(r) < 2:
        return r
    fwd = least_rotation(r)
    rev = least_rotation(r[::-1])
    area = signed_area(r)
    if area == 0:
        return min(fwd, rev, key=lambda q: [(p[1], p[0]) for p in q])
    clockwise = area > 0
    return fwd if clockwise != hole else rev


def canonical_quad(quad: Sequence[Sequence[float]]) -> list[list[float]]:
    """Canonical corner order of an oriented box: 4 corners, clockwise on screen, starting at the
    top-most (then left-most) corner. Repeated corners are kept (an obb always has 4); corners given
    across the box (a bow-tie: two of its edges cross) are first put in order around it (``untangle_quad``)."""
    if len(quad) != 4:
        raise ValueError(f"an oriented box needs 4 corners, got {len(quad)}")
    _check_finite(quad, "an oriented box")
    return canonical_ring(untangle_quad(quad), dedupe=False)


def _turn(o, a, b) -> float:
    """Cross product of ``a - o`` and ``b - o``: its sign says on which side of line o→a ``b`` lies."""
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])


def _cross(p, q, r, s) -> bool:
    """Whether segments p–q and r–s cross at a point inside both (touching or collinear is no crossing)."""
    return _turn(p, q, r) * _turn(p, q, s) < 0 and _turn(r, s, p) * _turn(r, s, q) < 0


def untangle_quad(quad: Sequence[Sequence[float]]) -> list[list[float]]:
    """4 corners in an order around the shape: where two opposite edges cross (corners given in the order
    x1 y1 x2 y1 x1 y2 x2 y2, or DOTA corners read across the box), the two corners between them swap, so
    any order of a box's 4 corners is that box; a quad with no crossing edges is kept as given."""
    if len(quad) != 4:  # was "too many values to unpack"
        raise ValueError(f"an oriented box needs 4 corners, got {len(quad)}")
    p0, p1, p2, p3 = ([p[0], p[1]] for p in quad)
    if _cross(p0, p1, p2, p3):  # p0–p1 and p2–p3 are the box's diagonals
        return [p0, p2, p1, p3]
    if _cross(p1, p2, p3, p0):
        return [p0, p1, p3, p2]
    return [p0, p1, p2, p3]


def _check_finite(ring, what: str) -> None:
    """ValueError naming ``ring`` where a coordinate is NaN or infinite (a NaN corner was sorted into a
    quad of NaN corners; shapely raised its own "probable noding error")."""
    try:
        ok = bool(np.isfinite(np.asarray(ring, dtype=float)).all())
    except (TypeError, ValueError) as e:
        raise ValueError(f"{what} must be [x, y] pairs of numbers, got {ring!r:.80}") from e
    if not ok:
        raise ValueError(f"{what} has a coordinate that is not finite: {ring!r:.80}")


def rbox_to_quad(cx: float, cy: float, w: float, h: float, angle_deg: float) -> list[list[float]]:
    """Corners of a rotated box, clockwise on screen, starting at the box's own (-w/2, -h/2) corner.

    ``angle_deg`` rotates the width axis from +x towards +y, i.e. **clockwise on screen**
    (OpenCV ``boxPoints`` / mmrotate convention): at 90 the width runs along +y.
    The result is not in canonical order; ``canonical_quad`` (or ``encode``) sorts it. A negative size
    is the same box (its magnitude); numbers as strings ("10", a table's cells) are read as numbers;
    a non-finite value raises ValueError naming it.
    """
    vals = {"cx": cx, "cy": cy, "w": w, "h": h, "angle_deg": angle_deg}
    try:
        bad = [f"{k}={v!r}" for k, v in vals.items() if not math.isfinite(float(v))]
    except (TypeError, ValueError):
        raise ValueError(f"rbox_to_quad: expected numbers, got {vals}") from None
    if bad:  # NaN came back as NaN corners, inf as "math domain error"
        raise ValueError(f"rbox_to_quad: {', '.join(bad)} {'is' if len(bad) == 1 else 'are'} not finite (a blank or "
                         "overflowed cell of the box's table?): give cx, cy, w, h in pixels and angle_deg in degrees")
    cx, cy, w, h, angle_deg = (float(v) for v in vals.values())  # "10" from a CSV cell: str + float was a TypeError
    w, h = abs(w), abs(h)  # a negative size turned the corners counter-clockwise
    a = math.radians(angle_deg)
    # at a right angle exactly: cos(270°) is -1.8e-16, which put a corner on a bin's edge (cy - h/2 = 15 of 50 px) one
    # bin off, so 270 and -90 wrote other tokens than 90
    right = {0.0: (1.0, 0.0), 90.0: (0.0, 1.0), 180.0: (-1.0, 0.0), 270.0: (0.0, -1.0)}.get(angle_deg % 360)
    ux, uy = right or (math.cos(a), math.sin(a))  # width axis
    vx, vy = -uy, ux  # height axis
    out = []
    for su, sv in ((-1, -1), (1, -1), (1, 1), (-1, 1)):
        out.append([cx + su * w / 2 * ux + sv * h / 2 * vx, cy + su * w / 2 * uy + sv * h / 2 * vy])
    return out


def poly_rings(obj: dict) -> list:
    """A poly object's rings, exterior first: its ``"rings"`` where given and not empty (a list, or an
    array of equal rings: ``rings or [coords]`` raised numpy's "truth value … is ambiguous"), else
    ``[coords]``. Raises ValueError where ``rings`` is no sequence."""
    rings = obj.get("rings")
    if rings is None:
        return [obj.get("coords")]
    if isinstance(rings, (str, bytes, dict)) or not hasattr(rings, "__len__"):
        raise ValueError(f"rings must be a list of rings, got {type(rings).__name__}")
    return list(rings) if len(rings) else [obj.get("coords")]


def object_ring(obj: dict) -> list[list[float]] | None:
    """The outer ring of a decoded ``box``, ``obb`` or ``poly`` object as ``[[x, y], …]`` (a box's
    corners clockwise from its top-left); None for a ``point`` or a ``mask``, which have none."""
    kind, c = obj.get("kind"), obj.get("coords")
    if kind == "box":
        x1, y1, x2, y2 = (float(v) for v in c)
        return [[x1, y1], [x2, y1], [x2, y2], [x1, y2]]
    if kind in ("obb", "poly"):
        return [[float(p[0]), float(p[1])] for p in c]
    return None


def ordered_box(box: Sequence[float]) -> list:
    """``[x1, y1, x2, y2]`` with its corners put in order (x1 <= x2, y1 <= y2); values kept as given."""
    x1, y1, x2, y2 = box
    return [min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2)]


def box_iou(a: Sequence[float], b: Sequence[float]) -> float:
    """IoU of two ``[x1, y1, x2, y2]`` boxes, x1 <= x2 and y1 <= y2 as ``decode`` gives them (0 when
    both are empty); ValueError for anything but 4 finite numbers each."""
    if len(a) != 4 or len(b) != 4:  # a 3-number box was an IndexError, a 5-number one used its first 4
        raise ValueError(f"box_iou takes two [x1, y1, x2, y2] boxes, got {list(a)!r} and {list(b)!r}")
    if not all(math.isfinite(v) for v in (*a, *b)):  # NaN came back as IoU 0, a silent miss
        raise ValueError(f"box_iou: a coordinate is not finite in {list(a)!r} or {list(b)!r}")
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def _polygon(g):
    """A ring (``[[x, y], ...]``) or shapely geometry as a valid shapely geometry (``make_valid``; under 3 points: empty)."""
    import shapely
    from shapely.geometry import Polygon

    if not isinstance(g, shapely.Geometry):
        _check_finite(g, "a polygon ring")
        g = Polygon(g) if len(g) >= 3 else Polygon()
    return g if g.is_valid else shapely.make_valid(g)


def polygon_iou(a, b) -> float:
    """IoU of two polygons given as rings (``[[x, y], ...]``) or shapely geometries.

    Invalid (self-intersecting) rings are repaired with ``shapely.make_valid``; empty -> 0; a ring with a
    NaN or infinite coordinate raises ValueError naming it.
    """
    ga, gb = _polygon(a), _polygon(b)
    union = ga.union(gb).area
    return float(ga.intersection(gb).area / union) if union > 0 else 0.0


def cover(a: dict, b: dict) -> tuple[float, float]:
    """(IoU, intersection over the smaller one's area) of two decoded ``box``, ``obb`` or ``poly`` objects
    (a polygon's outer ring, as ``object_ring`` gives it; rings repaired as ``polygon_iou`` does; 0 where
    the smaller has no area): how far one lies inside the other, which IoU alone does not say."""
    if a["kind"] == "box" and b["kind"] == "box":
        (ax0, ay0, ax1, ay1), (bx0, by0, bx1, by1) = a["coords"], b["coords"]
        inter = max(0.0, min(ax1, bx1) - max(ax0, bx0)) * max(0.0, min(ay1, by1) - max(ay0, by0))
        areas = ((ax1 - ax0) * (ay1 - ay0), (bx1 - bx0) * (by1 - by0))
    else:
        rings = [object_ring(o) for o in (a, b)]
        if None in rings:
            raise ValueError(f"cover takes boxes, obbs and polygons, got {a['kind']!r} and {b['kind']!r}")
        pa, pb = (_polygon(r) for r in rings)
        inter, areas = pa.intersection(pb).area, (pa.area, pb.area)
    union = sum(areas) - inter
    return (inter / union if union > 0 else 0.0), (inter / min(areas) if min(areas) > 0 else 0.0)


def _memory_bytes() -> int | None:
    """This machine's physical memory in bytes; None where the system does not say."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):  # no sysconf (Windows), or no such name
        return None


def blank_mask(width: int, height: int) -> np.ndarray:
    """An all-False (height, width) bool mask; ValueError naming the size where memory cannot hold it (a record's
    meta.width x meta.height of 1000000 x 1000000 was numpy's MemoryError, a traceback naming no size of ours).
    A mask past this machine's physical memory is refused before it is asked for: where the system overcommits
    memory (vm.overcommit_memory=1), np.zeros of one succeeds and the first full pass over it (an OR, a sum) is an
    out-of-memory kill. A real scene's mask (20000 x 20000: 0.4 GB) is far below that."""
    memory = _memory_bytes()
    big = isinstance(width, numbers.Integral) and isinstance(height, numbers.Integral) and width > 0 and height > 0 \
        and memory is not None and int(width) * int(height) > memory
    try:
        if not big:
            return np.zeros((height, width), dtype=bool)
    except MemoryError:
        pass
    room = f"; this machine has {memory / 2**30:,.0f} GiB" if memory else ""
    raise ValueError(f"a {width}x{height} mask ({int(width) * int(height) / 2**30:,.0f} GiB) does not fit in memory"
                     f"{room}: is the image size (width x height) right?")


def fill_rings(rings: Sequence[Sequence[Sequence[float]]], width: int, height: int,
               out: np.ndarray | None = None) -> np.ndarray:
    """Rasterise rings with the even-odd rule onto a (height, width) bool mask; ``out``: such a mask to set the
    inside pixels in (OR-ed), returned (objects_to_mask's: a full-size mask an object, OR-ed in, took 0.16 s each
    at 20000 x 20000 px).

    A pixel is set when its centre is inside; holes are simply further rings. Cost is the
    crossings of edges with pixel-centre rows plus the pixels set (a row-by-row search of every
    column took 4.6 s for one ring at 12000 px); rings with fewer than 3 vertices cover no pixel centre.
    """
    out = blank_mask(width, height) if out is None else out
    edges = [np.concatenate([p, np.roll(p, -1, axis=0)], axis=1)  # (n, 4): x0 y0 x1 y1
             for p in (np.asarray(r, dtype=np.float64) for r in rings if len(r) >= 3)]
    e = np.concatenate(edges) if edges else np.zeros((0, 4))
    e = e[e[:, 1] != e[:, 3]]  # horizontal edges never cross a scanline
    x0, y0, x1, y1 = e.T  # (E,) each
    rows, cols = np.arange(height) + 0.5, np.arange(width) + 0.5  # (H,), (W,) pixel centres
    # an edge crosses the rows whose centre yc has min(y0, y1) <= yc < max(y0, y1)
    first, stop = np.searchsorted(rows, np.minimum(y0, y1)), np.searchsorted(rows, np.maximum(y0, y1))  # (E,)
    bands = -(-int((stop - first).sum()) // _BAND_CROSSINGS) or 1  # a jagged ring's crossings, a band at a time
    step = max(1, -(-height // bands))  # rows per band
    for r0 in range(0, height, step):
        f, s = np.clip(first, r0, r0 + step), np.clip(stop, r0, r0 + step)  # (E,) its crossings in this band
        n = s - f
        edge = np.repeat(np.arange(len(e)), n)  # (K,) the edge of each crossing
        r = f[edge] + np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)  # (K,) its row
        xs = x0[edge] + (rows[r] - y0[edge]) * (x1[edge] - x0[edge]) / (y1[edge] - y0[edge])  # (K,)
        order = np.lexsort((xs, r))  # by row, then x; every row has an even count (closed rings)
        r, xs = r[order], xs[order]
        # a centre is inside where an odd count of crossings lies at or left of it: xs[2i] <= c < xs[2i+1]
        lo, hi = np.searchsorted(cols, xs[0::2]), np.searchsorted(cols, xs[1::2])  # (K/2,) column spans
        for row, a, b in zip(r[0::2].tolist(), lo.tolist(), hi.tolist()):
            out[row, a:b] = True
    return out
