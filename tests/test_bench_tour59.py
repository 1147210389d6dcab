"""Every bench script as docs/benchmarks.md runs it, in its smallest mode: --help answers, the table
comes out with its same-run baseline and ratios, bad options are refused before the work."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("script", ["gpu_check.sh", "gpu_smoke.sh"])
def test_gpu_shell_scripts_answer_help_without_running(tmp_path, script):
    """``bash bench/gpu_smoke.sh --help`` took '--help' for OUT_DIR: mkdir printed its own help, failed,
    and the script (no ``set -e``) went on to run every part with OUT_DIR '' (summary at /summary.txt);
    gpu_check.sh printed mkdir's help and stopped with exit 1."""
    for flag in ("--help", "-h"):
        r = subprocess.run(["bash", str(REPO / "bench" / script), flag], cwd=tmp_path, capture_output=True,
                           text=True, timeout=30)
        assert r.returncode == 0 and r.stdout.startswith(f"usage: bench/{script} OUT_DIR"), r.stdout + r.stderr
        assert "mkdir" not in r.stdout + r.stderr and not list(tmp_path.iterdir())


@pytest.mark.parametrize("script, args, says", [
    ("gpu_check.sh", [], "usage: bench/gpu_check.sh OUT_DIR"),
    ("gpu_check.sh", ["--steps"], "(got option '--steps')"),  # STEPS is an environment variable
    ("gpu_check.sh", ["a", "b"], "(got 2 arguments)"),
    ("gpu_smoke.sh", ["--out"], "(got option '--out')"),
    ("gpu_smoke.sh", ["{tmp}/out", "{tmp}/cpu.jsonl"], "CPU_PRED {tmp}/cpu.jsonl: no such file"),  # was: no
    # agreement line after the whole run, without a word
    ("gpu_smoke.sh", ["{tmp}/file/out"], "OUT_DIR {tmp}/file/out: cannot make it"),  # was: ran every part
])
def test_gpu_shell_scripts_refuse_bad_arguments_before_any_part(tmp_path, script, args, says):
    (tmp_path / "file").write_text("")
    r = subprocess.run(["bash", str(REPO / "bench" / script), *[a.format(tmp=tmp_path) for a in args]],
                       cwd=tmp_path, capture_output=True, text=True, timeout=30)
    assert r.returncode == 2 and says.format(tmp=tmp_path) in r.stderr, r.stdout + r.stderr
    assert "==" not in r.stdout and sorted(p.name for p in tmp_path.iterdir()) == ["file"]
