"""Geometry codec: round trips, canonical spelling, grouping, and a decoder that never raises."""

import math
import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rsvlm import geometry as g
from rsvlm.geometry.shapes import signed_area, untangle_quad
from rsvlm.tokens import mask_tokens

FAST = settings(max_examples=200, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow])  # derandomize: the examples tried here are CI's (a clean clone has no .hypothesis database)
sizes = st.integers(1, 20000)


def half_bin(size):
    return size / 2000 * (1 + 1e-9) + 1e-9


@st.composite
def image_and_points(draw, n_min=1, n_max=12):
    w, h = draw(sizes), draw(sizes)
    n = draw(st.integers(n_min, n_max))
    xs = draw(st.lists(st.floats(0, w, allow_nan=False), min_size=n, max_size=n))
    ys = draw(st.lists(st.floats(0, h, allow_nan=False), min_size=n, max_size=n))
    return w, h, [[x, y] for x, y in zip(xs, ys)]


def close(p, q, w, h):
    return abs(p[0] - q[0]) <= half_bin(w) and abs(p[1] - q[1]) <= half_bin(h)


# ---------------------------------------------------------------- quantisation


def test_quantize_edges_and_clamp():
    assert g.quantize(0, 640) == 0
    assert g.quantize(640, 640) == 999  # the right edge falls in the last bin
    assert g.quantize(-3.0, 640) == 0 and g.quantize(1e9, 640) == 999
    assert g.quantize(319.99, 640) == 499 and g.quantize(320, 640) == 500
    assert g.dequantize(0, 1000) == 0.5 and g.dequantize(999, 2000) == 1999.0
    with pytest.raises(ValueError, match="not finite"):
        g.quantize(float("nan"), 10)


@FAST
@given(sizes, st.data())
def test_quantize_round_trip_within_half_bin(size, data):
    x = data.draw(st.floats(0, size, allow_nan=False))
    b = g.quantize(x, size)
    assert 0 <= b <= 999
    assert abs(g.dequantize(b, size) - x) <= half_bin(size)


# ---------------------------------------------------------------- round trips


@FAST
@given(image_and_points(2, 2))
def test_box_round_trip(wh):
    w, h, (p, q) = wh
    box = [min(p[0], q[0]), min(p[1], q[1]), max(p[0], q[0]), max(p[1], q[1])]
    d = g.decode(g.encode([{"kind": "box", "label": "ship", "coords": box}], w, h), w, h)
    assert d.problems == [] and len(d.objects) == 1
    o = d.objects[0]
    assert o["kind"] == "box" and o["label"] == "ship"
    assert close(o["coords"][:2], box[:2], w, h) and close(o["coords"][2:], box[2:], w, h)


@FAST
@given(image_and_points(1, 1))
def test_point_round_trip(wh):
    w, h, (p,) = wh
    d = g.decode(g.encode([{"kind": "point", "label": None, "coords": p}], w, h), w, h)
    assert d.problems == [] and d.objects[0]["label"] is None and close(d.objects[0]["coords"], p, w, h)


def dihedral_match(src, dec, w, h):
    """True when ``dec`` is ``src`` up to start vertex and direction, each vertex within half a bin."""
    n = len(src)
    if len(dec) != n:
        return False
    for seq in (src, src[::-1]):
        for r in range(n):
            if all(close(seq[(r + k) % n], dec[k], w, h) for k in range(n)):
                return True
    return False


@FAST
@given(image_and_points(4, 4))
def test_obb_round_trip(wh):
    w, h, quad = wh
    d = g.decode(g.encode([{"kind": "obb", "label": "car", "coords": quad}], w, h), w, h)
    assert d.problems == [] and d.objects[0]["kind"] == "obb"
    bins = [[g.quantize(x, w), g.quantize(y, h)] for x, y in quad]
    around = untangle_quad(bins)  # corners given across the box (edges crossing on the bins, exact) come back in order
    centres = [[g.dequantize(x, w), g.dequantize(y, h)] for x, y in around]
    assert dihedral_match(quad if around == bins else centres, d.objects[0]["coords"], w, h)


@FAST
@given(image_and_points(3, 30))
def test_poly_round_trip_loses_at_most_half_a_bin(wh):
    w, h, ring = wh
    d = g.decode(g.encode([{"kind": "poly", "label": "lake", "coords": ring}], w, h), w, h)
    assert d.problems == []
    dec = [r for o in d.objects for r in o.get("rings", [o["coords"]])]
    verts = [p for r in dec for p in r]
    # vertices that fall into one bin merge; every vertex survives within half a bin, none is invented
    assert all(any(close(p, q, w, h) for q in verts) for p in ring)
    assert all(any(close(q, p, w, h) for p in ring) for q in verts)


