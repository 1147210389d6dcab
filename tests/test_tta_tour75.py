"""Stop 75 tour (area T, tta): a motion from side to side ("sailing from left to right") is a way, not the order
things are counted in; the lines things are counted along are one table (a line is a row, a queue has a front); a
``[det]`` "None." whose views found shapes of two kinds fuses the kind most of them found, the note saying the rest."""

from __future__ import annotations

import pytest
from conftest import blank_image
from test_tta_lead73 import DET, Views

from rsvlm import geometry, tta
from rsvlm.fusion import lead, other_kinds
from rsvlm.tta_lines import LINES_OF_THINGS, counted_lines, counts_from, ordered
from rsvlm.tta_text import unfused_note, view_messages, views_left_out
from rsvlm.tta_words import swap_words

MIRRORS = ("h", "v", "t", "hv", "th")


@pytest.mark.parametrize("question", ["Is the second ship sailing from left to right?",
                                      "Is the first ship moving left to right?",
                                      "Is the second plane flying from the left to the right?",
                                      "Is the last truck crossing the bridge from top to bottom?",
                                      "Is the second ship heading to the left?", "Is the second car turning to the left?"])
def test_an_ordinal_beside_a_motion_is_asked_of_no_mirror_view(question):
    """The motion was read as the order the ships are counted in: the left-right flip was asked "Is the second ship
    sailing from right to left?", the second ship from its own left, another ship than the plain view's."""
    assert ordered(question) is not None
    assert all(swap_words(question, v) is None for v in MIRRORS)


@pytest.mark.parametrize("question, flipped", [
    ("Is the ship sailing from left to right?", "Is the ship sailing from right to left?"),
    ("Does the river flow from left to right?", "Does the river flow from right to left?"),
    ("Which plane taxis right to left?", "Which plane taxis left to right?")])
def test_a_motion_with_no_ordinal_is_turned_as_a_way(question, flipped):
    assert swap_words(question, "h") == flipped


@pytest.mark.parametrize("question, flipped", [
    ("Count the ships from left to right. Is the second one damaged?",
     "Count the ships from right to left. Is the second one damaged?"),
    ("Is the second ship, left to right, damaged?", "Is the second ship, right to left, damaged?"),
    ("Is the second ship from the left sailing to the right?", "Is the second ship from the right sailing to the left?"),
    ("Is the second car moving to the left of the pier?", "Is the second car moving to the right of the pier?")])
def test_left_to_right_as_an_order_still_turns_with_the_view(question, flipped):
    assert swap_words(question, "h") == flipped


def test_a_motion_in_an_earlier_turn_sets_no_order_for_a_later_first_or_second():
    """counts_from read "sails from left to right" as counting from the left: every mirror view was asked "the first
    or the second?" as written, each counting in its own order, and the answers voted as one."""
    said = [{"role": "user", "content": "<image>\n[vqa] Which ship sails from left to right?"},
            {"role": "assistant", "content": "The larger one."},
            {"role": "user", "content": "[vqa] Which ship is larger, the first or the second?"}]
    assert not counts_from(said[:2])
    assert all(view_messages(said, v, 48, 48) is None for v in MIRRORS)
    counted = [{**said[0], "content": "<image>\n[vqa] Count the ships from left to right."}, *said[1:]]
    assert view_messages(counted, "h", 48, 48)[2]["content"] == said[2]["content"]


def test_which_ship_with_a_motion_picks_things():
    """Its "…, the first or the second?" counts ships in no said order: asked of no mirror view (was asked, flipped)."""
    question = "Which ship sails from left to right, the first or the second?"
    assert counted_lines(question) == "things"
    assert all(swap_words(question, v) is None for v in MIRRORS)


@pytest.mark.parametrize("noun", [n for n, how in LINES_OF_THINGS.items() if how == "read"])
def test_the_first_ship_in_a_row_column_or_line_is_asked_of_no_mirror_view(noun):
    """"the first ship in the line" was asked as written in every view while "… in the row" was not."""
    question = f"Is the first ship in the {noun} larger than the last?"
    assert ordered(question) is not None and all(swap_words(question, v) is None for v in MIRRORS)


@pytest.mark.parametrize("question", ["Is the first car in the queue red?", "Is the first truck in the convoy red?",
                                      "Is the first car in line red?", "Is the last truck in a long convoy red?"])
def test_a_queue_counts_from_its_front_in_every_view(question):
    assert [swap_words(question, v) for v in MIRRORS] == [question] * len(MIRRORS)


