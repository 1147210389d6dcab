"""Tour 69 of the geometry codec, --tta and fusion (helper X)."""

from __future__ import annotations

import math

import pytest

from rsvlm import geometry, tta
from rsvlm.fusion import fuse


@pytest.mark.parametrize("args,named", [((10, 20, 4, 2, math.nan), "angle_deg=nan"),
                                        ((10, 20, 4, 2, math.inf), "angle_deg=inf"),
                                        ((math.nan, 20, 4, 2, 30), "cx=nan"),
                                        ((10, 20, 4, -math.inf, 30), "h=-inf"),
                                        ((math.nan, 2, 3, math.inf, 0), r"cx=nan, h=inf are not finite .*angle_deg in degrees")])
def test_rbox_to_quad_names_each_value_that_is_not_finite(args, named):
    """A NaN angle (a blank cell of a converted table) came back as four NaN corners, an infinite one as
    'math domain error', naming nothing; several are named together, with what to give."""
    with pytest.raises(ValueError, match=named):
        geometry.rbox_to_quad(*args)


@pytest.mark.parametrize("w,h", [(-4, 2), (4, -2), (-4, -2)])
def test_rbox_to_quad_of_a_negative_size_is_the_same_box_clockwise(w, h):
    """A negative width came back counter-clockwise on screen, against the docstring's promise."""
    quad = geometry.rbox_to_quad(10, 20, w, h, 30)
    assert quad == geometry.rbox_to_quad(10, 20, 4, 2, 30)
    area2 = sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(quad, quad[1:] + quad[:1]))
    assert area2 > 0  # clockwise on screen (y down)


def _speck_views(kind: str, n: int = 8) -> list[list[dict]]:
    """``n`` views that each drew the same two shapes of no area (one bin wide), mapped back with float noise."""
    def shape(x, y, eps):
        if kind == "box":
            return {"kind": "box", "label": "car", "coords": [x + eps, y, x + eps, y + 3], "score": 0.6}
        return {"kind": "obb", "label": "car", "coords": [[x, y], [x + 4, y + eps], [x + 4, y], [x + eps, y]], "score": 0.6}
    return [[shape(10.005, 20.005, 1e-12 * v), shape(50.005, 30.005, -1e-12 * v)] for v in range(n)]


@pytest.mark.parametrize("kind", ["box", "obb"])
def test_a_speck_every_view_drew_is_one_shape(kind):
    """A box one bin wide (<box><loc_5><loc_5><loc_5><loc_5></box>, a tiny car on a large image) has no area, so
    its IoU with every view's same box was 0/0 = 0: --tta dihedral gave 8 boxes on one spot, each scored 1/8."""
    out = fuse(_speck_views(kind), 640, 480, tta.FuseConfig(), many=True)
    assert len(out) == 2
    assert all(o["score"] == pytest.approx(0.6) for o in out)


def test_specks_on_other_spots_stay_apart():
    views = [[{"kind": "box", "label": "car", "coords": [10 + v, 20, 10 + v, 20], "score": 0.6}] for v in range(3)]
    assert len(fuse(views, 640, 480, tta.FuseConfig(), many=True)) == 3


def test_flip_views_of_a_one_bin_box_answer_it_once():
    """The plain answer and its three flips each said the same one-bin car: the fused answer wrote
    <box><loc_5><loc_5><loc_5><loc_5></box> four times, each scored 0.125 (mapped back, the views' boxes were a
    float step apart, 0.21999999999999886 and 0.21999999999999997)."""
    from conftest import blank_image

    def car(x, y):
        return f"<ref>car</ref><box><loc_{x}><loc_{y}><loc_{x}><loc_{y}></box>"

    said = iter([car(994, 5), car(5, 994), car(994, 994)])  # h, v, hv: the same spot in each view
    msgs = [[{"role": "user", "content": "<image>\n[det] Detect all cars."}]]
    (fused,) = tta.fused_answers(lambda m, i: [(next(said), [0.5])], msgs, [blank_image()], [(car(5, 5), [0.5])],
                                 tta.FuseConfig(views="flip"))
    assert fused.answer == car(5, 5)
    assert [o["score"] for o in fused.objects] == [0.5]


@pytest.mark.parametrize("shape", [(3, 1, 1), (3, 40, 1), (3, 1, 40), (1, 1)])
@pytest.mark.parametrize("view", tta.DIHEDRAL[1:])
def test_a_views_array_of_a_one_pixel_side_is_readable_by_torch(shape, view):
    """A 1 × 1 image (or a 1-pixel strip) under --tta: numpy called its flipped axis of length 1 contiguous and kept
    the stride -1, so 'view h could not be asked (At least one stride in the given numpy array is negative …)'."""
    import numpy as np
    import torch

    from rsvlm.tta_views import flip_array, unflip_array

    a = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)
    seen = flip_array(a, view)
    assert torch.from_numpy(seen).numpy().tolist() == seen.tolist()
    back = unflip_array(seen, view)
    assert min(back.strides) >= 0 and np.array_equal(back, a)
