"""Stop 70's tour of the geometry API: non-finite and out-of-range inputs are clear errors, not
silent wrong shapes or library tracebacks."""

import math

import numpy as np
import pytest

from rsvlm import geometry


@pytest.mark.parametrize("b", [1000, -1, 5.5, math.nan, True])
def test_dequantize_refuses_what_is_no_bin(b):
    # 1000 gave 10.005 on a 10 px image (off the image), 5.5 a point between bins, NaN a NaN
    with pytest.raises(ValueError, match="0..999"):
        geometry.dequantize(b, 10)


def test_dequantize_keeps_bin_centres():
    assert geometry.dequantize(0, 10) == pytest.approx(0.005)
    assert geometry.dequantize(999, 2000) == pytest.approx(1999.0)


def test_canonical_quad_refuses_a_nan_corner():
    with pytest.raises(ValueError, match="not finite"):  # was a quad of NaN corners
        geometry.canonical_quad([[0, 0], [1, 0], [1, 1], [math.nan, 0]])


def test_polygon_iou_names_a_nan_ring():
    ring = [[0, 0], [1, 0], [math.nan, 1]]
    with pytest.raises(ValueError, match="not finite"):  # was shapely's GEOSException "probable noding error"
        geometry.polygon_iou(ring, [[0, 0], [1, 0], [1, 1]])


def test_box_iou_refuses_nan_instead_of_scoring_zero():
    with pytest.raises(ValueError, match="not finite"):
        geometry.box_iou([0, 0, math.nan, 1], [0, 0, 1, 1])
    assert geometry.box_iou([0, 0, 2, 2], [1, 1, 3, 3]) == pytest.approx(1 / 7)


def test_objects_to_mask_names_a_bare_object():
    obj = {"kind": "box", "coords": [0, 0, 1, 1]}
    with pytest.raises(ValueError, match=r"wrap one object in a list"):  # was AttributeError: 'str' … 'get'
        geometry.objects_to_mask(obj, 3, 3)
    with pytest.raises(ValueError, match="object 0: expected a dict"):  # a bare box list
        geometry.objects_to_mask([[0, 0, 1, 1]], 3, 3)
    assert geometry.objects_to_mask([obj], 3, 3).sum() == 1


def test_canonical_ring_refuses_a_nan_vertex():
    with pytest.raises(ValueError, match="not finite"):  # was [[0, 0], [nan, 1], [1, 0]]
        geometry.canonical_ring([[0, 0], [1, 0], [math.nan, 1]])
    assert geometry.canonical_ring([]) == []


def test_rbox_to_quad_reads_numbers_given_as_strings():
    # a CSV table's cells: "10" + 2.0 was "can only concatenate str (not "float") to str"
    assert geometry.rbox_to_quad("10", "20", "4", "2", "90") == geometry.rbox_to_quad(10, 20, 4, 2, 90)


def test_objects_to_mask_refuses_a_probability_map():
    prob = np.full((3, 3), 0.01)  # read as "on" wherever not 0: the whole image
    with pytest.raises(ValueError, match=r"object 0 \(mask\).*0 and 1 only"):
        geometry.objects_to_mask([{"kind": "mask", "mask": prob}], 3, 3)
    assert geometry.objects_to_mask([{"kind": "mask", "mask": (prob > 0.5).astype(float)}], 3, 3).sum() == 0
    assert geometry.objects_to_mask([{"kind": "mask", "mask": np.full((3, 3), 255, np.uint8)}], 3, 3).all()