def _shape(kind: str) -> str:
    coords = {"box": [20.0, 20.0, 30.0, 28.0], "point": [25.0, 24.0]}[kind]
    return geometry.encode([{"kind": kind, "label": "ship", "coords": coords}], 48, 48)


def test_a_det_none_fuses_the_kind_most_views_found():
    """The first view that found something ('h', a point) gave the kind: the boxes of 'v' and 'hv' were left out."""
    answers = {"h": _shape("point"), "v": _shape("box"), "hv": _shape("box")}
    fused = tta.fused_answers(Views([], 48, 48, tta.VIEWS, answers), DET, [blank_image(48, 48)], [("None.", [])])[0]
    assert [o["kind"] for o in fused.objects] == ["box"] and fused.left_out == 1
    assert fused.note.endswith("; test-time augmentation: 1 of 3 other view answers could not be fused, left out of the "
                               "vote (first: view 'h': it holds another kind of shape (points, while 2 of the 3 answers "
                               "with shapes gave boxes, the kind fused))")
    assert views_left_out(fused.note)


@pytest.mark.parametrize("plain", ["None.", "There are no ships."])
def test_a_plain_none_the_views_shapes_replace_is_said(plain):
    """The fused answer showed the views' ship with no word that the plain answer found none (the other way round,
    shapes voted down to "None.", is ``voted_out``); it is no answer left out (``left_out`` 0, read so from the note)."""
    said = {v: _shape("box") for v in ("t", "th")}
    fused = tta.fused_answers(Views([], 48, 48, tta.DIHEDRAL, said), DET, [blank_image(48, 48)], [(plain, [])],
                              tta.FuseConfig(views="dihedral"))[0]
    assert len(fused.objects) == 1 and fused.left_out == 0
    assert fused.note == (f"test-time augmentation: the plain answer said none ({plain!r}), but the other views found "
                          "some: 1 shape fused in its place")
    assert not views_left_out(fused.note) and views_left_out(fused.note + "; " + unfused_note([("h", "x")], 7, True))
    kept = tta.fused_answers(Views([], 48, 48, tta.VIEWS, {}), DET, [blank_image(48, 48)], [(plain, [])])[0]
    assert kept.objects == [] and kept.note is None  # no view found one: nothing replaced, nothing said


def test_a_tie_of_kinds_goes_to_the_view_nearest_the_plain_one():
    views = [[], [{"kind": "point", "coords": [1.0, 1.0]}], [{"kind": "box", "coords": [0.0, 0.0, 2.0, 2.0]}]]
    assert lead(views)[0]["kind"] == "point"
    assert [v for v, _ in other_kinds(views, ["h", "v"])] == ["v"]
    assert lead(views, many=False) == []


def test_the_plain_answers_kind_still_leads_where_it_found_some():
    plain = [{"kind": "box", "coords": [0.0, 0.0, 2.0, 2.0]}]
    views = [plain, [{"kind": "point", "coords": [1.0, 1.0]}], [{"kind": "point", "coords": [1.0, 1.0]}]]
    assert lead(views) is plain
    assert other_kinds(views, ["h", "v"]) == [("h", "it holds another kind of shape"), ("v", "it holds another kind of shape")]


def test_a_motion_opening_its_sentence_as_a_clause_is_the_order_read_in():
    question = "Going from left to right, is the second building taller?"
    assert swap_words(question, "h") == "Going from right to left, is the second building taller?"
    assert swap_words("Is the second ship, going from left to right, damaged?", "h") is None


@pytest.mark.parametrize("question", ["Is the second one damaged?", "Is the first one larger than the last one?",
                                      "Which is larger, the first one or the second one?"])
def test_the_second_one_is_counted_in_order(question):
    """Asked as written in every mirror view, each counting its own "second one": another object than the plain's."""
    assert all(swap_words(question, v) is None for v in MIRRORS)
    said = [{"role": "user", "content": f"<image>\n[vqa] {question}"}]  # "<image>" names no image of a pair
    assert all(view_messages(said, v, 48, 48) is None for v in MIRRORS)


def test_the_second_one_of_a_pair_or_an_answer_is_kept():
    assert swap_words("Is the first image cloudier than the second one?", "h") == (
        "Is the first image cloudier than the second one?")
    said = [{"role": "user", "content": "<image>\n[vqa] Which image is cloudier, the first or the second?"},
            {"role": "assistant", "content": "The second one."}, {"role": "user", "content": "[vqa] Is it cloudy?"}]
    assert view_messages(said, "h", 48, 48) == said
    assert swap_words("Count the ships from the left. Is the second one damaged?", "h") == (
        "Count the ships from the right. Is the second one damaged?")
