"""Tour 75: ``bench/tiling.py --only seams`` after predict's windows were spread evenly where an overlap is asked
(52311df5; at ``--overlap 0`` they meet edge to edge again, as spread slivers split objects), and the bench says where
its windows start."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from pathlib import Path

from script_loader import load_bench

REPO = Path(__file__).resolve().parents[1]


def test_seam_windows_are_the_windows_iter_windows_cuts(monkeypatch):
    """Each printed start list is ``iter_windows``' x starts (squares: its y starts too), for each overlap of the
    box cases; at --overlap 0 neighbours abut but the last pair, as the bench's docstring says."""
    monkeypatch.syspath_prepend(str(REPO / "bench"))
    from tiling_sim.cases import SEAM_SCENES, seam_windows

    from rsvlm.io import iter_windows

    lines = seam_windows()
    assert [line.split(":")[0] for line in lines] == ["overlap 0", "overlap 20", "overlap 50"]
    shared = []
    for line, overlap in zip(lines, (0, 20, 50)):
        for n in SEAM_SCENES:
            xs = sorted({x for x, _, _, _ in iter_windows(n, n, 100, overlap)})
            ys = sorted({y for _, y, _, _ in iter_windows(n, n, 100, overlap)})
            assert xs == ys and f"{n} px at {'/'.join(map(str, xs))}" in line
            assert xs[-1] == n - 100 and all(b - a <= 100 - overlap for a, b in zip(xs, xs[1:]))
            if overlap == 0:
                shared += [a + 100 - b for a, b in zip(xs, xs[1:])]
    # at --overlap 0 predict's windows meet edge to edge and the last is shifted back flush (spread, they shared
    # slivers of 5 to 45 px, which split objects): every seam abuts but the last, which shares what the scene leaves
    assert shared == [s for n in SEAM_SCENES for s in [0] * (-(-n // 100) - 2) + [-n % 100]]


def test_only_seams_prints_its_window_starts_under_the_table():
    r = subprocess.run([sys.executable, "bench/tiling.py", "--only", "seams", "--seam-cases", "5"], cwd=REPO,
                       env=dict(os.environ, OMP_NUM_THREADS="1"), capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    table, _, starts = r.stdout.partition("The box cases' 100-px windows (rsvlm) start at")
    assert "| boxes, overlap 0, noise 0 px: split |" in table
    assert "overlap 0: 210 px at 0/100/110;" in starts and "290 px at 0/100/190" in starts  # edge to edge at 0
    assert "overlap 20: 210 px at 0/55/110;" in starts  # spread where an overlap is asked


def test_windows_shifted_runs_the_merging_modes_on_the_windows_before_52311df5(monkeypatch):
    """``--windows shifted`` sets the old placement's figures beside the new (docs/benchmarks/tiling.md's last columns
    came from it): the seams bench's windows are then step apart with the last flush (0/100/190 on 290 px), and
    ``rsvlm.io.windows.window_starts`` is rsvlm's again once the run is over."""
    monkeypatch.syspath_prepend(str(REPO / "bench"))
    from tiling_sim.cases import shifted_starts

    import rsvlm.io.windows as windows

    assert shifted_starts(520, 256, 192) == [0, 192, 264] and windows.window_starts(520, 256, 192) == [0, 132, 264]
    assert shifted_starts(520, 256, 256) == [0, 256, 264] == windows.window_starts(520, 256, 256)  # overlap 0: alike
    assert shifted_starts(200, 256, 256) == [0] and shifted_starts(300, 100, 100) == [0, 100, 200]
    mod = load_bench("tiling", monkeypatch)
    monkeypatch.setattr(sys, "argv", ["tiling.py", "--only", "seams", "--seam-cases", "2", "--windows", "shifted"])
    before = windows.window_starts
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        mod.main()
    assert "windows (shifted) start at" in out.getvalue() and "290 px at 0/100/190" in out.getvalue()
    assert windows.window_starts is before


def test_windows_shifted_is_refused_where_a_mode_reads_scenes_with_its_own_windows():
    r = subprocess.run([sys.executable, "bench/tiling.py", "--only", "crops", "--windows", "shifted"], cwd=REPO,
                       env=dict(os.environ, OMP_NUM_THREADS="1"), capture_output=True, text=True, timeout=300)
    assert r.returncode == 2 and "--windows shifted" in r.stderr and "--only crops" in r.stderr



def test_windows_spread_reruns_the_spread_placement_at_overlap_0_too(monkeypatch):
    """After 095b8a73 predict's windows meet edge to edge at --overlap 0 (the default, ``--windows rsvlm``);
    ``--windows spread`` still spreads them at every overlap, so stop 75's first figures can be made again."""
    import rsvlm.io.windows as windows

    mod = load_bench("tiling", monkeypatch)
    for mode, says in (("spread", "290 px at 0/95/190"), ("rsvlm", "290 px at 0/100/190")):
        monkeypatch.setattr(sys, "argv", ["tiling.py", "--only", "seams", "--seam-cases", "2", "--windows", mode])
        before, out = windows.window_starts, io.StringIO()
        with contextlib.redirect_stdout(out):
            mod.main()
        assert f"windows ({mode}) start at" in out.getvalue() and "overlap 0: 210 px" in out.getvalue()
        assert says in out.getvalue().split("start at")[1].split("overlap 20")[0] and windows.window_starts is before
