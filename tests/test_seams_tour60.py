"""Tour 60: at an ``--overlap 0`` seam, masks and polygons are one object only where they share a
border along it (``seam_share`` of the shorter section), not where they touch at a pixel (io/seams.py)."""

import numpy as np
import pytest

LEFT, RIGHT = (0, 0, 100, 100), (100, 0, 100, 100)  # tiles abutting at x = 100


def _masks(a_rows, b_rows):
    a, b = np.zeros((100, 100), bool), np.zeros((100, 100), bool)
    a[a_rows[0] : a_rows[1], 60:] = True  # reaches the seam from the left …
    b[b_rows[0] : b_rows[1], :40] = True  # … and from the right
    return a, b


@pytest.mark.parametrize("a_rows, b_rows, n", [((20, 60), (59, 90), 2),  # corners meet on one row: two fields
                                               ((20, 60), (30, 50), 1),  # a pond cut at the seam: one
                                               ((50, 51), (50, 51), 1),  # a 1-px-wide road across it: one
                                               ((20, 60), (40, 90), 1)])  # half of the shorter shared: one
def test_masks_at_a_seam_join_only_along_a_shared_border(a_rows, b_rows, n):
    """Two fields whose corners touched at one pixel of the seam were merged into one object."""
    from rsvlm.io import merge_tile_objects

    a, b = _masks(a_rows, b_rows)
    objs = merge_tile_objects([(LEFT, [{"kind": "mask", "label": "field", "mask": a}]),
                               (RIGHT, [{"kind": "mask", "label": "field", "mask": b}])], scene_size=(200, 100))
    assert len(objs) == n
    assert sum(int(o["mask"].sum()) for o in objs) == int(a.sum() + b.sum())  # no pixel lost either way


def test_masks_meet_counts_the_shared_stretch_against_the_shorter_section():
    from rsvlm.io.seams import masks_meet

    line = ("x", 100, 0, 100)
    a, b = _masks((20, 60), (59, 90))  # 1 row shared of 31
    args = (a, (0, 0), b, (100, 0), line, 2)
    assert not masks_meet(*args) and masks_meet(*args, min_share=0.0)  # any contact, as before, where asked
    a, b = _masks((20, 60), (45, 90))  # 15 rows shared of 40 and 45: under half the shorter
    assert not masks_meet(a, (0, 0), b, (100, 0), line, 2) and masks_meet(a, (0, 0), b, (100, 0), line, 2, 0.3)


@pytest.mark.parametrize("b_y, n", [(59, 2), (30, 1)])
def test_polygons_at_a_seam_join_only_along_a_shared_border(b_y, n):
    """Two building footprints whose corners met at the seam were unioned into one polygon."""
    from rsvlm.io import merge_tile_objects

    a = [[60, 20], [100, 20], [100, 60], [60, 60]]  # tile pixels of the left tile
    b = [[0, b_y], [40, b_y], [40, 90], [0, 90]]  # of the right tile
    objs = merge_tile_objects([(LEFT, [{"kind": "poly", "label": "building", "coords": a}]),
                               (RIGHT, [{"kind": "poly", "label": "building", "coords": b}])], scene_size=(200, 100))
    assert len(objs) == n
