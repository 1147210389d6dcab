"""Geometry codec, tour 73: round trips of every kind on odd image sizes, oriented boxes given in any
corner order, the angle wrap, COCO run-length masks."""

import itertools
import math

import numpy as np
import pytest

from rsvlm import geometry
from rsvlm.geometry.shapes import polygon_iou, signed_area

W, H = 713, 457  # neither square nor a multiple of the 1000 bins


def _round_trip(objects, w=W, h=H):
    """(text, decoded, text again) of ``objects``."""
    text = geometry.encode(objects, w, h)
    dec = geometry.decode(text, w, h)
    return text, dec, geometry.encode(dec.objects, w, h)


# ---------------------------------------------------------------- round trips, every kind


def _random_object(rng, w, h) -> dict:
    kind = ("box", "obb", "point", "poly", "holed", "grid")[rng.integers(6)]
    if kind == "box":
        x, y = np.sort(rng.uniform(0, w, 2)), np.sort(rng.uniform(0, h, 2))
        return {"kind": "box", "coords": [x[0], y[0], x[1], y[1]]}
    if kind == "point":
        return {"kind": "point", "coords": [rng.uniform(0, w), rng.uniform(0, h)]}
    if kind == "obb":
        cx, cy = rng.uniform(0.25, 0.75) * w, rng.uniform(0.25, 0.75) * h
        s = min(w, h) / 4  # half a diagonal under min(w, h) / 4: every corner on the image
        return {"kind": "obb", "coords": geometry.rbox_to_quad(cx, cy, rng.uniform(0, s), rng.uniform(0, s),
                                                               rng.uniform(-180, 180))}
    if kind in ("poly", "holed"):
        n = int(rng.integers(3, 15))
        ang, rad = np.sort(rng.uniform(0, 2 * np.pi, n)), rng.uniform(0.5, 1, n)
        ring = [[w / 2 + r * w / 3 * math.cos(a), h / 2 + r * h / 3 * math.sin(a)] for a, r in zip(ang, rad)]
        if kind == "poly":
            return {"kind": "poly", "coords": ring}
        hole = [[w / 2 - w / 20, h / 2 - h / 20], [w / 2 + w / 20, h / 2 - h / 20], [w / 2, h / 2 + h / 20]]
        return {"kind": "poly", "coords": ring, "rings": [ring, hole]}
    mask = np.zeros((h, w), bool)
    y0, x0 = int(rng.integers(0, h - 2)), int(rng.integers(0, w - 2))
    mask[y0:y0 + int(rng.integers(1, h // 3)), x0:x0 + int(rng.integers(1, w // 3))] = True
    return {"kind": "mask", "mask": mask, "form": "grid", "budget": int(rng.integers(8, 60))}


def test_every_kind_round_trips_stably_and_within_half_a_bin():
    rng = np.random.default_rng(73)
    for _ in range(300):
        w, h = int(rng.integers(3, 1600)), int(rng.integers(3, 1600))
        w += w % 1000 == 0  # never a multiple of the bins
        h += h == w  # never square
        h += h % 1000 == 0
        obj = {"label": "thing", **_random_object(rng, w, h)}
        text, dec, again = _round_trip([obj], w, h)
        assert dec.problems == [] and again == text, (w, h, obj["kind"], text)
        got = dec.objects
        assert all(o["label"] == "thing" for o in got)
        if obj["kind"] in ("box", "point"):  # each coordinate within half a bin of its own axis
            src = np.reshape(obj["coords"], (-1, 2))
            out = np.reshape(got[0]["coords"], (-1, 2))
            assert (np.abs(src - out) <= np.array([w, h]) / 2000 * (1 + 1e-9)).all()
        if obj["kind"] == "obb":  # the same 4 corners, each within half a bin of one given
            src = np.asarray(obj["coords"])
            for p in got[0]["coords"]:
                assert (np.abs(src - p) <= np.array([w, h]) / 2000 * (1 + 1e-9)).all(axis=1).any()
        if obj["kind"] == "poly" and "rings" in obj:
            assert len(got) == 1 and len(got[0]["rings"]) == 2  # the hole stays the polygon's
            assert signed_area(got[0]["rings"][0]) > 0 > signed_area(got[0]["rings"][1])


# ---------------------------------------------------------------- oriented boxes: corner order


BOX = [[100.0, 40.0], [300.0, 40.0], [300.0, 140.0], [100.0, 140.0]]  # an axis-aligned 200 x 100 box


def test_an_oriented_box_in_any_corner_order_is_one_box():
    # a DOTA line read across the box (x1 y1 x2 y1 x1 y2 x2 y2) was written as a bow-tie: IoU 0.5 with the box
    texts = {geometry.encode([{"kind": "obb", "coords": list(p)}], W, H) for p in itertools.permutations(BOX)}
    assert len(texts) == 1
    (obb,) = geometry.decode(texts.pop(), W, H).objects
    assert polygon_iou(obb["coords"], BOX) > 0.98


def test_a_rotated_box_in_any_corner_order_is_one_box():
    quad = geometry.rbox_to_quad(356.0, 228.0, 180.0, 60.0, 33.0)
    texts = {geometry.encode([{"kind": "obb", "coords": list(p)}], W, H) for p in itertools.permutations(quad)}
    assert texts == {geometry.encode([{"kind": "obb", "coords": quad}], W, H)}


def test_decode_puts_a_bow_tie_obb_in_order_and_says_so():
    bow = "<obb><loc_10><loc_10><loc_100><loc_100><loc_100><loc_10><loc_10><loc_100></obb>"
    dec = geometry.decode("<ref>ship</ref>" + bow, W, H)
    (obb,) = dec.objects
    assert obb["label"] == "ship"
    want = [[geometry.dequantize(x, W), geometry.dequantize(y, H)] for x, y in ((10, 10), (100, 10), (100, 100), (10, 100))]
    assert polygon_iou(obb["coords"], want) == pytest.approx(1.0)
    assert len(dec.problems) == 1 and "crossing edges" in dec.problems[0] and "<obb>" in dec.problems[0]


def test_an_obb_in_order_either_way_round_is_no_problem():
    cw = "<obb><loc_10><loc_10><loc_100><loc_10><loc_100><loc_100><loc_10><loc_100></obb>"
    ccw = "<obb><loc_10><loc_10><loc_10><loc_100><loc_100><loc_100><loc_100><loc_10></obb>"
    for text in (cw, ccw):
        dec = geometry.decode(text, W, H)
        assert dec.problems == [] and len(dec.objects) == 1


def test_a_zero_width_obb_keeps_its_corners_and_order():
    quad = geometry.rbox_to_quad(200.0, 200.0, 0.0, 80.0, 30.0)
    text, dec, again = _round_trip([{"kind": "obb", "coords": quad}])
    assert dec.problems == [] and again == text and len(dec.objects[0]["coords"]) == 4


def test_the_angle_wraps_every_half_turn_and_swaps_sides_every_quarter():
    def enc(w, h, a):
        return geometry.encode([{"kind": "obb", "coords": geometry.rbox_to_quad(356.0, 228.0, w, h, a)}], W, H)

    for a in (-90.0, -45.0, -0.001, 0.0, 12.5, 45.0, 89.999, 90.0):
        assert enc(120, 40, a) == enc(120, 40, a + 180) == enc(40, 120, a + 90) == enc(120, 40, a - 180)
    assert enc(80, 80, 45.0) == enc(80, 80, 135.0) == enc(80, 80, -45.0)  # a square: every quarter turn


# ---------------------------------------------------------------- COCO run-length masks


def _coco_rle():
    mask_util = pytest.importorskip("pycocotools.mask")
    m = np.zeros((H, W), np.uint8, order="F")
    m[10:20, 5:30] = 1
    return m, mask_util.encode(m)


@pytest.mark.parametrize("where", ["mask", "coords"])
def test_a_coco_run_length_mask_is_refused_saying_how_to_pass_it(where):
    # was "mask shape () is not (height, width)" / "grid coords need …; 'rows' is missing": nothing of what it is
    _, rle = _coco_rle()
    obj = {"kind": "mask", "label": "pond", where: rle}
    for call in (lambda: geometry.encode([obj], W, H), lambda: geometry.objects_to_mask([obj], W, H)):
        with pytest.raises(ValueError, match=r"object 0.*COCO run-length.*pycocotools\.mask\.decode"):
            call()


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # pycocotools' own, of NumPy 2's copy keyword
def test_a_coco_run_length_mask_decoded_as_advised_encodes():
    mask_util = pytest.importorskip("pycocotools.mask")
    m, rle = _coco_rle()
    text = geometry.encode([{"kind": "mask", "label": "pond", "mask": mask_util.decode(rle), "form": "grid"}], W, H)
    assert (geometry.objects_to_mask(geometry.decode(text, W, H).objects, W, H) == m.astype(bool)).all()


# ---------------------------------------------------------------- polygons: a token budget


def _footprint(n=5000):
    ang = np.linspace(0, 2 * np.pi, n, endpoint=False)
    return [[356 + 200 * math.cos(a) * (1 + 0.1 * math.sin(7 * a)), 228 + 200 * math.sin(a)] for a in ang]


def test_a_poly_budget_caps_its_tokens_and_keeps_its_shape():
    ring = _footprint()
    assert geometry.encode([{"kind": "poly", "coords": ring}], W, H).count("<loc_") > 2000  # no budget: every vertex
    hole = [[330.0, 200.0], [380.0, 200.0], [380.0, 250.0], [330.0, 250.0]]
    for budget, iou in ((32, 0.93), (64, 0.98)):
        text, dec, again = _round_trip([{"kind": "poly", "coords": ring, "rings": [ring, hole], "budget": budget}])
        assert text.count("<loc_") <= budget and dec.problems == [] and again == text
        (got,) = dec.objects
        assert len(got["rings"]) == 2 and polygon_iou(got["coords"], ring) > iou


def test_a_poly_within_its_budget_is_written_as_without_one():
    ring = [[10.0, 10.0], [200.0, 30.0], [180.0, 300.0], [20.0, 250.0]]
    assert geometry.encode([{"kind": "poly", "coords": ring, "budget": 8}], W, H) == \
        geometry.encode([{"kind": "poly", "coords": ring}], W, H)


@pytest.mark.parametrize(("budget", "match"), [(6, "below the minimum of 8"), (32.5, "whole number"),
                                               ("32", "whole number")])
def test_a_poly_budget_that_is_none_is_refused_naming_the_object(budget, match):
    with pytest.raises(ValueError, match=f"object 0: .*{match}"):
        geometry.encode([{"kind": "poly", "coords": _footprint(40), "budget": budget}], W, H)


def test_a_crossing_ring_over_its_budget_is_refused_saying_why():
    bow = [[0.0, 0.0], [100.0, 100.0], [100.0, 0.0], [0.0, 100.0], [50.0, 3.0]]
    with pytest.raises(ValueError, match=r"object 0: .*no valid polygon \(Self-intersection.*make_valid"):
        geometry.encode([{"kind": "poly", "coords": bow, "budget": 8}], W, H)


def test_an_obb_given_as_a_rotated_box_is_told_of_rbox_to_quad():
    # 5 numbers (cx, cy, w, h, angle: mmrotate's, DOTA-v2 tools') were told to "give them as pairs"
    with pytest.raises(ValueError, match=r"object 0: .*cx, cy, w, h, angle\?.*rbox_to_quad.*radians"):
        geometry.encode([{"kind": "obb", "coords": [100, 100, 40, 20, 0.5]}], W, H)
    text = geometry.encode([{"kind": "obb", "coords": geometry.rbox_to_quad(100, 100, 40, 20, math.degrees(0.5))}], W, H)
    assert geometry.decode(text, W, H).problems == []
