"""Stop 73 (area T, tta): FuseConfig's field types refused by name; "which row of the parking lot" turned (not "rows
of containers"); "which row and column" turned whole, its bare-ordinal answer left out of the flips' vote with a note;
objects counted in order with no side ("the second ship") asked of no mirror view, the note naming it; a turn answer's
image sides ("the right edge") turned as sides, not as the turn's sense; an ImageInput holding a path read once."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import blank_image

from rsvlm import tta
from rsvlm.tta_lines import counted_lines, ordered
from rsvlm.tta_words import spellings, swap_words

DIHEDRAL = ("h", "v", "hv", "t", "th", "tv", "thv")


@pytest.mark.parametrize("field, value, said", [
    ("min_views", 2.5, "min_views 2.5 (a whole number)"), ("min_views", "3", "min_views '3' (a whole number)"),
    ("min_views", True, "min_views True (a whole number)"), ("budget", 32.0, "budget 32.0 (a whole number)"),
    ("agree", "0.3", "agree '0.3' (a number)"), ("min_share", None, "min_share None (a number)")])
def test_fuseconfig_refuses_a_field_of_the_wrong_type_naming_it(field, value, said):
    """``min_views=2.5`` was taken (a cluster then needed 2.5 views), ``min_views="3"`` a bare TypeError of '>='."""
    with pytest.raises(TypeError, match=r"FuseConfig: " + said.replace("(", r"\(").replace(")", r"\)")):
        tta.FuseConfig(**{field: value})


def test_fuseconfig_takes_numpy_numbers_and_a_negative_share_is_out_of_range():
    cfg = tta.FuseConfig(min_views=np.int64(2), agree=np.float32(0.4), smooth_px=0)
    assert cfg.min_views == 2
    with pytest.raises(ValueError, match=r"min_share -0\.1 out of range"):
        tta.FuseConfig(min_share=-0.1)


@pytest.mark.parametrize("question, turned", [
    ("Which row of the parking lot has the most cars?", "Which column of the parking lot has the most cars?"),
    ("In which column of this grid is the red car?", "In which row of this grid is the red car?"),
    ("Which row of containers is the longest?", "Which row of containers is the longest?"),  # a row of things: kept
    ("Which rows of tanks are full?", "Which rows of tanks are full?"),
])
def test_a_row_of_a_place_turns_under_a_transpose_a_row_of_things_does_not(question, turned):
    """The "of" guard kept "rows of containers" and with it "which row of the parking lot", asked of a transpose as
    written: another line of the turned lot."""
    assert swap_words(question, "t") == turned
    assert counted_lines(question) == ("row" if "parking" in question else "column" if "grid" in question else "things")


def test_a_bare_ordinal_of_a_row_of_a_place_is_counted_back():
    said = spellings("The first.", "Which row of the parking lot has the most cars?")
    assert [swap_words("The first.", v, back=True, **said) for v in DIHEDRAL] == [
        "The first.", "The last.", "The last.", "The first.", "The last.", "The first.", "The last."]  # rows flipped


def test_which_row_and_column_turns_both_nouns_and_a_bare_ordinal_is_left_out_of_the_flips():
    """"Which row and column …?" was asked of a transpose as "Which column and column …?", and its answer "The
    first." was counted as a row's in every flip (a column's first is a left-right flip's last)."""
    question = "Which row and column hold the truck?"
    assert swap_words(question, "t") == "Which column and row hold the truck?"
    assert counted_lines(question) == "both"
    said = spellings("The first.", question)
    back = {v: swap_words("The first.", v, back=True, **said) for v in DIHEDRAL}
    assert back == {"h": None, "v": None, "hv": None, "t": "The first.", "th": None, "tv": None, "thv": None}
    assert swap_words("The first row, the last column.", "h", back=True, **said) == "The first row, the first column."
    msgs = [[{"role": "user", "content": f"<image>\n[vqa] {question}"}]]
    (fused,) = tta.fused_answers(lambda m, i: [("The first.", [])] * len(m), msgs, [blank_image()],
                                 [("The first.", [])], tta.FuseConfig(views="dihedral"))
    assert fused.answer == "The first."
    assert "6 of 7 other view answers could not be fused, left out of the vote" in fused.note
    assert "its 'first' may count rows or columns (the question asks of both)" in fused.note


def test_a_question_asking_both_with_a_bare_ordinal_is_asked_of_the_transpose_alone():
    msgs = [[{"role": "user", "content": "<image>\n[vqa] Which row and column hold the truck, the first or the last?"}]]
    asked = []
    (fused,) = tta.fused_answers(lambda m, i: asked.extend(x[-1]["content"] for x in m) or [("The first.", [])] * len(m),
                                 msgs, [blank_image()], [("The first.", [])], tta.FuseConfig(views="dihedral"))
    assert asked == ["<image>\n[vqa] Which column and row hold the truck, the first or the last?"]
    assert "the question's 'first' under a flip" in fused.unasked


