"""Reading a scene's windows a row at a time, for a PNG or JPEG that GDAL decodes from its first
row at each read (``tiles.run_tiled``).

    read = RowReader(scene, strips=decodes_from_start(scene))
    tile = read((x0, y0, w, h))
"""

from __future__ import annotations

import numpy as np

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

    def __call__(self, window: Window):
        x0, y0, w, h = window
        if tuple(window) == (0, 0, self.scene.width, self.scene.height):  # a one-tile run: its whole read, as a tiled
            return self.scene.read(window, tiled=True)  # run's (a nodata note advises a smaller --tile)
        if not self.strips:
            return self.scene.read(window)
        from dataclasses import replace

        if self._rows != (y0, h):
            self._strip, self._rows = None, None  # the last row's strip freed before the next is read
            # a strip of the scene's whole height read with no nodata share: that is said of a whole read, not of
            # the windows cut from it (the reader owns the note; it had been rebuilt here to be taken out)
            self._strip, self._rows = self.scene.read((0, y0, self.scene.width, h), share=False), (y0, h)
        s = self._strip
        if (x0, w) == (0, s.width):  # (not the whole scene: read above)
            return s
        return replace(s, data=np.ascontiguousarray(s.data[:, :, x0 : x0 + w]),  # (C, h, w)
                       valid=None if s.valid is None else np.ascontiguousarray(s.valid[:, x0 : x0 + w]),
                       transform=shift_transform(s.transform, x0, 0), gcps=shift_gcps(s.gcps, x0, 0),
                       notes=list(s.notes), window=(x0, y0, w, h),
                       stretch=None if s.stretch is None else [list(b) for b in s.stretch])  # each window's own copy
