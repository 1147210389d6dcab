"""Stop 70, area K: one mask rule (``rsvlm.geometry.masks.mask_fault``) for the geometry helpers and the scorers,
and a full-image mask array of the wrong shape refused rather than cropped."""

from __future__ import annotations

import re

import numpy as np
import pytest
from conftest import eval_record, write_jsonl

from eval import regions, segmentation
from rsvlm import geometry
from rsvlm.geometry.masks import mask_fault

CASES = [  # (mask, a mask to the helpers, to the scorers)
    ([[0, 1], [1, 0]], True, True),
    ([[False, True]], True, True),
    ([[0, 255]], True, True),
    ([[0.0, 255.0]], True, True),
    ([[0.0, 1.0]], True, True),
    (np.zeros((0, 0)), True, True),
    ([[0, 3]], True, False),  # a class-label raster: nonzero is on in geometry; a prediction must be 0/1 or 0/255
    ([[0, 1, 255]], True, False),
    ([[0.0, 1.0, 255.0]], False, False),
    ([[0.0, 0.01]], False, False),
    ([[np.nan, 0.0]], False, False),
    ([["0", "1"]], False, False),  # a string "0" was on in geometry
    ([[1j, 0]], False, False),
    ([[[0, 1]]], False, False),
    ([[0, 1], [1]], False, False),
]


@pytest.mark.parametrize("mask, helpers, scorers", CASES)
def test_the_helpers_and_the_scorers_read_one_rule(mask, helpers, scorers):
    assert (mask_fault(mask) is None) is helpers
    assert (mask_fault(mask, any_integer=False) is None) is scorers
    assert (regions.mask_values_problem(mask) is None) is scorers
    obj = {"kind": "mask", "mask": mask}
    assert regions.valid_object(obj) is scorers
    if not helpers:  # every geometry helper refuses it, saying why, never a numpy error
        why = re.escape(str(mask_fault(mask)))
        with pytest.raises(ValueError, match=r"object 0 \(mask\): cannot rasterise: " + why):
            geometry.objects_to_mask([obj], 3, 1)  # its values are checked before its shape
        with pytest.raises(ValueError, match=why):
            geometry.mask_iou(mask, mask)


def test_a_string_mask_was_on_in_geometry_now_refused():
    with pytest.raises(ValueError, match=r"a str32 mask holds no numbers \(text\?\)"):
        geometry.mask_iou([["0", "0"]], np.zeros((1, 2), bool))  # was IoU of an all-on mask


def test_each_caller_keeps_its_wording():
    soft = [[0.9, 0.01], [0.0, 1.0]]
    assert str(mask_fault(soft)).startswith("a float64 mask must hold 0 and 1 only; it has 2 pixels of other values (e.g. 0.01")
    assert regions.mask_values_problem(soft).endswith("it holds 0.01: a probability map? threshold it")
    assert regions.mask_values_problem([[0, 1, 255]]).endswith("it mixes 1 and 255")
    assert regions.mask_values_problem([[0, 2, 1]]).endswith(  # was "a probability map? threshold it"
        "it holds 2: a class-label raster? give one class's mask (labels == k)")
    assert regions.mask_values_problem([[[0, 0]]]) == "its 'mask' array is 3-D, not 2-D (rows of pixels)"


def test_a_mask_read_with_its_bands_says_to_pass_one():
    rgb = np.zeros((4, 5, 3), np.uint8)  # a PNG mask read as RGB: "must be 2-D" said nothing of what to do
    with pytest.raises(ValueError, match=r"object 0 \(mask\): .*got shape \(4, 5, 3\): a PNG read with its 3 bands"
                                         r"\? pass one band, mask\[\.\.\., 0\]"):
        geometry.objects_to_mask([{"kind": "mask", "mask": rgb}], 5, 4)
    assert regions.mask_values_problem(rgb[..., :1]).endswith("? pass one band, mask[..., 0]")


