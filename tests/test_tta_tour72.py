"""Stop 72 (area T, tta): crop_share 1 refused as no crop, a tile window named as such in the tiny-crop note, a
[regcap] question's crops skipped with their own reason, "1 band" / "N bands" in a mask's band hint."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import blank_image

from rsvlm import geometry

BOX = "<ref>ship</ref><box><loc_1><loc_1><loc_2><loc_2></box>"
DET = [[{"role": "user", "content": "<image>\n[det] Detect all ships."}]]


def test_a_crop_share_of_one_is_refused_as_the_whole_image_not_told_too_small():
    """``crop_share=1.0`` passed the range check, then every image was "too small for distinct corner crops"."""
    from rsvlm import tta

    with pytest.raises(ValueError, match=r"crop_share 1\.0 out of range .*crop_share in \(0, 1\): 1 is the whole "
                                         r"image, no crop"):
        tta.FuseConfig(views="crops", crop_share=1.0)
    assert tta.FuseConfig(views="crops", crop_share=0.99).crop_share == 0.99


def test_the_tiny_crop_note_names_a_tile_window_when_told_so():
    """``--tile 6``: "the 6x6 px image is too small …" was said of a window of a larger scene."""
    from rsvlm import tta

    cfg = tta.FuseConfig(views="crops")
    note = tta.no_view_note(DET[0], blank_image(6, 6), (BOX, [0.5]), cfg, frame="tile window")
    assert "the 6x6 px tile window is too small for distinct corner crops" in note
    assert "repeats the whole tile window or another crop" in note and " image" not in note
    (fused,) = tta.fused_answers(lambda m, i: [(BOX, [0.5])] * len(m), DET, [blank_image(100, 4)], [(BOX, [0.5])],
                                 cfg, frame="tile window")
    assert "the 100x4 px tile window is too small" in fused.unasked


def test_a_regcap_questions_crops_are_skipped_with_their_own_reason():
    """A [regcap] question's box is in whole-image coordinates: its note said the general "crops are only for
    [det]/[ground] questions …, in a conversation whose turns hold no shape", which its turn does."""
    from rsvlm import tta

    msgs = [{"role": "user", "content": "<image>\n[regcap] <box><loc_10><loc_10><loc_40><loc_40></box>"}]
    note = tta.no_view_note(msgs, blank_image(), ("ship", []), tta.FuseConfig(views="crops"))
    assert "a [regcap] question's box is in whole-image coordinates" in note
    assert "whose turns hold no shape" not in note
    (fused,) = tta.fused_answers(lambda m, i: [("ship", [])] * len(m), [msgs], [blank_image()], [("ship", [])],
                                 tta.FuseConfig(views="dihedral+crops"))
    assert "'c0', 'c1', 'c2', 'c3' not" in fused.unasked and "[regcap] question's box" in fused.unasked
    shaped = [*DET[0], {"role": "assistant", "content": BOX}, {"role": "user", "content": "[det] Detect all ships."}]
    assert "a turn of the conversation holds a shape" in tta.no_view_note(shaped, blank_image(), (BOX, [0.5]),
                                                                          tta.FuseConfig(views="crops"))


@pytest.mark.parametrize("bands, said", [(1, "a PNG read with 1 band on a third axis? pass one band"),
                                         (4, "a PNG read with its 4 bands? pass one band")])
def test_a_masks_band_hint_says_1_band_or_n_bands(bands, said):
    with pytest.raises(ValueError, match=r"got shape \(4, 5, " + str(bands) + r"\): " + said.replace("?", r"\?")):
        geometry.objects_to_mask([{"kind": "mask", "mask": np.zeros((4, 5, bands), np.uint8)}], 5, 4)


# A row or column by its place in order, no side: each of the 7 other views (steps t, then h, then v, as the words are
# mapped). A transpose says a row a column (counted from the top, from the left there); a flip reverses the order of
# the lines across its axis, so, with their count unknown, "the first" and "the last" swap and "the third" is "the
# third-to-last"; the middle one stays. Each was asked as written in every view: another row of the flipped image.
ORDINAL_VIEWS = ("h", "v", "hv", "t", "th", "tv", "thv")


