"""Tour 66: seam joins of masks at an --overlap 0 seam (io/seams.py, io/unions.py)."""

import numpy as np
import pytest
from conftest import seam_masks


@pytest.mark.parametrize("road_rows, car_rows", [
    ((24, 49), (26, 39)),  # the road runs 2 px past the 13-px car at one end, 10 px at the other (0.77 of it)
    ((38, 64), (34, 50)),  # the car sticks out 4 px past the road's end; the road runs on 14 px past it
    ((65, 88), (63, 77)),  # 2 px out past the road's end; the road runs 11 px past the 14-px car
])
def test_a_car_touching_a_1px_road_along_the_seam_that_runs_on_past_it_is_not_joined(road_rows, car_rows):
    """bench/tiling.py --only slivers' cars 1, 4 and 15 of the 26 (of 300) still joined to the road: a line
    running past the car by over 3/4 of its section at one end, or by over 0.6 of it where its other end stops
    beside the car, is a road, not the car's overhang (an overhang runs a few px past its object at both ends)."""
    road, car = np.zeros((100, 200), bool), np.zeros((100, 200), bool)
    road[road_rows[0] : road_rows[1], 99] = True
    car[car_rows[0] : car_rows[1], 100:106] = True
    assert len(seam_masks(road, car)) == 2


@pytest.mark.parametrize("rows, past", [((30, 40), (7, 1)), ((30, 40), (1, 7)), ((30, 45), (7, 7)),
                                        ((30, 70), (1, 7))])
def test_an_overhang_running_up_to_7_px_past_a_10_px_object_is_still_one(rows, past):
    """The other side of the rule: 7 px past a 10-px object at one end (0.7 of it) stays one object."""
    m = np.zeros((100, 200), bool)
    m[rows[0] : rows[1], 100:120] = True
    m[rows[0] - past[0] : rows[1] + past[1], 99] = True
    assert len(seam_masks(m)) == 1


def test_bench_junctions_counts_a_fork_beside_a_car_and_a_truck_on_a_lone_line():
    """``bench/tiling.py --only junctions``: its three rows, each of --seam-cases; the road beside a car and a
    fork is not split (0 of 20); a truck long across the seam touching a lone 1-px line is joined to it (what
    seams.masks_meet says it cannot tell from a narrow road leaving the line)."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    r = subprocess.run([sys.executable, str(root / "bench" / "tiling.py"), "--only", "junctions", "--seam-cases", "20"],
                       capture_output=True, text=True, timeout=300, cwd=root)
    rows = [line.strip("| ").split(" | ") for line in r.stdout.splitlines() if line.startswith("| masks")]
    assert r.returncode == 0 and len(rows) == 3 and all(row[2] == "20" for row in rows), r.stdout + r.stderr[-2000:]
    assert "car beside: road split" in rows[0][0] and int(rows[0][1]) == 0, rows
    assert rows[2][0].startswith("masks: a truck") and int(rows[2][1]) == 20, rows


@pytest.mark.parametrize("road_rows, car_rows", [
    ((30, 47), (30, 40)),  # flush with the 10-px car at one end, 7 px past it at the other (0.7: under 3/4)
    ((30, 50), (26, 40)),  # the car sticks out 4 px past the road's end; the road runs on 10 px (0.71 of 14)
])
def test_a_road_that_stops_beside_a_car_and_runs_past_it_by_over_0_6_is_not_joined(road_rows, car_rows):
    """cf45fb22's stop rule, which the cases above pass without (each runs past by over 3/4): a line whose
    one end stops beside the car runs on past it, a road, by more than 0.6 of its section (bench/tiling.py
    --only slivers: cars joined 8 -> 5 of 300 by this rule alone, 62 -> 52 of 1500 on seeds 1-5)."""
    road, car = np.zeros((100, 200), bool), np.zeros((100, 200), bool)
    road[road_rows[0] : road_rows[1], 99] = True
    car[car_rows[0] : car_rows[1], 100:106] = True
    assert len(seam_masks(road, car)) == 2
