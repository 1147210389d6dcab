"""Seams between tiles that abut without overlapping (``--overlap 0``), for ``tiles.TileMerger``.

Two views of an object cut at such a seam do not overlap: they meet at the seam line (or, as a
model draws them, a pixel or two short of it). They are one object where both come within the
merger's ``edge_tol`` of the seam and their cross-sections along it (the stretch of the seam each
comes within ``tol`` of) share at least ``min_share`` of the shorter one: a real shared border, not
a touch. Two ponds whose corners meet at one pixel of the seam share 1 px of sections tens of
pixels long and stay two; a 1-px-wide road crossing it shares all of its 1 px and is one. The
merger asks half the longer first, then half the shorter for pieces not yet joined across that seam
(``TileMerger``; a quarter joined slanted ships moored 3 px apart); plain boxes around a slanted object are
rejoined by their staircase
(``slant_join``); and a quarter for masks (``TileMerger.seam_share``): a thin mask crossing the seam
at a slant comes within ``tol`` of it at places that slide along it, and half split one in 40 of
them in a tour. Masks must also touch across the seam: a gap of a pixel or two between them there
is real (``masks_meet``):

    line = seam(window_a, window_b)            # ("x", 512, 0, 512): a vertical seam at x = 512, y in [0, 512]
    joined, bridge = seam_join(geom_a, geom_b, line, tol=2, min_share=0.5)
    index = SeamIndex(); index.see(window) ...; index.line(window_a, window_b)  # None where a window sees across
    at_seam(index, view_a, view_b, 0.5, edge_tol=2)   # the merger's views ({"geom", "window", "order", "views"})

``bridge`` fills the gap between two views a model drew short of the seam (the hull of their parts
near it, over the stretch they share), so that their union is one polygon. Cannot: tell an object cut
at a seam from two objects that each end within ``tol`` of it with matching extents (nose to tail
across the seam); the merger asks plain boxes to come within 1 px (``TileMerger.box_reach``), which leaves
6 of 1341 simulated pairs 1-2 px apart joined (17 within 2 px). Nor tell which of two boxes in the next
tile is a slanted car's other piece where one is a car starting on the seam beside it: the piece's box
does not say which way the car slants, and either pairing is a staircase of the same size (a piece at
y 20-40 joins a car at 10-30 rather than its own piece at 35-55). Simulated (a car cut at x = 100, another
starting there 1-2 px beside its piece along the seam): 0 of 300 joined so, 0 of 284 where the cut car is
slanted; with ±1 px noise 4 of 284, ±1.5 px 12.
"""

from __future__ import annotations

import numpy as np

__all__ = ["seam", "seam_join", "slant_join", "masks_meet", "seam_meeting", "SeamIndex", "at_seam", "slanted"]

Window = tuple[int, int, int, int]  # (x0, y0, w, h)
Seam = tuple[str, int, int, int]  # (axis, s, lo, hi): the line x = s (axis "x") or y = s, from lo to hi along it


def seam(wa: Window, wb: Window) -> Seam | None:
    """The line two windows share where they abut without overlapping; None where they overlap, are
    apart, or meet only at a corner."""
    for axis, (a0, a_len, a_o0, a_olen), (b0, b_len, b_o0, b_olen) in (
            ("x", (wa[0], wa[2], wa[1], wa[3]), (wb[0], wb[2], wb[1], wb[3])),
            ("y", (wa[1], wa[3], wa[0], wa[2]), (wb[1], wb[3], wb[0], wb[2]))):
        if a0 + a_len == b0 or b0 + b_len == a0:
            lo, hi = max(a_o0, b_o0), min(a_o0 + a_olen, b_o0 + b_olen)
            if hi > lo:
                return axis, (b0 if a0 + a_len == b0 else a0), lo, hi
    return None


def _strip(line: Seam, tol: float):
    from shapely.geometry import box

    axis, s, lo, hi = line
    return box(s - tol, lo, s + tol, hi) if axis == "x" else box(lo, s - tol, hi, s + tol)


