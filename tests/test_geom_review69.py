"""Review of stop 69's geometry / --tta work (area X): a view's words for a side of a thing, and for what is no side
(an amount, a thing's top, a top view, what is left of a thing)."""

from __future__ import annotations

import pytest

from rsvlm import tta

VIEWS = tta.DIHEDRAL[1:]  # every view but the identity


def _seen(view: str, dx: int, dy: int) -> tuple[int, int]:
    """Where a thing ``dx``, ``dy`` from another lies in ``view`` (its steps in order: t swaps x and y, h turns x, v
    turns y; as ``tta_views.flip_array`` takes them)."""
    if "t" in view:
        dx, dy = dy, dx
    return (-dx if "h" in view else dx), (-dy if "v" in view else dy)


def _kept(text: str, view: str) -> None:
    """``text`` said of ``view`` and said back from it as it is: it holds no side (a ranking, a height)."""
    assert tta.swap_words(text, view) == text
    assert tta.swap_words(text, view, back=True) == text


def _of_v_and_t(text: str) -> tuple[str | None, str | None]:
    """``text`` said of a top-bottom flip and of a transpose."""
    return tta.swap_words(text, "v"), tta.swap_words(text, "t")


_SAID = {(-1, 0): "left of", (1, 0): "right of", (0, -1): "above", (0, 1): "below"}


@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize("said,dx", [("left of", -1), ("to the left of", -1), ("on the left of", -1),
                                     ("right of", 1), ("to the right of", 1), ("on the right of", 1)])
def test_a_side_of_a_thing_is_said_where_the_view_puts_it(said, dx, view):
    """"Is the car left of it?" was asked of a transpose as "Is the car top of it?" (its top: "on top of it"), "to the
    right of the ship" as "to the bottom of the ship" (down to its bottom): the view's words name where it lies."""
    where = _SAID[_seen(view, dx, 0)]
    mirrored = said.replace("left" if dx < 0 else "right", where.split()[0])  # a flip alone keeps "to the", "on the"
    assert tta.swap_words(f"Is the car {said} the ship?", view) == f"Is the car {where if 't' in view else mirrored} the ship?"


@pytest.mark.parametrize("view", ["t", "th", "tv", "thv"])
def test_a_transposed_views_side_of_a_thing_is_said_back_where_the_image_has_it(view):
    """A transposed view's answer "The car is left of the ship." said back of the image (the steps undone)."""
    for dx in (-1, 1):
        image = next(d for d in ((-1, 0), (1, 0), (0, -1), (0, 1)) if _seen(view, *d) == (dx, 0))
        said = "left of" if dx < 0 else "right of"
        assert tta.swap_words(f"The car is {said} the ship.", view, back=True) == f"The car is {_SAID[image]} the ship."


@pytest.mark.parametrize("text,t", [
    ("LEFT OF THE ROAD", "ABOVE THE ROAD"), ("To the right of the road.", "Below the road."),
    ("The car just right of the ship.", "The car just below the ship."),
    ("How many ships are left of the road?", "How many ships are above the road?"),
    # the image's own side, a noun and a corner keep their words' images (no side at all, "right of way" and "How
    # much forest is left?", is kept in every view: tour66, tour67)
    ("The ship on the left of the image.", "The ship on the top of the image."),
    ("The far left of the pier.", "The far top of the pier."),
    ("The ship top left of the pier.", "The ship top left of the pier."),
    ("The ship top-right of the pier.", "The ship bottom-left of the pier.")])
def test_which_sides_a_transpose_says_above_or_below(text, t):
    assert tta.swap_words(text, "t") == t


@pytest.mark.parametrize("view", ["v", "hv", "t", "tv"])
@pytest.mark.parametrize("text", ["What is on the top of the building?", "A top view of a harbour."])
def test_a_things_top_and_a_top_view_are_no_side(text, view):
    """"on the top of the building" (its roof) was asked of a top-bottom flip as "on the bottom of the building", and "a
    top view" as "a bottom view" (of a transpose: "a left view")."""
    assert tta.swap_words(text, view) == text


