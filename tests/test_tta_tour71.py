"""Stop 71 (area X, tta): a place on a river ("left of the river mouth") is a side in the answer to a bank's
question, "Are the top two the largest?" asks of the two at the top, and the geometry API's looseness (a clamp that
changes an oriented box's shape is said; a label, ``per_instance`` or an image size of the wrong type is refused)."""

from __future__ import annotations

import re

import pytest
from conftest import blank_image

from rsvlm import tta

BANK_Q = [{"role": "user", "content": "<image>\n[vqa] Which bank is the ship on?"}]


@pytest.mark.parametrize("view,image", [("h", "Right of the river mouth."), ("v", "Left of the river mouth."),
                                        ("t", "Above the river mouth."), ("th", "Below the river mouth."),
                                        ("hv", "Right of the river mouth.")])
def test_a_place_on_the_river_is_a_side_in_a_banks_answer(view, image):
    """"Left of the river mouth." answering "Which bank is the ship on?" was read as the river's left bank: a top-bottom
    flip's answer came back "Right of the river mouth." (a bank, swapped by a mirror), a transpose's kept "Left" (a
    sense, kept by a quarter turn); a mouth is a place at the river's end, with sides of its own."""
    said = "Left of the river mouth."
    assert tta.swap_words(said, view, back=True, turning=True) == image


@pytest.mark.parametrize("text", ["The left side of the river mouth.", "Left of the river's mouth.",
                                  "The left side of the river bend."])
def test_a_side_of_a_place_on_the_river_turns_as_any_side(text):
    assert tta.swap_words(text, "v", back=True, turning=True) == text  # a top-bottom flip keeps left and right
    assert tta.swap_words(text, "h", back=True, turning=True) == text.replace("left", "right").replace("Left", "Right")


@pytest.mark.parametrize("text", ["The left side of the river.", "Left of the river.", "The left bank.",
                                  "The left side of the river near the bridge."])
def test_the_rivers_own_side_is_still_its_bank(text):
    """A mirror view says the other bank (the river flows the other way round), a half turn the same one."""
    right = text.replace("left", "right").replace("Left", "Right")
    assert [tta.swap_words(text, v, back=True, turning=True) for v in ("v", "hv", "t")] == [right, text, right]


def test_the_views_vote_a_place_on_the_river_back_to_one_answer():
    """The plain answer misplaced the ship; each mirror view saw it left of the river mouth in its own frame. Said back,
    the top-bottom flip's "Left" and the half turn's "Right" came back "Right" (swapped and kept as a bank's): the plain
    answer's wrong place won 3 to 1."""
    asked = iter(["Right of the river mouth.", "Left of the river mouth.", "Right of the river mouth."])  # h, v, hv
    (fused,) = tta.fused_answers(lambda m, i: [(next(asked), [])], [BANK_Q], [blank_image()],
                                 [("Right of the river mouth.", [])], tta.FuseConfig(text_words=5))
    assert fused.answer == "Left of the river mouth."
    assert fused.note is None


@pytest.mark.parametrize("question,v,t", [
    ("Are the top two the largest?", "Are the bottom two the largest?", "Are the left two the largest?"),
    ("Are the top 2 ships the largest?", "Are the bottom 2 ships the largest?", "Are the left 2 ships the largest?"),
    ("Are the left two the largest?", "Are the left two the largest?", "Are the top two the largest?")])
def test_the_ones_at_the_top_with_a_superlative_after_them_are_a_place(question, v, t):
    """"Are the top two the largest?" was read as a ranking ("the top 2 largest") and asked as it is of every view,
    so a top-bottom flip asked of the two at the bottom of the image; "Is the top one the largest?" turned already."""
    assert (tta.swap_words(question, "v"), tta.swap_words(question, "t")) == (v, t)
    assert tta.swap_words(v, "v", back=True) == question


@pytest.mark.parametrize("text", ["the top 3 largest ships", "the top 3 of the largest ships",
                                  "the top two among the biggest tanks", "Are the top two largest?"])
def test_a_ranking_stays_one(text):
    assert {tta.swap_words(text, v) for v in tta.DIHEDRAL[1:]} == {text}


