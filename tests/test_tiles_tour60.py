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


@pytest.mark.parametrize("kind", ["box", "obb"])
def test_a_box_of_no_height_seen_by_two_tiles_is_one_object(kind):
    """On a 1-px strip a model's box has y1 == y2: its area was 0, no IoU reached the threshold, and each
    tile's copy of it was kept (two identical cars)."""
    from rsvlm.io import merge_tile_objects

    def car(x1, x2):
        return ([x1, 0, x2, 0] if kind == "box" else [[x1, 0], [x2, 0], [x2, 0], [x1, 0]])

    objs = merge_tile_objects([((0, 0, 96, 1), [{"kind": kind, "label": "car", "coords": car(70, 90)}]),
                               ((64, 0, 96, 1), [{"kind": kind, "label": "car", "coords": car(6, 26)}])],
                              scene_size=(160, 1))
    assert len(objs) == 1 and objs[0]["coords"] == car(70, 90)  # as the model drew it
