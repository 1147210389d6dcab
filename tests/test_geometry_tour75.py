"""Tour 75 (area K): the geometry grammar as a user converting annotations and parsing model output meets it.

Property tests: every shape round-trips within the quantisation step (half a bin, ``size / 2000``) on any image
size, borders and degenerate shapes included, and its text is its one spelling (re-encoding the decoded object
writes it again); malformed model output comes back as problems, never an exception.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rsvlm import geometry
from rsvlm.geometry.masks import objects_to_mask

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SIZES = st.integers(1, 25000)


@st.composite
def sized_coord(draw, size):
    """A coordinate in [0, size]: an edge, a pixel edge, or anywhere."""
    return draw(st.one_of(st.sampled_from([0.0, float(size)]), st.integers(0, size).map(float),
                          st.floats(0, size, allow_nan=False)))


def _within_half_bin(got, want, w, h):
    """Each decoded [x, y] within half a bin (plus float slack) of the one given."""
    err = np.abs(np.asarray(got, float).reshape(-1, 2) - np.asarray(want, float).reshape(-1, 2))
    return bool((err <= np.array([w, h]) / 2000 * (1 + 1e-9) + 1e-9).all())


def _round_trip(obj, w, h):
    text = geometry.encode([obj], w, h)
    dec = geometry.decode(text, w, h)
    assert dec.problems == [] and len(dec.objects) == 1, (text, dec.problems)
    assert geometry.encode(dec.objects, w, h) == text  # one spelling per shape
    assert dec.objects[0]["label"] == obj.get("label")
    return dec.objects[0]


@SETTINGS
@given(st.data(), SIZES, SIZES)
def test_a_box_round_trips_within_half_a_bin_corners_in_any_order(data, w, h):
    x1, x2 = data.draw(sized_coord(w)), data.draw(sized_coord(w))
    y1, y2 = data.draw(sized_coord(h)), data.draw(sized_coord(h))
    got = _round_trip({"kind": "box", "label": "ship", "coords": [x1, y1, x2, y2]}, w, h)["coords"]
    want = [min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2)]
    assert _within_half_bin(got, want, w, h) and got[0] <= got[2] and got[1] <= got[3]


@SETTINGS
@given(st.data(), SIZES, SIZES)
def test_a_point_round_trips_within_half_a_bin(data, w, h):
    x, y = data.draw(sized_coord(w)), data.draw(sized_coord(h))
    assert _within_half_bin(_round_trip({"kind": "point", "coords": [x, y]}, w, h)["coords"], [x, y], w, h)


@SETTINGS
@given(st.data(), SIZES, SIZES, st.floats(-360, 360), st.floats(0, 1), st.floats(0, 1))
def test_an_obb_round_trips_as_the_same_four_corners_clockwise(data, w, h, angle, fw, fh):
    """Degenerate boxes (a side of 0, all four corners on one bin) included."""
    cx, cy = data.draw(sized_coord(w)), data.draw(sized_coord(h))
    quad = geometry.rbox_to_quad(cx, cy, fw * w / 2, fh * h / 2, angle)
    quad = [[min(max(x, 0.0), w), min(max(y, 0.0), h)] for x, y in quad]  # on the image: clamping is no round trip
    got = _round_trip({"kind": "obb", "label": "plane", "coords": quad}, w, h)["coords"]
    assert len(got) == 4
    dist = np.abs(np.asarray(got)[:, None, :] - np.asarray(quad)[None, :, :]).max(-1)  # (4, 4)
    assert (dist.min(1) <= max(w, h) / 2000 * (1 + 1e-9) + 1e-9).all()  # each corner is one given
    assert geometry.shapes.signed_area(got) >= 0  # clockwise on screen, or flat


@SETTINGS
@given(st.data(), SIZES, SIZES, st.integers(1, 12))
def test_a_polygon_ring_round_trips_vertex_by_vertex(data, w, h, n):
    """Any ring: self-intersecting, repeated vertices, collapsed to one bin (written as 3 of it)."""
    ring = [[data.draw(sized_coord(w)), data.draw(sized_coord(h))] for _ in range(max(n, 3))]
    got = _round_trip({"kind": "poly", "coords": ring}, w, h)["coords"]
    assert len(got) >= 3
    dist = np.abs(np.asarray(got)[:, None, :] - np.asarray(ring)[None, :, :]) / (np.array([w, h]) / 2000)
    assert (dist.max(-1).min(1) <= 1 + 1e-9).all()


@SETTINGS
@given(st.integers(1, 40), st.integers(1, 40), st.floats(0.02, 0.9), st.integers(0, 2**32 - 1),
       st.sampled_from(["grid", "poly"]))
def test_a_mask_under_a_bin_a_pixel_round_trips_exactly(w, h, p, seed, form):
    """On an image of at most 999 px a side every pixel holds a bin centre: both mask forms, given the budget, give
    back every pixel (border pixels included); on larger ones the grid is a bin at its box's edges (docs)."""
    m = np.random.default_rng(seed).random((h, w)) < p
    m[0, :] |= seed % 2 == 0  # the top border row, the whole width
    text = geometry.encode([{"kind": "mask", "label": "water", "mask": m, "form": form, "budget": 100_000}], w, h)
    dec = geometry.decode(text, w, h)
    assert dec.problems == [] and (objects_to_mask(dec.objects, w, h) == m).all()
    assert geometry.encode(dec.objects, w, h) == text
    if not m.any():  # an empty mask writes nothing, not even its label
        assert text == "" and dec.objects == []


