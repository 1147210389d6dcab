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



def _boxes(*per_tile):
    from rsvlm.io import merge_tile_objects

    return merge_tile_objects([(w, [{"kind": "box", "label": "ship", "coords": [c[0] - w[0], c[1] - w[1], c[2] - w[0],
                                                                                c[3] - w[1]]} for c in cs])
                               for w, cs in per_tile], scene_size=(200, 100))


def test_boxes_around_a_slanted_ship_cut_at_a_seam_are_one():
    """A ship 55 x 7 px at 29 degrees across x = 100: its two boxes share 4.5 px of the 17 and 19
    they span along the seam, under half the shorter, and it was counted twice."""
    from shapely import affinity
    from shapely.geometry import box

    ship = affinity.rotate(box(69.9, 59.8, 124.9, 66.8), 29, origin=(97.4, 63.3))
    a, b = (ship.intersection(box(*w[:2], w[0] + w[2], w[1] + w[3])).bounds for w in (LEFT, RIGHT))
    objs = _boxes((LEFT, [a]), (RIGHT, [b]))
    assert len(objs) == 1 and objs[0]["coords"] == pytest.approx(list(ship.bounds))


def test_a_slanted_box_joined_at_the_seam_does_not_take_a_neighbours_piece_too():
    """Ship A's two pieces share their extent along the seam; ship B's piece on the right steps away
    from A's left piece as a slanted ship's would, but A's left piece has its partner: two ships."""
    a_left, a_right, b_right = [79.1, 53.7, 100, 70.7], [100, 53.7, 110, 70.7], [100, 66.2, 123.7, 85.1]
    assert len(_boxes((LEFT, [a_left]), (RIGHT, [b_right]))) == 1  # alone, they could be one slanted ship
    assert len(_boxes((LEFT, [a_left]), (RIGHT, [a_right, b_right]))) == 2


def test_boxes_ending_near_the_seam_but_not_at_it_are_not_joined_as_a_slant():
    """A car that ends 1.5 px before the seam was not cut there: no staircase join."""
    assert len(_boxes((LEFT, [[79.1, 53.7, 98.5, 70.7]]), (RIGHT, [[100, 66.2, 123.7, 85.1]]))) == 2


def _rotated_views(ships, scene=(200, 100), tile=100):
    """Each tile's oriented boxes as a model trained on cut windows draws them: the minimum rotated
    rectangle of each ship's part in the tile (parts under 2 px² unseen)."""
    from shapely.geometry import box

    from rsvlm.io import iter_windows

    per_tile = []
    for x0, y0, w, h in iter_windows(*scene, tile, 0):
        parts = [s.intersection(box(x0, y0, x0 + w, y0 + h)) for s in ships]
        per_tile.append(((x0, y0, w, h), [{"kind": "obb", "label": "ship", "coords": [
            [min(w - 0.05, max(0.05, x - x0)), min(h - 0.05, max(0.05, y - y0))]
            for x, y in p.minimum_rotated_rectangle.exterior.coords[:4]]} for p in parts if p.area >= 2]))
    return per_tile


@pytest.mark.parametrize("kind", ["obb", "poly"])
def test_ships_moored_side_by_side_across_a_seam_stay_two(kind):
    """Two ships 27 x 9 px at 56 degrees, 1 px apart, across x = 100: a piece of one shared half the
    shorter section with a piece of the other, and they were one object (as polygons, the three pieces
    were unioned into one). Sections must match (half the longer) first; half the shorter only joins
    pieces nothing else joined."""
    import math

    from shapely import affinity
    from shapely.geometry import box

    from rsvlm.io import merge_tile_objects

    def ship(cx, cy):
        return affinity.rotate(box(cx - 13.5, cy - 4.5, cx + 13.5, cy + 4.5), 56, origin=(cx, cy))

    views = _rotated_views if kind == "obb" else _poly_views
    d, t = 9 + 1.06, math.radians(56)
    a, b = ship(98.2, 50), ship(98.2 - math.sin(t) * d, 50 + math.cos(t) * d)
    assert len(merge_tile_objects(views([a, b]), scene_size=(200, 100))) == 2
    assert len(merge_tile_objects(views([a]), scene_size=(200, 100))) == 1


