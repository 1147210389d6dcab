"""Stop 74 review (area B, tta): a side said as a place ("20 m from the left bank", "the wind from the north") sets no
order for "the second ship" (``counts_from`` took any "from the left"); "first" in other senses is asked of every view;
a ``[det]`` "None." whose views answer two kinds says the views left out; ``Fused.left_out`` is the count its note says."""

from __future__ import annotations

import itertools
import re

import pytest
from conftest import blank_image
from test_tta_lead73 import DET, Views, reversed_box

from rsvlm import geometry, tta
from rsvlm.tta_lines import counts_from
from rsvlm.tta_text import view_messages, views_left_out
from rsvlm.tta_words import swap_words

SEG = [[{"role": "user", "content": "<image>\n[seg] Segment the buildings."}]]
BUILDING = [{"kind": "poly", "label": "building", "coords": [[10.0, 10.0], [40.0, 10.0], [40.0, 30.0], [10.0, 30.0]]}]
SHIP = [{"kind": "box", "label": "ship", "coords": [4.0, 5.0, 14.0, 12.0]}]
FIRST_OR_SECOND = "[vqa] Which ship is larger, the first or the second?"


def _conversation(first: str) -> list[dict]:
    return [{"role": "user", "content": f"<image>\n[vqa] {first}"}, {"role": "assistant", "content": "Yes."},
            {"role": "user", "content": FIRST_OR_SECOND}]


@pytest.mark.parametrize("first", ["Is there a ship 20 m from the left bank of the river?", "Is the wind from the north?",
                                   "How far is the pier from the left edge of the image?"])
def test_a_side_said_as_a_place_sets_no_order_for_a_later_first_or_second(first):
    """Each was taken as counting from a side: the follow-up was asked of every mirror view as written, each counting
    the ships in its own order, and voted as one answer."""
    assert not counts_from(_conversation(first)[:2])
    assert all(view_messages(_conversation(first), v, 48, 48) is None for v in ("h", "v", "t"))


@pytest.mark.parametrize("first", ["Which ship is damaged, counting from the left?", "Count the ships from the left.",
                                   "Which is the third ship from the top?", "List the ships from left to right."])
def test_a_side_counted_from_still_orders_a_later_first_or_second(first):
    said = view_messages(_conversation(first), "h", 48, 48)
    assert said is not None and said[2]["content"] == FIRST_OR_SECOND


@pytest.mark.parametrize("question", ["How far is the ship from the left bank? Is the second ship damaged?",
                                      "Wind from the north. Is the second ship damaged?"])
def test_a_place_in_another_sentence_does_not_order_the_second_ship(question):
    """6797aa07 read any "from <side>" in the question as the count's side: asked of every view as written."""
    assert all(swap_words(question, v) is None for v in ("h", "v", "t"))
    assert swap_words("Count the ships from the left. Is the second ship damaged?", "h") is not None


@pytest.mark.parametrize("question", ["In the first image, is the harbour busy?", "First of all, how many ships are there?",
                                      "At first glance, is the harbour busy?", "Which ship arrived first?",
                                      "Is the first image cloudier than the second?", "Is the first car in the queue red?"])
def test_first_in_other_senses_is_asked_of_every_view(question):
    assert [swap_words(question, v) for v in ("h", "v", "t")] == [question] * 3


def test_the_first_ship_in_the_row_is_asked_of_no_mirror_view_unless_a_side_is_counted_from():
    row = "[vqa] Is the first ship in the row larger than the last?"
    msgs = [{"role": "user", "content": f"<image>\n{row}"}]
    assert all(view_messages(msgs, v, 48, 48) is None for v in ("h", "v", "t"))
    sided = _conversation("Which ship is damaged, counting from the left?")[:2] + [{"role": "user", "content": row}]
    assert view_messages(sided, "h", 48, 48)[2]["content"] == row


