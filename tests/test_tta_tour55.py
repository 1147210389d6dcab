"""Rough edges of test-time augmentation (rsvlm.tta, rsvlm.fusion) found on a user's tour: near-square
oriented boxes, records whose images differ in size, view answers that do not parse."""

from __future__ import annotations

import numpy as np
import pytest

from rsvlm import fusion, geometry, tta


def _rbox(cx, cy, w, h, deg, label=None):
    return {"kind": "obb", "label": label, "coords": geometry.rbox_to_quad(cx, cy, w, h, deg)}


def test_a_near_square_obb_averages_with_one_whose_long_side_is_the_other():
    # a storage tank: 20 x 19 at 30°, and the same tank read 19 x 20 (its long side at 120°); the
    # doubled-angle mean of 30° and 120° cancelled, and the average came out turned to 67.5°
    a, b = _rbox(50, 50, 20, 19, 30), _rbox(50, 50, 19, 20, 30)
    assert geometry.polygon_iou(a["coords"], b["coords"]) > 0.9
    assert fusion._rect(b["coords"])[3] % np.pi == pytest.approx(np.radians(120))
    out = fusion.average([a, b])
    for o in (a, b):
        assert geometry.polygon_iou(out["coords"], o["coords"]) > 0.9
    c, along, across, angle = fusion._rect(out["coords"])
    assert c == pytest.approx([50, 50]) and {round(along, 6), round(across, 6)} == {19.5}
    # an elongated box averaged with itself turned by 180° and with corners listed from elsewhere
    q = _rbox(30, 25, 10, 3, 100)
    turned = {**q, "coords": q["coords"][2:] + q["coords"][:2]}
    assert geometry.polygon_iou(fusion.average([q, turned, _rbox(30, 25, 10, 3, 280)])["coords"], q["coords"]) \
        == pytest.approx(1)
