"""tta_words, second round of tour 62: an underscore joins a corner's words as a hyphen does."""

from rsvlm.tta_words import frames, swap_words


def test_underscored_corners_are_mirrored():
    # "top_left" was no corner word: a flipped view asked for the top-left ship of the flipped image
    assert swap_words("the top_left ship", "h") == "the top_right ship"
    assert swap_words("the Top_Left ship", "v") == "the Bottom_Left ship"
    assert swap_words("the north_west tank", "h") == "the north_east tank"
    assert swap_words("the top_right ship", "t") == "the bottom_left ship"


def test_underscored_words_round_trip_and_frame():
    for text in ("the top_left ship", "the south_east quay", "the north_westerly pier"):
        for view in ("t", "h", "v", "th", "tv", "hv", "thv"):
            assert swap_words(swap_words(text, view), view, back=True) == text, (text, view)
        assert frames(text)
    assert frames("the right_hand runway") and not frames("the runway_2 apron")
    assert swap_words("the right_hand runway", "t") == "the bottom runway"
    assert swap_words("the upper_deck", "t") is None  # "upper" has no one-word image under a transpose
