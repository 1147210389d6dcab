"""The grid run-length mask form: a raster mask written with ``<grid>``, ``<row>``, ``<run>``
and ``<loc_N>`` tokens.

Grammar (N, values written as ``<loc_N>``)::

    <mask><grid> X1 Y1 X2 Y2 C R </grid> ROW ... </mask>
    ROW := <row> L1 L2 L3 ...        run lengths, alternately off, on, off, ... (first may be 0)
         | <run> K                   the previous row again, K more times (K >= 1)

* ``X1 Y1 X2 Y2`` are the inclusive bin range of the grid's box: it covers pixels
  ``[X1/1000*W, (X2+1)/1000*W) x [Y1/1000*H, (Y2+1)/1000*H)``. The encoder picks the bins that
  hold the centres of the mask's outer pixels, so the box is tight.
* ``C`` columns and ``R`` rows (1..999) split the box's pixels evenly: of the n pixel columns
  whose centres fall in the box, the k-th belongs to cell column ``floor(k * C / n)`` (rows
  alike). A pixel is on when its cell is; so the mask is exact when C and R equal the box's
  pixel width and height, and block-shaped below that.
* A row's runs add up to at most C; the rest of the row is off (a trailing off run is never
  written, an empty row is a bare ``<row>``). There are exactly R rows after ``<run>`` expansion.
* Location tokens: 6 for the header plus one per run length and one per ``<run>`` repeat.
  ``<row>``/``<run>`` tags are extra (reported as total tokens by the study, not budgeted).

Cannot: hold more than 999 cells per side, or anything finer than a bin at the box's edges.
"""

from __future__ import annotations

import numbers

import numpy as np

from rsvlm.geometry.shapes import NUM_BINS, blank_mask, ordered_box, quantize

MAX_CELLS = NUM_BINS - 1  # C and R are written as <loc_C>, <loc_R>
RLE_ADVICE = ("decode it first, pycocotools.mask.decode(rle), a (height, width) array of 0/1, and give that as the "
              "object's 'mask'")  # what to do with a COCO segmentation's {'size', 'counts'}


def _extent(bins: list[int], width: int, height: int) -> list[float]:
    x1, y1, x2, y2 = bins
    # bin·size first: an exact integer, so a box edge on a pixel centre is that centre, not 1 ulp past it
    return [x1 * width / NUM_BINS, y1 * height / NUM_BINS, (x2 + 1) * width / NUM_BINS, (y2 + 1) * height / NUM_BINS]


def box_bins(box: list[float], width: int, height: int) -> list[int]:
    """Inverse of the extent: the bins whose centres lie inside a grid box given in pixels."""
    hx, hy = 0.5 * width / NUM_BINS, 0.5 * height / NUM_BINS
    return [quantize(box[0] + hx, width), quantize(box[1] + hy, height),
            quantize(box[2] - hx, width), quantize(box[3] - hy, height)]


def _cells(n_pix: int, lo: float, hi: float, cells: int) -> np.ndarray:
    """Cell index of each pixel along one axis, -1 outside. Shape (n_pix,).

    The n pixels whose centres lie in ``[lo, hi)`` are split into ``cells`` nearly equal
    groups: the k-th goes to cell ``floor(k * cells / n)``, so cells == n is exact.
    """
    c = np.arange(n_pix) + 0.5
    inside = (c >= lo) & (c < hi)
    n = int(inside.sum())
    idx = np.full(n_pix, -1, dtype=np.int64)
    idx[inside] = np.arange(n) * cells // max(n, 1)
    return idx


def row_runs(row: np.ndarray) -> list[int]:
    """Run lengths of one bool row, off first, trailing off run dropped."""
    runs, cur, n = [], False, 0
    for v in row.tolist():
        if v == cur:
            n += 1
        else:
            runs.append(n)
            cur, n = v, 1
    if cur:
        runs.append(n)
    return runs


