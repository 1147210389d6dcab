"""Benchmark scripts refuse a bad argument with one usage line before writing gigabytes of scenes."""
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("args, says", [
    (["--workdir", "{tmp}/missing"], "--workdir {tmp}/missing: no such folder"),
    (["--sizes", "2k,5k"], "--sizes '2k,5k': give whole pixel sides"),
])
def test_tiling_bench_refuses_bad_arguments(tmp_path, args, says):
    args = [a.format(tmp=tmp_path) for a in args]
    r = subprocess.run([sys.executable, str(REPO / "bench" / "tiling.py"), *args], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 2
    assert says.format(tmp=tmp_path) in r.stderr and "Traceback" not in r.stderr
    assert not list(tmp_path.rglob("*.tif"))
