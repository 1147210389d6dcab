"""One-word corners in TTA's direction words (tour 62): "TopLeft" and "topleft" were no direction, so a
flipped view's answer "TopLeft" voted as said, for the image's top-right corner."""

from __future__ import annotations

import pytest

from rsvlm.tta_words import frames, swap_words

VIEWS = ("h", "v", "t", "hv", "th", "tv", "thv")


@pytest.mark.parametrize("word, joined", [("TopLeft", "Top-Left"), ("topleft", "top-left"), ("BottomRight", "Bottom-Right"),
                                          ("TOPRIGHT", "TOP-RIGHT"), ("bottomleft", "bottom-left")])
def test_a_one_word_corner_maps_as_its_two_words(word, joined):
    for view in VIEWS:
        got, want = swap_words(f"the {word} tank", view), swap_words(f"the {joined} tank", view)
        assert got.replace("-", "") == want.replace("-", ""), view
        assert swap_words(got, view, back=True) == f"the {word} tank"


def test_one_word_corners_keep_each_capital_and_mark_a_crop_question():
    assert swap_words("TopLeft", "h") == "TopRight" and swap_words("topRight", "t") == "bottomLeft"
    assert frames("[ground] the topleft tank") and not frames("[ground] the tank")
