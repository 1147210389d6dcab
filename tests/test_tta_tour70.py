"""Stop 70 (area X, tta): a ranking's number words ("the top eleven largest"), a place said "lower and to the left"
in each view, the answer to a bank's question whose other left/right is a side ("The left bank, left of the
pier."), and crops for a bank's and a ranking's words."""

from __future__ import annotations

import pytest

from rsvlm import tta
from rsvlm.tta_text import croppable

VIEWS = tta.DIHEDRAL[1:]  # every view but the identity


@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize("text", ["the top one hundred largest buildings", "the top eleven largest ships",
                                  "The top fifteen biggest tanks.", "the top thirty largest ships",
                                  "the top twenty-five largest ships", "the bottom nineteen smallest tanks"])
def test_every_number_word_of_a_ranking_is_a_ranking(text, view):
    """"the top eleven largest ships" was asked of a transpose as "the left eleven largest ships", of a top-bottom flip
    as "the bottom eleven largest": the ranking knew two..ten, twelve, twenty, fifty, hundred, dozen only."""
    assert tta.swap_words(text, view) == text
    assert tta.swap_words(text, view, back=True) == text


@pytest.mark.parametrize("text,h,v", [
    ("The ship is lower and to the left.", "The ship is lower and to the right.", "The ship is higher and to the left."),
    ("Higher, further right.", "Higher, further left.", "Lower, further right."),
    ("It is to the left and lower.", "It is to the right and lower.", "It is to the left and higher."),
    ("the ship lower and to the left of the pier", "the ship lower and to the right of the pier",
     "the ship higher and to the left of the pier")])
def test_lower_said_with_a_side_is_a_place_in_each_view(text, h, v):
    """"lower and to the left" was asked of a top-bottom flip as "upper and to the left" (no English) and "higher and
    to the left" kept its "higher" there (another place); a transpose, with no one-word image for either, skips."""
    assert (tta.swap_words(text, "h"), tta.swap_words(text, "v"), tta.swap_words(text, "v", back=True)) == (h, v, v)
    for view in ("t", "th", "tv", "thv"):
        assert tta.swap_words(text, view) is None


@pytest.mark.parametrize("text", ["Is the ship higher than the pier?", "Which building is lower?", "the upper half"])
def test_a_height_or_a_half_with_no_side_is_as_before(text):
    assert tta.swap_words(text, "v") == {"the upper half": "the lower half"}.get(text, text)


@pytest.mark.parametrize("view,image", [("h", "The right bank, right of the pier."),
                                        ("v", "The right bank, left of the pier."),
                                        ("t", "The right bank, above the pier.")])
def test_a_bank_answers_side_of_another_thing_is_a_side(view, image):
    """The answer to "Which bank is the ship on?" read every left/right as a bank: a top-bottom flip's "left of the
    pier" came back "right of the pier" (a bank, swapped by a mirror), another place than the plain answer's."""
    assert tta.swap_words("The left bank, left of the pier.", view, back=True, turning=True) == image


def test_a_bank_answers_part_and_corner_are_sides():
    said = "Left bank, on the right side of the bridge, near the top left corner."
    assert (tta.swap_words(said, "v", back=True, turning=True)
            == "Right bank, on the right side of the bridge, near the bottom left corner.")
    for bank in ("The left side.", "On the left side of the river."):  # a side of the river: its bank
        assert tta.swap_words(bank, "v", back=True, turning=True) == bank.replace("left", "right")
    assert tta.swap_words("Left.", "v", back=True, turning=True) == "Right."  # the bank itself: a mirror swaps it


def _asked(text: str) -> list[dict]:
    return [{"role": "user", "content": text}]


@pytest.mark.parametrize("text", ["[det] the ships on the left bank", "[ground] the ship on the right bank",
                                  "[det] the cars turning left"])
def test_a_bank_or_a_turns_sense_is_asked_of_crops(text):
    """A river's bank (named facing downstream) and a turn's sense are the same in a crop, which neither turns nor
    mirrors the image: no crops were asked, as for "the leftmost ship"."""
    assert croppable(_asked(text))


@pytest.mark.parametrize("text", ["[det] the top 3 largest ships", "[det] the top 3 ships by area",
                                  "[det] the ships on the left bank near the left edge"])
def test_a_ranking_or_a_side_beside_a_bank_is_not_asked_of_crops(text):
    """A crop ranks other ships: "the top 3 largest" of a corner are not the image's; nor is a crop's "left edge"
    the image's, though the question names a bank too."""
    assert not croppable(_asked(text))


def _box_speck(x: float, y: float, label: str = "car") -> dict:
    return {"kind": "box", "label": label, "coords": [x, y, x, y]}


def test_box_specks_a_bin_apart_across_views_are_one_object():
    """A box of no area (one bin on a 2000 px image) that half the views answered a bin off, once mapped back, was
    another object: two cars fused from one, each scored by half the views."""
    from rsvlm import fusion

    views = [[_box_speck(11, 11.25, "car"), _box_speck(611, 600.75)]] * 4 \
        + [[_box_speck(13, 11.25), _box_speck(613, 600.75)]] * 4  # bin 5 and bin 6 of 1000
    out = fusion.fuse(views, 2000, 1500, tta.FuseConfig(views=tta.DIHEDRAL), many=True)
    assert sorted(o["coords"] for o in out) == [[12.0, 11.25, 12.0, 11.25], [612.0, 600.75, 612.0, 600.75]]
    far = [[_box_speck(11, 11.25)]] * 4 + [[_box_speck(15, 11.25)]] * 4  # two bins apart: two objects
    assert len(fusion.fuse(far, 2000, 1500, tta.FuseConfig(views=tta.DIHEDRAL), many=True)) == 2


def _poly_speck(x: float, y: float) -> dict:
    return {"kind": "poly", "label": "car", "coords": [[x, y], [x, y], [x, y]]}


def test_a_polygon_speck_every_view_drew_is_kept():
    """A polygon of one spot covers no pixel centre: it cast no vote, so the fused answer dropped it though all 8
    views drew it; a bin off in half the views it is still one car."""
    from rsvlm.fusion_masks import fuse_masks

    cfg = tta.FuseConfig(views=tta.DIHEDRAL)
    assert fuse_masks([[_poly_speck(11, 11.25)]] * 8, 2000, 1500, "poly", cfg) == [
        {"kind": "poly", "label": "car", "coords": [[11, 11.25]] * 3}]
    half = [[_poly_speck(11, 11.25)]] * 4 + [[_poly_speck(13, 11.25)]] * 4
    assert len(fuse_masks(half, 2000, 1500, "poly", cfg)) == 1
    assert fuse_masks([[_poly_speck(11, 11.25)]] * 3 + [[]] * 5, 2000, 1500, "poly", cfg) == []  # 3 of 8: voted down


@pytest.mark.parametrize("question,word", [("[vqa] Is the largest ship lower and to the left of the pier?", "'lower'"),
                                           ("[vqa] Is the ship above the pier?", "'above'"),
                                           ("[vqa] Is it Higher, further right?", "'Higher'"),
                                           ("[det] the left 3 largest ships", "'left'")])
def test_the_note_of_views_not_asked_names_the_questions_word(question, word):
    """The note said "a turn cannot be said in a mirror view (... 'above' under a transpose)" whatever word of the
    question it was: "lower" in "lower and to the left" read as a word the user never wrote."""
    note = tta.skipped_note(["t", "th"], 7, question)
    assert note.startswith("test-time augmentation: 2 other views not asked, 5 asked ('t', 'th' not)")
    assert f"(a word with no one-word image there: the question's {word} under a transpose)" in note
