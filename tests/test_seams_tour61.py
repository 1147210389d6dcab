"""Tour 61: at an ``--overlap 0`` seam, masks a pixel or two apart stay two (windows are cut on whole
pixels, so a gap there is real), rotated boxes keep their half-the-shorter seam rule (io/seams.py)."""

import numpy as np
import pytest

LEFT, RIGHT = (0, 0, 100, 100), (100, 0, 100, 100)  # tiles abutting at x = 100


def _merged(a, b):
    from rsvlm.io import merge_tile_objects

    return merge_tile_objects([(LEFT, [{"kind": "mask", "label": "road", "mask": a}]),
                               (RIGHT, [{"kind": "mask", "label": "road", "mask": b}])], scene_size=(200, 100))


@pytest.mark.parametrize("short_a, short_b, n", [(0, 0, 1), (1, 0, 2), (0, 1, 2), (1, 1, 2), (2, 0, 2)])
def test_thin_masks_a_pixel_or_two_apart_at_the_seam_stay_two(short_a, short_b, n):
    """Two roads ending either side of a 2-px path along the seam were joined into one object."""
    a, b = np.zeros((100, 100), bool), np.zeros((100, 100), bool)
    a[40:43, 50 : 100 - short_a] = True  # 3 px wide, ends short_a px before x = 100
    b[40:43, short_b:30] = True  # starts short_b px after it
    objs = _merged(a, b)
    assert len(objs) == n and sum(int(o["mask"].sum()) for o in objs) == int(a.sum() + b.sum())