# ---------------------------------------------------------------- canonical spelling


@FAST
@given(image_and_points(4, 4), st.integers(0, 3), st.booleans())
def test_obb_spelling_ignores_start_and_direction(wh, shift, flip):
    w, h, quad = wh
    other = quad[shift:] + quad[:shift]
    other = other[::-1] if flip else other
    enc = [g.encode([{"kind": "obb", "label": None, "coords": q}], w, h) for q in (quad, other)]
    assert enc[0] == enc[1]


@FAST
@given(image_and_points(3, 20), st.integers(0, 19), st.booleans())
def test_ring_spelling_ignores_start_and_direction(wh, shift, flip):
    w, h, ring = wh
    shift %= len(ring)
    other = ring[shift:] + ring[:shift]
    other = other[::-1] if flip else other
    enc = [g.encode([{"kind": "poly", "label": "a", "coords": r}], w, h) for r in (ring, other)]
    assert enc[0] == enc[1]


def test_canonical_orders_documented_convention():
    # clockwise on screen (y down) from the top-most, then left-most corner
    sq = [[0, 10], [10, 10], [10, 0], [0, 0]]  # counter-clockwise on screen, starting bottom-left
    assert g.canonical_quad(sq) == [[0, 0], [10, 0], [10, 10], [0, 10]]
    assert g.canonical_ring(sq, hole=True) == [[0, 0], [0, 10], [10, 10], [10, 0]]
    assert g.canonical_ring([[5, 5], [5, 5], [0, 9], [9, 9], [5, 5]]) == [[5, 5], [9, 9], [0, 9]]
    text = g.encode([{"kind": "box", "label": None, "coords": [90, 80, 10, 20]}], 100, 100)
    assert text == "<box><loc_100><loc_200><loc_900><loc_800></box>"  # swapped into x1<=x2, y1<=y2


def test_rbox_to_quad_hand_computed():
    # width axis rotated 90 degrees clockwise on screen: the 4-wide side runs along +y
    quad = g.rbox_to_quad(10, 20, 4, 2, 90)
    want = [[11, 18], [11, 22], [9, 22], [9, 18]]
    assert all(math.isclose(a, b, abs_tol=1e-9) for p, q in zip(quad, want) for a, b in zip(p, q))
    quad = g.rbox_to_quad(0, 0, 2, 2, 45)
    r = math.sqrt(2)
    want = [[0, -r], [r, 0], [0, r], [-r, 0]]
    assert all(math.isclose(a, b, abs_tol=1e-9) for p, q in zip(quad, want) for a, b in zip(p, q))
    assert g.canonical_quad(g.rbox_to_quad(50, 50, 20, 10, 0)) == [[40, 45], [60, 45], [60, 55], [40, 55]]


# ---------------------------------------------------------------- grouping and holes


def test_grouping_under_ref_and_unlabelled_objects():
    objs = [
        {"kind": "box", "label": "ship", "coords": [1, 1, 5, 5]},
        {"kind": "box", "label": "ship", "coords": [6, 6, 9, 9]},
        {"kind": "point", "label": "buoy", "coords": [3, 3]},
        {"kind": "box", "label": None, "coords": [2, 2, 4, 4]},
        {"kind": "box", "label": "ship", "coords": [0, 0, 1, 1]},
    ]
    text = g.encode(objs, 10, 10)
    assert text.count("<ref>ship</ref>") == 2 and text.count("<ref>buoy</ref>") == 1
    assert text.count("<ref></ref>") == 1 and text.startswith("<ref>ship</ref><box>")
    d = g.decode(text, 10, 10)
    assert d.problems == []
    assert [o["label"] for o in d.objects] == ["ship", "ship", "buoy", None, "ship"]
    assert text.index("<ref></ref>") < text.index("<box><loc_200>")


def test_text_between_geometry_is_kept_and_ref_scopes_until_next_ref():
    d = g.decode("There are 2 ships: <ref>ship</ref><box><loc_1><loc_2><loc_3><loc_4></box> and "
                 "<box><loc_5><loc_6><loc_7><loc_8></box>.", 1000, 1000)
    assert d.problems == []
    assert d.text == "There are 2 ships: ship and."
    assert [o["label"] for o in d.objects] == ["ship", "ship"]
    assert d.objects[1]["coords"] == [5.5, 6.5, 7.5, 8.5]


