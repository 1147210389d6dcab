"""Stop 71 (area X, tta): a place on a river ("left of the river mouth") is a side in the answer to a bank's
question, "Are the top two the largest?" asks of the two at the top, and the geometry API's looseness (a clamp that
changes an oriented box's shape is said; a label, ``per_instance`` or an image size of the wrong type is refused)."""

from __future__ import annotations

import pytest
from conftest import blank_image

from rsvlm import tta

BANK_Q = [{"role": "user", "content": "<image>\n[vqa] Which bank is the ship on?"}]


@pytest.mark.parametrize("view,image", [("h", "Right of the river mouth."), ("v", "Left of the river mouth."),
                                        ("t", "Above the river mouth."), ("th", "Below the river mouth."),
                                        ("hv", "Right of the river mouth.")])
def test_a_place_on_the_river_is_a_side_in_a_banks_answer(view, image):
    """"Left of the river mouth." answering "Which bank is the ship on?" was read as the river's left bank: a top-bottom
    flip's answer came back "Right of the river mouth." (a bank, swapped by a mirror), a transpose's kept "Left" (a
    sense, kept by a quarter turn); a mouth is a place at the river's end, with sides of its own."""
    said = "Left of the river mouth."
    assert tta.swap_words(said, view, back=True, turning=True) == image


@pytest.mark.parametrize("text", ["The left side of the river mouth.", "Left of the river's mouth.",
                                  "The left side of the river bend."])
def test_a_side_of_a_place_on_the_river_turns_as_any_side(text):
    assert tta.swap_words(text, "v", back=True, turning=True) == text  # a top-bottom flip keeps left and right
    assert tta.swap_words(text, "h", back=True, turning=True) == text.replace("left", "right").replace("Left", "Right")


@pytest.mark.parametrize("text", ["The left side of the river.", "Left of the river.", "The left bank.",
                                  "The left side of the river near the bridge."])
def test_the_rivers_own_side_is_still_its_bank(text):
    """A mirror view says the other bank (the river flows the other way round), a half turn the same one."""
    right = text.replace("left", "right").replace("Left", "Right")
    assert [tta.swap_words(text, v, back=True, turning=True) for v in ("v", "hv", "t")] == [right, text, right]


def test_the_views_vote_a_place_on_the_river_back_to_one_answer():
    """The plain answer misplaced the ship; each mirror view saw it left of the river mouth in its own frame. Said back,
    the top-bottom flip's "Left" and the half turn's "Right" came back "Right" (swapped and kept as a bank's): the plain
    answer's wrong place won 3 to 1."""
    asked = iter(["Right of the river mouth.", "Left of the river mouth.", "Right of the river mouth."])  # h, v, hv
    (fused,) = tta.fused_answers(lambda m, i: [(next(asked), [])], [BANK_Q], [blank_image()],
                                 [("Right of the river mouth.", [])], tta.FuseConfig(text_words=5))
    assert fused.answer == "Left of the river mouth."
    assert fused.note is None


@pytest.mark.parametrize("question,v,t", [
    ("Are the top two the largest?", "Are the bottom two the largest?", "Are the left two the largest?"),
    ("Are the top 2 ships the largest?", "Are the bottom 2 ships the largest?", "Are the left 2 ships the largest?"),
    ("Are the left two the largest?", "Are the left two the largest?", "Are the top two the largest?")])
def test_the_ones_at_the_top_with_a_superlative_after_them_are_a_place(question, v, t):
    """"Are the top two the largest?" was read as a ranking ("the top 2 largest") and asked as it is of every view,
    so a top-bottom flip asked of the two at the bottom of the image; "Is the top one the largest?" turned already."""
    assert (tta.swap_words(question, "v"), tta.swap_words(question, "t")) == (v, t)
    assert tta.swap_words(v, "v", back=True) == question


@pytest.mark.parametrize("text", ["the top 3 largest ships", "the top 3 of the largest ships",
                                  "the top two among the biggest tanks", "Are the top two largest?"])
def test_a_ranking_stays_one(text):
    assert {tta.swap_words(text, v) for v in tta.DIHEDRAL[1:]} == {text}


def test_each_view_is_asked_of_the_same_two_and_its_yes_is_one_vote():
    asked: list[str] = []

    def answer(messages, images):
        asked.extend(m[-1]["content"] for m in messages)
        return [("Yes.", [])] * len(messages)

    msgs = [[{"role": "user", "content": "<image>\n[vqa] Are the top two the largest?"}]]
    cfg = tta.FuseConfig(views="dihedral")
    (fused,) = tta.fused_answers(answer, msgs, [blank_image()], [("No.", [])], cfg)
    assert asked == [f"<image>\n[vqa] Are the {w} two the largest?"
                     for w in ("top", "bottom", "bottom", "left", "right", "left", "right")]
    assert fused.answer == "Yes."
