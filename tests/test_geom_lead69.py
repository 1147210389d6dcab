"""Stop 69 (area X3, geom): a mirror view's words where a direction word names no side of the image: a ranking
("the top 3 largest ships"), "right" as correct or at once ("Is it all right?", "right away"), a river's bank
(named facing downstream) and "lower than" (a height, as "higher than")."""

from __future__ import annotations

import pytest

from rsvlm import tta
from rsvlm.tta_text import map_text

VIEWS = tta.DIHEDRAL[1:]  # every view but the identity
MIRRORS = [v for v in VIEWS if len(v) % 2]  # an odd number of steps: h, v, t, thv


def _kept_in_every_view(texts):
    """Parametrize a test by ``texts`` × every view."""
    return lambda f: pytest.mark.parametrize("view", VIEWS)(pytest.mark.parametrize("text", texts)(f))


def _assert_kept(text, view):
    assert tta.swap_words(text, view) == text  # asked of the view as written
    assert tta.swap_words(text, view, back=True) == text  # and a view's answer said back as written


@_kept_in_every_view(["Which are the top 3 largest ships?", "Which are the top-3 ships?", "the top few ships",
                            "Top 5 ships by area.", "The Top Three Biggest tanks.", "the bottom 2 smallest tanks",
                            "the top several ships"])
def test_top_n_as_a_ranking_is_kept_in_every_view(text, view):
    """"the top 3 largest ships" was asked of a transpose as "the left 3 largest ships", of a top-bottom flip as "the
    bottom 3 largest": a ranking read as a side, another question in 6 of the 7 views."""
    _assert_kept(text, view)


@pytest.mark.parametrize("view", ["t", "th", "tv", "thv"])
def test_a_side_before_a_ranking_is_not_asked_of_a_transpose(view):
    """"the left 3 largest ships" would be asked of a transpose as "the top 3 largest", the ranking: no image there."""
    assert tta.swap_words("the left 3 largest ships", view) is None
    assert tta.swap_words("The left 3 largest ships.", view, back=True) is None


@pytest.mark.parametrize("text,v,t", [("Top 3.", "Bottom 3.", "Left 3."), ("the top 3 west piers", "the bottom 3 west piers",
                                                                          "the left 3 north piers"),
                                      ("the top 3 forest patches", "the bottom 3 forest patches",
                                       "the left 3 forest patches")])
def test_top_n_with_no_ranking_word_is_still_a_side(text, v, t):
    assert (tta.swap_words(text, "v"), tta.swap_words(text, "t")) == (v, t)


@_kept_in_every_view(["Is it all right?", "It is all right with the runway.", "Is it all right that it is wet?", "Go right away.", "Do it right now.",
                            "The ship is right here.", "Right?", "The ship is near the pier, right?", "Alright.",
                            "That's all right."])
def test_right_as_correct_or_at_once_is_kept_in_every_view(text, view):
    """"Is it all right?" was asked of a transpose as "Is it all bottom?", of a left-right flip as "Is it all left?";
    "Go right away." as "Go left away.", "Right?" as "Bottom?"."""
    _assert_kept(text, view)


@pytest.mark.parametrize("text,image", [("Is it all left or all right?", "Is it all right or all left?"),
                                        ("Ships moving right away from the dock.", "Ships moving left away from the dock."),
                                        ("Is the ship on the left or right?", "Is the ship on the right or left?"),
                                        ("Is the ship left, right?", "Is the ship right, left?")])
def test_right_as_a_side_beside_those_words_still_turns(text, image):
    assert tta.swap_words(text, "h") == image


@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize("text,other", [("the right bank of the river", "the left bank of the river"),
                                        ("Is the ship on the river's Left bank?", "Is the ship on the river's Right bank?"),
                                        ("the ship on the left-hand bank", "the ship on the right-hand bank"),
                                        ("How many boats are on the right riverbank?",
                                         "How many boats are on the left riverbank?")])
def test_a_rivers_bank_turns_in_a_mirror_and_stays_in_a_rotation(text, other, view):
    """A bank is named facing downstream: a mirror view makes the river flow the other way round, so its left bank is
    the right one there; a half or quarter turn keeps it. A transpose asked "the right bank" as "the bottom bank", a
    top-bottom flip kept it "right" (the other bank), a half turn made it "left" (the other bank)."""
    image = other if view in MIRRORS else text
    assert tta.swap_words(text, view) == image
    assert tta.swap_words(image, view, back=True) == text


def test_a_bank_and_a_side_of_a_thing_each_follow_their_own_rule():
    q = "Is the ship on the left bank, right of the pier?"
    assert tta.swap_words(q, "v") == "Is the ship on the right bank, right of the pier?"
    assert tta.swap_words(q, "th") == "Is the ship on the left bank, below the pier?"


@_kept_in_every_view(["Is the ship lower than the pier?", "Is the ship higher than the pier?",
                            "Which building is lower?", "Which is lower, the tower or the tank?",
                            "Is the cloud cover lower than 10%?"])
def test_lower_than_is_a_height_kept_in_every_view(text, view):
    """"Is the ship lower than the pier?" was asked of a top-bottom flip as "... upper than the pier?" (no English, and
    "higher than", its pair, was never turned), and skipped by the transposed views."""
    _assert_kept(text, view)


@pytest.mark.parametrize("view", ["t", "th", "tv", "thv"])
def test_a_transposed_view_is_asked_a_lower_than_question(view):
    assert map_text("[vqa] Is the ship lower than the pier?", view, 64, 48) == "[vqa] Is the ship lower than the pier?"


@pytest.mark.parametrize("text,v", [("the lower building", "the upper building"), ("the ship below the pier",
                                                                                  "the ship above the pier")])
def test_a_lower_or_below_in_the_image_still_turns(text, v):
    assert tta.swap_words(text, "v") == v and tta.swap_words(text, "t") is None


@pytest.mark.parametrize("question", ["[vqa] Which bank of the river is the ship on?",
                                      "[vqa] Is the ship on the left or right bank?"])
def test_a_banks_answer_from_every_view_is_one_vote(question):
    """Each view answers the bank as it sees it (a mirror the other one); a top-bottom flip's "Right." was said back
    "Right.", a transpose's "Bottom.": the wrong plain answer won, 3 votes to the truth's 1."""
    from conftest import blank_image

    views = iter(["Right." if len(v) % 2 else "Left." for v in VIEWS])  # the true bank "Left." in each view's words
    msgs = [[{"role": "user", "content": f"<image>\n{question}"}]]
    (fused,) = tta.fused_answers(lambda m, i: [(next(views), [])], msgs, [blank_image()], [("Right.", [])],
                                 tta.FuseConfig(views="dihedral"))
    assert fused.answer == "Left." and fused.note is None