def test_each_view_is_asked_of_the_same_two_and_its_yes_is_one_vote():
    asked: list[str] = []

    def answer(messages, images):
        asked.extend(m[-1]["content"] for m in messages)
        return [("Yes.", [])] * len(messages)

    msgs = [[{"role": "user", "content": "<image>\n[vqa] Are the top two the largest?"}]]
    cfg = tta.FuseConfig(views="dihedral")
    (fused,) = tta.fused_answers(answer, msgs, [blank_image()], [("No.", [])], cfg)
    assert asked == [f"<image>\n[vqa] Are the {w} two the largest?"
                     for w in ("top", "bottom", "bottom", "left", "right", "left", "right")]
    assert fused.answer == "Yes."


# ---------------------------------------------------------------- the geometry API


def test_encode_says_which_oriented_box_or_polygon_the_clamp_changed():
    """An oriented box partly off the image was written with its off corners clamped one by one (no rectangle any
    more) without a word; a box is cut to the image and a point moved onto its edge as before, unsaid."""
    from rsvlm import geometry

    off = geometry.rbox_to_quad(5, 50, 20, 6, 30)  # two corners left of x = 0
    objs = [{"kind": "obb", "label": "ship", "coords": off},
            {"kind": "box", "label": "ship", "coords": [-5, 0, 10, 10]},
            {"kind": "point", "label": "ship", "coords": [120, 50]},
            {"kind": "poly", "label": None, "coords": [[-10, 1], [10, 1], [10, 10]]},
            {"kind": "obb", "label": None, "coords": [[-0.05, 0], [100.05, 0], [100, 100], [0, 100]]}]  # under a bin
    notes: list[str] = []
    text = geometry.encode(objs, 100, 100, clamped=notes)
    assert text == geometry.encode(objs, 100, 100)  # the text is as before
    assert notes == [
        "object 0 (obb 'ship'): 2 of its 4 vertices off the 100x100 image, each clamped to its edge: its shape changed "
        "(clip it to the image first: shapely's intersection)",
        "object 3 (poly): 1 of its 3 vertices off the 100x100 image, each clamped to its edge: its shape changed "
        "(clip it to the image first: shapely's intersection)"]


def test_a_polygons_hole_off_the_image_is_said_too():
    from rsvlm import geometry

    ring, hole = [[0, 0], [50, 0], [50, 50], [0, 50]], [[10, 10], [10, 60], [20, 10]]
    notes: list[str] = []
    geometry.encode([{"kind": "poly", "coords": ring, "rings": [ring, hole]}], 50, 50, clamped=notes)
    assert len(notes) == 1 and notes[0].startswith("object 0 (poly): 1 of its 7 vertices off the 50x50 image")


@pytest.mark.parametrize("label,said", [(3, "got int 3 (a class id: pass its name, or str(id))"),
                                        ("", "got str ''"), (["ship"], "got list ['ship']")])
def test_mask_to_objects_refuses_a_label_encode_cannot_write(label, said):
    """A class id 3 made objects labelled 3, refused later by ``encode`` as "object 0: label must be ...", which named
    no argument of the call that made them."""
    import numpy as np

    from rsvlm import geometry

    m = np.zeros((8, 8), bool)
    m[2:4, 2:4] = True
    with pytest.raises(ValueError, match=rf"mask_to_objects: label must be None or a non-empty str, {re.escape(said)}"):
        geometry.mask_to_objects(m, label)
    assert geometry.mask_to_objects(m, None)[0]["label"] is None


@pytest.mark.parametrize("flag", ["no", 1, "False"])
def test_mask_to_objects_refuses_a_per_instance_that_is_no_bool(flag):
    """``per_instance="no"`` (truthy) split the grid per instance without a word."""
    import numpy as np

    from rsvlm import geometry

    m = np.zeros((8, 8), bool)
    m[1, 1] = m[5, 5] = True
    with pytest.raises(ValueError, match=rf"per_instance must be None, True or False, got {type(flag).__name__}"):
        geometry.mask_to_objects(m, "car", form="grid", per_instance=flag)
    assert len(geometry.mask_to_objects(m, "car", form="grid", per_instance=np.True_)) == 2
    assert len(geometry.mask_to_objects(m, "car", form="grid", per_instance=False)) == 1


