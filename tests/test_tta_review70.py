"""Stop 70 review (area X, tta): the new rules of the tour (a ranking's number words, "lower" said with a side, specks
a bin apart) reached words and shapes they were not meant for."""

from __future__ import annotations

import pytest

from rsvlm import fusion, tta


@pytest.mark.parametrize("text,v,t", [
    ("Is the top one the largest?", "Is the bottom one the largest?", "Is the left one the largest?"),
    ("the top one is the biggest ship", "the bottom one is the biggest ship", "the left one is the biggest ship"),
    ("Is the top one the most damaged building?", "Is the bottom one the most damaged building?",
     "Is the left one the most damaged building?")])
def test_the_top_one_is_a_place_not_a_ranking(text, v, t):
    """A bare "one" after "top" is the pronoun, the one at the top: read as a ranking's number it was kept in every
    view, so a top-bottom flip asked of the ship at the image's bottom."""
    assert (tta.swap_words(text, "v"), tta.swap_words(text, "t")) == (v, t)


@pytest.mark.parametrize("text,t", [("Which tower is higher, left or right?", "Which tower is higher, top or bottom?"),
                                    ("Which is lower, left or right?", "Which is lower, top or bottom?")])
def test_a_height_between_two_sides_is_kept(text, t):
    """"Which tower is higher, left or right?" asks a height of a choice of two: it was read as a place said with a
    side, asked of a top-bottom flip as "lower" (the other tower's answer) and skipped in the transposed views."""
    assert tta.swap_words(text, "v") == text
    assert tta.swap_words(text, "t") == t


@pytest.mark.parametrize("text,v", [("The lower, left corner.", "The upper, left corner."),
                                    ("the upper, right corner", "the lower, right corner")])
def test_a_corner_written_with_a_comma_is_a_corner(text, v):
    assert tta.swap_words(text, "v") == v


def test_small_boxes_side_by_side_are_not_averaged_together():
    """Two cars a location bin wide, side by side on a 10000 px image (a bin is 10 px), touch: IoU 0. The bin's
    tolerance for specks took them as one spot, so each fused box was averaged with the other car's."""
    a = {"kind": "box", "label": "car", "coords": [1005.0, 1005.0, 1015.0, 1015.0]}
    b = {"kind": "box", "label": "car", "coords": [1015.0, 1005.0, 1025.0, 1015.0]}
    out = fusion.fuse([[a, b]] * 8, 10000, 10000, tta.FuseConfig(views=tta.DIHEDRAL), many=True)
    assert sorted(o["coords"] for o in out) == [a["coords"], b["coords"]]


def test_a_fused_answers_note_names_the_words_of_its_own_question():
    """``fused_answers`` hands each record's last question to the note: the word is the record's, not 'above'."""
    import numpy as np

    from rsvlm.answering import Answer
    from rsvlm.model.processor import ImageInput

    def generate(msgs, ims):
        return [Answer("3", [])] * len(msgs)

    questions = ["[count] How many ships are lower and to the left of the pier?", "[count] How many ships are below it?"]
    msgs = [[{"role": "user", "content": f"<image>\n{q}"}] for q in questions]
    image = [ImageInput(np.zeros((3, 96, 96), np.float32))]
    fused = tta.fused_answers(generate, msgs, [image, image], [Answer("3", [])] * 2, tta.FuseConfig(views="dihedral"))
    assert ["the question's 'lower' under a transpose" in f.unasked for f in fused] == [True, False]
    assert "the question's 'below' under a transpose" in fused[1].unasked


def test_lines_of_no_area_crossing_at_one_centre_are_no_speck():
    """A polygon of no area longer than a bin (a line) is no speck: voted by its centre alone, one view's line across
    and another's line down, crossing at the same centre, were kept as one agreed shape."""
    from rsvlm.fusion_masks import fuse_masks

    across = {"kind": "poly", "label": "road", "coords": [[100, 200], [300, 200], [100, 200]]}
    down = {"kind": "poly", "label": "road", "coords": [[200, 100], [200, 300], [200, 100]]}
    assert fuse_masks([[across]] * 4 + [[down]] * 4, 2000, 1500, "poly", tta.FuseConfig(views=tta.DIHEDRAL)) == []
