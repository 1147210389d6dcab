"""Tour 62: whole-scene tiling where the tile does not divide the scene, and seam joins (io/tiles.py,
io/seams.py)."""

import numpy as np
import pytest


def _box_views(boxes, scene, tile, overlap):
    """Each window's plain boxes: the scene boxes clipped to it, in its pixels (parts under 1 px unseen)."""
    from rsvlm.io import iter_windows

    per_tile = []
    for x0, y0, w, h in iter_windows(*scene, tile, overlap):
        parts = [(max(b[0], x0), max(b[1], y0), min(b[2], x0 + w), min(b[3], y0 + h)) for b in boxes]
        per_tile.append(((x0, y0, w, h), [{"kind": "box", "label": "car", "coords": [p[0] - x0, p[1] - y0, p[2] - x0,
                                                                                     p[3] - y0]}
                                          for p in parts if p[2] - p[0] >= 1 and p[3] - p[1] >= 1]))
    return per_tile


@pytest.mark.parametrize("scene, overlap, box", [
    ((230, 230), 20, [77.3, 7.5, 145.3, 25.5]),  # windows at x 0, 80, 130: seen in all three
    ((210, 210), 20, [58.7, 36.4, 127.4, 47.1]),  # windows at x 0, 80, 110
    ((210, 210), 20, [144.6, 69.8, 163.8, 139.5]),  # down the rows at y 80 and 110
])
def test_a_box_across_three_windows_where_the_last_is_shifted_is_one(scene, overlap, box):
    """The first window's view absorbed the middle one's, which the last (shifted) window's view
    duplicates, but the first and last do not meet: the box came back twice (107 of 3000 simulated
    boxes at --overlap 20 on scenes a 100-px tile does not divide)."""
    from rsvlm.io import merge_tile_objects

    objs = merge_tile_objects(_box_views([box], scene, 100, overlap), scene_size=scene)
    assert len(objs) == 1 and objs[0]["coords"] == pytest.approx(box)


def test_cars_parked_a_pixel_apart_across_the_shifted_window_stay_apart():
    """A row of cars 1 px apart across windows at x 0, 80, 130 (--tile 100 --overlap 20 on 230 px)."""
    from rsvlm.io import merge_tile_objects

    cars = [[float(x), 10.0, x + 17.0, 18.0] for x in range(60, 200, 18)]
    objs = merge_tile_objects(_box_views(cars, (230, 230), 100, 20), scene_size=(230, 230))
    assert sorted(o["coords"] for o in objs) == cars  # each cut at x 100, 130 or 180 rejoined whole


LEFT, RIGHT = (0, 0, 100, 100), (100, 0, 100, 100)  # tiles abutting at x = 100


def _masks(scene_mask):
    """The two tiles' views of each True region's pixels in a 100 x 200 scene mask, merged."""
    from rsvlm.io import merge_tile_objects

    return merge_tile_objects([(w, [{"kind": "mask", "label": "road", "mask": scene_mask[:, w[0] : w[0] + 100].copy()}])
                               for w in (LEFT, RIGHT)], scene_size=(200, 100))