@pytest.mark.parametrize("question, said", [
    ("[det] Detect the ships in the third column.", ["third-to-last column", "third column", "third-to-last column",
                                                     "third row", "third row", "third-to-last row", "third-to-last row"]),
    ("[count] How many tanks are in the first row?", ["first row", "last row", "last row", "first column",
                                                      "last column", "first column", "last column"]),
    ("[det] the last two rows of tanks", ["last two rows", "first two rows", "first two rows", "last two columns",
                                          "first two columns", "last two columns", "first two columns"]),
    ("[ground] the 2nd-to-last column", ["2nd column", "2nd-to-last column", "2nd column", "2nd-to-last row",
                                         "2nd-to-last row", "2nd row", "2nd row"]),
    ("[det] the penultimate row", ["penultimate row", "second row", "second row", "penultimate column",
                                   "second column", "penultimate column", "second column"]),
    ("[det] the cars in the Middle Row", ["Middle Row"] * 3 + ["Middle Column"] * 4),
])
def test_an_ordinal_row_or_column_is_turned_in_each_view(question, said):
    from rsvlm.tta_words import swap_words

    for view, words in zip(ORDINAL_VIEWS, said):
        asked = swap_words(question, view)
        assert words in asked, (view, asked)
        back = question if "penultimate" in asked else question.replace("penultimate", "second-to-last")
        assert swap_words(asked, view, back=True) == back, (view, asked)  # said back of the image


def test_an_ordinal_line_with_a_side_or_in_another_phrase_keeps_its_old_reading():
    from rsvlm.tta_words import swap_words

    assert swap_words("[ground] the third ship from the left in the first row", "t") == (
        "[ground] the third ship from the top in the first column")  # was "... in the first row"
    assert swap_words("[ground] the second row from the top", "h") == "[ground] the second row from the top"
    assert swap_words("[ground] the second row from the top", "th") == "[ground] the second column from the right"
    assert all(swap_words("[det] rows of containers", v) == "[det] rows of containers" for v in ORDINAL_VIEWS)


def test_an_ordinal_line_keeps_crops_from_being_asked():
    """A crop may cut the first row off: "[det] the tanks in the first row" was asked of the four corner crops."""
    from rsvlm.tta import croppable

    assert not croppable([{"role": "user", "content": "<image>\n[det] Detect the tanks in the first row."}])
    assert croppable([{"role": "user", "content": "<image>\n[det] Detect the rows of containers."}])


@pytest.mark.parametrize("question", ["[vqa] Is the boat moving up or down the river?",
                                      "[vqa] Is the ship heading down or up the channel?"])
def test_up_or_down_a_river_is_asked_of_every_view_and_its_answer_voted(question):
    """Upstream or down is no way in the image: only the identity and the left-right flip were asked ("'up' under a
    top-bottom flip or a transpose"), and the views' "Up." would have been left out as a way with no image back."""
    from rsvlm import tta

    asked = []

    def generate(m, i):
        asked.extend(x[-1]["content"] for x in m)
        return [("Up.", [])] * len(m)

    msgs = [[{"role": "user", "content": f"<image>\n{question}"}]]
    (fused,) = tta.fused_answers(generate, msgs, [blank_image()], [("Up.", [])], tta.FuseConfig(views="dihedral"))
    assert len(asked) == 7 and all(q.endswith(question) for q in asked)
    assert (fused.answer, fused.note, fused.unasked, fused.answers) == ("Up.", None, None, 8)


def test_up_or_down_as_a_way_in_the_image_still_skips_the_views_that_cannot_say_it():
    from rsvlm.tta_words import swap_words

    for q in ("[vqa] Is the ship facing up or down?", "[vqa] Is the boat moving up or down the image?"):
        assert swap_words(q, "h") == q and swap_words(q, "v") is None and swap_words(q, "t") is None


@pytest.mark.parametrize("question, word", [("[det] Detect the ships north of the pier.", "north"),
                                            ("[ground] the leftmost tank", "leftmost"),
                                            ("[det] the tanks in the first row", "first row")])
def test_a_det_or_ground_questions_crops_note_names_the_word_that_bars_them(question, word):
    """It said "crops are only for [det]/[ground] questions with no position words, …, in a conversation whose turns
    hold no shape; a short text answer is voted over mirror views" of a [det] question, naming no word."""
    from rsvlm import tta

    msgs = [{"role": "user", "content": f"<image>\n{question}"}]
    note = tta.no_view_note(msgs, blank_image(), (BOX, [0.5]), tta.FuseConfig(views="crops"))
    assert f"whose answer is boxes: the question's {word!r} may name other objects in a crop" in note
    assert "short text answer" not in note
