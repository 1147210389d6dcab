"""``--det-by-class``'s join of the per-class answers (tour 62): a class's answer whose geometry did not
parse was dropped from the joined answer unsaid (its class's objects lost, no problem reported), and where
the first class found none, the joined answer read "None."."""

from __future__ import annotations

from rsvlm import geometry
from rsvlm.answering import Answer, join_shapes

SHIP = Answer("<box><loc_1><loc_1><loc_9><loc_9></box>", [0.9])
BROKEN = Answer("<box><loc_1><loc_2></box>", [0.5])  # free decoding (--free-decoding): a box of two locations
NONE = Answer("None.", [])


def test_a_class_answer_that_does_not_parse_is_joined_and_reported():
    for answers in ([SHIP, BROKEN], [NONE, BROKEN]):
        joined = join_shapes(answers, ["ship", "plane"])
        assert "<ref>plane</ref><box><loc_1><loc_2></box>" in joined.text
        assert geometry.decode(joined.text, 100, 100).problems == ["<box> needs 4 location tokens, got 2; dropped"]


def test_classes_that_found_none_leave_no_trace():
    assert join_shapes([SHIP, NONE], ["ship", "plane"]) == ("<ref>ship</ref>" + SHIP.text, [0.9])
    assert join_shapes([NONE, NONE], ["ship", "plane"]).text == "None."
