"""Tour 59: a lone compass letter follows a mirror view only where it reads as a direction ("to the E",
"E of the river", "N-S"), not in a name ("Building E", "<ref>Gate N</ref>")."""

from __future__ import annotations

import pytest

from rsvlm import tta
from rsvlm.tta_words import swap_words


@pytest.mark.parametrize("text", ["Where is Building E?", "[ground] Hangar W", "the ship beside Gate N.",
                                  "<ref>Building S</ref> None.", "Is Pier E empty?"])
def test_a_compass_letter_in_a_name_is_no_direction(text):
    """Was: "Building E" asked of the left-right flip as "Building W" (and "Gate N" of the transpose as "Gate W"),
    a building the image has not, and its text answer voted back as another name."""
    for view in tta.DIHEDRAL:
        assert swap_words(text, view) == text, view


@pytest.mark.parametrize("text,view,want", [
    ("Hangar W is 5 km E of Gate N", "h", "Hangar W is 5 km W of Gate N"),
    ("the W side of Building S", "t", "the N side of Building S"),
    ("the ship facing W", "h", "the ship facing E"),
    ("N.", "v", "S."),  # a short answer that is a direction alone
    ("<ref>Gate N</ref><box><loc_1><loc_2><loc_3><loc_4></box> lies to the N", "v",
     "<ref>Gate N</ref><box><loc_1><loc_2><loc_3><loc_4></box> lies to the S"),
])
def test_a_compass_letter_as_a_direction_still_follows_the_view(text, view, want):
    assert swap_words(text, view) == want
    assert swap_words(want, view, back=True) == text


def test_a_question_of_a_named_building_may_be_asked_of_a_crop():
    assert tta.croppable([{"role": "user", "content": "[ground] Building E"}])  # was not: "E" read as a point
    assert not tta.croppable([{"role": "user", "content": "[ground] the ship in the E"}])
    assert not tta.croppable([{"role": "user", "content": "[det] every ship E of the pier"}])


@pytest.mark.parametrize("text,view,want", [
    ("Is the ship facing N or S?", "v", "Is the ship facing S or N?"),  # was "facing S or S?": S read as a name
    ("E and W ends", "h", "W and E ends"),  # was "E and E ends"
    ("Is it N, S, E or W of the pier?", "t", "Is it W, E, S or N of the pier?"),  # was "N, S, E or N"
    ("Which ship is furthest E?", "h", "Which ship is furthest W?"),  # was kept: "furthest" no direction word
    ("Does the runway run E or W?", "h", "Does the runway run W or E?"),
])
def test_compass_letters_listed_together_all_follow_the_view(text, view, want):
    """Review of 5c6f52f: a letter listed with another ("N or S") was a name unless a word beside it said
    direction, so one of two options turned and the view was asked a question with one option twice."""
    assert swap_words(text, view) == want
    assert swap_words(want, view, back=True) == text
    assert not tta.croppable([{"role": "user", "content": f"[det] the ship {text}"}])


def test_a_name_listed_beside_a_point_stays_a_name():
    assert swap_words("Building E or Gate N", "h") == "Building E or Gate N"
    assert swap_words("Building E and the N end", "v") == "Building E and the S end"
