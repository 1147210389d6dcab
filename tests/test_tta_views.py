"""Every dihedral view is undone exactly: a shape taken into a view (``tta.to_view``) and brought
back (``tta.unflip``) is the shape it was, on square and non-square images, every kind."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rsvlm import geometry, tta


@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(1, 23), st.integers(1, 23), st.integers(0, 2**32 - 1), st.sampled_from([8, 16, 10**4]))
def test_a_grid_mask_taken_into_any_view_and_back_covers_the_same_pixels(w, h, seed, budget):
    mask = np.random.default_rng(seed).random((h, w)) < 0.8  # mostly one instance: one grid at its own cost
    objs = geometry.mask_to_objects(mask, "m", form="grid", budget=budget)
    want = geometry.objects_to_mask(objs, w, h)
    for view in tta.DIHEDRAL:
        there = tta.to_view(objs, view, w, h)
        np.testing.assert_array_equal(geometry.objects_to_mask(there, *tta.view_size(view, w, h)),
                                      tta.flip_array(want, view), err_msg=view)
        np.testing.assert_array_equal(geometry.objects_to_mask(tta.unflip(there, view, w, h), w, h), want, err_msg=view)


@pytest.mark.parametrize("view", tta.DIHEDRAL)
def test_every_vector_kind_comes_back_exactly_on_a_non_square_image(view):
    w, h = 13, 7
    objs = [{"kind": "box", "label": "a", "coords": [1.0, 2.0, 5.0, 6.0]},
            {"kind": "point", "label": "a", "coords": [3.5, 1.25]},
            {"kind": "obb", "label": "b", "coords": [[1.0, 1.0], [6.0, 2.0], [5.0, 5.0], [0.0, 4.0]]},
            {"kind": "poly", "label": "c", "coords": [[0.0, 0.0], [10.0, 0.0], [10.0, 6.0], [0.0, 6.0]],
             "rings": [[[0.0, 0.0], [10.0, 0.0], [10.0, 6.0], [0.0, 6.0]], [[2.0, 2.0], [2.0, 4.0], [4.0, 4.0], [4.0, 2.0]]]}]
    assert tta.unflip(tta.to_view(objs, view, w, h), view, w, h) == objs


@pytest.mark.parametrize("view", tta.DIHEDRAL[1:])
def test_a_polygon_with_a_hole_inside_a_question_keeps_its_hole_in_every_view(view):
    w, h = 100, 60
    poly = geometry.encode([{"kind": "poly", "label": "yard", "rings": [
        [[10, 10], [90, 10], [90, 50], [10, 50]], [[30, 20], [30, 40], [60, 40], [60, 20]]]}], w, h)
    q = f"[regcap] What is in {poly} here?"
    said = tta.map_text(q, view, w, h)
    (obj,) = geometry.decode(said, *tta.view_size(view, w, h)).objects
    assert len(obj["rings"]) == 2
    np.testing.assert_array_equal(geometry.objects_to_mask(tta.unflip([obj], view, w, h), w, h),
                                  geometry.objects_to_mask(geometry.decode(q, w, h).objects, w, h))
