"""Tour 65 of --tta, its vote and its labels (helper D)."""

from __future__ import annotations

import pytest

from rsvlm.answer_words import label_key


@pytest.mark.parametrize("singular", ["specimen", "abdomen", "stamen", "omen", "regimen", "bitumen"])
def test_a_singular_in_men_is_no_plural_of_a_man(singular):
    """The -men rule read 'specimen' as 'speciman' and 'omen' as 'oman' (one class with a label 'Oman');
    a singular in -men is its own class, its -s plural the same."""
    assert label_key(singular) == singular
    assert label_key(singular.capitalize() + "s") == singular
    assert label_key(singular) != label_key(singular[:-3] + "man")


def test_men_plurals_still_read_as_their_man():
    assert label_key("fishermen") == label_key("Fisherman") == "fisherman"
    assert label_key("women") == "woman" and label_key("men") == "man"