def _section(geom, line: Seam, tol: float) -> tuple[float, float, float] | None:
    """(lo, hi) along the seam of the part of ``geom`` within ``tol`` of it, and how near the seam
    that part comes across it (its coordinate across, nearest the seam); None when it is farther."""
    part = geom.intersection(_strip(line, tol))
    if part.is_empty:
        return None
    x0, y0, x1, y1 = part.bounds
    axis, s = line[0], line[1]
    lo, hi, a0, a1 = (y0, y1, x0, x1) if axis == "x" else (x0, x1, y0, y1)
    return lo, hi, (a1 if abs(a1 - s) <= abs(a0 - s) else a0)


def seam_join(ga, gb, line: Seam, tol: float, min_share: float, of_longer: bool = False):
    """Whether shapely geometries ``ga`` and ``gb``, seen in the two windows of ``line``, are one
    object cut there: both within ``tol`` of the seam, their cross-sections along it sharing at
    least ``min_share`` of the shorter one (of the longer with ``of_longer``: two cross-sections of one
    object, where a sliver's short one would fit beside any neighbour's), any length where
    ``min_share`` is 0. Returns (joined, bridge): bridge the polygon that closes the gap between them,
    or None where they meet."""
    from shapely.geometry import box

    sa, sb = _section(ga, line, tol), _section(gb, line, tol)
    if sa is None or sb is None:
        return False, None
    lo, hi = max(sa[0], sb[0]), min(sa[1], sb[1])
    base = (max if of_longer else min)(sa[1] - sa[0], sb[1] - sb[0])
    if hi <= lo or (hi - lo) < min_share * base:
        return False, None
    a, b = sorted((sa[2], sb[2]))
    if b <= a:
        return True, None
    # the hull of both parts near the seam, over the stretch they share: a box from one's nearest point to
    # the other's touched a view whose edge there is slanted at one corner, and the union was two polygons
    strip = _strip(line, tol)
    band = box(line[1] - tol, lo, line[1] + tol, hi) if line[0] == "x" else box(lo, line[1] - tol, hi, line[1] + tol)
    return True, ga.intersection(strip).union(gb.intersection(strip)).convex_hull.intersection(band)


def slant_join(ba, bb, line: Seam, tol: float, max_ratio: float = 2.0) -> bool:
    """Whether two plain boxes (x0, y0, x1, y1) on the two sides of ``line`` are the two pieces of
    one slanted object cut there: each drawn to the seam (within 1 px: half a coordinate bin of a
    2000-px tile), their extents along it overlapping by more than ``2 * tol`` and a quarter of the
    shorter (the object's cross-section at the seam), stepping away from it on opposite sides (a
    staircase) by at least that cross-section, each as steeply as the other within ``max_ratio``. The
    merger asks it only of boxes not joined to anything in the other's tile (``TileMerger.clusters``'
    ``lone``). ``seam_join`` asks for half the shorter extent, which boxes around a long slanted ship's
    pieces often miss: in 200 simulated scenes of one ship across 100-px tiles, 14 were split, 3 with
    this (5 of 14 with 1-px noise); it joined 2 pairs of 5000 cars packed around the seams (0 with
    noise), and of 1600 boats 5 (4), while rejoining the 4 (7) boats split before."""
    axis, s = line[0], line[1]
    i, j = (1, 0) if axis == "x" else (0, 1)  # coordinate index along the seam, across it
    if any(min(abs(b[j] - s), abs(b[j + 2] - s)) > 1 for b in (ba, bb)):  # drawn to the tile edge: cut there
        return False
    o0, o1 = max(ba[i], bb[i]), min(ba[i + 2], bb[i + 2])
    if o1 - o0 <= 2 * tol or o1 - o0 < 0.25 * min(ba[i + 2] - ba[i], bb[i + 2] - bb[i]):  # corners that meet
        return False
    rise = [(o0 - b[i], b[i + 2] - o1) for b in (ba, bb)]  # (below, above) the shared stretch
    steps = [(lo > tol) - (hi > tol) for lo, hi in rise]  # +1 steps down, -1 up, 0 both or neither
    if steps[0] == 0 or steps[0] != -steps[1]:
        return False
    if min(max(r) for r in rise) < (o1 - o0):  # a long slanted piece on each side, not a car's corner
        return False
    slopes = [max(r) / max(max(abs(b[j] - s), abs(b[j + 2] - s)), 1e-9) for r, b in zip(rise, (ba, bb))]
    return max(slopes) <= max_ratio * min(slopes)


