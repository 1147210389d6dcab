"""Tour 60 of answering: --det-by-class answers joined into one."""

from __future__ import annotations

from rsvlm import geometry
from rsvlm.answering import join_shapes

SHIP = "<ref>ship</ref><box><loc_104><loc_104><loc_312><loc_312></box>"
BARE = "<box><loc_520><loc_520><loc_729><loc_729></box>"  # a class answer that named no label


def test_a_class_answer_without_a_ref_keeps_its_own_class_when_joined():
    """--det-by-class: the "plane" question's answer gave its box no <ref>; joined after the "ship"
    answer, that plane read as a second ship."""
    joined = join_shapes([(SHIP, [0.9]), ("None.", []), (BARE, [0.8])], ["ship", "vehicle", "plane"])
    objs = geometry.decode(joined.text, 96, 96).objects
    assert [o["label"] for o in objs] == ["ship", "plane"] and joined.scores == [0.9, 0.8]


def test_answers_joined_without_labels_are_as_before():
    assert join_shapes([(SHIP, [0.9]), (BARE, [0.8])]).text == SHIP + BARE
