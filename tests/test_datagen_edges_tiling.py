"""data_gen.tiling at its edges: objects that only touch a window, windows of odd sizes."""

from __future__ import annotations

import pytest

from data_gen.tiling import Window, clip_object, tile_objects, tile_windows


def test_an_object_touching_a_window_border_from_outside_is_not_in_that_window():
    win = tile_windows(100, 100, 64)[0]  # x 0..64
    for obj in ({"kind": "box", "coords": [64, 10, 80, 20]},
                {"kind": "obb", "coords": [[64, 10], [80, 10], [80, 20], [64, 20]]},
                {"kind": "poly", "coords": [[64, 10], [80, 10], [80, 20]]}):
        for mv in (0.0, 0.5):
            assert clip_object(obj, win, mv) == ([], "outside"), (obj, mv)  # was a zero-width object at mv=0
    per, counts = tile_objects([{"kind": "box", "coords": [64, 10, 80, 20]}], tile_windows(100, 100, 64), 0.0)
    assert [len(p) for p in per] == [0, 1, 0, 0] and counts == {"cut": 0, "lost": 0, "outside": 0}


@pytest.mark.parametrize("args, message", [((0, 0, 64), "0 x 0"), ((-5, 10, 64), "-5 x 10"),
                                           ((100, 100, -5), "tile must be a positive"),
                                           ((100, 100, 64, 64), "overlap must be in")])
def test_empty_images_and_negative_tiles_are_named(args, message):
    with pytest.raises(ValueError, match=message):
        tile_windows(*args)


@pytest.mark.parametrize("mv", [50, -0.1, float("nan")])
def test_min_visible_outside_zero_to_one_is_refused(mv):
    win = tile_windows(100, 100, 64)[0]
    with pytest.raises(ValueError, match="min_visible is a fraction"):
        clip_object({"kind": "box", "coords": [50, 10, 70, 20]}, win, mv)  # 50 (percent?) cut every object


@pytest.mark.parametrize("obj, message", [
    ({"kind": "obb", "label": "ship", "coords": [[0, 0], [5, 5]]}, "obb needs at least 3 corners, got 2"),
    ({"kind": "poly", "label": "pier", "coords": []}, "poly needs at least 3 corners, got 0"),
    ({"kind": "box", "label": "car", "coords": [1, 2, 3]}, "a box needs 4 numbers"),
])
def test_a_shape_with_too_few_points_is_named(obj, message):
    with pytest.raises(ValueError, match=message):  # was shapely's "A linearring requires at least 4 coordinates"
        clip_object(obj, Window(0, 0, 10, 10))