def masks_meet(ma: np.ndarray, oa, mb: np.ndarray, ob, line: Seam, tol: int, min_share: float = 0.25,
               gap: int = 0, beside: float = 0.6, long: float = 3.0, past: float = 0.75, fork: bool = True) -> bool:
    """Whether two scene masks (h, w) placed at offsets ``oa``, ``ob`` (x0, y0) touch across the seam
    (a pixel of one in the column, or row, just before it beside one of the other's just after it, or
    diagonal to it) and have pixels within ``tol`` pixels of it side by side along it for at least
    ``min_share`` of the shorter of their two sections (the positions along the seam where each has
    such a pixel). Windows are cut on whole pixels, and a grid answer's box is exact at a tile's edge
    (the bin of its outer pixel's centre), so a mask cut at the seam has pixels on both sides of it: a
    gap of a pixel or two there is real (two fields either side of a path along the seam), and was joined
    while only ``tol`` was asked. Thin slanted roads in 128-px tiles, decoded from grid answers of 32
    tokens, were one object 116 of 120 times, needing the touch or not; 120 of 120 drawn exactly.
    Pieces that are lines 1 px wide within ``tol`` of the seam join where they touch: a 1-px road at
    45 degrees, or steeper along the seam, has sections that lie end to end, not side by side (206 of
    299 such roads split, 0 after; 0 of 300 pairs of cars 1 or 2 px apart joined: ``bench/tiling.py --only seams``).
    A line 1 px wide lying along the seam (one pixel line across, a road beside it or another's 1-px overhang)
    is no cross-section: it joins a 1-px line only end to end, and shares ``min_share`` of its own length, not
    the shorter: such a road was joined to every separate 1-px road leaving the seam beside it (143 of 143
    simulated, now 0) and to every car touching it (157 of 157, now 51); one object's 1-px overhang is joined
    as before (300 of 300; 277 of 300 where the overhang runs past its edge, as before). Such a line that runs past
    the other's section at both ends, by more than ``tol`` and ``beside`` of that section each, or at one end by
    more than ``tol`` and ``past`` of it, or by ``beside`` where its other end stops beside the other (an overhang
    runs a few px past its object at both ends; a road runs on past a car at its end), beside an other no more than
    ``long`` times as long across the seam as its section (a car, even parked across the seam: not a road leaving
    it), is a road beside it, not its overhang: a car touching a road was still joined where its section was a
    quarter of the road (94 of 300 simulated cars, 71 with the rule for both ends, 26 with ``past`` 1, now 5: 52 of
    1500 on five other seeds, 106 before; the rest are an overhang's shape, a car's 1-7 px from both ends of the
    road, or near it); parked across the seam at its middle, 1.5-2.5 times its section, 85 of 300, now 0;
    ``bench/tiling.py --only slivers``), while an overhang running 1-7 px past its object at both ends splits 0 of
    300. A wide mask (not a 1-px line) more than ``long`` times as long across as its section is a road leaving the
    line, one network: it shares ``min_share`` of the shorter section, not of the line's length, or any where an end
    of the line lies in the road's section (the line turns into it: 1-4 rows shared): forks split 227 of 300, now 0.
    Pixel for pixel that is also the 1-px tip of an object crossing the seam by a pixel, drawn a pixel or more into
    the rows of another moored beside it: ``fork`` False leaves the rule out, and the merger asks it only of pieces
    joined to nothing in each other's tile (``unions.union_masks``: such a tip is joined to its own object there;
    283 of 300 simulated pairs of ships so were one, now 66 as before the rule: those the tip's own length joins).
    Cannot: tell a short wide stub (12 px wide, under 36 px across) from a car; it is split from a line passing it
    at both ends, or at one end by more than 3/4 of its width (by more than 0.6 of it where the line stops beside
    it). Nor tell an overhang flush with its object at one end from a road stopping beside a car: one running past
    the object's other end by more than 0.6 of its section is split (7 px past a 10-px object: 2 of 300 simulated
    overhangs flush at one end and 1-7 px past the other of 10-60 px objects, 0 with ``past`` 1 and no stop rule).
    Nor tell a long object across the seam (a truck 4 px by 15, a ship) from a road leaving it: it is joined to a
    1-px line it touches that is joined to nothing else in its tile (``bench/tiling.py --only junctions``: 300 of
    300 trucks 3.5-6 times as long across as along; only where both are of one label). Nor join a road leaving a
    line that a car is joined to (the car flush with the line's other end, an overhang's shape): the line is then
    joined to something in the road's tile, so the fork rule is not asked (a 20-px line, a 3-px road leaving one
    end, a 16-px car at the other: split; 0 of 300 in the bench, where the car is joined to 2). Nor where the
    other is also a 1-px line along the seam: a 2-px road lying on it, one tile drawing 60 px of its pixel line
    and the other 20, was split (it is joined as before the rule). A car and a road of different labels are never
    joined: the label tells them apart, where pixels cannot.
    ``gap``: how many pixel lines between them still count as a touch (2: pieces up to 2 px apart, which the
    merger counts as a note, not a join: a model that draws masks a pixel short of the tile's edge split
    228 of 293 simulated roads and fields so, where a 16-px overlap split none)."""
    how = seam_meeting(ma, oa, mb, ob, line, tol, min_share, gap, beside, long, past)
    return how == "meet" or (fork and how == "fork")


