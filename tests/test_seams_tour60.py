"""Tour 60: at an ``--overlap 0`` seam, masks and polygons are one object only where they share a
border along it (half the shorter section for polygons, ``seam_share``, a quarter, for masks), not
where they touch at a pixel (io/seams.py)."""

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
                                               ((20, 60), (50, 90), 1)])  # a quarter of the shorter shared: one
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
    a, b = _masks((20, 60), (55, 90))  # 5 rows shared of 40 and 35: under a quarter of the shorter
    assert not masks_meet(a, (0, 0), b, (100, 0), line, 2) and masks_meet(a, (0, 0), b, (100, 0), line, 2, 0.1)


@pytest.mark.parametrize("b_y, n", [(59, 2), (30, 1)])
def test_polygons_at_a_seam_join_only_along_a_shared_border(b_y, n):
    """Two building footprints whose corners met at the seam were unioned into one polygon."""
    from rsvlm.io import merge_tile_objects

    a = [[60, 20], [100, 20], [100, 60], [60, 60]]  # tile pixels of the left tile
    b = [[0, b_y], [40, b_y], [40, 90], [0, 90]]  # of the right tile
    objs = merge_tile_objects([(LEFT, [{"kind": "poly", "label": "building", "coords": a}]),
                               (RIGHT, [{"kind": "poly", "label": "building", "coords": b}])], scene_size=(200, 100))
    assert len(objs) == n


@pytest.mark.parametrize("seam_share, n", [(None, 1), (0.5, 2)])
def test_a_thin_ditch_crossing_seams_at_a_slant_is_one_mask(seam_share, n):
    """2 px wide at 54 degrees across 40 px tiles: what each side has within 2 px of a seam slides along
    it, so the sections share under half the shorter; a half rule (the second case) split it in two."""
    import shapely
    from shapely import affinity
    from shapely.geometry import box

    from rsvlm.io import iter_windows, merge_tile_objects

    ditch = affinity.rotate(box(34.5, 88.75, 66.5, 90.65), 54, origin=(50.5, 89.7))
    yy, xx = np.mgrid[0:160, 0:160] + 0.5
    m = shapely.contains_xy(ditch, xx, yy)  # (160, 160)
    per_tile = [((x0, y0, w, h), [{"kind": "mask", "label": "ditch", "mask": m[y0 : y0 + h, x0 : x0 + w].copy()}]
                 if m[y0 : y0 + h, x0 : x0 + w].any() else []) for x0, y0, w, h in iter_windows(160, 160, 40, 0)]
    share = {} if seam_share is None else {"seam_share": seam_share}
    objs = merge_tile_objects(per_tile, scene_size=(160, 160), **share)
    assert len(objs) == n and sum(int(o["mask"].sum()) for o in objs) == int(m.sum())
