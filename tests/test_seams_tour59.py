"""Tour 59: pieces of a mask cut at an ``--overlap 0`` seam are one object (io/seams.py ``masks_meet``)."""

import numpy as np


def test_overlap_0_masks_side_by_side_across_a_seam_are_one_and_apart_ones_stay_two():
    from rsvlm.io import merge_tile_objects

    left, right = (0, 0, 100, 100), (100, 0, 100, 100)
    a, b, c = (np.zeros((100, 100), bool) for _ in range(3))
    a[20:60, 70:] = True  # a pond cut at x=100: its left part …
    b[30:50, :25] = True  # … and its right part, rows 30-50 side by side with a's
    c[80:90, :10] = True  # another pond at the seam, beside no pixel of a's
    objs = merge_tile_objects([(left, [{"kind": "mask", "label": "pond", "mask": a}]),
                               (right, [{"kind": "mask", "label": "pond", "mask": b},
                                        {"kind": "mask", "label": "pond", "mask": c}])], scene_size=(200, 100))
    assert sorted(o["coords"]["box"] for o in objs) == [[70, 20, 125, 60], [100, 80, 110, 90]]
    assert sorted(int(o["mask"].sum()) for o in objs) == [100, 40 * 30 + 20 * 25]


def test_masks_meet_needs_pixels_near_the_seam_on_both_sides_at_the_same_place_along_it():
    from rsvlm.io.seams import masks_meet

    line = ("y", 50, 0, 100)  # the line y = 50 between a tile above and one below
    top, bottom = np.zeros((50, 100), bool), np.zeros((50, 100), bool)
    top[45:, 10:20] = True  # reaches the seam at x 10-20
    bottom[:3, 15:30] = True  # starts at it at x 15-30: side by side at x 15-20
    assert masks_meet(top, (0, 0), bottom, (0, 50), line, 2)
    bottom[:3, 15:30], bottom[:3, 40:50] = False, True  # now beside nothing of top's
    assert not masks_meet(top, (0, 0), bottom, (0, 50), line, 2)
    bottom[:3, 40:50], bottom[10:, 10:20] = False, True  # under top's, but 10 px from the seam
    assert not masks_meet(top, (0, 0), bottom, (0, 50), line, 2)
