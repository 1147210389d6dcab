"""Tour 64: seam joins of masks and boxes (io/seams.py, io/tiles.py)."""

from pathlib import Path

import numpy as np
from conftest import seam_masks

ROOT = Path(__file__).resolve().parents[1]


def test_a_1px_road_along_a_seam_passing_a_car_at_one_or_both_ends_is_not_joined_to_it():
    road, car = np.zeros((100, 200), bool), np.zeros((100, 200), bool)
    road[20:80, 99] = True  # 60 px along x = 100, in the left tile
    car[40:60, 100:107] = True  # touching its middle: 20 px, a third of the road (a quarter joined it)
    assert len(seam_masks(road, car)) == 2
    car[:] = False
    car[62:80, 100:107] = True  # at the road's end, flush with it: the road runs on 42 px past it at the other
    # end, more than the car's 18 px (an overhang runs a few px past its object, and a road the line turns into
    # is long across the seam, not 7 px): a car, as bench/tiling.py --only slivers counts it (it was joined)
    assert len(seam_masks(road, car)) == 2
    car[:] = False
    car[66:84, 100:107] = True  # past the road's end: the road runs 46 px past it at one end only, still a car
    assert len(seam_masks(road, car)) == 2
    car[:] = False
    car[30:40, 100:110] = True
    road[:] = False
    road[28:41, 99] = True  # an overhang running 2 px and 1 px past its object: one object, as before
    assert len(seam_masks(road | car)) == 1


def test_a_1px_road_along_a_seam_and_a_wide_road_leaving_it_stay_one_mask():
    road = np.zeros((100, 200), bool)
    road[20:80, 99] = True
    road[40:60, 100:200] = True  # a road 20 px wide leaving it: pixel for pixel the car above, but long across
    assert len(seam_masks(road)) == 1


def test_an_overhang_running_a_few_px_past_its_object_at_both_ends_is_still_one():
    m = np.zeros((100, 200), bool)
    m[30:50, 100:120] = True
    m[25:56, 99] = True  # its 1-px overhang into the left tile, 5 and 6 px past it
    assert len(seam_masks(m)) == 1


def test_bench_slivers_counts_its_five_rows():
    import subprocess
    import sys

    r = subprocess.run([sys.executable, str(ROOT / "bench" / "tiling.py"), "--only", "slivers", "--seam-cases", "20"],
                       capture_output=True, text=True, timeout=300, cwd=ROOT)
    table = [line for line in r.stdout.splitlines() if line.startswith("|")]
    rows = [line.strip("| ").split(" | ") for line in table[2:]]  # after the header and its rule
    assert r.returncode == 0 and table[:1] == ["| case | wrong | of |"], r.stderr[-2000:]
    assert len(rows) == 5 and rows[1][0].startswith("car masks parked across"), table  # a1341d3's row
    assert rows[4][0].startswith("masks: ships side by side across the seam"), table
    assert all(len(row) == 3 and row[2] == "20" for row in rows), table
    assert [int(row[1]) for row in rows[1:4]] == [0, 0, 0], table  # parked across joined, overhangs, forks split
    assert int(rows[4][1]) <= 5, table  # ships joined by a tip: 18 of 20 when the tip 'turned' into the other


def test_a_car_whole_in_an_overlap_does_not_take_in_the_next_cars_cut_piece():
    # DOTA P1888 at --tile 200 --overlap 16: car 8 lies in x 368-384, the overlap of windows 184 and 368, so it
    # touches both windows' edges; car 7 (x 382-398) is cut by window 184's edge at 384 to a 2-px piece
    from rsvlm.io import merge_tile_objects

    car8, car7 = [368.0, 333.0, 384.0, 383.0], [382.0, 330.0, 398.0, 379.0]
    per = []
    for x0 in (184, 368):
        objs = [{"kind": "box", "label": "large-vehicle",
                 "coords": [max(c[0], x0) - x0, c[1] - 200, min(c[2], x0 + 200) - x0, c[3] - 200]} for c in (car8, car7)]
        per.append(((x0, 200, 200, 200), objs))
    got = merge_tile_objects(per, scene_size=(712, 557))
    assert sorted(o["coords"] for o in got) == [car8, car7]


def test_a_2px_road_lying_on_the_seam_drawn_short_on_one_side_stays_one_mask():
    # one pixel line each side of x = 100: the left tile draws 60 px of it, the right tile 20 px in its middle;
    # the 'road beside a car' rule took the right line for a car (1 px across, no longer across than along)
    road = np.zeros((100, 200), bool)
    road[20:80, 99] = True
    road[40:60, 100] = True
    assert len(seam_masks(road)) == 1
