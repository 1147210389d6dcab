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


def _box(coords, score=0.9, label="building"):
    return {"kind": "box", "label": label, "coords": list(coords), "score": score}


def test_a_small_object_inside_a_big_one_stays_apart_where_one_view_drew_both():
    """join_near (8c8b674) joins clusters of no common view only: the small building one view drew inside the
    big one's box (IoU 0.44, wholly inside) is not averaged into it, though other views drew one of the two."""
    from rsvlm.fusion import fuse

    big, small = [10, 10, 40, 40], [14, 14, 34, 34]
    got = fuse([[_box(big), _box(small, 0.8)], [_box(big, 0.85)], [_box(small, 0.7)], [_box(big, 0.8)]], 96, 96)
    assert sorted(o["coords"] for o in got) == [big, small]
    got = fuse([[_box(big)], [_box([20, 20, 30, 30], 0.8)]], 96, 96, many=True)  # a car in a lot's box: IoU 0.11
    assert len(got) == 2