def _row_blocks(cells: np.ndarray) -> list[tuple[list[int], int]]:
    """(runs, repeat) per block of identical consecutive rows of a (R, C) bool array."""
    blocks: list[tuple[list[int], int]] = []
    prev = None
    for r in range(cells.shape[0]):
        row = cells[r]
        if prev is not None and np.array_equal(row, prev) and blocks[-1][1] < MAX_CELLS:
            blocks[-1] = (blocks[-1][0], blocks[-1][1] + 1)
        else:
            blocks.append((row_runs(row), 0))
        prev = row
    return blocks


def loc_count(cells: np.ndarray) -> int:
    """Location tokens the grid of (R, C) bool cells costs, header included."""
    return 6 + sum(len(runs) + (1 if rep else 0) for runs, rep in _row_blocks(cells))


def _downsample(mask: np.ndarray, bins: list[int], cols: int, rows: int) -> np.ndarray:
    """(H, W) bool -> (rows, cols) bool, a cell on when at least half its pixels are (or, if
    none is, the single fullest cell)."""
    h, w = mask.shape
    x0, y0, x1, y1 = _extent(bins, w, h)
    ci, ri = _cells(w, x0, x1, cols), _cells(h, y0, y1, rows)
    cs, rs = np.nonzero(ci >= 0)[0], np.nonzero(ri >= 0)[0]
    sub = mask[np.ix_(rs, cs)]  # (r, c) pixels inside the box
    cid = (ri[rs][:, None] * cols + ci[cs][None, :]).ravel()
    tot = np.bincount(cid, minlength=rows * cols)
    on = np.bincount(cid, weights=sub.ravel().astype(np.float64), minlength=rows * cols)
    cells = (on * 2 >= tot) & (tot > 0)
    if not cells.any():  # never let a coarse grid lose the whole instance: keep its fullest cell
        cells[np.argmax(on / np.maximum(tot, 1))] = True
    return cells.reshape(rows, cols)


def grid_from_mask(mask: np.ndarray, budget: int, within: tuple[slice, slice] | None = None) -> dict:
    """Encode a (H, W) bool mask as one grid of at most ``budget`` location tokens.

    Returns grid coords ``{"box": [x0, y0, x1, y1] pixels, "size": [C, R], "rows": [runs, ...]}``.
    The finest grid (with the box's pixel aspect) that fits the budget wins. Raises ValueError
    on an empty mask or a budget under 8 (header plus one row). ``within`` (row and column slices
    holding every on pixel, ``ndimage.find_objects``') only spares a search of the whole mask.
    """
    h, w = mask.shape
    sy, sx = within or (slice(0, h), slice(0, w))
    ys, xs = np.nonzero(mask[sy, sx])  # (n,), (n,) in the window
    ys, xs = ys + (sy.start or 0), xs + (sx.start or 0)
    if len(xs) == 0:
        raise ValueError("cannot encode an empty mask as a grid")
    if budget < 8:
        raise ValueError(f"grid budget {budget} is below the minimum of 8 location tokens")
    bins = [quantize(xs.min() + 0.5, w), quantize(ys.min() + 0.5, h), quantize(xs.max() + 0.5, w), quantize(ys.max() + 0.5, h)]
    x0, y0, x1, y1 = _extent(bins, w, h)
    cmax = max(1, min(MAX_CELLS, int((_cells(w, x0, x1, 1) >= 0).sum())))
    rmax = max(1, min(MAX_CELLS, int((_cells(h, y0, y1, 1) >= 0).sum())))

    def at(scale: float) -> np.ndarray:
        return _downsample(mask, bins, max(1, round(cmax * scale)), max(1, round(rmax * scale)))

    best = at(1.0)
    if loc_count(best) > budget:
        lo, hi, best = 0.0, 1.0, at(0.0)
        for _ in range(14):  # bisection on the scale; keeps the finest grid seen that fits
            mid = (lo + hi) / 2
            cells = at(mid)
            if loc_count(cells) <= budget:
                lo = mid
                if cells.size > best.size:
                    best = cells
            else:
                hi = mid
    return {"box": [x0, y0, x1, y1], "size": [best.shape[1], best.shape[0]], "rows": [row_runs(r) for r in best]}


