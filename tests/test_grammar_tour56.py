"""Rough edges of the decoding grammar and the codec's polygon holes (tour 56)."""

from __future__ import annotations

import pytest

from rsvlm import geometry

# ---------------------------------------------------------------- holes

CW = "<poly><loc_100><loc_100><loc_900><loc_100><loc_900><loc_900><loc_100><loc_900></poly>"
CCW = "<poly><loc_300><loc_300><loc_300><loc_600><loc_600><loc_600><loc_600><loc_300></poly>"


@pytest.mark.parametrize("between", [" and ", ", ", "\nAnother: "])
def test_a_counter_clockwise_polygon_after_words_is_an_object_not_a_hole(between):
    """DESIGN.md: a polygon's rings follow each other. Words between two polygons made the second,
    written counter-clockwise, a hole of the first: one object where the answer listed two."""
    parsed = geometry.decode("<ref>pond</ref>" + CW + between + CCW, 1000, 1000)
    assert parsed.problems == []
    assert [len(o.get("rings", [o["coords"]])) for o in parsed.objects] == [1, 1]
    assert [o["label"] for o in parsed.objects] == ["pond", "pond"]


@pytest.mark.parametrize("between", ["", " ", "\n"])
def test_a_counter_clockwise_polygon_right_after_another_is_still_its_hole(between):
    parsed = geometry.decode(CW + between + CCW, 1000, 1000)
    assert parsed.problems == [] and len(parsed.objects) == 1 and len(parsed.objects[0]["rings"]) == 2