@pytest.mark.parametrize("size", [96.0, 47.5, True, "96"])
def test_quantize_and_dequantize_refuse_an_image_size_that_is_no_int(size):
    """``quantize(x, 96.0)`` and ``quantize(x, 47.5)`` (a width halved) quantised on a grid no image has, where
    ``encode`` and ``decode`` refuse such a size; ``True`` was a 1 px image, "96" a TypeError naming nothing."""
    import numpy as np

    from rsvlm import geometry

    with pytest.raises(ValueError, match=r"image size must be positive and a whole number of pixels \(an int\), got"):
        geometry.quantize(10.0, size)
    with pytest.raises(ValueError, match="image size must be positive and a whole number of pixels"):
        geometry.dequantize(10, size)
    assert geometry.quantize(10.0, np.int64(96)) == geometry.quantize(10.0, 96) == 104


@pytest.mark.parametrize("x", ["10", True, None])
def test_quantize_refuses_a_coordinate_that_is_no_number(x):
    from rsvlm import geometry

    with pytest.raises(ValueError, match="coordinate must be a number, got"):
        geometry.quantize(x, 96)


# ---------------------------------------------------------------- one-word "lefthand"


@pytest.mark.parametrize("text,h,t", [
    ("the ship on the lefthand side", "the ship on the righthand side", "the ship on the top side"),
    ("the LeftHand ship", "the RightHand ship", "the Top ship"),
    ("Righthand.", "Lefthand.", "Bottom.")])
def test_lefthand_in_one_word_turns_as_left_hand_does(text, h, t):
    """"the ship on the lefthand side" was asked as it is of every view: a left-right flip asked of the other side."""
    assert (tta.swap_words(text, "h"), tta.swap_words(text, "v"), tta.swap_words(text, "t")) == (h, text, t)


def test_the_views_lefthand_and_righthand_are_said_back_as_the_image_has_them():
    """The plain answer misplaced the ship; the left-right flip's and the half turn's "Righthand side." came back as they
    were, two votes for the plain answer's wrong side; a transpose's "Top side." comes back "Lefthand" too."""
    msgs = [[{"role": "user", "content": "<image>\n[vqa] Which side is the ship on?"}]]
    said = iter(["Righthand side.", "Lefthand side.", "Righthand side.", "Top side."])  # h, v, hv, t: each view's side
    asked = tta.FuseConfig(views=("", "h", "v", "hv", "t"))
    (fused,) = tta.fused_answers(lambda m, i: [(next(said), [])], msgs, [blank_image()], [("Righthand side.", [])], asked)
    assert fused.answer == "Lefthand side." and fused.note is None


@pytest.mark.parametrize("text", ["Is it on the lefthand bank?", "Does the road make a lefthand turn?"])
def test_a_lefthand_bank_or_turn_is_a_sense_a_mirror_swaps(text):
    other = text.replace("lefthand", "righthand")
    assert [tta.swap_words(text, v) for v in ("h", "v", "hv", "t")] == [other, other, text, other]


# ---------------------------------------------------------------- "up" and "down" as a way


def test_a_question_facing_up_is_asked_of_the_left_right_flip_alone():
    """"Is the ship facing up?" was asked as written of the top-bottom flip and the half turn, whose ship faces down:
    two votes for "no" against the plain "yes"; now only the left-right flip is asked, and a note says why."""
    asked: list[str] = []

    def answer(messages, images):
        asked.extend(m[-1]["content"] for m in messages)
        return [("No.", [])] * len(messages)

    msgs = [[{"role": "user", "content": "<image>\n[vqa] Is the ship facing up?"}]]
    (fused,) = tta.fused_answers(answer, msgs, [blank_image()], [("Yes.", [])])
    assert asked == ["<image>\n[vqa] Is the ship facing up?"]  # the left-right flip's: the same words
    assert fused.answer == "Yes."  # a tie of one view with the plain answer: the plain answer's
    assert fused.unasked == ("test-time augmentation: 2 other views not asked, 1 asked ('v', 'hv' not): the "
                             "conversation cannot be said in a mirror view (a word with no one-word image there: the "
                             "question's 'up' under a top-bottom flip or a transpose)")


