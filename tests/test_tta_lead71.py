"""Stop 71, round 2 (area X2, tta): one public rule of a mask's whole-number offset (``geometry.mask_offset``),
fused oriented boxes held to the image, the up/down match past a comma, and --tta beside other options."""

from __future__ import annotations

import numpy as np
import pytest

from rsvlm import geometry


@pytest.mark.parametrize("offset", [[2, 3], (2.0, np.int64(3)), np.array([2, 3]), np.array([2.0, 3.0])])
def test_a_mask_offset_of_two_whole_numbers_is_read(offset):
    assert geometry.mask_offset(offset) == (2, 3)
    drawn = geometry.objects_to_mask([{"kind": "mask", "mask": np.ones((4, 5), bool), "offset": offset}], 64, 64)
    assert drawn.sum() == 20 and drawn[3:7, 2:7].all()  # (64, 64): the crop at rows 3..6, columns 2..6


@pytest.mark.parametrize("offset", [["1", "2"], [True, False], [np.True_, 2], [2.5, 3], [2, 3, 4], np.array(2),
                                    "12", [float("nan"), 1], [10**400, 0], np.array([[2, 3]])])
def test_a_mask_offset_of_text_bools_or_fractions_is_refused_naming_it(offset):
    """``["1", "2"]`` and ``[True, False]`` had been drawn at (1, 2) and (1, 0) (np.asarray(..., float) read them),
    which eval's rule (``whole_offset``) refuses: one rule now, public, in rsvlm.geometry."""
    with pytest.raises(ValueError, match=r"'offset' must be \[x, y\], two whole numbers .*got "):
        geometry.mask_offset(offset)
    obj = {"kind": "mask", "mask": np.ones((4, 5), bool), "offset": offset}
    with pytest.raises(ValueError, match=r"object 0 \(mask\): cannot rasterise: its 'offset' must be"):
        geometry.objects_to_mask([obj], 64, 64)
