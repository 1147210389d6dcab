"""Review 79 of test-time augmentation: join_near's chains, a [ground] question of several objects, the cut note
under --tta."""
from __future__ import annotations

import pytest
from conftest import blank_image

from rsvlm import fusion, tta
from rsvlm.tta import FuseConfig
from rsvlm.tta_lead import asks_several

CAR1 = {"kind": "box", "coords": [10.0, 10.0, 30.0, 30.0], "label": "car"}
CAR2 = {"kind": "box", "coords": [32.0, 10.0, 52.0, 30.0], "label": "car"}  # beside CAR1, no overlap
LOOSE = {"kind": "box", "coords": [8.0, 8.0, 54.0, 32.0], "label": "car"}  # one view's box over both


def test_a_loose_box_over_two_cars_does_not_chain_them_into_one_object():
    """join_near joined transitively: CAR1 inside LOOSE and CAR2 inside LOOSE made one car between the two."""
    clusters = [[(v, CAR1) for v in range(4)], [(v, CAR2) for v in range(4, 8)], [(8, LOOSE)]]
    assert sorted(len(c) for c in fusion.join_near(clusters, FuseConfig())) == [4, 5]
    out = fusion.fuse_many([[CAR1]] * 4 + [[CAR2]] * 4 + [[LOOSE]], FuseConfig(), size=(96, 96))
    assert len(out) == 2 and CAR2["coords"] in [o["coords"] for o in out], out


@pytest.mark.parametrize("question", ["[ground] The bus on the left.", "[ground] Where is the tennis court?",
                                      "[ground] Find the plane closest to the large vehicle. Use oriented boxes.",
                                      "[ground] The glass building in its shadow.", "[ground] Where is the ship?"])
def test_a_question_of_one_object_is_not_read_as_several(question):
    assert not asks_several(question)


@pytest.mark.parametrize("question", ["[ground] the two ships", "[ground] Locate the buses on the left.",
                                      "[ground] Where are the planes?", "[ground] all planes",
                                      "[ground] Both storage tanks. Use oriented boxes."])
def test_a_question_of_several_objects_is_read_so(question):
    assert asks_several(question)


PLAIN = "<ref>ship</ref><box><loc_400><loc_400><loc_600><loc_600></box>"
FIVE = ("<ref>ship</ref><box><loc_400><loc_400><loc_600><loc_600></box><box><loc_100><loc_100><loc_300><loc_300></box>"
        "<box><loc_700><loc_100><loc_900><loc_300></box><box><loc_100><loc_700><loc_300><loc_900></box>"
        "<box><loc_700><loc_700><loc_900><loc_900></box>")  # the same five ships in every view (symmetric)


def _fused(question: str) -> tta.Fused:
    msgs = [[{"role": "user", "content": f"<image>\n{question}"}]]
    (fused,) = tta.fused_answers(lambda m, i: [(FIVE, [0.5] * 5)] * len(m), msgs, [blank_image()], [(PLAIN, [0.5])],
                                 FuseConfig(views="dihedral"))
    return fused


def test_ground_views_of_several_shapes_keep_their_vote_where_several_objects_are_asked():
    """28b5c048 left every view of several shapes out where the plain answer had one: right for "the bus on the
    left" (25 boxes came back), wrong for "the ships", whose views found the four the plain answer missed."""
    one = _fused("[ground] Where is the ship?")
    assert one.answer == PLAIN and "asks for one object" in one.note
    several = _fused("[ground] Where are the ships?")
    assert several.answer.count("<box>") == 5 and not several.note, several


def test_the_cut_note_says_a_fused_answers_plain_or_view_answer_reached_the_limit():
    from rsvlm.answering import cut_note

    said = cut_note(256, "2 of the 20 answers of this run", many=True, tta=True)
    assert said == ("2 of the 20 answers of this run reached the token limit (256 tokens; with --tta: their plain "
                    "answer or a view's did); they may be cut: --max-new-tokens lets them run longer")
    assert "--tta" not in cut_note(256, "2 of the 20 answers", many=True)
