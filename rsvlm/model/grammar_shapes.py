"""The geometry grammar inside a shape: what each shape costs to close (``SHAPE_COST``, ``poly_cost``,
``rows_cost``) and which locations and closing tags may come next in an open ``<box>``, ``<obb>``,
``<point>``, ``<poly>`` or ``<mask>`` (``inside_shape``): a box's x2 >= x1 and y2 >= y1, an obb's 4th corner
crossing none of its edges (``obb_corner_bins``), a polygon closed at six locations or more, a mask's grid
header, rows and runs within its columns and rows. ``rsvlm.model.grammar`` builds the allowed sets on it."""

from __future__ import annotations

import math

import numpy as np
import torch

from rsvlm.model.grammar_walk import SHAPE_LOCS, GrammarIds, State
from rsvlm.tokens import NUM_BINS

MIN_POLY_LOCS = 6
# fewest tokens from an opening tag to its shape's close: <box>4</box>, …, <mask><grid>6</grid><row> off on </mask>
# (a mask turns one cell on at least: ``decode`` drops one of no pixel)
SHAPE_COST = {"box": 6, "obb": 10, "point": 4, "poly": 2 + MIN_POLY_LOCS, "mask": 13}
CHEAPEST = min(SHAPE_COST.values())  # tokens of the cheapest shape, a <point>: under it none fits
BOX_KINDS = ("box", "obb")  # the shapes of a need_shape ([ground]) answer: DESIGN.md, "one or more boxes"
# tokens of the smallest shape an answer owes (a <box>): under it the grammar owes none, and answering and
# the chat session mark a [ground] answer with no shape cut by the limit
SMALLEST_SHAPE = min(SHAPE_COST[k] for k in BOX_KINDS)


def poly_cost(n: int) -> int:
    """Fewest tokens to close a ``<poly>`` holding ``n`` locations."""
    return 1 + (max(MIN_POLY_LOCS - n, n % 2) if n < MIN_POLY_LOCS or n % 2 else 0)


def rows_cost(done: int, rows: int) -> int:
    """Fewest tokens to close a ``<mask>`` with a cell on and ``done`` of ``rows`` rows written (done >= 1)."""
    return 1 if done >= rows else 3  # </mask>, or <run> K </mask>


def fresh_row(done: int, rows: int) -> float:
    """Fewest tokens to close a ``<mask>`` with no cell on yet, ``done`` of ``rows`` rows written, in a new
    row (``<row>`` off on, then ``rows_cost``); inf where no row is left."""
    return 3 + rows_cost(done + 1, rows) if done < rows else math.inf


