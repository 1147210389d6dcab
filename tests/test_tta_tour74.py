"""Stop 74 (area B, tta): ``Fused.left_out`` counts the answers left out of a fusion (``views_left_out`` reads it,
and still a note's wording in rows written before it); a view answering another kind of shape (boxes to a
``[seg]`` question) is no vote, not a view that found nothing."""

from __future__ import annotations

import numpy as np
from conftest import blank_image
from test_tta_lead73 import DET, Views, reversed_box

from rsvlm import geometry, tta
from rsvlm.fusion import Fused, fuse, voted_out
from rsvlm.tta_text import views_left_out

SEG = [[{"role": "user", "content": "<image>\n[seg] Segment the buildings."}]]
BUILDING = [{"kind": "poly", "label": "building", "coords": [[10.0, 10.0], [40.0, 10.0], [40.0, 30.0], [10.0, 30.0]]}]
SHIP = [{"kind": "box", "label": "ship", "coords": [4.0, 5.0, 14.0, 12.0]}]


def test_left_out_counts_the_view_answers_left_out_and_views_left_out_reads_it():
    odd = {"h": "<ref>ship</ref><box><loc_1><loc_2></box>", "v": "A ship."}  # does not parse; words
    fused = tta.fused_answers(Views(SHIP, 48, 48, tta.VIEWS, odd), DET, [blank_image(48, 48)],
                              [(geometry.encode(SHIP, 48, 48), [])])[0]
    assert fused.left_out == 2 and fused.note.startswith("test-time augmentation: 2 of 3 other view answers")
    assert views_left_out(fused.note, fused.left_out)
    clean = tta.fused_answers(Views(SHIP, 48, 48, tta.VIEWS), DET, [blank_image(48, 48)],
                              [(geometry.encode(SHIP, 48, 48), [])])[0]
    assert clean.left_out == 0 and clean.note is None and not views_left_out(clean.note, clean.left_out)


def test_a_note_of_repairs_alone_leaves_none_out_by_the_field_and_by_its_wording():
    fused = tta.fused_answers(Views(SHIP, 48, 48, tta.VIEWS, {"h": reversed_box}), DET, [blank_image(48, 48)],
                              [(geometry.encode(SHIP, 48, 48), [])])[0]
    assert fused.note.startswith("test-time augmentation: 1 shape repaired") and fused.left_out == 0
    assert not views_left_out(fused.note, 0) and not views_left_out(fused.note)  # a row written before the field


def test_a_det_plain_answer_of_words_replaced_by_the_views_is_counted_left_out():
    fused = tta.fused_answers(Views(SHIP, 48, 48, tta.VIEWS), DET, [blank_image(48, 48)],
                              [("I think there is a boat.", [])])[0]
    assert fused.objects and fused.left_out == 1 and views_left_out(fused.note, fused.left_out)


def test_a_stored_count_wins_over_the_notes_wording():
    """A row from this stop on carries ``"tta_left_out"``: its count decides, whatever a note says."""
    assert views_left_out("test-time augmentation: 1 of 3 other view answers could not be fused", 0) is False
    assert views_left_out("test-time augmentation: 1 shape repaired on decoding, fused as repaired", 1) is True
    assert views_left_out(None) is False and views_left_out(None, 0) is False
    assert Fused("None.").left_out == 0


