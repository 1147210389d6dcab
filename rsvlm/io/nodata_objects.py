"""Objects drawn wholly on nodata pixels (a scene's collar): kept and counted for a note, or left out
(predict's ``--on-nodata drop``) and counted for another.

    n = count_on_nodata(objects, img.valid, scale=(img.width / scene_w, img.height / scene_h))  # one image, whole
    flags = on_nodata(objects, img.valid, scale)  # which of them: True where wholly on nodata
    seen = ValidityMap(); seen.see(window, tile.valid) ...; seen.count(objects)  # a tiled scene (.on_nodata too)

An object is "on nodata" where every pixel of its bounding box (its mask's pixels, for a mask) is nodata:
a rotated box or polygon whose box reaches a valid pixel is not counted (cannot: its exact outline).
An object off the image is not counted. Nodata has no pixels to see, so a model's shape there is a
guess; it is kept unless the caller drops it, and said once per scene either way.
"""

from __future__ import annotations

import math

import numpy as np

from rsvlm.progress import counted

__all__ = ["nodata_note", "dropped_note", "count_on_nodata", "on_nodata", "ValidityMap"]


def nodata_note(n: int) -> str:
    """The note for ``n`` objects on nodata: "note: 1 object lies wholly on nodata pixels (kept; ...)",
    "note: 3 objects lie …"."""
    return f"note: {counted(n, 'object', 'lies/lie')} wholly on nodata pixels (kept; the image has no data there)"


def dropped_note(n: int) -> str:
    """The note for ``n`` objects on nodata left out (``--on-nodata drop``)."""
    return f"note: {counted(n, 'object')} wholly on nodata pixels left out (--on-nodata drop; the image has no data there)"


def _pixels(obj: dict, scale: float | tuple[float, float] = 1.0
            ) -> tuple[int, int, int, int, np.ndarray | None] | None:
    """The pixel span (x0, y0, x1, y1), end exclusive, of ``obj`` at ``scale`` (image px per object px: one
    number, or (x, y) for a read shrunk to other ratios across and down), and its mask (h, w) where it is one
    (a mask read at another scale: the image pixels its pixels' centres fall in); None for an empty mask or an
    object of no geometry."""
    from rsvlm.io.georef import mask_array, object_geometry

    sx, sy = (scale, scale) if isinstance(scale, (int, float)) else scale
    try:
        if obj.get("kind") == "mask":
            m, (x0, y0) = mask_array(obj)  # (h, w)
            if m.ndim != 2 or not m.any():
                return None
            if (sx, sy) == (1.0, 1.0):
                return x0, y0, x0 + m.shape[1], y0 + m.shape[0], m
            # a shrunk read: each pixel to the image pixel its centre falls in, a run of rows (columns) at a time
            # (no index per pixel: a scene-wide mask has 10^8)
            ry, rx = (np.floor((np.arange(n) + o + 0.5) * f).astype(int) for n, o, f in
                      ((m.shape[0], y0, sy), (m.shape[1], x0, sx)))
            at_r, at_c = (np.flatnonzero(np.r_[True, r[1:] != r[:-1]]) for r in (ry, rx))  # each run's start
            runs = np.logical_or.reduceat(np.logical_or.reduceat(m, at_r, axis=0), at_c, axis=1)
            shrunk = np.zeros((ry[-1] - ry[0] + 1, rx[-1] - rx[0] + 1), bool)
            shrunk[np.ix_(ry[at_r] - ry[0], rx[at_c] - rx[0])] = runs
            return int(rx[0]), int(ry[0]), int(rx[-1]) + 1, int(ry[-1]) + 1, shrunk
        g = object_geometry(obj)
    except (ValueError, TypeError, IndexError):
        return None  # a garbled object: its problem is said where it was decoded
    if g is None or g.is_empty:
        return None
    bx0, by0, bx1, by1 = g.bounds
    x0, y0 = math.floor(bx0 * sx), math.floor(by0 * sy)
    return x0, y0, max(math.ceil(bx1 * sx), x0 + 1), max(math.ceil(by1 * sy), y0 + 1), None  # a point: its pixel


def _on_nodata(span, valid: np.ndarray) -> bool:
    """Whether the pixels of ``span`` (``_pixels``) inside ``valid`` (H, W) are all nodata; False off the image."""
    x0, y0, x1, y1, m = span
    h, w = valid.shape
    cx0, cy0, cx1, cy1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
    if cx0 >= cx1 or cy0 >= cy1:
        return False  # off the image: not a nodata matter
    seen = valid[cy0:cy1, cx0:cx1]
    if m is not None:
        seen = seen & m[cy0 - y0 : cy1 - y0, cx0 - x0 : cx1 - x0]
    return not seen.any()


def on_nodata(objects: list[dict], valid: np.ndarray | None, scale: float | tuple[float, float] = 1.0
              ) -> list[bool]:
    """Whether each of ``objects`` (in the image's pixels divided by ``scale``: one number, or (x, y) as
    ``_pixels``) lies wholly on the nodata of ``valid`` (bool (H, W), False at nodata; None: no nodata)."""
    if valid is None:
        return [False] * len(objects)
    return [span is not None and _on_nodata(span, valid) for span in (_pixels(o, scale) for o in objects)]


