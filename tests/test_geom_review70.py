"""Review of stop 70's geometry tour: the helpers' new refusals must not stop a caller on input it accepts."""

from types import MappingProxyType

import numpy as np
import pytest

from rsvlm import geometry


def test_a_float_0_255_mask_the_scorers_accept_still_rasterises():
    # eval.regions.valid_mask takes a float 0/255 prediction mask (JSON [[0, 255.0]]); objects_to_mask then raised
    # "must hold 0 and 1 only" and segmentation scoring stopped at that record with a ScoreError
    from eval import regions, segmentation

    m = [[0.0, 255.0, 255.0], [0.0, 0.0, 255.0]]
    pred = {"kind": "mask", "label": "x", "mask": m}
    assert regions.valid_object(pred)
    assert (geometry.objects_to_mask([pred], 3, 2) == (np.asarray(m) > 0)).all()
    gt = [{"kind": "box", "label": "x", "coords": [0, 0, 2, 2]}]
    assert segmentation.units(gt, [pred], 3, 2) == ([("x", 1, 6)], 0)


def test_float_masks_other_than_0_1_or_0_255_are_still_refused():
    for bad in ([[0.0, 0.01]], [[0.0, 1.0, 255.0]], [[np.nan, 0.0]]):
        with pytest.raises(ValueError, match=r"object 0 \(mask\).*0 and 1 only"):
            geometry.objects_to_mask([{"kind": "mask", "mask": bad}], 3, 1)
    assert geometry.encode([{"kind": "mask", "mask": np.array([[0.0, 255.0]])}], 2, 1) == geometry.encode(
        [{"kind": "mask", "mask": np.array([[False, True]])}], 2, 1)


def test_objects_to_mask_takes_any_mapping_as_an_object():
    obj = MappingProxyType({"kind": "box", "coords": [0, 0, 1, 1]})  # o.get worked on it before the dict check
    assert geometry.objects_to_mask([obj], 3, 3).sum() == 1


def test_objects_to_mask_given_a_decoded_says_to_pass_its_objects():
    d = geometry.decode("<box><loc_0><loc_0><loc_500><loc_500></box>", 4, 4)
    with pytest.raises(ValueError, match=r"a Decoded: pass its \.objects"):  # was "'Decoded' object is not iterable"
        geometry.objects_to_mask(d, 4, 4)
    assert geometry.objects_to_mask(d.objects, 4, 4).sum() == 4