@pytest.mark.parametrize("obj, says", [
    ({"kind": "box", "label": "car", "coords": [1, 1, float("nan"), 5]}, "box coords must be finite"),
    ({"kind": "obb", "label": "ship", "coords": [[1, 1], [5, 1], [5, float("inf")], [1, 5]]}, "obb coords must be finite"),
    ({"kind": "obb", "label": "ship", "coords": [[1, 1], [5, 1], [5, 5]]}, "obb coords are 4 corners"),
    ({"kind": "poly", "label": "lake", "coords": [[1, 1], [5, "x"], [5, 5]]}, "poly coords must be numbers"),
])
def test_tile_objects_with_bad_coordinates_are_refused_naming_tile_and_object(obj, says):
    """A NaN box met GEOS's 'Points of LinearRing do not form a closed linestring', naming nothing; a
    NaN or a missing corner in an oriented box was kept in the scene's objects."""
    from rsvlm.io import merge_tile_objects

    with pytest.raises(ValueError, match=rf"tile \(100, 0, 100, 100\).*object 1 .*{says}"):
        merge_tile_objects([(LEFT, []), (RIGHT, [{"kind": "box", "label": "car", "coords": [1, 1, 5, 5]}, obj])])


def _poly_views(ships, scene=(200, 100), tile=100):
    """Each tile's polygons: each ship's part in the tile, at most half a bin (0.05 px) from its edges,
    as a model's coordinates are."""
    from shapely.geometry import box

    from rsvlm.io import iter_windows

    return [((x0, y0, w, h), [{"kind": "poly", "label": "ship", "coords": [
        [min(w - 0.05, max(0.05, x - x0)), min(h - 0.05, max(0.05, y - y0))] for x, y in p.exterior.coords[:-1]]}
                              for p in (s.intersection(box(x0, y0, x0 + w, y0 + h)) for s in ships) if p.area >= 2])
            for x0, y0, w, h in iter_windows(*scene, tile, 0)]


def test_polygon_pieces_drawn_short_of_the_seam_at_a_slant_are_one_polygon():
    """The right piece's edge at the seam runs from 0.05 px to 0.45 px off it: the gap's filler, a box
    from the left piece's nearest point to the right's, touched it at one corner, and the joined ship
    came out as two polygons."""
    import shapely
    from shapely.geometry import Polygon

    from rsvlm.io import merge_tile_objects

    a = [[85.59, 37.43], [79.79, 42.63], [99.95, 55.09], [99.95, 45.0]]  # left tile's pixels
    b = [[15.53, 63.68], [19.48, 55.85], [0.05, 45.17], [0.45, 55.61]]  # right tile's
    objs = merge_tile_objects([(LEFT, [{"kind": "poly", "label": "ship", "coords": a}]),
                               (RIGHT, [{"kind": "poly", "label": "ship", "coords": b}])], scene_size=(200, 100))
    assert len(objs) == 1
    whole = Polygon(objs[0]["coords"])
    assert whole.area > Polygon(a).area + Polygon(b).area
    assert shapely.contains(whole.buffer(1e-6), Polygon([[x + 100, y] for x, y in b]))


def test_a_ship_polygon_cut_where_windows_overlap_flush_with_the_scene_edge_is_one():
    """--overlap 0 on a 200x130 scene in 96 px tiles: the last row of windows overlaps the first by 62
    px, so each piece is seen twice and unioned with itself before the seam; the seam's second try
    (half the shorter section) asked for pieces joined to nothing, and the ship stayed two."""
    from rsvlm.io import merge_tile_objects

    left = [[88.3, 73.0], [78.4, 96.0], [89.6, 96.0], [96.0, 81.0], [96.0, 76.3]]  # scene pixels
    left_low = [[88.3, 73.0], [65.1, 127.3], [71.4, 130.0], [75.1, 130.0], [96.0, 81.0], [96.0, 76.3]]
    corner = [[97.7, 77.0], [96.1, 76.3], [96.1, 81.0]]  # the other side's corner, in both windows
    windows = [(0, 0, 96, 96), (96, 0, 96, 96), (0, 34, 96, 96), (96, 34, 96, 96)]
    per_tile = [(w, [{"kind": "poly", "label": "ship", "coords": [[x - w[0], y - w[1]] for x, y in p]}])
                for w, p in zip(windows, (left, corner, left_low, corner))]
    assert len(merge_tile_objects(per_tile, scene_size=(200, 130))) == 1
