"""Reading a scene's windows a row at a time, for a PNG or JPEG that GDAL decodes from its first
row at each read (``tiles.run_tiled``).

    read = RowReader(scene, strips=decodes_from_start(scene))
    tile = read((x0, y0, w, h))
"""

from __future__ import annotations

import numpy as np

from rsvlm.io.fills import nodata_share_note
from rsvlm.io.georef import shift_gcps, shift_transform

__all__ = ["RowReader", "decodes_from_start"]

Window = tuple[int, int, int, int]  # (x0, y0, w, h)


def decodes_from_start(scene) -> bool:
    """Whether a ``SceneReader``'s file is one GDAL decodes from its first row at each read that
    starts above its last (PNG, JPEG, GIF, WebP: ``sources.WHOLE_DECODED``): once a tile's rows
    outgrow GDAL's block cache (``ReadConfig.gdal_cache_mb``), every window re-decodes the scene
    above it."""
    from rsvlm.io.sources import WHOLE_DECODED

    return any(getattr(d, "driver", None) in WHOLE_DECODED for d in getattr(scene.src, "datasets", ()))


class RowReader:
    """``read(window)`` of a scene; with ``strips``, a row of windows is cut from one read of the
    scene's full width (kept until a window of another row is asked for): one decode per row of
    windows, not one per window, for a file that ``decodes_from_start``."""

    def __init__(self, scene, strips: bool):
        self.scene, self.strips = scene, strips
        self._rows, self._strip = None, None  # (y0, h) of the strip held, and its RSImage (C, h, W)
        self._notes: list[str] = []  # the strip's notes, for the windows cut from it

    def __call__(self, window: Window):
        if not self.strips:
            return self._read(window)
        from dataclasses import replace

        x0, y0, w, h = window
        if self._rows != (y0, h):
            self._strip, self._rows = None, None  # the last row's strip freed before the next is read
            self._strip, self._rows = self._read((0, y0, self.scene.width, h)), (y0, h)
            share = nodata_share_note(self._strip.valid, tiled=True) if self._strip.window is None else None
            self._notes = [n for n in self._strip.notes if n != share]  # a whole strip's (one row of windows): the
        s = self._strip  # scene's nodata share, said of a whole read, not of each window cut from it
        if (x0, w) == (0, s.width):
            return s
        return replace(s, data=np.ascontiguousarray(s.data[:, :, x0 : x0 + w]),  # (C, h, w)
                       valid=None if s.valid is None else np.ascontiguousarray(s.valid[:, x0 : x0 + w]),
                       transform=shift_transform(s.transform, x0, 0), gcps=shift_gcps(s.gcps, x0, 0),
                       notes=list(self._notes), window=(x0, y0, w, h))

    def _read(self, window: Window):
        """The scene's read of ``window``; a whole one as a tiled run's (``SceneReader.read``'s ``tiled``: a one-tile
        run's nodata note advises a smaller --tile), the only read whose words that changes."""
        if tuple(window) == (0, 0, self.scene.width, self.scene.height):
            return self.scene.read(window, tiled=True)
        return self.scene.read(window)