def seam_meeting(ma: np.ndarray, oa, mb: np.ndarray, ob, line: Seam, tol: int, min_share: float = 0.25,
                 gap: int = 0, beside: float = 0.6, long: float = 3.0, past: float = 0.75) -> str | None:
    """``masks_meet``'s answer to both of its questions in one pass: "meet" where the masks meet without its
    ``fork`` rule, "fork" where only that rule joins them (``unions.union_masks`` joins those only where
    neither is joined to anything in the other's tile), None where they do not meet."""
    axis, s, lo, hi = line

    def strip(m, o, c_lo, c_hi):  # bool (hi - lo, c_hi - c_lo): the mask's pixels in columns [c_lo, c_hi) across
        m = m if axis == "x" else m.T  # (along, across) → rows along the seam
        a0, c0 = (o[1], o[0]) if axis == "x" else (o[0], o[1])  # offset along, across
        out = np.zeros((hi - lo, c_hi - c_lo), bool)
        r0, r1 = max(lo, a0), min(hi, a0 + m.shape[0])
        k0, k1 = max(c_lo, c0), min(c_hi, c0 + m.shape[1])
        if r1 > r0 and k1 > k0:
            out[r0 - lo : r1 - lo, k0 - c_lo : k1 - c_lo] = m[r0 - a0 : r1 - a0, k0 - c0 : k1 - c0]
        return out

    along = lambda m, o, c_lo, c_hi: strip(m, o, c_lo, c_hi).any(axis=1)  # noqa: E731 (hi - lo,): where it has a pixel

    def end_to_end(x, y):  # sections that meet at their ends, overlapping by a pixel at most
        (x0, x1), (y0, y1) = ((int(v.argmax()), len(v) - 1 - int(v[::-1].argmax())) for v in (x, y))
        return x1 <= y0 + 1 or y1 <= x0 + 1

    def passes(x, y):  # x runs past y's section at both ends by more than tol and ``beside`` of it, or one by ``past``
        # (or by ``beside`` where x's other end stops beside y)
        xi, yi = np.flatnonzero(x), np.flatnonzero(y)
        if len(yi) == 0:
            return False
        m, m1 = max(tol, beside * len(yi)), max(tol, past * len(yi))
        below, above = yi[0] - xi[0], xi[-1] - yi[-1]  # how far x runs past y at each end
        stops = min(below, above) <= 0  # x ends beside y: an overhang runs past its object at both ends
        return (below > m and above > m) or below > m1 or above > m1 or (stops and max(below, above) > m)

    def ends_in(x, y):  # an end of x's section lies in y's section
        xi, yi = np.flatnonzero(x), np.flatnonzero(y)
        return any(yi[0] <= v <= yi[-1] for v in (xi[0], xi[-1]))

    def near(x):  # x or a neighbour along the seam: a diagonal touch
        return x | np.r_[x[1:], False] | np.r_[False, x[:-1]]

    def thin(p):  # a line 1 px wide: a pixel per step along its longer extent
        return 0 < int(p.sum()) <= max(int(p.any(axis=1).sum()), int(p.any(axis=0).sum()))

    def touch(g1, g2):  # the pixel line g1 before the seam (0: just before) beside the line g2 after it
        before = along(ma, oa, s - 1 - g1, s - g1), along(mb, ob, s - 1 - g1, s - g1)
        after = along(ma, oa, s + g2, s + g2 + 1), along(mb, ob, s + g2, s + g2 + 1)
        return (before[0] & near(after[1])).any() or (before[1] & near(after[0])).any()

    if not any(touch(g1, g2) for g1 in range(gap + 1) for g2 in range(gap + 1 - g1)):
        return None
    pa, pb = strip(ma, oa, s - tol - gap, s + tol + gap), strip(mb, ob, s - tol - gap, s + tol + gap)
    sa, sb = pa.any(axis=1), pb.any(axis=1)  # (hi - lo,): each one's section along the seam
    shared = int((sa & sb).sum())
    # a 1-px line lying along the seam (one pixel line across): its section is its length, not a cross-section
    thins = thin(pa), thin(pb)
    along_seam = [t and int(p.any(axis=0).sum()) == 1 for p, t in zip((pa, pb), thins)]
    slivers = [int(p.sum()) for p, a in zip((pa, pb), along_seam) if a]
    if all(thins) and (not slivers or end_to_end(sa, sb)):  # a 1-px line crossing at a slant
        return "meet"
    across = [m.shape[1] if axis == "x" else m.shape[0] for m in (ma, mb)]  # each one's extent across the seam
    sections = int(sa.sum()), int(sb.sum())
    leaving = [not thins[k] and across[k] > long * sections[k] for k in range(2)]  # a wide road leaving the seam
    if any(a and not along_seam[1 - k] and not leaving[1 - k] and passes(x, y)  # beside a car
           for k, (a, x, y) in enumerate(zip(along_seam, (sa, sb), (sb, sa)))):  # (not the seam's other pixel line)
        return None
    if shared == 0:
        return None
    if shared >= min_share * (max(slivers) if slivers else min(sections)):  # a sliver: of its length
        return "meet"
    forks = [a and leaving[1 - k] for k, a in enumerate(along_seam)]  # its length is no cross-section here
    turns = any(f and ends_in(x, y) for f, x, y in zip(forks, (sa, sb), (sb, sa)))  # the line turns into the road
    return "fork" if any(forks) and (turns or shared >= min_share * min(sections)) else None


