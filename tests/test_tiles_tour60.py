"""Tour 60: a rotated box crossing tile seams is one object (io/tiles.py ``TileMerger._nms``).

Each tile's answer is simulated as a model gives it: the oriented box around the part of the object
the tile sees (shapely), in the tile's pixels."""

from __future__ import annotations

import pytest

SIZE = 200


def _ship(cx, cy, length, width, angle):
    from shapely import affinity
    from shapely.geometry import box

    return affinity.rotate(box(cx - length / 2, cy - width / 2, cx + length / 2, cy + width / 2), angle, origin=(cx, cy))


def _tiled(ships, tile, overlap, kind="obb"):
    from shapely.geometry import box

    from rsvlm.io import iter_windows, merge_tile_objects

    per_tile = []
    for x0, y0, w, h in iter_windows(SIZE, SIZE, tile, overlap):
        seen = [s.intersection(box(x0, y0, x0 + w, y0 + h)) for s in ships]
        objs = [{"kind": kind, "label": "ship",
                 "coords": [[x - x0, y - y0] for x, y in v.minimum_rotated_rectangle.exterior.coords[:4]]}
                for v in seen if v.area >= 1]
        per_tile.append(((x0, y0, w, h), objs))
    return merge_tile_objects(per_tile, scene_size=(SIZE, SIZE))


@pytest.mark.parametrize("tile, ship", [(40, (78, 109, 28, 8, 57)), (64, (137, 56, 27, 5, 136)),
                                        (64, (62, 136, 25, 9, 23)), (50, (50, 108, 24, 7, 132)),
                                        (40, (88, 40, 27, 8, 154))])
def test_a_rotated_box_whose_corner_pokes_into_a_third_tile_is_one_ship(tile, ship):
    """With --overlap 0 the corner piece abutted only the tile of the view NMS had dropped (the neighbour
    it was a duplicate of), so no seam joined it and the ship was counted twice."""
    from shapely.geometry import Polygon

    objs = _tiled([_ship(*ship)], tile, 0)
    assert len(objs) == 1
    assert Polygon(objs[0]["coords"]).intersection(_ship(*ship)).area >= 0.95 * _ship(*ship).area  # all of it


@pytest.mark.parametrize("overlap", [0, 16])
def test_a_row_of_moored_ships_across_seams_keeps_its_count(overlap):
    """Seven parallel ships 3 px apart, slanted across tile seams: none merged into a neighbour."""
    import math

    from shapely import affinity

    t = math.radians(37 + 90)
    ships = [affinity.translate(_ship(100, 100, 24, 7, 37), k * 10 * math.cos(t), k * 10 * math.sin(t))
             for k in range(-3, 4)]
    assert len(_tiled(ships, 40, overlap)) == 7
