"""Tour 63: whole-scene tiling and seam joins (io/tiles.py, io/unions.py, io/seams.py)."""

import ast
from pathlib import Path

import numpy as np
from conftest import seam_masks

ROOT = Path(__file__).resolve().parents[1]


def _private_uses(path: Path, of: str) -> set[str]:
    """Attributes starting with ``_`` read off the name ``of`` in ``path`` (``merger._clusters``)."""
    tree = ast.parse(path.read_text())
    return {n.attr for n in ast.walk(tree)
            if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id == of
            and n.attr.startswith("_")}


def test_unions_use_only_the_mergers_public_interface():
    assert _private_uses(ROOT / "rsvlm/io/unions.py", "merger") == set()
    src = (ROOT / "rsvlm/io/unions.py").read_text()
    assert "from rsvlm.io.tiles import _" not in src
    from rsvlm.io.tiles import TileMerger
    for name in ("clusters", "seams", "best_of"):  # seams: an attribute (seams.SeamIndex, for seams.at_seam)
        assert name in TileMerger().__dict__ or callable(getattr(TileMerger, name))


def _merge(per_tile, scene):
    from rsvlm.io import merge_tile_objects

    return merge_tile_objects([(w, [{"kind": "box", "label": "car", "coords": c} for c in cs]) for w, cs in per_tile],
                              scene_size=scene)


def test_two_cars_nose_to_tail_across_a_seam_stay_two():
    # a car ending 1.97 px before x = 100, the next one starting there (bench/tiling.py's case 89 of 300)
    got = _merge([((0, 0, 100, 100), [[85.47, 52.53, 98.03, 77.52]]), ((100, 0, 100, 100), [[0.0, 52.53, 12.69, 77.52]])],
                 (200, 100))
    assert len(got) == 2
    # one ending 0.21 px before y = 100, the next starting 1.34 px after it (case 172)
    got = _merge([((0, 0, 100, 100), [[5.29, 78.03, 20.84, 99.79]]), ((0, 100, 100, 100), [[5.29, 1.34, 20.84, 35.59]])],
                 (100, 200))
    assert len(got) == 2


def test_a_car_cut_at_a_seam_drawn_a_pixel_short_each_side_is_one():
    got = _merge([((0, 0, 100, 100), [[85.0, 50.0, 99.1, 70.0]]), ((100, 0, 100, 100), [[0.9, 50.0, 12.0, 70.0]])],
                 (200, 100))
    assert [o["coords"] for o in got] == [[85.0, 50.0, 112.0, 70.0]]


def test_a_large_tiles_cut_box_may_stop_two_coordinate_bins_short():
    # a 1000-px tile: a bin is 1 px, and a piece 1.8 px short of the seam is still the same ship
    got = _merge([((0, 0, 1000, 1000), [[900.0, 500.0, 998.2, 540.0]]), ((1000, 0, 1000, 1000), [[0.0, 500.0, 60.0, 540.0]])],
                 (2000, 1000))
    assert len(got) == 1 and got[0]["coords"][2] == 1060.0


def _line(pixels):
    m = np.zeros((100, 200), bool)
    for x, y in pixels:
        m[y, x] = True
    return m


def test_a_1px_road_along_a_seam_is_not_joined_to_a_road_or_car_touching_it():
    road = _line([(99, y) for y in range(20, 80)])  # along x = 100, in the left tile
    branch = _line([(100 + k, 50 + k) for k in range(30)])  # a separate road leaving it in the right tile
    assert len(seam_masks(road, branch)) == 2
    car = np.zeros((100, 200), bool)
    car[40:48, 100:107] = True
    assert len(seam_masks(road, car)) == 2


def test_a_1px_road_running_along_a_seam_and_over_it_is_one():
    road = _line([(99, y) for y in range(20, 50)] + [(100, y) for y in range(50, 80)])  # end to end, at a corner
    assert len(seam_masks(road)) == 1
    field = np.zeros((100, 200), bool)
    field[30:60, 99:140] = True  # one pixel column of it in the left tile
    assert len(seam_masks(field)) == 1


def test_a_rotated_cars_corner_piece_does_not_join_the_next_car_in_a_packed_lot():
    # DOTA P1888: two slanted cars side by side across x = 500 and y = 200, each tile's box of its pieces
    got = _merge([((400, 100, 100, 100), [[90.0, 74.0, 100.0, 100.0]]),
                  ((500, 100, 100, 100), [[2.0, 72.0, 15.41, 100.0], [0.0, 88.0, 1.71, 100.0]]),
                  ((400, 200, 100, 100), [[92.34, 0.0, 100.0, 17.0]]),
                  ((500, 200, 100, 100), [[5.17, 0.0, 17.0, 15.0], [0.0, 0.0, 4.0, 16.4]])], (700, 500))
    assert sorted(o["coords"] for o in got) == [[490.0, 174.0, 504.0, 217.0], [502.0, 172.0, 517.0, 215.0]]


def test_box_reach_counts_the_models_coordinate_bins(monkeypatch):
    # 2 bins of the larger window, as rsvlm.tokens.NUM_BINS has them (fusion.py's crop edge too), not a fixed 1000
    import rsvlm.tokens

    monkeypatch.setattr(rsvlm.tokens, "NUM_BINS", 2000)  # a 1000-px tile's 2 bins: 1 px, so 1.8 px short is apart
    got = _merge([((0, 0, 1000, 1000), [[900.0, 500.0, 998.2, 540.0]]), ((1000, 0, 1000, 1000), [[0.0, 500.0, 60.0, 540.0]])],
                 (2000, 1000))
    assert len(got) == 2


def test_bench_seams_takes_the_noise_of_its_noisy_rows():
    """``--seam-noise 1.5`` is where ``box_reach`` costs cut boxes (docs/benchmarks.md); the rows stay 16."""
    import subprocess
    import sys

    bench = ROOT / "bench" / "tiling.py"
    r = subprocess.run([sys.executable, str(bench), "--only", "seams", "--seam-cases", "5", "--seam-noise", "1.5"],
                       capture_output=True, text=True, timeout=300, cwd=ROOT)
    rows = [line for line in r.stdout.splitlines() if line.startswith("| ") and not line.startswith("| case")]
    assert r.returncode == 0 and len(rows) == 16, r.stderr[-2000:]
    assert sum("noise 1.5 px" in line for line in rows) == 6 and not any("noise 1 px" in line for line in rows)
    r = subprocess.run([sys.executable, str(bench), "--only", "seams", "--seam-noise", "-1"], capture_output=True,
                       text=True, timeout=120, cwd=ROOT)
    assert r.returncode == 2 and "--seam-noise -1.0: give 0 to 10 px" in r.stderr
