"""Tour 77 of the geometry codec: tags in other case, and round trips at the edges of the image and the grammar."""

import numpy as np
import pytest

from rsvlm import geometry

W, H = 100, 50
BOX = "<loc_1><loc_2><loc_3><loc_4>"


def test_a_ref_in_capitals_is_reported_not_silently_dropped():
    """``<REF>ship</REF><box>…`` gave an unlabelled box and no problem: the label was lost without a word."""
    d = geometry.decode(f"<REF>ship</REF><box>{BOX}</box>", W, H)
    assert [o["label"] for o in d.objects] == [None]
    assert d.problems == ["<REF> is no tag: tags are lower case (<ref>); read as text",
                          "</REF> is no tag: tags are lower case (</ref>); read as text"]


@pytest.mark.parametrize("text, first", [
    (f"<BOX>{BOX}</BOX>", "<BOX> is no tag: tags are lower case (<box>)"),
    (f"<Poly>{BOX}<loc_5><loc_6></Poly>", "<Poly> is no tag: tags are lower case (<poly>)"),
    ("<box><LOC_1><loc_2><loc_3><loc_4></box>", "<LOC_1> is no tag: tags are lower case (<loc_1>)"),
    ("the mask<Row> ends", "<Row> is no tag: tags are lower case (<row>)"),
])
def test_a_tag_in_other_case_names_itself_and_its_lower_case(text, first):
    d = geometry.decode(text, W, H)
    assert d.objects == [] and d.problems[0].startswith(first)


def test_words_with_angle_brackets_that_are_no_tags_are_no_problem():
    assert geometry.decode("a <b>bold</b> ship, x < y, <Boxes>", W, H).problems == []


@pytest.mark.parametrize("coords, want", [
    ([0, 0, W, H], "<loc_0><loc_0><loc_999><loc_999>"),
    ([10, 10, 10, 20], "<loc_100><loc_200><loc_100><loc_400>"),  # zero width: kept, not refused
    ([W, H, W, H], "<loc_999><loc_999><loc_999><loc_999>"),
    ([-5, -5, W + 5, H + 5], "<loc_0><loc_0><loc_999><loc_999>"),  # clamped
])
def test_boxes_at_the_edges_round_trip_to_the_bin_centres(coords, want):
    text = geometry.encode([{"kind": "box", "coords": coords}], W, H)
    assert text == f"<box>{want}</box>"
    d = geometry.decode(text, W, H)
    assert d.problems == [] and geometry.encode(d.objects, W, H) == text


@pytest.mark.parametrize("a, b", [(0, 180), (90, -90), (90, 270), (30, 210)])
def test_an_oriented_box_and_its_half_turn_are_one_spelling(a, b):
    q = [geometry.encode([{"kind": "obb", "coords": geometry.rbox_to_quad(50, 25, 20, 10, ang)}], W, H) for ang in (a, b)]
    assert q[0] == q[1]
    d = geometry.decode(q[0], W, H)
    assert d.problems == [] and geometry.encode(d.objects, W, H) == q[0]


def test_a_polygon_clockwise_or_not_is_one_spelling_and_a_bow_tie_stays_as_given():
    cw = [[10, 10], [40, 10], [40, 40], [10, 40]]
    assert geometry.encode([{"kind": "poly", "coords": cw}], W, H) == \
        geometry.encode([{"kind": "poly", "coords": cw[::-1]}], W, H)
    tie = geometry.encode([{"kind": "poly", "coords": [[10, 10], [40, 40], [40, 10], [10, 40]]}], W, H)
    d = geometry.decode(tie, W, H)
    assert d.problems == [] and len(d.objects[0]["coords"]) == 4  # docs/geometry.md: kept as written


def test_a_ring_over_the_budget_is_simplified_to_it():
    ring = [[50 + 40 * np.cos(t), 25 + 20 * np.sin(t)] for t in np.linspace(0, 2 * np.pi, 200, endpoint=False)]
    assert geometry.encode([{"kind": "poly", "coords": ring}], W, H).count("<loc_") == 400
    text = geometry.encode([{"kind": "poly", "coords": ring, "budget": 32}], W, H)
    assert 6 <= text.count("<loc_") <= 32 and geometry.decode(text, W, H).problems == []


@pytest.mark.parametrize("form", ["poly", "grid"])
@pytest.mark.parametrize("where", ["empty", "full", "first", "last"])
def test_masks_empty_full_and_of_one_pixel_round_trip(form, where):
    m = np.zeros((H, W), bool)
    if where == "full":
        m[:] = True
    elif where == "first":
        m[0, 0] = True
    elif where == "last":
        m[-1, -1] = True
    text = geometry.encode([{"kind": "mask", "label": "x", "mask": m, "form": form}], W, H)
    if where == "empty":
        assert text == ""  # writes nothing, not even the label (documented)
        return
    d = geometry.decode(text, W, H)
    assert d.problems == [] and len(d.objects) == 1
    back = geometry.objects_to_mask(d.objects, W, H)
    if form == "grid" or where == "full":
        assert (back == m).all()
    else:  # a one-pixel ring collapses to one bin: it covers no pixel centre (docs/geometry.md)
        assert back.sum() <= 1


@pytest.mark.parametrize("text, said", [
    ("<box><loc_1><loc_2><loc_3>", "<box> needs 4 location tokens, got 3; dropped"),
    ("<box><loc_1><loc_2><loc_3><loc_1000></box>", "<loc_1000> is out of range 0..999"),
    ("<box><loc_1 ><loc_2><loc_3><loc_4></box>", "<box> contains '<loc_1 >'; ignored"),
    ("<poly><loc_1><loc_2><loc_3></poly>", "<poly> needs an even number (>= 2) of location tokens, got 3; dropped"),
    ("<mask><loc_1></mask>", "<mask> does not start with <grid>"),
    ("</box>", "stray </box>; ignored"),
])
def test_malformed_answers_are_dropped_with_the_reason(text, said):
    d = geometry.decode(text, W, H)
    assert d.objects == [] and said in d.problems


def test_spaces_between_tokens_change_nothing():
    d = geometry.decode("<box> <loc_1> <loc_2>\n <loc_3>  <loc_4> </box>", W, H)
    assert d.problems == [] and geometry.encode(d.objects, W, H) == f"<box>{BOX}</box>"


@pytest.mark.parametrize("form", ["poly", "grid"])
@pytest.mark.parametrize("full", [True, False])
def test_a_mask_budget_under_8_is_named_as_the_masks_whether_or_not_it_holds_pixels(form, full):
    """A mask's budget 7 was refused as a "poly budget", and passed unread where the mask was empty."""
    m = np.full((H, W), full)
    with pytest.raises(ValueError, match="object 0: mask budget 7 is below the minimum of 8 location tokens"):
        geometry.encode([{"kind": "mask", "mask": m, "form": form, "budget": 7}], W, H)


def test_a_label_holding_a_tag_in_other_case_is_refused_as_decode_would_report_it():
    with pytest.raises(ValueError, match=r"object 0: label 'the <BOX> ship' contains an rsvlm tag"):
        geometry.encode([{"kind": "point", "label": "the <BOX> ship", "coords": [1, 1]}], W, H)