@pytest.mark.parametrize("rows_per_col", [1, 2, 3, 5])
def test_a_1px_road_crossing_a_seam_at_a_slant_is_one(rows_per_col):
    """A 1-px road at 45 degrees (or steeper, along the seam) crossing x = 100: its pieces touch only
    diagonally there, their sections lie end to end, and it came back as two roads."""
    m = np.zeros((100, 200), bool)
    for i in range(60):
        m[20 + i, 100 + (i - 30) // rows_per_col] = True  # at x = 100 from row 50
    objs = _masks(m)
    assert len(objs) == 1 and int(objs[0]["mask"].sum()) == int(m.sum())


@pytest.mark.parametrize("gap", [0, 1, 2])
def test_cars_corner_to_corner_across_a_seam_stay_two(gap):
    """Two parked cars, one each side of x = 100, corners touching diagonally or 1-2 px apart."""
    m = np.zeros((100, 200), bool)
    m[30:44, 94:100] = True
    m[44 + gap : 58 + gap, 100 + gap : 106 + gap] = True
    assert len(_masks(m)) == 2


def test_a_1px_road_with_a_gap_at_the_seam_stays_two():
    """Two 1-px tracks at 45 degrees, one ending a pixel before the seam: not touching, two."""
    m = np.zeros((100, 200), bool)
    for i in range(30):
        m[20 + i, 69 + i] = True  # ends at x = 98
        m[51 + i, 101 + i] = True  # starts at x = 101, the row after next
    assert len(_masks(m)) == 2


@pytest.mark.parametrize("short, noted", [(0, 0), (1, 1), (2, 1), (3, 0)])
def test_masks_drawn_short_of_the_seam_are_kept_apart_and_said(short, noted):
    """A road a model drew ``short`` px before x = 100 and from it on the right: 1-2 px apart it stays two
    (a gap at a seam may be a real path) but is said in ``notes``, where it was split without a word."""
    from rsvlm.io import TileMerger

    a, b = np.zeros((100, 100), bool), np.zeros((100, 100), bool)
    a[40:46, 50 : 100 - short] = True
    b[40:46, 0:30] = True
    merger = TileMerger(scene_size=(200, 100))
    merger.add(LEFT, [{"kind": "mask", "label": "road", "mask": a}])
    merger.add(RIGHT, [{"kind": "mask", "label": "road", "mask": b}])
    objs, notes = merger.merged()
    assert len(objs) == (1 if short == 0 else 2) and merger.n_seam_gaps == noted
    assert [n.startswith(f"{noted} pair of masks faces each other") for n in notes] == [True] * (noted > 0)
    assert len(merger.result()) == len(objs)
    assert sum("each other 1-2 px apart" in n for n in merger.notes) == (noted > 0)  # said once, not per result()


def test_bench_seams_counts_merging_errors_and_refuses_no_cases():
    """``bench/tiling.py --only seams`` reproduces the figures above: no box split across the shifted window at
    --overlap 20, no 1-px road split; ``--seam-cases 0`` is a usage error, not an empty table."""
    import subprocess
    import sys
    from pathlib import Path

    bench = Path(__file__).resolve().parents[1] / "bench" / "tiling.py"
    r = subprocess.run([sys.executable, str(bench), "--only", "seams", "--seam-cases", "25"], capture_output=True,
                       text=True, timeout=300, cwd=bench.parents[1])
    rows = {c.strip(): (int(w), int(n)) for c, w, n in (line.strip("|").split("|") for line in r.stdout.splitlines()
                                                       if line.startswith("| ") and not line.startswith("| case"))}
    assert r.returncode == 0 and len(rows) == 16, r.stderr[-2000:]
    assert rows["boxes, overlap 20, noise 0 px: split"][0] == 0 < rows["boxes, overlap 20, noise 0 px: split"][1]
    assert rows["masks: 1-px roads at a slant across the seam: split"][0] == 0
    r = subprocess.run([sys.executable, str(bench), "--only", "seams", "--seam-cases", "0"], capture_output=True,
                       text=True, timeout=120, cwd=bench.parents[1])
    assert r.returncode == 2 and "--seam-cases 0: give 1 or more" in r.stderr


@pytest.mark.parametrize("scene, overlap, cars", [
    ((300, 100), 50, [[50.5, 40, 98.5, 50], [101.5, 42, 140, 52]]),  # windows 0 and 100 abut; 50 sees across
    ((1000, 100), 20, [[880.1, 13.4, 898.1, 22.7], [901.6, 14.0, 917.7, 21.3]]),  # 800 and 900 (flush) abut; 880 sees
])
def test_cars_either_side_of_a_seam_another_window_sees_across_stay_two(scene, overlap, cars):
    """Two windows that abut in an overlapping tiling (every other window at --overlap 50, or the last,
    flush one) are no seam: a third window sees the cars 3 px apart, and they were joined as one car cut
    at x = 100 (19 of 2373 cars packed in a 1000-px lot at --tile 100 --overlap 20)."""
    from rsvlm.io import merge_tile_objects

    objs = merge_tile_objects(_box_views(cars, scene, 100, overlap), scene_size=scene)
    assert sorted(o["coords"] for o in objs) == sorted(cars)


def test_masks_either_side_of_a_covered_seam_stay_two():
    """Two fields either side of x = 100 at --tile 100 --overlap 50, whose windows 0 and 100 abut: joined as
    one field cut at a seam there, though window 50 answered two."""
    from rsvlm.io import iter_windows, merge_tile_objects

    a, b = np.zeros((100, 300), bool), np.zeros((100, 300), bool)
    a[20:80, 60:100] = True
    b[20:80, 100:160] = True  # sharing a border at x = 100: two fields where window 50 sees both
    per = [((x0, y0, w, h), [{"kind": "mask", "label": "field", "mask": m[y0 : y0 + h, x0 : x0 + w].copy()}
                             for m in (a, b) if m[y0 : y0 + h, x0 : x0 + w].any()])
           for x0, y0, w, h in iter_windows(300, 100, 100, 50)]
    assert len(merge_tile_objects(per, scene_size=(300, 100))) == 2


def test_a_car_at_every_seam_of_a_wide_tiling_is_one_each():
    """Every seam of a 200 x 200 tiling's first row cuts a car: each is one object, whichever windows' spans
    ``_seam`` looks through (fc0b8f4 made it look at the spans across the seam's axis only, where it had scanned
    every window for each pair: 3 s → 0.1 s to merge here; speed is ``bench/tiling.py --only seams``' business,
    not this test's)."""
    from rsvlm.io.tiles import TileMerger, iter_windows

    n, tile = 200, 100
    merger = TileMerger(scene_size=(n * tile, n * tile))
    for w in iter_windows(n * tile, n * tile, tile, 0):
        merger.add(w, [{"kind": "box", "label": "car", "coords": [95, 40, 100, 50]},  # the first row of windows:
                       {"kind": "box", "label": "car", "coords": [0, 40, 5, 50]}] if w[1] == 0 else [])  # a car per seam
    objects = merger.result()
    assert len(objects) == n + 1  # one car per seam of the row, and a half at either end
    assert sorted(o["coords"][0] for o in objects) == [0] + [tile * k - 5 for k in range(1, n + 1)]
