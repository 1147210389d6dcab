"""Review of tour 67's --tta words (turn senses, "right" as "just", "left" as remaining)."""

from __future__ import annotations

import pytest

from rsvlm import tta

VIEWS = ("h", "v", "hv", "t", "th", "tv", "thv")
MIRRORS = ("h", "v", "t", "thv")  # an odd number of steps


@pytest.mark.parametrize("said,view,image", [
    ("The ship at the top-right next to the dock.", "h", "The ship at the top-left next to the dock."),
    ("The ship at the top-right next to the dock.", "t", "The ship at the bottom-left next to the dock."),
    ("The ship at the top_right beside the road.", "h", "The ship at the top_left beside the road."),
    ("Is the ship in the upper-left behind the pier?", "h", "Is the ship in the upper-right behind the pier?"),
    ("The car on the lower-left left intact.", "h", "The car on the lower-right left intact.")])
def test_a_hyphened_corner_before_next_to_or_behind_still_turns(said, view, image):
    """'the top-right next to the dock' was read as 'right' meaning 'just' (the joiner's word before it was never
    seen), so a left-right flip asked it of the other corner, and a transpose asked 'the left-right next to'."""
    assert tta.swap_words(said, view) == image


@pytest.mark.parametrize("said,image", [("How many planes face left?", "How many planes face right?"),
                                        ("Is any ship moving left?", "Is any ship moving right?"),
                                        ("How many ships are at left?", "How many ships are at right?"),
                                        ("Are any cars parked left behind the truck?",
                                         "Are any cars parked right behind the truck?")])
def test_a_heading_left_after_any_or_many_is_a_side(said, image):
    """'How many planes face left?' was read as 'left' meaning remaining (after 'many'), so a left-right flip asked
    it as written, of planes that face right in the image."""
    assert tta.swap_words(said, "h") == image


def test_detecting_any_planes_facing_left_is_not_asked_of_the_crops():
    msgs = [{"role": "user", "content": "<image>\n[det] Detect any planes facing left."}]
    assert tta.croppable(msgs) is False


@pytest.mark.parametrize("view", VIEWS)
def test_both_senses_of_a_bend_to_the_left_or_to_the_right_turn_together(view):
    """'Does the river bend to the left or to the right?': its second option was read as a side, so a half turn
    asked 'to the left or to the left?' and a transpose 'to the right or to the bottom?'."""
    q = "Does the river bend to the left or to the right? Does the road turn left, or right?"
    mirrored = "Does the river bend to the right or to the left? Does the road turn right, or left?"
    assert tta.swap_words(q, view) == (mirrored if view in MIRRORS else q)


@pytest.mark.parametrize("view", VIEWS)
def test_the_options_of_a_which_way_question_are_senses(view):
    """'Which way does the river bend, left or right?' was asked of a transpose as '..., top or bottom?', while its
    answer 'Left.' was read back as a turn's sense."""
    q = "Which way does the river bend, left or right?"
    assert tta.turn_question(q)
    assert tta.swap_words(q, view) == (q.replace("left or right", "right or left") if view in MIRRORS else q)


def test_a_side_in_a_which_way_question_still_turns():
    q = "Which way does the road turn after the ship on the left or right?"
    assert tta.swap_words(q, "t") == "Which way does the road turn after the ship on the top or bottom?"


@pytest.mark.parametrize("question", ["Which way is the ship facing near the bend?",
                                      "Which direction does the ship face at the river bend?",
                                      "Which way is the plane pointing, towards the curve?"])
def test_a_heading_question_that_names_a_bend_is_no_turn_question(question):
    """'Which way is the ship facing near the bend?' was read as a turn's question (any turn word after 'which way'),
    so its answer 'Left.', a heading, was kept in the half turn and the transposes, where it is 'Right.' and 'Top.'."""
    assert not tta.turn_question(question)
    views = {"h": "Right.", "v": "Left.", "hv": "Right.", "t": "Top.", "th": "Top.", "tv": "Bottom.", "thv": "Bottom."}
    assert {v: tta.swap_words(a, v, back=True, turning=tta.turn_question(question)) for v, a in views.items()} == {
        v: "Left." for v in views}


@pytest.mark.parametrize("question", ["Which way does the river bend?", "Which direction does the road curve?",
                                      "Which way does the main road turn after the bridge?",
                                      "Which way is the ship turning?"])
def test_a_which_way_question_of_a_turn_still_is_one(question):
    assert tta.turn_question(question)


@pytest.mark.parametrize("said,image", [("Ships moving right along the road.", "Ships moving left along the road."),
                                        ("The plane facing right beside the hangar.",
                                         "The plane facing left beside the hangar."),
                                        ("Is the ship at right by the dock?", "Is the ship at left by the dock?")])
def test_a_heading_right_before_next_to_or_along_is_a_side(said, image):
    """'Ships moving right along the road.' was read as 'right' meaning 'just', kept in a left-right flip: the view
    was asked of the ships moving left in the image."""
    assert tta.swap_words(said, "h") == image


@pytest.mark.parametrize("text", ["Is that right?", "That's right.", "Yes, this is right."])
@pytest.mark.parametrize("view", VIEWS)
def test_right_meaning_correct_is_no_side(text, view):
    """'Is that right?' was asked of a left-right flip as 'Is that left?', of a transpose as 'Is that bottom?'; a view's
    answer 'That's right.' came back 'That's left.', another vote."""
    assert tta.swap_words(text, view) == text
    assert tta.swap_words(text, view, back=True) == text


@pytest.mark.parametrize("said,image", [("Is that right of the pier?", "Is that left of the pier?"),
                                        ("Is that one on the right?", "Is that one on the left?"),
                                        ("Yes, this is right, the ship is on the left.",
                                         "Yes, this is right, the ship is on the right.")])
def test_right_beside_that_as_a_side_still_turns(said, image):
    assert tta.swap_words(said, "h") == image