@pytest.mark.parametrize("view", ["v", "hv", "t", "tv"])
@pytest.mark.parametrize("text", ["Is the cloud cover above 50%?", "Is the field below sea level?",
                                  "Are there above 3 ships?", "Is the water level below the average?",
                                  "Is the cloud cover lower than 10%?", "What is the upper limit?"])
def test_above_an_amount_is_no_side(text, view):
    """"Is the cloud cover above 50%?" was asked of a top-bottom flip as "... below 50%?", the other question (its
    "Yes." outvoted the plain "No."), and not asked of a transpose at all."""
    assert tta.swap_words(text, view) == text


def test_above_a_thing_is_still_no_transpose_and_a_flip_of_it_still_turns():
    assert tta.swap_words("The ship above the pier.", "t") is None
    assert tta.swap_words("Above 3 ships, above the pier.", "v") == "Above 3 ships, below the pier."


@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize("text", ["What is left of the fort?", "Nothing was left of the pier.",
                                  "Is this all that is left of the old harbour?"])
def test_what_is_left_of_a_thing_is_no_side(text, view):
    """"What is left of the fort?" (what remains of it) was asked of a left-right flip as "What is right of the fort?"
    and of a transpose as "What is top of the fort?"."""
    assert tta.swap_words(text, view) == text


def test_a_thing_left_of_another_is_still_a_side():
    """"What is left of the fort?" names no side, but "the ship that is left of the fort" does (and "How many ships
    are left of the road?", tour67)."""
    assert tta.swap_words("The ship that is left of the fort.", "h") == "The ship that is right of the fort."


@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize("text", ["the top 3 lowest piers", "the top 3 nearest ships", "the top 3 shortest runways",
                                  "the top 5 fastest boats", "the top 3 brightest roofs", "the top 2 newest tanks",
                                  "the top 3 ships by their length"])
def test_a_superlative_ending_in_west_rest_or_test_is_a_ranking(text, view):
    """tour69's ranking took a word ending in "west", "rest" or "test" for a compass word or a noun ("the top 3 west
    piers", "forest"): "the top 3 lowest piers" was asked of a top-bottom flip as "the bottom 3 lowest piers", of a
    transpose as "the left 3 lowest piers"."""
    _kept(text, view)


@pytest.mark.parametrize("text,v,t", [("the top 3 southwest piers", "the bottom 3 northwest piers",
                                       "the left 3 northeast piers"),
                                      ("the top 3 ships of interest", "the bottom 3 ships of interest",
                                       "the left 3 ships of interest"),
                                      ("the top 2 ships by the pier", "the bottom 2 ships by the pier",
                                       "the left 2 ships by the pier")])
def test_a_compass_word_a_noun_or_by_a_place_is_no_ranking(text, v, t):
    """A lane's "top 3" before a compass word or a noun ending "-est", or "by" a place (not "by area"), still turns."""
    assert _of_v_and_t(text) == (v, t)


@pytest.mark.parametrize("view", VIEWS)
def test_lower_and_which_is_higher_is_a_height_kept_in_every_view(view):
    """"Which building is lower and which is higher?" was asked of a top-bottom flip as "... is upper and which is
    higher?" and skipped by the transposed views (tour69 kept "is lower?" and "is lower, A or B?" alone)."""
    text = "Which building is lower and which is higher?"
    _kept(text, view)


@pytest.mark.parametrize("text,v,t", [("the left bank of solar panels", "the left bank of solar panels",
                                       "the top bank of solar panels"),
                                      ("the right bank of oil tanks", "the right bank of oil tanks",
                                       "the bottom bank of oil tanks"),
                                      ("the right bank of the Thames", "the left bank of the Thames",
                                       "the left bank of the Thames")])
def test_a_bank_of_things_is_a_side_and_a_rivers_bank_a_handedness(text, v, t):
    """"the left bank of solar panels" (a row of them) was read as a river's bank: a top-bottom flip said "the right
    bank of solar panels" (the other row), a transpose "right" (not "top")."""
    assert _of_v_and_t(text) == (v, t)


def test_a_question_of_a_bank_of_things_reads_its_answers_left_as_a_side():
    assert tta.turn_question("Which bank of panels is larger?") is False
    assert tta.turn_question("Which bank of the river is the ship on?") is True