def _whole(v, what: str) -> int:
    """``v`` as an int: a whole number (2 or 2.0, numpy's too), never a bool or 2.5 (was truncated)."""
    if isinstance(v, bool) or not isinstance(v, numbers.Real) or not float(v).is_integer():
        raise ValueError(f"{what} must be a whole number, got {v!r}")
    return int(v)


def grid_cells(coords: dict) -> np.ndarray:
    """Grid coords -> (R, C) bool cells. Raises ValueError on malformed coords."""
    missing = [k for k in ("size", "rows") if k not in coords]
    if "counts" in coords and "rows" not in coords:  # "'rows' is missing" said nothing of what it is
        raise ValueError(f"grid coords need 'box', 'size' and 'rows'; these are a COCO run-length ('size', 'counts'): "
                         f"{RLE_ADVICE}")
    if missing:
        raise ValueError(f"grid coords need 'box', 'size' and 'rows'; {missing[0]!r} is missing")
    c, r = (_whole(v, "grid size") for v in coords["size"])
    rows = coords["rows"]
    if not (1 <= c <= MAX_CELLS and 1 <= r <= MAX_CELLS) or len(rows) != r:
        raise ValueError(f"grid size {c}x{r} does not fit its {len(rows)} rows (sizes 1..{MAX_CELLS})")
    out = np.zeros((r, c), dtype=bool)
    for i, runs in enumerate(rows):
        runs = [_whole(v, f"grid row {i}: a run length") for v in runs]
        if sum(runs) > c or any(v < 0 for v in runs):
            raise ValueError(f"grid row {i}: runs {runs} do not fit {c} columns")
        pos = 0
        for k, n in enumerate(runs):
            if k % 2:
                out[i, pos:pos + n] = True
            pos += n
    return out


def grid_to_mask(coords: dict, width: int, height: int, out: np.ndarray | None = None) -> np.ndarray:
    """Rasterise grid coords onto a (height, width) bool mask; ``out``: such a mask to set its pixels in (OR-ed),
    returned (objects_to_mask's: a full-size mask an object, OR-ed in, took 0.16 s each at 20000 x 20000 px)."""
    cells = grid_cells(coords)
    x0, y0, x1, y1 = coords["box"]
    if not (x1 > x0 and y1 > y0):
        raise ValueError(f"grid box {coords['box']} is empty")
    ci = _cells(width, x0, x1, cells.shape[1])
    ri = _cells(height, y0, y1, cells.shape[0])
    xs, ys = np.flatnonzero(ci >= 0), np.flatnonzero(ri >= 0)  # the box's pixels: one run along each axis
    out = blank_mask(width, height) if out is None else out
    if len(xs) and len(ys):  # only the box is looked up (a whole-image lookup cost H·W per mask)
        out[ys[0]: ys[-1] + 1, xs[0]: xs[-1] + 1] |= cells[np.ix_(ri[ys], ci[xs])]
    return out


def grid_tokens(coords: dict, width: int, height: int) -> list[str | int]:
    """Grid coords -> the token items between <mask> and </mask>: tag strings and loc ints. ValueError where
    no cell is on (an object of no pixel: decode drops it, and the grammar never writes one)."""
    cells = grid_cells(coords)
    if not cells.any():
        raise ValueError(f"grid {cells.shape[1]}x{cells.shape[0]} has no cell on (an object of no pixel; "
                         "leave it out, as an empty 'mask' array is)")
    if "box" not in coords:
        raise ValueError("grid coords need 'box', 'size' and 'rows'; 'box' is missing")
    try:
        box = [] if isinstance(coords["box"], (str, bytes)) else [float(v) for v in coords["box"]]
    except (TypeError, ValueError):
        box = []
    if len(box) != 4 or not all(np.isfinite(box)):
        raise ValueError(f"grid box must be 4 finite numbers [x1, y1, x2, y2], got {coords['box']!r}")
    bins = box_bins(box, width, height)
    if bins[2] < bins[0] or bins[3] < bins[1]:  # decode would report the header (and swap it)
        raise ValueError(f"grid box {coords['box']!r} is empty, inverted or narrower than a bin")
    items: list[str | int] = ["<grid>", *bins, cells.shape[1], cells.shape[0], "</grid>"]
    for runs, rep in _row_blocks(cells):
        items += ["<row>", *runs]
        if rep:
            items += ["<run>", rep]
    return items


