"""Review 77 (tta): "Two moving trucks left." is a departure again (only a verb of moving just before "left" makes
it a side); a verb of heading ("heading", "heads") before "right" and a place's word keeps it a side, as
"face" does ("The car is heading right near the bridge." turned in a mirror before stop 77's "just" rule, and must);
a verb of moving and a word other than a place's or a path's after "right" is a side ("turned right onto", "moving
right of the pier", "drives right at the junction"); one list of verbs of moving (``tta_lines.MOVE_VERBS``)."""

from __future__ import annotations

import re

import pytest

from rsvlm.tta_lines import _MOVING, MOVE_VERBS
from rsvlm.tta_senses import is_just, is_towards
from rsvlm.tta_words import swap_words

SIDE = ("The car is heading right near the bridge.", "Ships heading right next to the dock.",
        "The convoy heads right beside the river.", "The ship headed right between the piers.",
        "The car turned right onto the main road.", "A boat moving right of the pier.", "The truck heads right.",
        "The bus drives right at the junction.", "Ships sailing right toward the harbour.",
        "The plane taxis right onto the runway.", "Cars drive right past the school.",
        "The truck went right at the roundabout.", "A cyclist rides right on the path.",
        "The aircraft taxied right then stopped.", "The truck pulled right onto the shoulder.",
        "The boat travels right, then docks.")


@pytest.mark.parametrize("text", SIDE)
def test_right_after_a_verb_of_heading_or_moving_is_a_side(text):
    at = text.lower().index("right")
    assert not is_just(text, at, at + 5)
    swapped = swap_words(text, "h")
    assert swapped == text.replace("right", "left"), swapped
    assert swap_words(swapped, "h") == text


def test_a_verb_of_moving_before_a_place_word_stays_just():
    """The stop-77 rule the heading verbs leave alone: "ran right next to" is "just"."""
    assert swap_words("The truck ran right next to the ship.", "h") == "The truck ran right next to the ship."


@pytest.mark.parametrize("verb", ["went", "taxiing", "crosses", "passed", "walks", "steaming", "cruises", "rolled",
                                  "heading", "drove"])
def test_one_list_of_verbs_of_moving(verb):
    assert re.fullmatch(MOVE_VERBS, verb) and re.fullmatch(_MOVING, verb) and is_towards(verb)


@pytest.mark.parametrize(("text", "mirrored"), [("Two moving trucks left.", "Two moving trucks left."),
                                                ("Two aircraft taxiing left.", "Two aircraft taxiing right."),
                                                ("A truck drives left, toward the gate.", "A truck drives right, toward the gate.")])
def test_only_a_verb_of_moving_just_before_left_makes_it_no_departure(text, mirrored):
    """fdc00df5 read any verb of moving among the words after the count ("moving" of "Two moving trucks left.") as
    making "left" a side: the trucks that departed turned "right" in a mirror view; only the word before "left" does."""
    assert swap_words(text, "h") == mirrored
