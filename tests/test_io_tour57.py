"""Rough-edge tour 57 of image I/O: constant bands on display, display bands by name for every
modality, integer SAR stored as dB × 100, grid masks decoded once per overlay."""

from __future__ import annotations

import numpy as np
import pytest

from rsvlm.io import RSImage, draw_overlay


def _img(data, modality, bands, valid=None):
    return RSImage(data=np.asarray(data, np.float32), modality=modality, bands=bands, path="synthetic", valid=valid)


def test_an_overlay_rasterises_each_grid_mask_once(tmp_path, monkeypatch):
    """Each grid mask was rasterised 3 times (placing it, filling it, labelling it): 200 masks of a
    2048 px overlay took 600 grid_to_mask calls."""
    import rsvlm.geometry.grid as grid

    masks = []
    for k in range(3):
        m = np.zeros((64, 64), bool)
        m[10 + 15 * k : 20 + 15 * k, 5:40] = True
        masks.append({"kind": "mask", "label": "field", "coords": grid.grid_from_mask(m, budget=200)})
    calls, real = [], grid.grid_to_mask
    monkeypatch.setattr(grid, "grid_to_mask", lambda *a, **k: calls.append(1) or real(*a, **k))
    out = draw_overlay(_img(np.zeros((3, 64, 64)), "optical", ["R", "G", "B"]), masks, tmp_path / "o.png", min_side=64)
    assert len(calls) == 3
    from PIL import Image

    drawn = np.asarray(Image.open(out))  # (64, 64, 3): each mask filled where it lies
    assert all(drawn[15 + 15 * k, 20].any() for k in range(3)) and not drawn[60, 60].any()