def test_polygon_with_hole_round_trips_as_one_object():
    ext = [[0, 0], [100, 0], [100, 100], [0, 100]]
    hole = [[30, 30], [60, 30], [60, 60], [30, 60]]
    text = g.encode([{"kind": "poly", "label": "field", "rings": [ext, hole]},
                     {"kind": "poly", "label": "field", "coords": [[200, 0], [250, 0], [250, 50]]}], 1000, 1000)
    assert text.count("<poly>") == 3
    d = g.decode(text, 1000, 1000)
    assert d.problems == [] and len(d.objects) == 2
    assert len(d.objects[0]["rings"]) == 2 and "rings" not in d.objects[1]
    m = g.objects_to_mask(d.objects[:1], 1000, 1000)
    assert m[10, 10] and not m[45, 45] and m.sum() == 100 * 100 - 30 * 30


# ---------------------------------------------------------------- decoder robustness

VOCAB = (["<ref>", "</ref>", "<box>", "</box>", "<obb>", "</obb>", "<point>", "</point>", "<poly>", "</poly>",
          "<mask>", "</mask>", "ship", " ", "<loc_", ">", "<loc_1000>", "<loc_99999999999999999999>"]
         + mask_tokens() + [f"<loc_{i}>" for i in (0, 1, 7, 500, 998, 999)])


def assert_sane(d, w, h, rasterised: list | None = None):
    """``rasterised``: the grids already drawn at this size; each is drawn once (an (h, w) image)."""
    assert isinstance(d, g.Decoded) and isinstance(d.text, str)
    assert all(isinstance(p, str) and p for p in d.problems)
    rasterised = [] if rasterised is None else rasterised
    for o in d.objects:
        assert o["kind"] in g.KINDS and (o["label"] is None or isinstance(o["label"], str))
        if o["kind"] != "mask":
            flat = np.asarray(o["coords"], dtype=float).ravel()
            assert np.isfinite(flat).all() and flat.min() >= 0 and flat.max() <= max(w, h)
        elif o["coords"] not in rasterised:
            g.objects_to_mask([o], w, h)  # a recovered grid always rasterises
            rasterised.append(o["coords"])


@FAST
@given(st.text(max_size=200))
def test_random_strings_never_raise(text):
    assert_sane(g.decode(text, 640, 480), 640, 480)


@FAST
@given(st.lists(st.sampled_from(VOCAB), max_size=60), st.integers(1, 50), st.integers(1, 50))
def test_token_soups_never_raise(tokens, w, h):
    assert_sane(g.decode("".join(tokens), w, h), w, h)


def test_malformed_pieces_are_reported():
    cases = {
        "<box><loc_9><loc_1><loc_2><loc_8></box>": "swapped",
        "<box><loc_1><loc_2><loc_3></box>": "needs 4",
        "<point><loc_1000><loc_2></point>": "out of range",
        "<point><loc_" + "7" * 5000 + "><loc_2></point>": "(5000 digits) is out of range",  # int() raised
        "</poly>": "stray",
        "<loc_5>": "outside any shape",
        "<ref>ship": "not closed",
        "<obb><loc_1>text<loc_2></obb>": "contains",
        "<poly><loc_1><loc_2><loc_3></poly>": "even number",
        "<mask><row><loc_1></mask>": "does not start with <grid>",
        "<mask><grid><loc_1><loc_1><loc_5><loc_5><loc_4><loc_2></grid><row><loc_9></mask>": "exceed",
    }
    for text, why in cases.items():
        d = g.decode(text, 100, 100)
        assert any(why in p for p in d.problems), (text, d.problems)
    d = g.decode("<box><loc_9><loc_1><loc_2><loc_8></box>", 1000, 1000)
    assert d.objects[0]["coords"] == [2.5, 1.5, 9.5, 8.5]
    assert g.decode("", 10, 10) == g.Decoded()
    assert g.decode(None, 10, 10).problems  # not a str: reported, not raised


SPAN = re.compile(r"<ref>.*?</ref>|<(box|obb|point|poly|mask)>.*?</\1>")


