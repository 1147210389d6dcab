"""Review of stop 61's TTA words and fusion."""

import pytest

from rsvlm.tta_words import swap_words


@pytest.mark.parametrize("text, view, said", [
    ("the UpperMost ship", "v", "the LowerMost ship"),
    ("the LowerMost ship", "v", "the UpperMost ship"),
    ("the UpperLeft ship", "h", "the UpperLeft ship"),  # no one-word compound: left alone
])
def test_upper_and_lower_keep_each_capital_too(text, view, said):
    """"UpperMost" split as "Up" "perMost" against "lowermost", of no part: written "Lowermost", and back
    from the view "Uppermost", not the word asked."""
    assert swap_words(text, view) == said
    assert swap_words(said, view, back=True) == text
