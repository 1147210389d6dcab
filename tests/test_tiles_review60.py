"""Review of tour 60's tile merging (io/tiles.py, io/seams.py): a seam join through a view NMS
absorbed (d21714e) needs the two cross-sections to match, or a ship's sliver joins its neighbour.

Each tile's answer is simulated as a model gives it: the oriented box around the part of each ship
the tile sees (shapely), in the tile's pixels; --overlap 0."""

from __future__ import annotations

import pytest

SIZE = 200


def _ship(cx, cy, length, width, angle):
    from shapely import affinity
    from shapely.geometry import box

    return affinity.rotate(box(cx - length / 2, cy - width / 2, cx + length / 2, cy + width / 2), angle, origin=(cx, cy))


def _tiled(ships, tile, overlap=0):
    from shapely.geometry import box

    from rsvlm.io import iter_windows, merge_tile_objects

    per_tile = []
    for x0, y0, w, h in iter_windows(SIZE, SIZE, tile, overlap):
        seen = [s.intersection(box(x0, y0, x0 + w, y0 + h)) for s in ships]
        per_tile.append(((x0, y0, w, h), [
            {"kind": "obb", "label": "ship", "coords": [[x - x0, y - y0] for x, y in v.minimum_rotated_rectangle.exterior.coords[:4]]}
            for v in seen if v.area >= 1]))
    return merge_tile_objects(per_tile, scene_size=(SIZE, SIZE))


@pytest.mark.parametrize("tile, a, b", [(64, (142.9, 131.7, 27.7, 7.6, 29.1), (135.2, 137.9, 20.5, 7.6, 34.2)),  # 0.7 px apart
                                        (40, (92.5, 42.5, 31.7, 8.6, 38.1), (85.5, 49.3, 37.8, 8.6, 40.9)),  # 0.35 px apart
                                        (64, (83.1, 62.1, 37.3, 6.9, 168.8), (79.8, 55.5, 34.3, 6.9, 167.9))])  # touching
def test_two_moored_ships_do_not_join_through_a_sliver_nms_absorbed(tile, a, b):
    """A ship's corner sliver in a third tile, absorbed by its survivor, has a cross-section of a pixel
    or two at the next seam: half of it fitted beside the neighbour ship's, and the two were one."""
    from shapely.geometry import Polygon

    ships = [_ship(*a), _ship(*b)]
    assert ships[0].intersection(ships[1]).area < 0.01 * ships[0].area  # two ships, not one drawn twice
    objs = _tiled(ships, tile)
    assert len(objs) == 2
    for s in ships:  # each kept whole, by one of the two
        assert max(Polygon(o["coords"]).intersection(s).area for o in objs) >= 0.9 * s.area


@pytest.mark.parametrize("tile, ship", [(40, (78, 109, 28, 8, 57)), (64, (137, 56, 27, 5, 136)),
                                        (50, (50, 108, 24, 7, 132)), (40, (88, 40, 27, 8, 154))])
def test_a_rotated_ship_over_three_tiles_is_still_one(tile, ship):
    """The corner piece d21714e joined through the absorbed view: its section matches that view's."""
    assert len(_tiled([_ship(*ship)], tile)) == 1


def test_seam_join_of_longer_asks_the_share_of_the_longer_section():
    from shapely.geometry import box

    from rsvlm.io.seams import seam_join

    line = ("x", 100, 0, 200)
    sliver, wide = box(96, 50, 100, 52), box(100, 40, 110, 60)  # sections 2 and 20 px, sharing 2
    assert seam_join(sliver, wide, line, 2, 0.5)[0]
    assert not seam_join(sliver, wide, line, 2, 0.5, of_longer=True)[0]
    assert seam_join(box(96, 41, 100, 59), wide, line, 2, 0.5, of_longer=True)[0]  # 18 of 20


@pytest.mark.parametrize("kind, left, right, joined", [
    ("box", [60, 50, 100, 50], [0, 50, 30, 50], [60.0, 50.0, 130.0, 50.0]),
    ("obb", [[60, 50], [100, 50], [100, 50], [60, 50]], [[0, 50], [30, 50], [30, 50], [0, 50]],
     [[60.0, 50.0], [60.0, 50.0], [130.0, 50.0], [130.0, 50.0]]),
    ("box", [60, 40, 100, 60], [0, 40, 30, 60], [60.0, 40.0, 130.0, 60.0])])  # with height, as before
def test_a_box_of_no_height_cut_at_a_seam_keeps_its_coords_as_drawn(kind, left, right, joined):
    """81aa1f5 matches a box of no height as 1 px tall; joined from its cut views its coords were that
    1 px box's, [59.5, 49.5, 130.5, 50.5], a car half a pixel longer and taller than drawn."""
    from rsvlm.io import merge_tile_objects

    objs = merge_tile_objects([((0, 0, 100, 100), [{"kind": kind, "label": "car", "coords": left}]),
                               ((100, 0, 100, 100), [{"kind": kind, "label": "car", "coords": right}])],
                              scene_size=(200, 100))
    assert [o["coords"] for o in objs] == [joined]
