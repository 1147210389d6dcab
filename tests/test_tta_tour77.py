"""Tour 77 (tta): "right" as "just" after a verb of moving ("The truck ran right next to the ship."), before a place's
word the older list lacked ("parked right outside", "sits right between") and as "correct" ("You are right.", "The
count is right.") is no side, so a mirror view keeps it; "right" as a side ("ships moving right along the road", "on
the right next to the dock", "The ship is right.") still turns."""

from __future__ import annotations

import pytest

from rsvlm.tta_senses import is_just, is_towards
from rsvlm.tta_words import swap_words

JUST = ("The truck ran right next to the ship.", "The road runs right next to the river.",
        "A ship moved right beside the dock.", "The plane taxied right up to the hangar.",
        "Two cars parked right outside the mall.", "The tanks sit right between the two roads.",
        "The pier is right opposite the lighthouse.", "A barge drifted right alongside the quay.",
        "The river flows right under the bridge.", "The storage tank sits right near the jetty.",
        "The ship is right in front of the crane.", "Ships moving right next to the dock.",
        "Yes, you are right.", "You're absolutely right.", "The count is right.", "Is that right?",
        "That is exactly right.", "The ship went right away.")
SIDE = ("Ships moving right along the road.", "Ships moving right.", "The ship is on the right next to the dock.",
        "Planes face right next to the hangar.", "The car turned right past the depot.",
        "Ships moving right away from the dock.", "The ship at right by the dock.",
        "Two planes to the right beside the hangar.", "Cars heading right across the bridge.",
        "The ship on the far right near the jetty.", "A truck drives right, toward the gate.",
        "The top right next to the pier.", "The plane taxis right along the taxiway.",
        "The boat sailed right past the pier.", "The ship is right.", "Right, near the pier.")


@pytest.mark.parametrize("text", JUST)
def test_right_as_just_or_correct_stays_in_a_mirror(text):
    assert swap_words(text, "h") == text
    at = text.lower().index("right")
    assert is_just(text, at, at + 5)


@pytest.mark.parametrize("text", SIDE)
def test_right_as_a_side_turns_in_a_mirror(text):
    swapped = swap_words(text, "h")
    assert "left" in swapped.lower() and "right" not in swapped.lower(), swapped
    assert swap_words(swapped, "h") == text


def test_the_seen_slip_and_its_fused_answer_back():
    """The finding: "ran" is a verb of travel, which made "right" a side before any place; said back from a view it
    is the plain answer's words again."""
    text = "The truck ran right next to the ship."
    for view in ("h", "v", "t", "hv", "th"):
        assert swap_words(swap_words(text, view), view, back=True) == text


@pytest.mark.parametrize("verb", ["taxis", "went", "crossing", "cruised", "rolls"])
def test_more_verbs_of_moving_make_a_side(verb):
    assert is_towards(verb)
    assert swap_words(f"The plane {verb} left along the road.", "h") == f"The plane {verb} right along the road."


@pytest.mark.parametrize(("text", "mirrored"), [("A truck drives left, toward the gate.", "A truck drives right, toward the gate."),
                                                ("Two planes taxied left.", "Two planes taxied right."),
                                                ("Two ships left, one arrived.", "Two ships left, one arrived.")])
def test_a_verb_of_moving_before_left_is_no_departure(text, mirrored):
    """"A truck drives left," read as "A truck" that departed ("drives" no word of place): kept in a mirror."""
    assert swap_words(text, "h") == mirrored
