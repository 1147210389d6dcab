"""The codec and an empty mask grid (tour 62): grid coords with no cell on encoded to a ``<mask>`` that
decode then dropped with a problem ("no cell on"), so decode(encode(x)) lost the object; encode now refuses
it, naming the object. An empty mask array still writes nothing, as documented."""

from __future__ import annotations

import numpy as np
import pytest

from rsvlm import geometry


def grid(rows, size=(4, 4)):
    return {"kind": "mask", "label": "pond", "coords": {"box": [0, 0, 50, 50], "size": list(size), "rows": rows}}


def test_an_empty_grid_is_refused_naming_the_object():
    with pytest.raises(ValueError, match=r"object 1: bad grid coords: grid 4x4 has no cell on"):
        geometry.encode([grid([[0, 4]] * 4), grid([[4]] * 4)], 100, 100)


def test_a_grid_with_a_cell_on_round_trips():
    text = geometry.encode([grid([[4], [1, 2, 1], [4], [4]])], 100, 100)
    back = geometry.decode(text, 100, 100)
    from rsvlm.geometry.grid import grid_cells

    cells = grid_cells(back.objects[0]["coords"])  # (R,C) the trailing off run is implied
    assert back.problems == [] and cells.sum() == 2 and cells[1, 1:3].all()


def test_an_empty_mask_array_writes_nothing():
    empty = {"kind": "mask", "label": "pond", "mask": np.zeros((100, 100), bool), "form": "grid"}
    assert geometry.encode([empty], 100, 100) == ""


def test_a_huge_coordinate_is_clamped_as_any_outside_the_image():
    """1e308 is finite, yet times 1000 it overflowed: encode raised OverflowError, not clamped it."""
    text = geometry.encode([{"kind": "box", "coords": [-1e308, 2, 1e308, 4]}], 10, 10)
    assert text == "<box><loc_0><loc_200><loc_999><loc_400></box>"
    assert geometry.quantize(-1e308, 10) == 0