def count_on_nodata(objects: list[dict], valid: np.ndarray | None, scale: float | tuple[float, float] = 1.0
                    ) -> int:
    """How many of ``objects`` lie wholly on the nodata of ``valid`` (``on_nodata``)."""
    return sum(on_nodata(objects, valid, scale))


class ValidityMap:
    """Which pixels of a tiled scene hold data, from the windows read (``see``): windows with nodata kept
    (a collar's edge windows as bit-packed masks, all-nodata windows as their extent), so that ``count`` can
    tell merged objects drawn wholly on nodata, and ``mostly_nodata`` the windows asked that are largely nodata.
    ``drop``: the caller leaves them out (``on_nodata`` says which), so ``count``, of those kept, is 0
    (``TileMerger``'s note "… (kept; …)" is not said)."""

    def __init__(self, drop: bool = False):
        self.drop = drop
        self._windows: list[tuple[int, int, int, int]] = []  # (x0, y0, x1, y1) of every window seen
        self._state: list[int] = []  # 1 all valid, 0 all nodata, 2 partial (its mask in ``_masks``)
        self._masks: dict[int, tuple[np.ndarray, int]] = {}  # bits packed per row (h, ceil(w / 8)), w
        self._shares: dict[int, float] = {}  # a partial window's share of nodata pixels (0 < share < 1)

    @property
    def any_nodata(self) -> bool:
        return any(s != 1 for s in self._state)

    def see(self, window, valid: np.ndarray | None) -> None:
        """A window (x0, y0, w, h) read, and its ``valid`` (h, w) or None (every pixel valid)."""
        x, y, w, h = (int(v) for v in window)
        state = 1 if valid is None or valid.all() else 0 if not valid.any() else 2
        if state == 2:
            self._masks[len(self._state)] = (np.packbits(valid, axis=1), valid.shape[1])
            self._shares[len(self._state)] = 1.0 - np.count_nonzero(valid) / valid.size  # as nodata_share_note counts
        self._windows.append((x, y, x + w, y + h))
        self._state.append(state)

    @property
    def n_asked(self) -> int:
        """How many windows seen hold a valid pixel (those ``run_tiled`` gives the model)."""
        return sum(s != 0 for s in self._state)

    def mostly_nodata(self, share: float) -> tuple[int, float, tuple[int, int, int, int] | None]:
        """How many windows seen are ``share`` (0-1) or more nodata but not wholly (a wholly nodata one is not
        asked), the largest share of nodata among them, and its window (x0, y0, w, h): (0, 0.0, None) where none."""
        over = [(v, i) for i, v in self._shares.items() if v >= share]
        if not over:
            return 0, 0.0, None
        worst, i = max(over, key=lambda vi: (vi[0], -vi[1]))  # the first seen of equal shares
        x0, y0, x1, y1 = self._windows[i]
        return len(over), worst, (x0, y0, x1 - x0, y1 - y0)

    def _has_data(self, span, win: np.ndarray) -> bool:
        """Whether a valid pixel lies in ``span`` (``_pixels``); ``win``: the windows seen, (N, 4)."""
        x0, y0, x1, y1, m = span
        hit = np.flatnonzero((win[:, 0] < x1) & (win[:, 2] > x0) & (win[:, 1] < y1) & (win[:, 3] > y0))
        if not len(hit):
            return True  # off the scene: not a nodata matter
        if m is None and any(self._state[i] == 1 for i in hit):  # a box in a window of data alone
            return True
        for i in hit:
            wx0, wy0, wx1, wy1 = self._windows[i]
            if self._state[i] == 0:
                continue
            ry0, ry1 = max(y0, wy0) - wy0, min(y1, wy1) - wy0  # only the rows the object spans: not the window
            if self._state[i] == 1:
                valid = np.ones((ry1 - ry0, wx1 - wx0), bool)
            else:
                bits, w = self._masks[i]
                valid = np.unpackbits(bits[ry0:ry1], axis=1, count=w).astype(bool)  # (rows, w)
            if not _on_nodata((x0 - wx0, y0 - wy0 - ry0, x1 - wx0, y1 - wy0 - ry0, m), valid):
                return True
        return False

    def on_nodata(self, objects: list[dict]) -> list[bool]:
        """Whether each of ``objects`` (scene pixels) lies wholly on nodata pixels of the windows seen."""
        if not self.any_nodata:
            return [False] * len(objects)
        win = np.array(self._windows).reshape(-1, 4)  # (N, 4) x0, y0, x1, y1
        return [span is not None and not self._has_data(span, win) for span in map(_pixels, objects)]

    def count(self, objects: list[dict]) -> int:
        """How many of ``objects`` (scene pixels) lie wholly on nodata pixels of the windows seen and are kept
        (0 where ``drop``)."""
        return 0 if self.drop else sum(self.on_nodata(objects))