def test_boxes_to_a_seg_question_are_no_vote_against_the_mask():
    """Each view answering boxes counted as a view of nothing: with 5 of 8 views giving boxes, the 3 that drew the
    building were under half of 8, and the mask every view that drew one agreed on became "None."."""
    boxes = geometry.encode([{"kind": "box", "label": "building", "coords": [10.0, 10.0, 40.0, 30.0]}], 64, 64)
    odd = {v: boxes for v in ("h", "v", "hv", "t", "th")}
    plain = geometry.encode(BUILDING, 64, 64)
    fused = tta.fused_answers(Views(BUILDING, 64, 64, tta.DIHEDRAL, odd), SEG, [blank_image(64, 64)],
                              [(plain, [])], tta.FuseConfig(views=tta.DIHEDRAL))[0]
    assert fused.answer != tta.NONE and fused.voted_out is None
    mask = geometry.objects_to_mask(fused.objects, 64, 64)
    np.testing.assert_array_equal(mask, geometry.objects_to_mask(BUILDING, 64, 64))
    assert fused.left_out == 5
    assert fused.note.startswith("test-time augmentation: 5 of 7 other view answers could not be fused, left out of "
                                 "the vote (first: view 'h': it holds another kind of shape)")


def test_a_view_of_another_kind_beside_one_of_nothing_is_said_apart_in_the_note():
    odd = {"h": geometry.encode([{"kind": "point", "label": "ship", "coords": [9.0, 8.0]}], 48, 48),
           "v": "<ref>ship</ref><box><loc_1><loc_2></box>"}
    fused = tta.fused_answers(Views(SHIP, 48, 48, tta.VIEWS, odd), DET, [blank_image(48, 48)],
                              [(geometry.encode(SHIP, 48, 48), [])])[0]
    assert "each counted as finding nothing but 1 of another kind of shape, no vote" in fused.note


def test_fuse_and_voted_out_count_only_the_views_of_the_kind():
    boxes = [{"kind": "box", "label": "building", "coords": [10.0, 10.0, 40.0, 30.0]}]
    out = fuse([BUILDING, boxes, boxes, boxes], 64, 64)
    assert out and out[0]["kind"] == "poly"  # 1 of 1 drawing views, not 1 of 4
    said = voted_out([BUILDING, [], [], boxes, boxes], tta.FuseConfig())
    assert said.endswith("by 2 of the 3 views (min_share 0.5), or only slivers under 0.1 of a view's instance")


def _conversation(*turns: str) -> list[dict]:
    return [{"role": "user" if k % 2 == 0 else "assistant", "content": t} for k, t in enumerate(turns)]


def _said(msgs: list[dict], view: str) -> list[str] | None:
    from rsvlm.tta_text import view_messages

    out = view_messages(msgs, view, 48, 48)
    return None if out is None else [m["content"] for m in out]


def test_first_or_second_after_a_turn_counting_from_a_side_is_asked_of_every_view_as_written():
    """"Which ship is larger, the first or the second?" after "counting from the left" was asked of no mirror view
    (objects counted in order, no side in it): the earlier turn's side turns with the view ("from the right" in a
    left-right flip), and the follow-up counts from it there, as in the image."""
    msgs = _conversation("<image>\n[vqa] Which ship is damaged, counting from the left?", "The second.",
                         "[vqa] Which ship is larger, the first or the second?")
    assert _said(msgs, "h") == ["<image>\n[vqa] Which ship is damaged, counting from the right?", "The second.",
                                "[vqa] Which ship is larger, the first or the second?"]
    assert _said(msgs, "t")[0].endswith("counting from the top?") and _said(msgs, "thv")[2] == msgs[2]["content"]
    sided = _conversation("<image>\n[vqa] Which ship is damaged?", "The second from the left.",
                          "[vqa] Which ship is larger, the first or the second?")
    assert _said(sided, "h")[1:] == ["The second from the right.", sided[2]["content"]]


def test_a_side_named_with_no_count_sets_no_order():
    """"The leftmost." counts from nowhere: a later "the first or the second?" is still asked of no mirror view."""
    msgs = _conversation("<image>\n[vqa] Which ship is damaged, the leftmost or the rightmost?", "The leftmost.",
                         "[vqa] Which ship is larger, the first or the second?")
    assert all(_said(msgs, v) is None for v in ("h", "v", "t"))


