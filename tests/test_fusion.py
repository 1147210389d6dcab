"""Fusing several views' answers into one (rsvlm.fusion): single shapes, many shapes, masks."""

from __future__ import annotations

import math

import numpy as np
import pytest
from geometry_helpers import measured

from rsvlm import fusion, geometry
from rsvlm.tta import FuseConfig


def _box(x1, y1, x2, y2, label=None, score=None):
    o = {"kind": "box", "label": label, "coords": [x1, y1, x2, y2]}
    return o if score is None else {**o, "score": score}


def test_single_shapes_vote_for_the_object_then_average_the_agreeing_views():
    views = [_box(10, 10, 20, 20), _box(60, 60, 70, 70), _box(12, 10, 22, 20), _box(11, 12, 21, 22)]
    out = fusion.fuse_single(views, FuseConfig())
    assert out["coords"] == pytest.approx([11, 32 / 3, 21, 62 / 3])  # the outlier left out
    # the identity view alone on its object loses the vote
    views = [_box(60, 60, 70, 70), _box(10, 10, 20, 20), _box(12, 10, 22, 20), _box(11, 12, 21, 22)]
    assert fusion.fuse_single(views, FuseConfig())["coords"] == pytest.approx([11, 32 / 3, 21, 62 / 3])
    pts = [{"kind": "point", "coords": [10, 10]}, {"kind": "point", "coords": [11, 10]},
           {"kind": "point", "coords": [50, 50]}, {"kind": "point", "coords": [10, 11]}]
    assert fusion.fuse_single(pts, FuseConfig())["coords"] == pytest.approx([31 / 3, 31 / 3])


def _rbox(cx, cy, long_, short, deg):
    return {"kind": "obb", "label": None, "coords": geometry.rbox_to_quad(cx, cy, long_, short, deg)}


def _angle(o) -> float:
    return math.degrees(measured(o["coords"])[3]) % 180


def test_oriented_boxes_average_centre_sides_and_angle_modulo_180():
    out = fusion.average([_rbox(20, 20, 12, 4, 10), _rbox(22, 20, 14, 4, -10)])
    c, long_, short, _ = measured(out["coords"])
    assert c == pytest.approx([21, 20]) and long_ == pytest.approx(13) and short == pytest.approx(4)
    assert _angle(out) == pytest.approx(0, abs=1e-6) or _angle(out) == pytest.approx(180, abs=1e-6)
    # 89° and 91° (= -89°) are 2° apart: their mean is vertical, not horizontal
    assert _angle(fusion.average([_rbox(20, 20, 12, 4, 89), _rbox(20, 20, 12, 4, -89)])) == pytest.approx(90)
    # corner order does not matter: the same box listed from another corner averages to itself
    q = _rbox(30, 25, 10, 3, 30)
    rolled = {**q, "coords": q["coords"][2:] + q["coords"][:2]}
    assert geometry.polygon_iou(fusion.average([q, rolled])["coords"], q["coords"]) == pytest.approx(1)


def test_many_shapes_keep_what_most_views_find_scored_by_support():
    a, b = _box(10, 10, 20, 20, "ship", 0.9), _box(50, 50, 60, 60, "ship", 0.6)
    c = _box(10, 10, 20, 20, "plane", 0.8)  # at a's place but another label: its own cluster
    views = [[a, b, c], [_box(11, 10, 21, 20, "ship", 0.7), b], [a], [_box(30, 30, 35, 35, "ship", 0.5)]]
    out = fusion.fuse_many(views, FuseConfig(min_views=2))
    assert len(out) == 2
    ship_a = next(o for o in out if o["coords"][0] < 30)
    assert ship_a["coords"] == pytest.approx([31 / 3, 10, 61 / 3, 20])
    assert ship_a["score"] == pytest.approx((0.9 + 0.7 + 0.9) / 3 * 3 / 4)
    assert next(o for o in out if o["coords"][0] > 40)["score"] == pytest.approx(0.6 * 2 / 4)
    assert len(fusion.fuse_many(views, FuseConfig(min_views=1))) == 4  # c and the stray box as well
    assert len(fusion.fuse_many(views, FuseConfig(min_views=3))) == 1
    # views that found nothing lower the score: a is found by 3 of 8
    more = fusion.fuse_many(views + [[]] * 4, FuseConfig(min_views=2))
    assert next(o for o in more if o["coords"][0] < 30)["score"] == pytest.approx((0.9 + 0.7 + 0.9) / 3 * 3 / 8)


def test_masks_keep_the_pixels_most_views_cover():
    w = h = 32
    masks = [np.zeros((h, w), bool) for _ in range(4)]
    masks[0][4:12, 4:12] = masks[1][4:12, 6:14] = masks[2][4:12, 4:10] = True
    masks[3][20:28, 20:28] = True
    views = [geometry.mask_to_objects(m, "building", form="grid") for m in masks]
    out = fusion.fuse_masks(views, w, h, "grid", FuseConfig(min_share=0.5))
    want = sum(m.astype(int) for m in masks) >= 2
    np.testing.assert_array_equal(geometry.objects_to_mask(out, w, h), want)
    assert {o["label"] for o in out} == {"building"}
    poly = fusion.fuse([geometry.mask_to_objects(m, "building", form="poly") for m in masks], w, h)
    assert poly and all(o["kind"] == "poly" for o in poly)  # the identity view's form
    assert geometry.mask_iou(geometry.objects_to_mask(poly, w, h), want) > 0.9


def test_a_views_repeated_box_does_not_survive_as_a_second_object():
    a, again = _box(10, 10, 20, 20, "ship", 0.9), _box(10, 11, 20, 21, "ship", 0.4)  # one view wrote it twice
    other = _box(10, 10, 20, 20, "plane", 0.3)  # the same place, another label: kept
    out = fusion.fuse_many([[a, again, other], [_box(11, 10, 21, 20, "ship", 0.8)]], FuseConfig())
    assert sorted((o["label"], round(o["score"], 3)) for o in out) == [("plane", 0.15), ("ship", 0.85)]
