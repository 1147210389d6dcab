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
