"""Every bench script as docs/benchmarks.md runs it, in its smallest mode: --help answers, the table
comes out with its same-run baseline and ratios, bad options are refused before the work."""

from __future__ import annotations

import subprocess
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


def run_bench(name, monkeypatch, capsys, argv):
    """bench/NAME.py's main on ``argv`` in this process: (stdout, stderr)."""
    from test_bench_args import bench_main

    bench_main(name, monkeypatch, argv)
    return capsys.readouterr()


def table_rows(out: str, first: str) -> list[list[str]]:
    """The cells of stdout's markdown rows whose first cell is ``first``."""
    return [[c.strip() for c in line.strip("|").split("|")] for line in out.splitlines()
            if line.startswith(f"| {first} |")]


def test_tiling_crops_prints_its_ratio_to_the_one_decode_baseline(tmp_path, monkeypatch, capsys):
    """docs/benchmarks.md's --only crops table had seconds and tiles but no ratio (every other mode
    has one), and nothing went to stderr while it ran."""
    out, err = run_bench("tiling", monkeypatch, capsys, ["--only", "crops", "--crop-size", "128",
                                                         "--workdir", str(tmp_path)])
    assert "| how | s | tiles | slower than one decode |" in out
    (base,), (other,) = table_rows(out, "cropper: one decode"), table_rows(out, "crop_to_file per tile")
    assert base[2:] == ["1", "1.00x"] and other[2] == "1" and float(other[3].rstrip("x")) > 0
    assert "tiling: 1 tiles with one decode" in err and "tiling:" not in out


def test_tiling_png_prints_both_reads_against_row_strips(tmp_path, monkeypatch, capsys):
    out, err = run_bench("tiling", monkeypatch, capsys, ["--only", "png", "--png-size", "200x100", "--tile", "64",
                                                         "--overlap", "8", "--workdir", str(tmp_path)])
    (base,), (other,) = table_rows(out, "row strips"), table_rows(out, "window by window")
    assert base[4] == "1.00x" and base[2] == other[2] == "8" and base[3] == other[3]  # same tiles, same objects
    assert "read by row strips" in err and "read by window by window" in err  # was: no word while it ran


def test_synth_throughput_smallest_run_prints_both_tables_with_baselines(monkeypatch, capsys):
    out, _ = run_bench("synth_throughput", monkeypatch, capsys, ["--n", "2", "--workers", "1", "--repeat", "1",
                                                                 "--size", "64"])
    assert table_rows(out, "1 worker")[0][4] == "1.00x"
    assert table_rows(out, "naive python loop")[0][-1] == "1.00x" and table_rows(out, "numpy fill_convex")


def test_geometry_codec_smallest_run_prints_the_box_baseline(monkeypatch, capsys, realdata):
    out, err = run_bench("geometry_codec", monkeypatch, capsys, ["--realdata", str(realdata), "--budgets", "16"])
    rows = [r for line in out.splitlines() if line.startswith("| ") and "box (baseline)" in line
            for r in [[c.strip() for c in line.strip("|").split("|")]]]
    assert len(rows) == 4 and all(r[8] == "1.00" for r in rows), out  # one per mask kind, ratio 1 to itself
    assert "round trips" in err


def test_train_throughput_names_each_run_on_stderr(monkeypatch, capsys):
    """--repeat 6 trains 12 runs one after another; stderr said only each run's 'done' line, not which
    arm or round was running."""
    import sys

    from test_bench_tour51 import bench_module

    mod = bench_module("train_throughput", monkeypatch)
    monkeypatch.setattr(mod, "make_data", lambda root, n, seed: root)
    monkeypatch.setattr(mod, "run", lambda data, out, b, steps, bs: {
        "tokens_per_s": 100.0 if b == "naive" else 150.0, "non_pad_fraction": 0.5, "tokens": 10, "seconds": 1.0,
        "cut": 0})
    monkeypatch.setattr(sys, "argv", ["train_throughput", "--steps", "3", "--repeat", "2"])
    mod.main()
    out, err = capsys.readouterr()
    said = [line for line in err.splitlines() if line.startswith("train_throughput: round")]
    assert said == [f"train_throughput: round {k} of 2, {b} batching" for k in (1, 2) for b in ("naive", "length_grouped")]
    assert "round" not in out and out.splitlines()[-1] == "| ratio grouped / naive | 1.50 | 1.00 |  |  |  |"
