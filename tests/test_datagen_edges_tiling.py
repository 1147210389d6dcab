"""data_gen.tiling at its edges: objects that only touch a window, windows of odd sizes."""

from __future__ import annotations

from data_gen.tiling import clip_object, tile_objects, tile_windows


def test_an_object_touching_a_window_border_from_outside_is_not_in_that_window():
    win = tile_windows(100, 100, 64)[0]  # x 0..64
    for obj in ({"kind": "box", "coords": [64, 10, 80, 20]},
                {"kind": "obb", "coords": [[64, 10], [80, 10], [80, 20], [64, 20]]},
                {"kind": "poly", "coords": [[64, 10], [80, 10], [80, 20]]}):
        for mv in (0.0, 0.5):
            assert clip_object(obj, win, mv) == ([], "outside"), (obj, mv)  # was a zero-width object at mv=0
    per, counts = tile_objects([{"kind": "box", "coords": [64, 10, 80, 20]}], tile_windows(100, 100, 64), 0.0)
    assert [len(p) for p in per] == [0, 1, 0, 0] and counts == {"cut": 0, "lost": 0, "outside": 0}
