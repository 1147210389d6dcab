"""Stop 71, round 2 (area X2, tta): one public rule of a mask's whole-number offset (``geometry.mask_offset``),
fused oriented boxes held to the image, the up/down match past a comma, and --tta beside other options."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import blank_image

from rsvlm import geometry


@pytest.mark.parametrize("offset", [[2, 3], (2.0, np.int64(3)), np.array([2, 3]), np.array([2.0, 3.0])])
def test_a_mask_offset_of_two_whole_numbers_is_read(offset):
    assert geometry.mask_offset(offset) == (2, 3)
    drawn = geometry.objects_to_mask([{"kind": "mask", "mask": np.ones((4, 5), bool), "offset": offset}], 64, 64)
    assert drawn.sum() == 20 and drawn[3:7, 2:7].all()  # (64, 64): the crop at rows 3..6, columns 2..6


@pytest.mark.parametrize("offset", [["1", "2"], [True, False], [np.True_, 2], [2.5, 3], [2, 3, 4], np.array(2),
                                    "12", [float("nan"), 1], [10**400, 0], np.array([[2, 3]])])
def test_a_mask_offset_of_text_bools_or_fractions_is_refused_naming_it(offset):
    """``["1", "2"]`` and ``[True, False]`` had been drawn at (1, 2) and (1, 0) (np.asarray(..., float) read them),
    which eval's rule (``whole_offset``) refuses: one rule now, public, in rsvlm.geometry."""
    with pytest.raises(ValueError, match=r"'offset' must be \[x, y\], two whole numbers .*got "):
        geometry.mask_offset(offset)
    obj = {"kind": "mask", "mask": np.ones((4, 5), bool), "offset": offset}
    with pytest.raises(ValueError, match=r"object 0 \(mask\): cannot rasterise: its 'offset' must be"):
        geometry.objects_to_mask([obj], 64, 64)


def _on_left_edge(long_: float, short: float, deg: float) -> list:
    """A ``long_`` × ``short`` obb turned ``deg`` with its leftmost corner on the image's left edge, at y 50."""
    q = np.array(geometry.rbox_to_quad(0, 50, long_, short, deg))  # (4,2)
    q[:, 0] -= q[:, 0].min()
    return q.tolist()


def _right_angled(quad) -> bool:
    q = np.asarray(quad, dtype=float)  # (4,2)
    e = np.roll(q, -1, axis=0) - q  # (4,2) edges
    return all(abs(float(np.dot(e[k], e[(k + 1) % 4]))) < 1e-6 * float(np.dot(e[k], e[k])) for k in range(4))


def test_a_fused_obb_whose_averaged_angle_turns_a_corner_off_the_image_is_moved_in_whole():
    """Two views' 40 x 10 ships on the left edge, at 0° and 30°, each inside the image: their average (15°) turned
    a corner 0.7 px past the edge, which encode clamped alone (a note said its shape changed): the answer's obb was
    no rectangle. It is now moved into the image, a rectangle still."""
    from rsvlm import fusion
    from rsvlm.tta import FuseConfig

    views = [[{"kind": "obb", "label": "ship", "coords": _on_left_edge(40, 10, deg)}] for deg in (0, 30)]
    (out,) = fusion.fuse(views, 100, 100, FuseConfig())
    q = np.asarray(out["coords"])  # (4,2)
    assert q.min() >= 0 and q.max() <= 100 and q[:, 0].min() == pytest.approx(0, abs=1e-9)
    assert _right_angled(q)
    bent: list[str] = []
    geometry.encode([out], 100, 100, clamped=bent)
    assert bent == []


def test_the_tta_answer_of_such_obbs_is_the_fused_rectangle():
    """Through ``tta.fused_answers``: a [ground] obb answered at 0° and, by the left-right flip, at 30° (mirrored)."""
    from rsvlm import tta

    plain = geometry.encode([{"kind": "obb", "label": "ship", "coords": _on_left_edge(40, 10, 0)}], 100, 100)
    mirrored = [[100 - x, y] for x, y in _on_left_edge(40, 10, 30)]  # the 30° ship as the flipped view sees it
    flipped = geometry.encode([{"kind": "obb", "label": "ship", "coords": mirrored}], 100, 100)
    msgs = [[{"role": "user", "content": "<image>\n[ground] Locate the ship."}]]
    (fused,) = tta.fused_answers(lambda m, i: [(flipped, [])], msgs, [blank_image(100, 100)], [(plain, [])],
                                 tta.FuseConfig(views=("", "h")))
    assert fused.answers == 2 and fused.note is None
    q = np.asarray(fused.objects[0]["coords"])  # (4,2)
    assert q.min() >= 0 and q.max() <= 100 and _right_angled(q)
    (back,) = geometry.decode(fused.answer, 100, 100).objects
    assert np.abs(np.asarray(back["coords"]) - q).max() <= 0.1  # the text says the fused rectangle, to a bin


def test_held_in_shrinks_an_obb_larger_than_the_image_about_its_centre_then_moves_it_in():
    from rsvlm import fusion

    big = {"kind": "obb", "label": "ship", "coords": geometry.rbox_to_quad(50, 50, 140, 20, 30)}
    q = np.asarray(fusion.held_in(big, 100, 100)["coords"])  # (4,2)
    assert q.min() == pytest.approx(0, abs=1e-9) and q.max() == pytest.approx(100) and _right_angled(q)
    inside = {"kind": "obb", "coords": geometry.rbox_to_quad(50, 50, 40, 10, 30)}
    assert fusion.held_in(inside, 100, 100) is inside
    box = {"kind": "box", "coords": [-5, 0, 20, 20]}
    assert fusion.held_in(box, 100, 100) is box