@pytest.mark.parametrize("question, found", [
    ("[ground] the second ship", "the second ship"), ("[ground] the last plane", "the last plane"),
    ("[ground] the 2nd ship", "the 2nd ship"), ("[ground] the second ship from the left", None),
    ("[ground] the second ship, counting left to right", None), ("[ground] the second largest ship", None),
    ("[ground] the middle ship", None), ("[change] What changed in the second image?", None),
    ("[det] the last two rows of tanks", None), ("[vqa] Which is the first ship to dock?", None),
    ("[ground] the first ship left of the pier", None), ("[vqa] What does the first band show?", None),
    ("[change] What was built in the last year?", None)])
def test_objects_counted_in_order_with_no_side_are_found(question, found):
    m = ordered(question)
    assert (m and m.group(0)) == found


def test_objects_counted_in_order_with_no_side_are_asked_of_no_mirror_view_nor_crop():
    """"the second ship" was asked of every view as written: each counted its ships in its own order, and the vote
    picked among other ships. An order with no side cannot be mapped: no view is asked, the note says why."""
    for view in DIHEDRAL:
        assert swap_words("[ground] the second ship", view) is None
        assert swap_words("[ground] the second ship from the left", view) is not None
    assert swap_words("[ground] the second ship from the left", "h") == "[ground] the second ship from the right"
    assert not tta.croppable([{"role": "user", "content": "<image>\n[ground] the second ship"}])
    msgs = [[{"role": "user", "content": "<image>\n[ground] the second ship"}]]
    box = "<box><loc_1><loc_1><loc_5><loc_5></box>"
    cfg = tta.FuseConfig(views="dihedral+crops")
    assert tta.fused_answers(lambda m, i: [(box, [])] * len(m), msgs, [blank_image()], [(box, [])], cfg) == [None]
    note = tta.no_view_note(msgs[0], blank_image(), (box, []), cfg)
    assert "the question's 'the second ship' under any mirror view, which counts them in another order" in note
    assert tta.skipped_note(["h"], 7, "[ground] the second ship").endswith(
        "(a word with no one-word image there: the question's 'the second ship' under any mirror view, which counts "
        "them in another order: say from which side)")


# each view's "Left, then it runs to the right edge.": the turn's sense turned by a mirror alone, the image's right
# edge as every view sees it
TURN_ANSWERS = {"h": "Right, then it runs to the left edge.", "v": "Right, then it runs to the right edge.",
                "hv": "Left, then it runs to the left edge.", "t": "Right, then it runs to the bottom edge.",
                "th": "Left, then it runs to the bottom edge.", "tv": "Left, then it runs to the top edge.",
                "thv": "Right, then it runs to the top edge."}


@pytest.mark.parametrize("view", DIHEDRAL)
def test_a_turn_answers_image_side_turns_as_a_side_in_every_view(view):
    """With ``turning`` every left/right of the answer was the turn's sense: "the right edge" was a left-right flip's
    "left edge" in a top-bottom flip too, and a transpose's "left edge" (not its bottom)."""
    answer = "Left, then it runs to the right edge."
    said = spellings(answer, "Does the road turn left or right?")
    assert said["turning"]
    asked = swap_words(answer, view, **said)
    assert asked == TURN_ANSWERS[view]
    assert swap_words(asked, view, back=True, **said) == answer
    from rsvlm.tta import map_text

    assert map_text(answer, view, 96, 96, said) == TURN_ANSWERS[view]  # a training view says it alike


@pytest.mark.parametrize("view", DIHEDRAL)
def test_up_then_down_the_image_is_kept_in_a_left_right_flip_and_has_no_other_image(view):
    said = spellings(None, "Does the road turn left or right?")
    text = "Up, then down the image."
    assert swap_words(text, view, **said) == (text if view == "h" else None)
    assert swap_words(text, view, back=True, **said) == (text if view == "h" else None)


def test_an_image_input_holding_a_path_is_read_once_and_fused(tmp_path):
    """``ImageInput(path)``: ``fused_answers`` took ``im.array.shape`` of the path string (AttributeError)."""
    from PIL import Image

    from rsvlm.model.processor import ImageInput

    path = tmp_path / "scene.png"
    Image.fromarray(np.zeros((20, 30, 3), np.uint8)).save(path)
    im = ImageInput(str(path), modality="optical")
    seen = []

    def generate(msgs, images):
        seen.extend(ims[0].array.shape for ims in images)
        return [("harbour", [])] * len(msgs)

    msgs = [[{"role": "user", "content": "<image>\n[cls] What is this scene?"}]]
    (fused,) = tta.fused_answers(generate, msgs, [[im]], [("harbour", [])], tta.FuseConfig())
    assert fused.answer == "harbour" and fused.answers == 4
    assert seen == [(3, 20, 30)] * 3  # each view's pixels, from one read
    note = tta.no_view_note(msgs[0], [im], ("a long caption of many more words", []), tta.FuseConfig())
    assert "only shapes and answers of at most 4 words are fused" in note