def test_a_views_answer_up_or_down_is_no_vote_but_in_a_left_right_flip():
    """"Which way is the ship facing?" holds no direction word, so every view is asked; the top-bottom flip's "Down."
    was a vote as it was said (another way than the plain "Up.")."""
    msgs = [[{"role": "user", "content": "<image>\n[vqa] Which way is the ship facing?"}]]
    said = iter(["Up.", "Down.", "Down."])  # h, v, hv
    (fused,) = tta.fused_answers(lambda m, i: [(next(said), [])], msgs, [blank_image()], [("Left.", [])])
    assert fused.answer == "Left."  # "Up." once (h) against the plain "Left.": a tie, the plain answer's
    assert fused.note == ("test-time augmentation: 2 of 3 other view answers could not be fused, left out of the "
                          "vote (first: view 'v': a direction word of it has no one-word image back), the others: 'hv'")


@pytest.mark.parametrize("text", ["the built-up area", "up to 5 ships", "ships moving down the river",
                                  "Pick up the ships.", "Is the upper ship larger?"])
def test_up_and_down_that_are_no_way_in_the_image_are_as_before(text):
    assert tta.swap_words(text, "v") == text.replace("upper", "lower")
    assert tta.swap_words(text, "h") == text


# ---------------------------------------------------------------- clock positions


@pytest.mark.parametrize("text,said", [
    ("the ship at 2 o'clock from the tank", ["10", "4", "8", "7", "5", "11", "1"]),
    ("Is the plane facing twelve o'clock?", ["twelve", "six", "six", "nine", "three", "nine", "three"])])
def test_a_clock_position_turns_with_each_view(text, said):
    """"the ship at 2 o'clock from the tank" was asked as written of every view: of another ship in all seven."""
    hour = text.split(" o'clock")[0].split()[-1]
    assert [tta.swap_words(text, v) for v in tta.DIHEDRAL[1:]] == [text.replace(f"{hour} o'", f"{h} o'") for h in said]
    for v in tta.DIHEDRAL[1:]:
        assert tta.swap_words(tta.swap_words(text, v), v, back=True) == text


def test_a_views_clock_answer_is_said_back_and_voted_with_the_plain_one():
    msgs = [[{"role": "user", "content": "<image>\n[vqa] Where is the ship from the tank?"}]]
    said = iter(["10 o'clock.", "4 o'clock.", "8 o'clock."])  # h, v, hv: each view's hour of the image's 2
    (fused,) = tta.fused_answers(lambda m, i: [(next(said), [])], msgs, [blank_image()], [("3 o'clock.", [])])
    assert fused.answer == "2 o'clock."


@pytest.mark.parametrize("text", ["Was the image taken at 10 o'clock?", "at 9 o'clock in the morning",
                                  "the shadows at 4 o'clock local time"])
def test_a_time_of_day_is_no_clock_position(text):
    assert {tta.swap_words(text, v) for v in tta.DIHEDRAL[1:]} == {text}


# ---------------------------------------------------------------- a row or column by its side


@pytest.mark.parametrize("text,t,th", [
    ("How many cars are in the top row?", "How many cars are in the left column?", "How many cars are in the right column?"),
    ("the ships in the left column", "the ships in the top row", "the ships in the top row"),
    ("The Bottom Rows.", "The Right Columns.", "The Left Columns."),
    ("the bottom-row cars", "the right-column cars", "the left-column cars")])
def test_a_row_by_its_side_is_a_column_of_a_transposed_view(text, t, th):
    """"the top row" was asked of a transpose as "the left row": a row of the image is a column of that view."""
    assert (tta.swap_words(text, "t"), tta.swap_words(text, "th")) == (t, th)
    assert tta.swap_words(th, "th", back=True) == text
    assert ("row" in tta.swap_words(text, "hv").lower()) == ("row" in text.lower())  # no transpose: the noun kept


def test_a_row_with_no_side_is_kept():
    text = "How many rows of containers are there?"
    assert {tta.swap_words(text, v) for v in tta.DIHEDRAL[1:]} == {text}