class SeamIndex:
    """The windows a merger was given (``see``), and the seams between them that no other window sees across
    (``line``): ``TileMerger.seams``."""

    def __init__(self):
        # every window, objects or not, as its span across each axis → its spans along it: what sees across a
        # seam (a scan of every window per seam took 7.0 s of 6400 windows' merge, 1.8 s before it)
        self._spans: dict[str, dict[tuple[int, int], set[tuple[int, int]]]] = {"x": {}, "y": {}}
        self._lines: dict[tuple[Window, Window], Seam | None] = {}  # ``line``'s answers

    def see(self, window: Window) -> None:
        """A window (x0, y0, w, h) of the tiling."""
        x, y, w, h = window
        self._spans["x"].setdefault((x, x + w), set()).add((y, y + h))
        self._spans["y"].setdefault((y, y + h), set()).add((x, x + w))
        self._lines.clear()

    def line(self, wa: Window, wb: Window) -> Seam | None:
        """``seam`` of two windows, None where another window sees across it: at ``--tile 100 --overlap 50``
        windows 0 and 100 abut, but window 50 holds x = 100 inside, and two cars 3 px apart either side of it
        were joined as one object cut there (9 of 500 simulated pairs)."""
        key = (tuple(wa), tuple(wb))
        if key not in self._lines:
            line = seam(wa, wb)
            if line is not None:
                axis, s, lo, hi = line
                if any(a0 < s < a1 and any(o0 < hi and o1 > lo for o0, o1 in along)
                       for (a0, a1), along in self._spans[axis].items()):
                    line = None
            self._lines[key] = line
        return self._lines[key]