def test_all_views_answering_boxes_to_seg_leave_the_plain_mask_said():
    """No vote against it: the plain mask is the answer, every view answer said left out, none voted out."""
    boxes = geometry.encode([{"kind": "box", "label": "building", "coords": [10.0, 10.0, 40.0, 30.0]}], 64, 64)
    fused = tta.fused_answers(Views(BUILDING, 64, 64, tta.DIHEDRAL, {v: boxes for v in tta.DIHEDRAL[1:]}), SEG,
                              [blank_image(64, 64)], [(geometry.encode(BUILDING, 64, 64), [])],
                              tta.FuseConfig(views=tta.DIHEDRAL))[0]
    assert fused.objects and fused.objects[0]["kind"] == "poly" and fused.voted_out is None and fused.left_out == 7
    assert fused.note.startswith("test-time augmentation: 7 of 7 other view answers could not be fused, left out of the "
                                 "vote (first: view 'h': it holds another kind of shape)")


def test_a_det_none_whose_views_answer_two_kinds_says_those_left_out():
    """The kind most views found (boxes, 2 of 3) is fused, the point left out and said so; until stop 74 the others'
    boxes were dropped unsaid (no note, left_out 0), until stop 75 the first view that found some gave the kind."""
    point = geometry.encode([{"kind": "point", "label": "ship", "coords": [9.0, 8.0]}], 48, 48)
    fused = tta.fused_answers(Views(SHIP, 48, 48, tta.VIEWS, {"h": point}), DET, [blank_image(48, 48)],
                              [("None.", [])])[0]
    assert fused.objects[0]["kind"] == "box" and fused.left_out == 1
    assert fused.note == ("test-time augmentation: the plain answer said none ('None.'), but the other views found some: "
                          "1 shape fused in its place; test-time augmentation: 1 of 3 other view answers could not be "
                          "fused, left out of the vote (first: view 'h': it holds another kind of shape (points, while 2 "
                          "of the 3 answers with shapes gave boxes, the kind fused))")


def _said_left_out(note: str | None) -> int:
    """The answers a note says were left out: its view answers, and a plain answer of words replaced."""
    said = [int(n) for n in re.findall(r"(\d+) of \d+ other view answers? could not be fused", note or "")]
    return sum(said) + len(re.findall(r"the plain answer .{0,80}? holds no shape and does not say it found none", note or ""))


ODD = {"ok": None, "bad": "<ref>ship</ref><box><loc_1><loc_2></box>", "words": "A ship.", "empty": "",
       "point": "<ref>ship</ref><point><loc_200><loc_200></point>", "repaired": reversed_box}


@pytest.mark.parametrize("plain", ["shapes", "None.", "I think there is a boat."])
def test_left_out_is_the_count_the_note_says_on_every_path(plain):
    """Every mix of odd answers over the three flips: ``left_out`` equals what the note counts, and ``views_left_out``
    reads the same from the count as from the wording."""
    first = geometry.encode(SHIP, 48, 48) if plain == "shapes" else plain
    for kinds in itertools.product(ODD, repeat=3):
        odd = {v: ODD[k] for v, k in zip(tta.VIEWS[1:], kinds) if ODD[k] is not None}
        fused = tta.fused_answers(Views(SHIP, 48, 48, tta.VIEWS, odd), DET, [blank_image(48, 48)], [(first, [])])[0]
        assert fused is not None, kinds
        assert fused.left_out == _said_left_out(fused.note), (kinds, fused.note)
        assert views_left_out(fused.note) == views_left_out(fused.note, fused.left_out), (kinds, fused.note)


def test_left_out_is_the_count_the_note_says_for_text_answers():
    msgs = [[{"role": "user", "content": "<image>\n[vqa] Is the harbour busy?"}]]
    odd = {"": "", "shapes": "<ref>ship</ref><box><loc_1><loc_2><loc_3><loc_4></box>", "yes": "Yes."}
    for kinds in itertools.product(odd, repeat=3):
        fused = tta.fused_answers(Views([], 48, 48, tta.VIEWS, dict(zip(tta.VIEWS[1:], (odd[k] for k in kinds)))), msgs,
                                  [blank_image(48, 48)], [("Yes.", [])])[0]
        assert fused.left_out == _said_left_out(fused.note) == kinds.count("") + kinds.count("shapes"), kinds
