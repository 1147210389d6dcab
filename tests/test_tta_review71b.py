"""Stop 71, review of area X2's round 2 (tta): geometry.mask_offset is eval's rule of an offset, input for input; a
fused obb held in from any edge, in detection too; the smallest images whose corner crops are asked."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import blank_image

from rsvlm import fusion, geometry, tta

OFFSETS = [[2, 3], (2.0, np.int64(3)), np.array([2, 3]), np.array([2.0, 3.0]), [np.float32(2), np.uint8(3)],
           np.array([2, 3], dtype=object), [-1, 0], [True, 0], [np.True_, 0], ["2", "3"], np.array(["2", "3"]),
           [2.5, 3], [2, 3, 4], [2], np.array(2), np.array([[2, 3]]), np.array([[2], [3]]), "12", b"12",
           {"x": 2, "y": 3}, range(2, 4), [float("nan"), 1], [float("inf"), 1], [10**400, 0], None]


@pytest.mark.parametrize("offset", OFFSETS, ids=range(len(OFFSETS)))
def test_mask_offset_takes_and_refuses_what_evals_whole_offset_does(offset):
    """geometry.mask_offset is to be the one rule eval calls (given_objects.whole_offset today): the same verdict,
    and the same (x, y), for every offset."""
    from eval.given_objects import whole_offset

    def verdict(f):
        try:
            return f(offset)
        except ValueError as e:
            assert "'offset' must be [x, y], two whole numbers of pixels" in str(e)
            return "refused"

    got = verdict(geometry.mask_offset)
    assert got == verdict(whole_offset)
    assert got == "refused" or all(type(v) is int for v in got)


def _on_far_edge(deg: float, axis: int) -> list:
    """A 40 x 20 obb turned ``deg`` (``axis`` 1: a quarter more) with its outermost corner on the right (``axis`` 0) or
    bottom (1) edge of a 100 x 80 image."""
    q = np.array(geometry.rbox_to_quad(50, 40, 40, 20, deg + 90 * axis))  # (4,2)
    q[:, axis] += (100, 80)[axis] - q[:, axis].max()
    return q.tolist()


@pytest.mark.parametrize("many", [False, True])
@pytest.mark.parametrize("axis", [0, 1])
def test_a_fused_obb_past_the_right_or_bottom_edge_is_moved_in_whole_in_grounding_and_detection(axis, many):
    """Two views' 40 x 20 ships at 0° and 30°, each inside the image, touching its right (bottom) edge: their 15°
    average sticks 0.7 px out past it. Grounding's average and detection's cluster (``many``) are moved in whole,
    the average's sides kept; nothing for encode to clamp."""
    views = [[{"kind": "obb", "label": "ship", "coords": _on_far_edge(deg, axis)}] for deg in (0, 30)]
    raw = np.asarray(fusion.average([v[0] for v in views])["coords"])  # (4,2)
    assert raw[:, axis].max() > (100, 80)[axis] + 0.5  # the case held_in is for
    (out,) = fusion.fuse(views, 100, 80, tta.FuseConfig(), many=many)
    q = np.asarray(out["coords"])  # (4,2)
    assert q[:, axis].max() == pytest.approx((100, 80)[axis]) and q.min() >= 0 and (q.max(0) <= (100, 80)).all()
    shift = q - raw  # (4,2): one move for every corner, along the axis alone
    assert np.abs(shift - shift[0]).max() < 1e-9 and shift[0][1 - axis] == pytest.approx(0)
    notes: list[str] = []
    geometry.encode([out], 100, 80, clamped=notes)
    assert notes == []


BOX = "<ref>ship</ref><box><loc_100><loc_100><loc_500><loc_500></box>"
DET = [[{"role": "user", "content": "<image>\n[det] Detect all ships."}]]


@pytest.mark.parametrize(("w", "h", "asked"), [(6, 6, ()), (7, 7, ("c0", "c1", "c2", "c3")), (7, 6, ("c0", "c1")),
                                               (6, 7, ("c0", "c2"))])
def test_the_crops_asked_of_the_smallest_images(w, h, asked):
    """11/12 of 6 px, 5.5, rounds (to even) to all 6: no crop of a 6 x 6 image; a 7 px side is cut to 6, so a 7 x 6
    image's crops are its left and right, each asked once."""
    seen: list = []
    (fused,) = tta.fused_answers(lambda m, i: [(BOX, [0.5])] * len(m), DET, [blank_image(w, h)], [(BOX, [0.5])],
                                 tta.FuseConfig(views="crops"), on_views=seen.append)
    assert seen == [asked]
    assert (fused is None) if not asked else fused.answers == 1 + len(asked)
    if asked and len(asked) < 4:
        assert f"the {w}x{h} px image is too small for distinct corner crops" in fused.unasked