def at_seam(index: SeamIndex, a: dict, b: dict, min_share: float, edge_tol: float, longer: bool = False,
            reach: float | None = None) -> bool:
    """Whether views ``a`` and ``b`` from tiles that abut without overlapping (``--overlap 0``) are
    one object cut at the seam between their windows (``index.line``; ``seam_join``); the gap a model left
    between them is kept in ``a["bridges"]`` for a union. An NMS survivor is checked through each view it absorbed
    (its ``views``): a rotated box's corner piece abuts the tile of the view NMS dropped, and was
    kept as a second object. Through an absorbed view the two cross-sections must match
    (``min_share`` of the longer, not the shorter): a ship's corner sliver, absorbed by its
    survivor, is a pixel or two along the next seam, and fitted beside a moored neighbour's section
    (two ships touching or under a pixel apart were one in 6 of 241 pairs in a simulated tour).
    Boxes, oriented boxes and polygons (``longer``) ask half the longer of direct views too, then half the shorter of
    survivors not yet joined to anything in the other's tile (``TileMerger.clusters``' ``lone``): half the
    shorter alone joined moored ships, half the longer alone split single ones. Of 800 simulated
    rotated ships and 747 moored pairs across 100-px tiles, 89 came out wrong with the shorter, 83
    the longer, 41 both (92, 115, 37 with 1-px noise; another draw: 92, 101, 45 and 84, 133, 40);
    as polygons (half as many), 34, 37, 16 (another draw: 44, 46, 12). Plain boxes asked half the shorter
    alone: the box around a rotated car's corner piece, a few px along the seam, joined the next car in a packed
    lot (DOTA P1888's 64 cars at --tile 64/100/128 --overlap 0 came back as 58/60/62, now 63/63/63). With ``reach`` (plain boxes:
    ``box_reach``) each view must come that near the seam, or 2 coordinate bins of the larger window, not
    ``edge_tol``: a box cut there is drawn to the tile's edge, and two cars nose to tail, one ending within
    2 px of it, were one (17 of 1341 simulated pairs at --overlap 0; 6 left, each within 1 px; single boxes
    with ±1 px noise split 2 of 1500 before and after, with ±1.5 px 14 before, 82 after)."""
    from rsvlm.tokens import NUM_BINS

    for va in a.get("views", [a]):
        for vb in b.get("views", [b]):
            line = index.line(va["window"], vb["window"])
            if line is None:
                continue
            tol = edge_tol if reach is None else min(edge_tol, max(reach, 2 * max(
                va["window"][2:] + vb["window"][2:]) / NUM_BINS))  # 2 coordinate bins of the larger window
            same, bridge = seam_join(va["geom"], vb["geom"], line, tol, min_share,
                                     of_longer=longer or (va["order"], vb["order"]) != (a["order"], b["order"]))
            if bridge is not None:
                a.setdefault("bridges", []).append(bridge)
            if same:
                return True
    return False


def slanted(index: SeamIndex, a: dict, b: dict, edge_tol: float) -> bool:
    """Whether plain boxes ``a`` and ``b`` (the merger's views, as ``at_seam``), which no seam or overlap joined
    to anything, are the two pieces of one slanted object cut at an ``--overlap 0`` seam (``slant_join``)."""
    return any(line is not None and slant_join(va["geom"].bounds, vb["geom"].bounds, line, edge_tol)
               for va in a.get("views", [a]) for vb in b.get("views", [b])
               for line in [index.line(va["window"], vb["window"])])