def test_a_first_or_second_answer_after_a_side_counted_from_is_voted_not_left_out():
    msgs = [_conversation("<image>\n[vqa] Which ship is damaged, counting from the left?", "The second.",
                          "[vqa] Which ship is larger, the first or the second?")]
    answers = {v: "The first." for v in tta.DIHEDRAL}
    fused = tta.fused_answers(Views([], 48, 48, tta.DIHEDRAL, answers), msgs, [blank_image(48, 48)],
                              [("The second.", [])], tta.FuseConfig(views=tta.DIHEDRAL))[0]
    assert fused.answer == "The first." and fused.note is None and fused.left_out == 0 and fused.answers == 8


def test_the_first_ship_in_the_row_is_counted_in_each_views_order_the_first_in_a_queue_is_not():
    """A left-right flip reads a row from its other end: "Is the first ship in the row larger than the last?" was asked
    of it as written, the other comparison (its "Yes." voted against the plain "No."). A queue's first is its front."""
    from rsvlm.tta_words import swap_words

    row = "Is the first ship in the row larger than the last?"
    assert all(swap_words(row, v) is None for v in ("h", "v", "t"))
    assert "the question's 'the first ship' under any mirror view" in tta.skipped_note(["h"], 7, row)
    assert swap_words("Is the first ship in the row from the left larger?", "h") == (
        "Is the first ship in the row from the right larger?")
    queue = "Is the first car in the queue red?"
    assert [swap_words(queue, v) for v in ("h", "v", "t")] == [queue] * 3


def test_compass_words_follow_each_views_pixels_and_come_back_as_written():
    """Compass words are the image's directions as read, north up (a mirrored Sentinel-1 GRD's too: the read note says
    how it lies): each of the 16 points and each word form goes where the view moves that direction, and back."""
    import math

    from rsvlm.tta_tables import POINTS
    from rsvlm.tta_words import swap_words

    def way(i: int, view: str) -> tuple[float, float]:  # point i (22.5° steps from north), as the view moves it
        a = math.radians(22.5 * i)
        o, p = tta.to_view([{"kind": "point", "coords": [50.0, 50.0]},
                            {"kind": "point", "coords": [50 + 10 * math.sin(a), 50 - 10 * math.cos(a)]}], view, 100, 100)
        return (p["coords"][0] - o["coords"][0]) / 10, (o["coords"][1] - p["coords"][1]) / 10  # (east, north)

    def nearest(v: tuple[float, float], step: int) -> int:
        return min(range(0, 16, step), key=lambda k: math.dist(v, (math.sin(math.radians(22.5 * k)),
                                                                   math.cos(math.radians(22.5 * k)))))

    words = ["north", "northeast", "east", "southeast", "south", "southwest", "west", "northwest"]
    for view in tta.DIHEDRAL[1:]:
        for i, p in enumerate(POINTS):
            said = swap_words(f"The ship is heading {p}.", view)
            assert said == f"The ship is heading {POINTS[nearest(way(i, view), 1)]}.", (view, p)
            assert swap_words(said, view, back=True) == f"The ship is heading {p}."
        for i, word in enumerate(words):
            for form in ("", "ern", "erly", "ward"):
                said = swap_words(f"The {word}{form} pier.", view)
                assert said == f"The {words[nearest(way(2 * i, view), 2) // 2]}{form} pier.", (view, word, form)
                assert swap_words(said, view, back=True) == f"The {word}{form} pier."


def test_a_side_counted_from_in_another_sentence_of_the_question_orders_its_objects():
    """"Count the ships from the left. Is the second ship damaged?" was asked of no mirror view (the side was looked for
    in the ordinal's sentence only), though "Count the ships from the left. Which is damaged, the first or the
    second?" was asked of every one."""
    from rsvlm.tta_words import swap_words

    q = "Count the ships from the left. Is the second ship damaged?"
    assert swap_words(q, "h") == "Count the ships from the right. Is the second ship damaged?"
    assert swap_words(q, "t") == "Count the ships from the top. Is the second ship damaged?"
    assert swap_words("Is the second ship damaged?", "h") is None
