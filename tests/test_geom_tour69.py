"""Tour 69 of the geometry codec, --tta and fusion (helper X)."""

from __future__ import annotations

import math

import pytest

from rsvlm import geometry


@pytest.mark.parametrize("args,named", [((10, 20, 4, 2, math.nan), "angle_deg=nan"),
                                        ((10, 20, 4, 2, math.inf), "angle_deg=inf"),
                                        ((math.nan, 20, 4, 2, 30), "cx=nan"),
                                        ((10, 20, 4, -math.inf, 30), "h=-inf")])
def test_rbox_to_quad_names_a_value_that_is_not_finite(args, named):
    """A NaN angle (a blank cell of a converted table) came back as four NaN corners, an infinite one as
    'math domain error', naming nothing."""
    with pytest.raises(ValueError, match=named):
        geometry.rbox_to_quad(*args)


@pytest.mark.parametrize("w,h", [(-4, 2), (4, -2), (-4, -2)])
def test_rbox_to_quad_of_a_negative_size_is_the_same_box_clockwise(w, h):
    """A negative width came back counter-clockwise on screen, against the docstring's promise."""
    quad = geometry.rbox_to_quad(10, 20, w, h, 30)
    assert quad == geometry.rbox_to_quad(10, 20, 4, 2, 30)
    area2 = sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(quad, quad[1:] + quad[:1]))
    assert area2 > 0  # clockwise on screen (y down)