def quad_crosses(p: list[int], x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Whether the quad of corners ``p`` (x0 y0 x1 y1 x2 y2, bins) and (``x``, ``y``) (broadcast int arrays) has two
    edges that cross: ``geometry.untangle_quad``'s test (p0–p1 × p2–p3, p1–p2 × p3–p0), exact on the bins."""
    x0, y0, x1, y1, x2, y2 = p

    def turn(ax, ay, bx, by, cx, cy):  # the sign of c's side of line a→b (any of them an array)
        return (bx - ax) * (cy - ay) - (by - ay) * (cx - ax)

    a = (turn(x0, y0, x1, y1, x2, y2) * turn(x0, y0, x1, y1, x, y) < 0) \
        & (turn(x2, y2, x, y, x0, y0) * turn(x2, y2, x, y, x1, y1) < 0)
    b = (turn(x1, y1, x2, y2, x, y) * turn(x1, y1, x2, y2, x0, y0) < 0) \
        & (turn(x, y, x0, y0, x1, y1) * turn(x, y, x0, y0, x2, y2) < 0)
    return a | b


def obb_corner_bins(locs: list[int]) -> torch.Tensor:
    """(NUM_BINS,) bool: the bins an ``<obb>``'s 4th corner may take next, its first 6 or 7 locations written,
    so that no two of its edges cross (``geometry.decode`` would report it and swap two corners). Its y (7
    written): the bins of its column that cross none. Its x (6 written): the columns holding such a bin, never
    none (x0's holds y0: a corner on p0 crosses nothing). A column's crossing bins are two open runs, one either
    side of where line p1–p2 meets it (p3 behind edge p0–p1 seen from p2, or behind p1–p2 seen from p0), so a
    free bin, where there is one, is 0, 999 or one beside that point: six tried per column, not a thousand
    (numpy: a millisecond or less a step, twice an obb)."""
    v = np.arange(NUM_BINS, dtype=np.int64)
    if len(locs) == 7:
        return torch.from_numpy(~quad_crosses(locs[:6], np.full(NUM_BINS, locs[6], dtype=np.int64), v))
    _, _, x1, y1, x2, y2 = locs
    meet = y1 + (v - x1) * (y2 - y1) / (x2 - x1) if x2 != x1 else np.zeros(NUM_BINS)  # line p1-p2 at each column
    near = np.floor(meet).clip(-2, NUM_BINS).astype(np.int64)[:, None] + np.arange(-1, 3)  # floor's error either way
    tried = np.concatenate([np.broadcast_to(np.array([0, NUM_BINS - 1]), (NUM_BINS, 2)), near.clip(0, NUM_BINS - 1)], 1)
    return torch.from_numpy((~quad_crosses(locs[:6], v[:, None], tried)).any(1))


def inside_shape(ids: GrammarIds, s: State, left: int, vocab: int) -> torch.Tensor:
    """(V,) bool: the tokens that may follow in a shape or mask state ``s`` (any mode but text and ref) with
    ``left`` tokens remaining, this one included: only those after which the open shape still closes in time."""

    ok = torch.zeros(vocab, dtype=torch.bool)

    def allow(lo: int, hi: int) -> None:  # the locations lo..hi
        if lo <= hi:
            ok[ids.loc0 + lo: ids.loc0 + hi + 1] = True

    if s.mode == "shape":
        n = len(s.locs)
        want = SHAPE_LOCS.get(s.kind)
        if want is None:  # poly
            if 1 + poly_cost(n + 1) <= left:
                allow(0, NUM_BINS - 1)
            if n >= MIN_POLY_LOCS and n % 2 == 0:
                ok[ids.close["poly"]] = True
        elif s.kind == "obb" and 6 <= n < want:  # the 4th corner: none that crosses two edges (decode swapped it)
            ok[ids.loc0: ids.loc0 + NUM_BINS] = obb_corner_bins(s.locs)
        elif n < want:
            lo = s.locs[n - 2] if s.kind == "box" and n >= 2 else 0  # x2 >= x1, y2 >= y1
            allow(lo, NUM_BINS - 1)
        else:
            ok[ids.close[s.kind]] = True
    elif s.mode == "grid_open":
        ok[ids.grid] = True
    elif s.mode == "head":
        n = len(s.locs)
        lo = s.locs[n - 2] if n in (2, 3) else 1 if n >= 4 else 0
        # R (n == 5): one row closes in </grid><row> off on </mask>, more need <row> off on <run> K </mask>
        hi = NUM_BINS - 1 if n < 5 or left >= 1 + 1 + 6 else 1
        allow(lo, hi)
    elif s.mode == "grid_close":
        ok[ids.grid_end] = True
    elif s.mode == "run":
        rest = s.rows - s.rows_done
        if s.mask_on:
            allow(rest if left < 1 + 3 else 1, rest)  # K < rest leaves <run>K</mask> to write
        else:  # a row is left for the cell owed: K < rest - 1 leaves <row> off on <run> K </mask>
            allow(rest - 1 if left < 1 + 6 else 1, rest - 1)
    else:  # rows: between rows; row: inside a row's runs
        d, on = s.rows_done, s.mask_on
        if s.mode == "row" and s.row_sum < s.cols:
            lo, hi = 0 if s.row_len == 0 else 1, s.cols - s.row_sum
            if on or s.row_len % 2:  # a cell on already, or this run turns one on
                if 1 + rows_cost(d, s.rows) <= left:
                    allow(lo, hi)
            else:  # an off run, with no cell on yet: one leaving a column for it, or a full one and a new row
                if 1 + min(1 + rows_cost(d, s.rows), fresh_row(d, s.rows)) <= left:
                    allow(lo, hi - 1)
                if 1 + fresh_row(d, s.rows) <= left:
                    allow(hi, hi)
        if d < s.rows:
            if d == 0 or 1 + rows_cost(d + 1, s.rows) + (0 if on else 2) <= left:
                ok[ids.row] = True
            if d > 0 and (left >= 1 + 2 if on else s.rows - d >= 2 and left >= 1 + 1 + 4):
                ok[ids.run] = True
        elif on:
            ok[ids.close["mask"]] = True
    return ok
