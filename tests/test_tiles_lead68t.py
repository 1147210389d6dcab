"""Stop 68 (T2): ``bench/tiling.py --only p1888``, the seam merger on the real DOTA scene P1888, reproducible from
the repository (the tiling review's figures came from a scratch script that was not kept)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _bench(*words, realdata=None):
    env = dict(os.environ, OMP_NUM_THREADS="1")
    if realdata is not None:
        env["RSVLM_REALDATA"] = str(realdata)
    return subprocess.run([sys.executable, "bench/tiling.py", "--only", "p1888", *words], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300)


def _table(stdout: str) -> dict[str, list[str]]:
    return {cells[0]: cells[1:] for cells in ([c.strip() for c in line.strip("|").split("|")]
                                             for line in stdout.splitlines() if line.startswith("| "))}


@pytest.fixture
def p1888(realdata) -> Path:
    if not (realdata / "obb_dota" / "P1888.txt").is_file():
        pytest.skip(f"DOTA P1888 not found in {realdata / 'obb_dota'}")
    return realdata


def test_p1888_table_has_its_baselines_and_ratios_and_is_the_same_each_run(p1888):
    """One tiling (--tile 76 --overlap 48: the packed lot of tests/test_tiles_review68.py) and one noisy draw: the
    whole scene as one window misses nothing, every view's box kept counts each car's pieces, merging takes the
    count back near the 64 cars; a second run prints the same table (seeded draws)."""
    words = ("--p1888-tiles", "76", "--p1888-overlaps", "48", "--p1888-draws", "1")
    r = _bench(*words, realdata=p1888)
    assert r.returncode == 0, r.stderr[-2000:]
    rows = _table(r.stdout)
    assert "64 cars" in r.stdout and "1 tiling: --tile 76, --overlap 48" in r.stdout
    for noise in ("no noise", "±1 px noise, 1 draw"):
        whole, kept, merged = (rows[f"{noise}: {how}"] for how in
                               ("one window (no tiling)", "tiled, every view's box kept", "tiled, merged"))
        assert whole == ["1", "0", "0", "0", "0"]
        assert int(merged[1]) < 64 < int(kept[1])  # count off by
        assert rows[f"{noise}: merged / every box kept"][1] == f"{int(merged[1]) / int(kept[1]):.2f}x"
    assert "P1888 no noise" in r.stderr  # progress
    assert _bench(*words, realdata=p1888).stdout == r.stdout


def test_p1888_without_the_real_data_is_skipped_naming_the_path(tmp_path):
    r = _bench(realdata=tmp_path / "nowhere")
    assert r.returncode == 0 and r.stdout == ""
    assert f"--only p1888 skipped: {tmp_path / 'nowhere' / 'obb_dota' / 'P1888.txt'} not found" in r.stderr
    assert "set RSVLM_REALDATA" in r.stderr


def test_p1888_bad_label_line_names_file_and_line(tmp_path, p1888):
    (tmp_path / "obb_dota").mkdir()
    (tmp_path / "obb_dota" / "P1888.png").write_bytes((p1888 / "obb_dota" / "P1888.png").read_bytes())
    (tmp_path / "obb_dota" / "P1888.txt").write_text("imagesource:GoogleEarth\n1 2 3 small-vehicle 0\n")
    r = _bench(realdata=tmp_path)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert f"{tmp_path / 'obb_dota' / 'P1888.txt'}:2: unparsable_line" in r.stderr


@pytest.mark.parametrize("words, said", [
    (("--p1888-overlaps", "300"), "--p1888-overlaps '300': no overlap is below a tile of --p1888-tiles '60-252/8'"),
    (("--p1888-tiles", "252-60/8"), "--p1888-tiles '252-60/8' / --p1888-overlaps '0,16,32,48': give tile sides"),
    (("--p1888-draws", "-1"), "--p1888-draws -1 / --seam-noise 1.0: give 0 draws or more"),
])
def test_p1888_bad_options_are_usage_errors(words, said):
    r = _bench(*words, realdata="/nonexistent")
    assert r.returncode == 2 and said in r.stderr


def test_p1888_pairs_left_out_are_counted(p1888):
    """An overlap not below a tile leaves that (tile, overlap) pair out, said with its count, not silently."""
    r = _bench("--p1888-tiles", "252,300", "--p1888-overlaps", "0,260", "--p1888-draws", "0", realdata=p1888)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "tiling: 1 (tile, overlap) pair left out: the overlap not below the tile" in r.stderr
    assert "3 tilings: --tile 252-300 (2 sides), --overlap 0/260" in r.stdout
    assert _table(r.stdout)["no noise: tiled, merged"][0] == "3" and "noise, " not in r.stdout