def test_designs_examples_decode_exactly_as_written():
    """DESIGN.md's record answer (712 x 557) and its formula: bin centres, x = (bin + 0.5) / 1000 * W."""
    dec = geometry.decode("<ref>small vehicle</ref><box><loc_913><loc_475><loc_941><loc_520></box>…", 712, 557)
    assert dec.problems == [] and dec.text == "small vehicle …"
    assert dec.objects == [{"kind": "box", "label": "small vehicle",
                            "coords": pytest.approx([913.5 * 0.712, 475.5 * 0.557, 941.5 * 0.712, 520.5 * 0.557])}]
    text = geometry.encode([{"kind": "box", "label": "ship", "coords": [10, 20, 30, 40]}], width=100, height=200)
    assert text == "<ref>ship</ref><box><loc_100><loc_100><loc_300><loc_200></box>"
    assert geometry.quantize(100, 100) == 999 and geometry.quantize(99.9, 100) == 999  # min(999, …) at the edge


MALFORMED = [  # (model output, a word its problem must hold, objects kept)
    ("<ref>ship</ref><box><loc_1><loc_2><loc_3>", "needs 4 location tokens", 0),  # cut mid-shape
    ("<ref>ship</ref><box><loc_1><loc_2><loc_3><loc_4></bo", "ends inside a tag", 1),  # cut in the closing tag
    ("<ref>ship</re", "ends inside a tag", 0),
    ("<ref>ship", "not closed", 0),
    ("<box><loc_1000><loc_2><loc_3><loc_4></box>", "out of range", 0),
    ("<point><loc_5><loc_99999999999999999999></point>", "out of range", 0),
    ("<box><loc_-1><loc_2><loc_3><loc_4></box>", "contains", 0),
    ("<box><loc_01><loc_2><loc_3><loc_4></box>", "zero-padded", 0),
    ("<box><loc_500><loc_600><loc_100><loc_200></box>", "swapped", 1),  # swapped corners: kept, put in order
    ("<obb><loc_0><loc_0><loc_10><loc_10><loc_10><loc_0><loc_0><loc_10></obb>", "crossing edges", 1),
    ("<poly><loc_1><loc_2><loc_3></poly>", "even number", 0),
    ("<poly><loc_1><loc_2></poly>", "fewer than the grammar's 3", 1),
    ("<mask></mask>", "does not start with <grid>", 0),  # empty masks
    ("<mask><grid><loc_1><loc_2><loc_3><loc_4><loc_1><loc_1></grid><row></mask>", "no cell on", 0),
    ("<mask><grid><loc_1><loc_2><loc_3><loc_4><loc_0><loc_1></grid></mask>", "has no cells", 0),
    ("<mask><grid><loc_1><loc_2><loc_3>", "header is not closed", 0),
    ("<loc_5><loc_6>", "outside any shape", 0),
    ("<ref>a</ref><ref>b</ref><point><loc_5><loc_6></point>", "labels no shape", 1),
]


@pytest.mark.parametrize("text, said, kept", MALFORMED)
def test_malformed_model_output_is_a_counted_problem_never_an_exception(text, said, kept):
    dec = geometry.decode(text, 640, 480)
    assert dec.problems and said in " ".join(dec.problems) and len(dec.objects) == kept


def test_a_self_intersecting_polygon_is_kept_as_written_and_scored_repaired():
    """A bow-tie ``<poly>`` is no parse problem (docs/geometry.md): it is kept as the model wrote it, rasterised
    even-odd (two triangles) and repaired by ``polygon_iou`` (shapely's make_valid), never an exception."""
    dec = geometry.decode("<poly><loc_0><loc_0><loc_999><loc_999><loc_999><loc_0><loc_0><loc_999></poly>", 100, 100)
    assert dec.problems == [] and len(dec.objects) == 1
    bow = dec.objects[0]["coords"]
    assert 0.45 < objects_to_mask(dec.objects, 100, 100).mean() < 0.55  # two triangles, half the image
    assert geometry.polygon_iou(bow, bow) == pytest.approx(1.0)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(["<ref>", "</ref>", "<box>", "</box>", "<obb>", "</obb>", "<point>", "</point>",
                                 "<poly>", "</poly>", "<mask>", "</mask>", "<grid>", "</grid>", "<row>", "<run>",
                                 "<loc_0>", "<loc_7>", "<loc_500>", "<loc_999>", "<loc_1000>", "<loc_01>", "<lo",
                                 "</bo", "<", ">", "ship", " ", "\n", "<image>", "[det]"]), max_size=60),
       st.sampled_from([(1, 1), (712, 557), (3, 20000)]))
def test_decode_never_raises_and_its_text_holds_no_shape(parts, size):
    dec = geometry.decode("".join(parts), *size)
    assert geometry.decode(dec.text, *size).objects == []
    for o in dec.objects:
        assert o["kind"] in geometry.KINDS and (o["label"] is None or isinstance(o["label"], str))