def parse_grid(items: list[str | int], width: int, height: int) -> tuple[dict | None, list[str]]:
    """Token items between <mask> and </mask> -> (grid coords or None, problems). Never raises. None where
    the header is unusable, or no cell is on (``<row><row>``: an object of no pixel)."""
    probs: list[str] = []
    if not items or items[0] != "<grid>":
        return None, ["<mask> does not start with <grid>"]
    try:
        end = items.index("</grid>")
    except ValueError:
        return None, ["<grid> header is not closed by </grid>"]
    head = items[1:end]
    if len(head) != 6 or not all(isinstance(v, int) for v in head):
        return None, [f"<grid> header needs 6 location tokens, got {head!r}"]
    x1, y1, x2, y2, c, r = head
    if c < 1 or r < 1:
        return None, [f"<grid> size {c}x{r} has no cells"]
    if x1 > x2 or y1 > y2:
        from rsvlm.geometry.codec import REPAIRED  # here: codec imports this module

        probs.append(f"<grid> box {head[:4]} has x1>x2 or y1>y2{REPAIRED}")
        x1, y1, x2, y2 = ordered_box([x1, y1, x2, y2])
    rows: list[list[int]] = []  # the first r rows; ``total`` counts them all
    total, last = 0, None  # rows written (<run> repeats included), the last row's runs
    i, body = 0, items[end + 1:]
    while i < len(body):
        t = body[i]
        if t == "<row>":
            j = i + 1
            while j < len(body) and isinstance(body[j], int):
                j += 1
            runs = list(body[i + 1:j])
            if 0 in runs[1:]:  # encode writes a 0 run only first (a row that opens on): a token doubled?
                probs.append(f"<mask> row {total}: a run of 0 after the first (never written: a token doubled?); "
                             "read as written")
            if sum(runs) > c:
                probs.append(f"<mask> row {total}: runs {runs} exceed {c} columns; cut")
                keep, tot = [], 0
                for v in runs:
                    keep.append(min(v, c - tot))
                    tot += keep[-1]
                runs = keep
            last, total = runs, total + 1
            rows += [runs][:r - len(rows)]
            i = j
        elif t == "<run>":
            if last is None or i + 1 >= len(body) or not isinstance(body[i + 1], int) or body[i + 1] < 1:
                probs.append(f"<mask> <run> at row {total} has no previous row or no count >= 1; ignored")
                i += 1
                continue
            # a free-decoded run of <run><loc_999> made 999 row lists per token, all but r of them cut
            rows += [list(last) for _ in range(min(body[i + 1], r - len(rows)))]
            total += body[i + 1]
            i += 2
        else:
            probs.append(f"<mask> unexpected {_show(t)} between rows; ignored")
            i += 1
    if total != r:
        probs.append(f"<mask> has {total} rows, header says {r}; {'cut' if total > r else 'padded with empty rows'}")
        rows += [[] for _ in range(r - len(rows))]
    if not any(v > 0 for runs in rows for v in runs[1::2]):  # no on run: an object of no pixel, which encode refuses
        return None, probs + [f"<mask> grid {c}x{r} has no cell on (no run in any row); dropped"]
    box = _extent([x1, y1, x2, y2], width, height)
    return {"box": box, "size": [c, r], "rows": rows}, probs


def _show(t: str | int) -> str:
    return f"<loc_{t}>" if isinstance(t, int) else repr(t) if not t.startswith("<") else t

