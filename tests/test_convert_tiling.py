"""Tiling windows and the documented border rule (data_gen.tiling)."""

from __future__ import annotations

import numpy as np
import pytest

from data_gen.tiling import Window, clip_object, tile_objects, tile_windows


def test_windows_cover_image_and_have_full_size():
    wins = tile_windows(1000, 700, tile=400, overlap=100)
    cover = np.zeros((700, 1000), int)
    for w in wins:
        assert (w.width, w.height) == (400, 400)
        cover[w.y0:w.y1, w.x0:w.x1] += 1
    assert cover.min() >= 1
    assert [(w.x0, w.y0) for w in wins] == [(0, 0), (300, 0), (600, 0), (0, 300), (300, 300), (600, 300)]
    last = tile_windows(1050, 400, tile=400, overlap=100)  # 1050 is not on the stride: last flush right
    assert [w.x0 for w in last] == [0, 216, 433, 650]  # spread evenly


def test_small_image_is_one_window_and_bad_overlap_raises():
    assert tile_windows(300, 200, tile=400, overlap=100) == [Window(0, 0, 300, 200)]
    assert tile_windows(300, 200) == [Window(0, 0, 300, 200)]
    with pytest.raises(ValueError, match="overlap"):
        tile_windows(1000, 1000, tile=400, overlap=400)


def test_box_kept_when_at_least_half_inside_and_clipped():
    win = Window(100, 0, 200, 100)
    got, why = clip_object({"kind": "box", "label": "car", "coords": [90, 10, 115, 20]}, win)  # 60% inside
    assert why is None and got == [{"kind": "box", "label": "car", "coords": [0.0, 10.0, 15.0, 20.0]}]
    got, why = clip_object({"kind": "box", "label": "car", "coords": [85, 10, 110, 20]}, win)  # 40% inside
    assert got == [] and why == "cut"
    got, why = clip_object({"kind": "box", "label": "car", "coords": [0, 0, 10, 10]}, win)
    assert got == [] and why == "outside"
    got, why = clip_object({"kind": "box", "label": "car", "coords": [110, 10, 120, 20]}, win)  # inside: shifted
    assert got[0]["coords"] == [10, 10, 20, 20]


def test_min_visible_is_the_threshold():
    win = Window(100, 0, 200, 100)
    obj = {"kind": "box", "label": "car", "coords": [85, 10, 110, 20]}  # 40% inside
    assert clip_object(obj, win, min_visible=0.4)[0]
    assert not clip_object(obj, win, min_visible=0.41)[0]


def test_obb_cut_becomes_rectangle_of_visible_part():
    win = Window(0, 0, 100, 100)
    quad = [[80, 40], [130, 40], [130, 60], [80, 60]]  # 40% inside → dropped
    assert clip_object({"kind": "obb", "label": "ship", "coords": quad}, win)[1] == "cut"
    quad = [[60, 40], [110, 40], [110, 60], [60, 60]]  # 80% inside
    (o,), _ = clip_object({"kind": "obb", "label": "ship", "coords": quad}, win)
    xs, ys = sorted(p[0] for p in o["coords"]), sorted(p[1] for p in o["coords"])
    assert np.allclose([xs[0], xs[-1], ys[0], ys[-1]], [60, 100, 40, 60]) and len(o["coords"]) == 4


def test_polygon_split_by_border_gives_parts_and_keeps_holes():
    win = Window(0, 0, 100, 100)
    # a U shape whose two arms stick out; the part inside is one piece
    u = [[10, 10], [90, 10], [90, 120], [70, 120], [70, 30], [30, 30], [30, 120], [10, 120]]
    (o,), why = clip_object({"kind": "poly", "label": "b", "coords": u}, win, min_visible=0.5)
    assert max(p[1] for p in o["coords"]) == 100
    # a frame (hole) wholly inside keeps its hole ring
    ring = {"kind": "poly", "label": "b", "coords": [[10, 10], [60, 10], [60, 60], [10, 60]],
            "rings": [[[10, 10], [60, 10], [60, 60], [10, 60]], [[20, 20], [20, 40], [40, 40], [40, 20]]]}
    (o,), _ = clip_object(ring, Window(5, 5, 100, 100))
    assert len(o["rings"]) == 2 and o["coords"][0] == [5.0, 5.0]
    # the U cut at y=25 leaves two separate arms: two parts
    win = Window(0, 40, 100, 140)
    parts, _ = clip_object({"kind": "poly", "label": "b", "coords": u}, win, min_visible=0.1)
    assert len(parts) == 2


def test_tile_objects_counts_cut_and_lost():
    wins = tile_windows(200, 100, tile=100, overlap=0)  # two windows side by side
    objs = [{"kind": "box", "label": "a", "coords": [10, 10, 20, 20]},      # in one tile
            {"kind": "box", "label": "a", "coords": [95, 10, 115, 20]},     # 25/75 split: kept right, cut left
            {"kind": "box", "label": "a", "coords": [90, 10, 110, 20]},     # 50/50: kept in both
            {"kind": "box", "label": "a", "coords": [300, 10, 310, 20]}]    # outside the image
    per, counts = tile_objects(objs, wins, min_visible=0.5)
    assert [len(p) for p in per] == [2, 2]
    assert counts == {"cut": 1, "lost": 0, "outside": 1}
    per, counts = tile_objects(objs[1:2], wins, min_visible=0.9)
    assert counts["lost"] == 1 and per == [[], []]


def test_a_plain_tiff_is_converted_and_tiled_without_rasterio_warnings(tmp_path, recwarn):
    """A DOTA scene stored as a TIFF without georeferencing put rasterio's NotGeoreferencedWarning
    (reading) and its identity-matrix warning (writing each tile) on stderr, naming no file."""
    from PIL import Image

    from tests.convert_helpers import convert

    Image.fromarray(np.full((300, 400, 3), 90, np.uint8)).save(tmp_path / "P1.tif")
    (tmp_path / "P1.txt").write_text("10 10 60 10 60 40 10 40 small-vehicle 0\n"
                                     "300 200 350 200 350 260 300 260 ship 0\n")
    recwarn.clear()
    stats, records = convert(tmp_path / "o", "dota", "--src", str(tmp_path), "--tile", "200", "--overlap", "50")
    assert stats["notes"]["tiles"] >= 2 and records
    from rasterio.errors import NotGeoreferencedWarning

    assert [str(w.message) for w in recwarn if issubclass(w.category, NotGeoreferencedWarning)] == []