@pytest.mark.parametrize("question", ["Is the ship pointing, up or down?", "Which way does it face, up or down?",
                                      "Is it facing: up or down?", "Is the ship pointing either up or down?",
                                      "Is the arrow pointing (up or down)?"])
def test_up_or_down_after_a_comma_is_a_way_asked_of_the_left_right_flip_alone(question):
    """A comma (or colon, "either", a bracket) between the verb and "up" hid the way from the match (54f314b8): the
    question was asked as written of the top-bottom flip and the half turn, whose ship points the other way."""
    from rsvlm import tta

    asked: list[str] = []

    def answer(messages, images):
        asked.extend(m[-1]["content"] for m in messages)
        return [("Down.", [])] * len(messages)

    msgs = [[{"role": "user", "content": f"<image>\n[vqa] {question}"}]]
    (fused,) = tta.fused_answers(answer, msgs, [blank_image()], [("Up.", [])])
    assert asked == [f"<image>\n[vqa] {question}"]  # the left-right flip's: the same words
    assert fused.unasked.endswith("the question's 'up' under a top-bottom flip or a transpose)")
    assert tta.swap_words(question, "v") is None and tta.swap_words(question, "h") == question


@pytest.mark.parametrize("text", ["Is the ship heading, up the river?", "moving, down the river",
                                  "Is the road going up to 5 km?"])
def test_up_or_down_after_a_comma_that_is_no_way_is_kept(text):
    from rsvlm import tta

    assert tta.swap_words(text, "v") == text == tta.swap_words(text, "t")


BOX = "<ref>ship</ref><box><loc_100><loc_100><loc_500><loc_500></box>"
DET = [[{"role": "user", "content": "<image>\n[det] Detect all ships."}]]


@pytest.mark.parametrize("side", [3, 5, 6])  # 6: 11/12 of it, 5.5, rounds to 6 (to even)
def test_crops_of_an_image_too_small_to_crop_are_not_asked_and_the_note_says_why(side):
    """11/12 of a side of 6 px or under rounds to all of it: each corner crop of a 3 x 3 px image was the image itself,
    asked four more times, so its boxes counted as found by five views (--tta views: 4/4, the crops said to be asked)."""
    from rsvlm import tta

    asked, seen = [], []
    cfg = tta.FuseConfig(views="crops")
    (fused,) = tta.fused_answers(lambda m, i: asked.extend(m) or [(BOX, [0.5])] * len(m), DET,
                                 [blank_image(side, side)], [(BOX, [0.5])], cfg, on_views=seen.append)
    assert fused is None and asked == [] and seen == [()]
    assert tta.no_view_note(DET[0], blank_image(side, side), (BOX, [0.5]), cfg) == (
        f"--tta crops: no view asked of this question (the {side}x{side} px image is too small for distinct corner "
        f"crops (11/12 of each side, {side}x{side} px, repeats the whole image or another crop)); the plain answer stands")


def test_a_strip_too_thin_to_crop_across_asks_each_distinct_crop_once():
    """A 100 x 4 px strip: its top and bottom crops are one window (c0 is c2, c1 is c3), each asked twice."""
    from rsvlm import tta

    windows: list = []

    def answer(messages, images):
        windows.extend(tuple(m[-1]["window"]) for m in messages)
        return [(BOX, [0.5])] * len(messages)

    (fused,) = tta.fused_answers(answer, DET, [blank_image(100, 4)], [(BOX, [0.5])], tta.FuseConfig(views="crops"))
    assert windows == [(0, 0, 92, 4), (8, 0, 92, 4)] and fused.answers == 3
    assert fused.unasked == ("test-time augmentation: 2 other views not asked, 2 asked ('c2', 'c3' not): the 100x4 px "
                             "image is too small for distinct corner crops (11/12 of each side, 92x4 px, repeats the "
                             "whole image or another crop)")


def test_dihedral_crops_of_a_tiny_image_asks_the_mirror_views_and_says_why_not_the_crops():
    from rsvlm import tta

    (fused,) = tta.fused_answers(lambda m, i: [(BOX, [0.5])] * len(m), DET, [blank_image(3, 3)], [(BOX, [0.5])],
                                 tta.FuseConfig(views="dihedral+crops"))
    assert fused.answers == 8
    assert fused.unasked.startswith("test-time augmentation: 4 other views not asked, 7 asked ('c0', 'c1', 'c2', "
                                    "'c3' not): the 3x3 px image is too small for distinct corner crops")


def test_crops_of_a_12_px_image_are_asked_as_before():
    from rsvlm import tta

    seen: list = []
    (fused,) = tta.fused_answers(lambda m, i: [(BOX, [0.5])] * len(m), DET, [blank_image(12, 12)], [(BOX, [0.5])],
                                 tta.FuseConfig(views="crops"), on_views=seen.append)
    assert seen == [("c0", "c1", "c2", "c3")] and fused.answers == 5 and fused.unasked is None
