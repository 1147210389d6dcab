"""Edge cases of the geometry codec found by property testing (tests/test_grammar_encode.py)."""

from __future__ import annotations

import pytest

from rsvlm import geometry


def test_a_zero_area_poly_after_another_is_an_object_of_its_own_not_a_hole():
    # the second ring has zero area on its bins; in pixels its shoelace sum came out -1e-17
    objs = [{"kind": "poly", "label": "a", "coords": [[0.0, 0.0], [0.0, 0.0], [1.0, 0.0], [0.0, 1.0]]},
            {"kind": "poly", "label": "a", "coords": [[0.0, 1.0], [0.0, 0.0], [0.0, 1.0], [1.0, 0.0]]}]
    text = geometry.encode(objs, 1, 1)
    dec = geometry.decode(text, 1, 1)
    assert dec.problems == [] and len(dec.objects) == 2 and "rings" not in dec.objects[0]
    assert geometry.encode(dec.objects, 1, 1) == text