def test_a_transposed_full_image_mask_is_refused_naming_it_and_both_shapes():
    m = np.ones((5, 3), bool)  # (height 5, width 3) given for a 5 x 3 (width x height) image
    with pytest.raises(ValueError, match=r"object 1 \(mask\): cannot rasterise: its 'mask' array is 3x5 pixels "
                                         r"\(width x height\), the image 5x3"):
        geometry.objects_to_mask([{"kind": "point", "coords": [0, 0]}, {"kind": "mask", "mask": m}], 5, 3)
    # the same array at an offset is a crop, cut at the image's edge; a full-size one is read as it is
    crop = geometry.objects_to_mask([{"kind": "mask", "mask": m, "offset": [3, 0]}], 5, 3)
    assert crop[:, 3:].all() and not crop[:, :3].any()
    assert geometry.objects_to_mask([{"kind": "mask", "mask": m.T, "offset": None}], 5, 3).all()


def test_shifted_gives_every_mask_array_an_offset():
    objs = [{"kind": "mask", "mask": np.ones((4, 6), bool)}, {"kind": "box", "coords": [0, 0, 1, 1]}]
    assert [o.get("offset") for o in regions.shifted(objs, 0)] == [[0, 0], None]
    assert regions.shifted(objs, 2)[0]["offset"] == [0, -2]
    boxes = objs[1:]
    assert regions.shifted(boxes, 0) is boxes  # no mask array: as it was
    at = [{"kind": "mask", "mask": np.ones((2, 2), bool), "offset": np.array([3, 4])}]  # an array offset reads too
    assert regions.shifted(at, 1)[0]["offset"] == [3, 3]
    assert regions.mask_overlap(at, at, 6, 7) == (4, 0, 0)
    assert geometry.objects_to_mask(at, 6, 7)[4:6, 3:5].all()


def test_a_full_image_mask_in_a_band_counts_as_before():
    # a full-image mask beside a box lower down: the bands cut rows, the mask keeps its place
    w, h = 12, 10
    full = np.zeros((h, w), bool)
    full[1:3, 2:5] = True
    gt = [{"kind": "box", "label": "x", "coords": [2, 1, 5, 3]}, {"kind": "box", "label": "x", "coords": [0, 8, 2, 10]}]
    pred = [{"kind": "mask", "label": "x", "mask": full}]
    assert regions.mask_overlap(gt, pred, w, h) == (6, 0, 4)


def test_segmentation_counts_and_names_a_transposed_mask_prediction(tmp_path, capsys):
    w, h = 20, 12
    rec = eval_record("s", "seg", "[seg] Segment the trees.",
                      "<ref>tree</ref><poly><loc_0><loc_0><loc_500><loc_0><loc_500><loc_500><loc_0><loc_500></poly>",
                      width=w, height=h)
    ok = eval_record("t", "seg", "[seg] Segment the trees.",
                     "<ref>tree</ref><poly><loc_0><loc_0><loc_500><loc_0><loc_500><loc_500><loc_0><loc_500></poly>",
                     width=w, height=h)
    good = np.zeros((h, w), int)
    good[:6, :10] = 1
    gt = write_jsonl(tmp_path / "gt.jsonl", [rec, ok])
    pred = write_jsonl(tmp_path / "p.jsonl", [
        {"id": "s", "task": "seg", "answer": "", "objects": [{"kind": "mask", "label": "tree", "mask": good.T.tolist()}]},
        {"id": "t", "task": "seg", "answer": "", "objects": [{"kind": "mask", "label": "tree", "mask": good.tolist()}]}])
    s = segmentation.main(["--gt", gt, "--pred", pred])  # the run goes on past the bad record
    out = capsys.readouterr().out
    assert s["n_unparseable"] == 1
    assert "mask array is 12x20 pixels, the image 20x12" in out and "'s'" in out


@pytest.mark.parametrize("offset", [[2.7, 0], [1, 2, 3], ["a", 0], [float("nan"), 0], "12"])
def test_a_mask_offset_that_is_no_whole_pixel_pair_is_refused(offset, tmp_path):
    obj = {"kind": "mask", "label": "x", "mask": np.ones((2, 2), bool), "offset": offset}
    with pytest.raises(ValueError, match=r"object 0 \(mask\): cannot rasterise: its 'offset' must be \[x, y\], two "
                                         r"whole numbers of pixels"):  # [2.7, 0] was placed at 2 without a word
        geometry.objects_to_mask([obj], 6, 6)
    assert not regions.valid_object(obj)
    assert "at an 'offset' of two whole numbers (pixels)" in regions.object_problem(obj)
    obj["offset"] = [2.0, 1]  # whole numbers, as floats too, are pixels
    assert geometry.objects_to_mask([obj], 6, 6)[1:3, 2:4].all() and regions.valid_object(obj)