@st.composite
def encodings(draw):
    w, h = draw(st.integers(1, 3000)), draw(st.integers(1, 3000))
    objs, grid = [], None  # every mask of an image is the same rectangle: split into grids once
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["box", "obb", "point", "poly", "mask"]))
        label = draw(st.sampled_from([None, "ship", "small vehicle"]))
        pts = [[draw(st.floats(0, w)), draw(st.floats(0, h))] for _ in range(4)]
        if kind == "mask":
            if grid is None:  # as encode splits {"mask": m, "form": "grid", "budget": 16}
                m = np.zeros((h, w), bool)
                m[h // 4: h // 4 + 1 + h // 3, w // 3: w // 3 + 1 + w // 4] = True
                grid = g.mask_to_objects(m, None, "grid", 16)
            objs += [{**o, "label": label} for o in grid]
            continue
        coords = {"box": pts[0] + pts[1], "obb": pts, "point": pts[0], "poly": pts}[kind]
        objs.append({"kind": kind, "label": label, "coords": coords})
    return w, h, g.encode(objs, w, h)


@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(encodings())
def test_every_truncation_never_raises_and_cut_shapes_are_reported(enc):
    w, h, text = enc
    assert g.decode(text, w, h).problems == []
    spans = [m.span() for m in SPAN.finditer(text)]
    rasterised: list = []  # most cuts recover a grid an earlier one did (cut after it, or within one token)
    for cut in range(len(text)):
        d = g.decode(text[:cut], w, h)
        assert_sane(d, w, h, rasterised)
        if any(a + 1 < cut < b for a, b in spans):  # a lone "<" is text ("a < b"), not a cut tag
            assert d.problems, text[:cut]


# ---------------------------------------------------------------- encoder input errors


@pytest.mark.parametrize("obj, why", [
    ({"kind": "circle", "coords": [1, 2]}, "unknown kind"),
    ({"kind": "box", "coords": [1, 2, 3]}, "4 finite numbers"),
    ({"kind": "box", "coords": [1, 2, 3, float("inf")]}, "4 finite numbers"),
    ({"kind": "obb", "coords": [[1, 2]] * 3}, "4 finite"),
    ({"kind": "poly", "coords": [[1, 2], [3, 4]]}, "at least 3"),
    ({"kind": "point", "label": "a<box>b", "coords": [1, 2]}, "tag"),
    ({"kind": "mask", "mask": np.ones((3, 3), bool)}, "not \\(height, width\\)"),
    ({"kind": "mask", "coords": {"box": [0, 0, 5, 5], "size": [2, 1], "rows": [[1, 5]]}}, "bad grid"),
])
def test_encode_rejects_bad_objects_naming_them(obj, why):
    with pytest.raises(ValueError, match=f"object 1.*{why}"):
        g.encode([{"kind": "point", "coords": [0, 0]}, obj], 10, 10)
    with pytest.raises(ValueError, match="width"):
        g.encode([], 0, 10)


def test_ious():
    assert g.box_iou([0, 0, 10, 10], [5, 0, 15, 10]) == pytest.approx(1 / 3)
    assert g.box_iou([0, 0, 0, 0], [0, 0, 0, 0]) == 0.0
    assert g.polygon_iou([[0, 0], [10, 0], [10, 10], [0, 10]], [[5, 0], [15, 0], [15, 10], [5, 10]]) == pytest.approx(1 / 3)
    bowtie = [[0, 0], [10, 10], [10, 0], [0, 10]]  # self-intersecting: repaired, not raised
    assert 0 < g.polygon_iou(bowtie, [[0, 0], [10, 0], [10, 10], [0, 10]]) < 1
    a = np.zeros((4, 4), bool)
    a[:2] = True
    assert g.mask_iou(a, a) == 1.0 and g.mask_iou(a, ~a) == 0.0


def test_object_ring_outlines_area_objects_only():
    box = {"kind": "box", "coords": [1, 2, 5, 8]}
    assert g.object_ring(box) == [[1, 2], [5, 2], [5, 8], [1, 8]]
    assert signed_area(g.object_ring(box)) == 24  # clockwise on screen, as every exterior ring
    quad = [[0, 0], [4, 1], [3, 5], [-1, 4]]
    assert g.object_ring({"kind": "obb", "coords": quad}) == quad
    assert g.object_ring({"kind": "poly", "coords": quad[:3]}) == quad[:3]
    assert g.object_ring({"kind": "point", "coords": [3, 3]}) is None
    assert g.object_ring({"kind": "mask", "coords": {}}) is None
    assert g.polygon_iou(g.object_ring(box), g.object_ring({"kind": "box", "coords": [3, 2, 7, 8]})) == pytest.approx(1 / 3)
