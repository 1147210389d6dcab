"""TTA direction words and fusion (stop 61)."""

import pytest

from rsvlm.tta_words import swap_words


@pytest.mark.parametrize("text, view, said", [
    ("the NorthEast corner", "h", "the NorthWest corner"),
    ("the NorthEast corner", "t", "the SouthWest corner"),
    ("a SouthWesterly wind", "v", "a NorthWesterly wind"),
    ("heading northEastward", "h", "heading northWestward"),
])
def test_a_camel_case_compass_word_keeps_each_capital(text, view, said):
    """"NorthEast" was mapped as "northeast" but written back with its first capital only ("Northwest"),
    unlike "North-East" or "North East", whose capitals stay; back from the view it is the word asked."""
    assert swap_words(text, view) == said
    assert swap_words(said, view, back=True) == text
