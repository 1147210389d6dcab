"""Review 78 of test-time augmentation: a fused [seg] mask's pixels meeting at corners, and fuse_many's joining of
clusters the views labelled differently."""

from __future__ import annotations

import numpy as np
import pytest

from rsvlm import fusion, geometry, tta
from rsvlm.fusion_masks import _bridged, fuse_masks

# --tta flip's four views of [seg] record s9021-000011-ir-seg-5 (data_gen synth --n 30 --seed 9021, the bundled
# model), mapped back: two views drew the image's upper-right half, two its lower-left, one a few specks
VIEWS = [[[[127.68, 0.064], [127.936, 127.936], [0.064, 127.68], [127.68, 0.192], [127.808, 0.704]],
          [[127.68, 0.064], [127.936, 0.064], [127.936, 127.936]]],
         [[[127.936, 0.192], [0.192, 127.68], [0.448, 127.168], [127.296, 127.424], [127.936, 127.552], [0.32, 0.064],
           [0.064, 0.192], [0.064, 0.064]]],
         [[[127.68, 127.936], [127.936, 127.936], [127.808, 0.32], [127.68, 0.32], [127.552, 0.96]],
          [[127.68, 127.936], [127.808, 127.936], [127.936, 127.936]],
          [[127.68, 127.936], [127.808, 127.936], [127.936, 127.936], [127.68, 127.808]],
          [[127.808, 127.936], [127.936, 127.808], [127.936, 0.192], [127.936, 127.936], [127.936, 127.808],
           [127.808, 0.576]],
          [[127.552, 23.744], [127.552, 22.592], [127.936, 0.32], [127.552, 0.96], [127.424, 0.576]],
          [[127.68, 0.576], [127.936, 0.064], [127.936, 0.064]]],
         [[[0.192, 127.936], [0.064, 0.064], [127.936, 0.32], [0.32, 0.448], [127.168, 127.552]]]]


def _polys(views, label="bare land"):
    return [[{"kind": "poly", "label": label, "coords": c} for c in v] for v in views]


def test_a_voted_staircase_of_pixels_meeting_at_corners_is_one_polygon_not_one_per_pixel():
    """The views' triangles shared a diagonal voted as a staircase of 1-px pieces meeting at corners: the fused
    answer was ~70 one-pixel <poly> rings, 5363 characters (its plain answer 178)."""
    views = _polys(VIEWS)
    out = fuse_masks(views, 128, 128, "poly", tta.FuseConfig(views=tta.MODES["flip"]))
    assert len(out) == 1 and len(geometry.encode(out, 128, 128)) < 400
    masks = [geometry.objects_to_mask(v, 128, 128) for v in views]
    voted = sum(m.astype(int) for m in masks) >= 2
    fused = geometry.objects_to_mask(out, 128, 128)
    assert (fused & voted).sum() >= 0.97 * voted.sum() and (fused & ~voted).sum() <= 0.05 * voted.sum()


def test_bridged_joins_specks_meeting_a_piece_at_a_corner_only():
    road = np.eye(20, dtype=bool)  # a 1-px diagonal road: 20 pieces of one pixel
    joined = _bridged(road, road.astype(int), 0.1)
    assert geometry.masks.instances(joined)[1] == 1 and (joined & road).sum() == 20 and joined.sum() == 39
    two = np.zeros((12, 12), dtype=bool)
    two[1:6, 1:6] = two[6:11, 6:11] = True  # two buildings meeting at a corner: pieces as large as each other
    assert (_bridged(two, two.astype(int), 0.1) == two).all()
    assert (_bridged(road, road.astype(int), 0.0) == road).all()  # min_piece 0: off
    votes = np.zeros((20, 20), dtype=int)
    votes[1, 0] = 3  # the gap pixel more views covered is the one filled
    assert _bridged(road, votes, 0.1)[1, 0] and not _bridged(road, votes, 0.1)[0, 1]


SHIP = {"kind": "box", "coords": [10.0, 10.0, 50.0, 50.0]}
HARBOUR = {"kind": "box", "coords": [10.0, 10.0, 50.0, 90.0]}  # IoU 0.5 with SHIP: a ship moored inside it


@pytest.mark.parametrize("views", [
    [[{**SHIP, "label": "ship"}, {**HARBOUR, "label": "harbor"}]] * 8,  # every view drew both
    [[{**SHIP, "label": "ship"}, {**HARBOUR, "label": "harbor"}], [{**HARBOUR, "label": "harbor"}],
     [{**SHIP, "label": "ship"}], [{**SHIP, "label": "ship"}, {**HARBOUR, "label": "harbor"}]],  # one view each
])
def test_a_ship_beside_a_harbour_at_the_cluster_iou_stays_two_objects_where_a_view_drew_both(views):
    """join_labels joins clusters of other labels at IoU >= cluster_iou only where no view drew both."""
    out = fusion.fuse_many(views, tta.FuseConfig(), size=(96, 96))
    assert sorted(o["label"] for o in out) == ["harbor", "ship"]


def test_a_ship_and_a_harbour_no_view_drew_together_are_read_as_one_object_named_by_most():
    """The limit of join_labels: where each view drew only one of them, nothing tells two objects from one."""
    views = [[{**SHIP, "label": "ship"}]] * 3 + [[{**HARBOUR, "label": "harbor"}]] * 5
    assert [o["label"] for o in fusion.fuse_many(views, tta.FuseConfig(), size=(96, 96))] == ["harbor"]
