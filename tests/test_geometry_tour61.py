"""Tour 61 (geometry codec): text around a token decode took out must not spell a tag."""

from __future__ import annotations

import pytest

from rsvlm.geometry import decode
from rsvlm.geometry.codec import spells_tag


@pytest.mark.parametrize("text, said", [
    ("<ref>ship</ref><bo<loc_5>x><loc_1><loc_2><loc_3><loc_4></box>", "ship <bo x>"),
    ("see <ref>ship</ref> <b<loc_3>ox>", "see ship <b ox>"),
    ("<<loc_1>box>", "< box>"),
    ("<</box>box>", "< box>"),
    ("<loc_1<loc_2>5> left", "<loc_1 5> left"),
    ("<lo<loc_1>c_<loc_2>12>", "<loc_ 12>"),
])
def test_text_around_a_dropped_token_spells_no_tag(text, said):
    """``<bo<loc_5>x>``: the stray location was dropped and reported, and Decoded.text read ``<box>``, a
    tag a second decode (the answer shown, a chat turn fed back) took for a shape."""
    d = decode(text, 100, 100)
    assert d.objects == [] and d.problems  # garbled: nothing read as a shape, and said so
    assert d.text == said and not spells_tag(d.text)
    again = decode(d.text, 100, 100)
    assert again.objects == [] and not any("not closed" in p or "stray" in p for p in again.problems)


def test_plain_text_is_joined_as_before():
    assert decode("a < b<loc_3> and c > d", 10, 10).text == "a < b and c > d"
    assert decode("ship<loc_3>s here", 10, 10).text == "ships here"
