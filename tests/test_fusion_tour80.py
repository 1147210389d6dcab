"""Stop 80's tour of fusion (P2): one shape per view where no two views agree (IoU < ``agree``).

Keeping the plain view's shape there was measured and not adopted (docs/tta.md, "Where no two views agree"): these
pin what ``fuse_single`` does instead, the medoid alone, which the plain view is only where it wins or ties."""

from __future__ import annotations

import pytest

from rsvlm import fusion
from rsvlm.tta import FuseConfig


def _box(x1, y1, x2, y2, label=None):
    return {"kind": "box", "label": label, "coords": [x1, y1, x2, y2]}


# the plain box, a view's overlapping it at IoU 0.25, a third's overlapping that one at 0.25, a fourth's far off:
# no two agree (IoU >= 0.3), and the second's summed IoU (0.5) is the highest
_APART = [_box(0, 0, 10, 10, "ship"), _box(6, 0, 16, 10), _box(12, 0, 22, 10), _box(40, 40, 50, 50)]


def test_no_two_views_agreeing_keep_the_view_nearest_the_others_unaveraged():
    out = fusion.fuse_single(_APART, FuseConfig(), (96, 96), plain=True)
    assert out["coords"] == pytest.approx([6, 0, 16, 10])  # not the plain [0, 0, 10, 10], and no average
    assert out["label"] is None  # the plain view's "ship" is not among the shapes kept
    # as [ground] reaches it through fuse: one box per view
    fused = fusion.fuse([[o] for o in _APART], 96, 96, FuseConfig(), one=True)
    assert [o["coords"] for o in fused] == [pytest.approx([6, 0, 16, 10])]


def test_views_overlapping_none_of_the_others_keep_the_plain_views_box():
    """Every summed IoU 0 (each mirror view's box where the plain one's mirror lies, apart): the tie goes to the
    plain view, the first, label and all."""
    shapes = [_box(0, 0, 10, 10, "ship"), _box(86, 0, 96, 10), _box(0, 86, 10, 96), _box(86, 86, 96, 96)]
    out = fusion.fuse_single(shapes, FuseConfig(), (96, 96), plain=True)
    assert out["coords"] == pytest.approx([0, 0, 10, 10]) and out["label"] == "ship"


def test_two_views_agreeing_are_fused_over_the_plain_one():
    shapes = [_box(0, 0, 10, 10), _box(60, 60, 70, 70), _box(61, 60, 71, 70), _box(30, 30, 40, 40)]
    out = fusion.fuse_single(shapes, FuseConfig(), (96, 96), plain=True)
    assert out["coords"] == pytest.approx([60.5, 60, 70.5, 70])  # the two that agree, averaged; the plain one outvoted


def test_points_none_within_agreeing_reach_keep_the_middle_one():
    """Points agree within ``point_reach`` (4 px at 96 px): three 3 px apart in a row ("IoU" 0.25 for neighbours)."""
    pts = [{"kind": "point", "label": None, "coords": c} for c in ([10, 10], [13, 10], [16, 10])]
    assert fusion.fuse_single(pts, FuseConfig(), (96, 96), plain=True)["coords"] == pytest.approx([13, 10])
