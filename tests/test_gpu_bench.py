"""bench/gpu_train.py end to end on CPU (tiny recipe), and the training loop's step profiler."""
import json
from pathlib import Path

import pytest
from script_loader import load_bench

from rsvlm.config import load_config
from rsvlm.train.config import TrainConfig, check_config

REPO = Path(__file__).resolve().parents[1]


def test_gpu_bench_runs_on_cpu_and_reports_a_consistent_mfu(tmp_path, monkeypatch):
    res = load_bench("gpu_train", monkeypatch, module="gpu_train").main(["--recipe", str(REPO / "configs/train/sft_tiny.yaml"), "--steps", "10",
                         "--batch-size", "2", "--answer-tokens", "20", "--records", "24", "--profile-steps", "2",
                         "--out", str(tmp_path)])
    run = tmp_path / "run_recipe"
    assert json.loads((tmp_path / "result_recipe.json").read_text()) == res
    assert res["steady_steps"] == 10 - 9  # steps after the 6 waited, 2 profiled and 1 settling
    summary = json.loads((run / "summary.json").read_text())
    assert summary["samples"] == 10 * 2 and summary["non_pad_fraction"] == 1.0  # every sample the same length
    assert res["seq_len"] == summary["tokens"] / summary["samples"]
    flops = res["gflops_per_sample"]
    assert flops["total"] == pytest.approx(flops["vision"] + flops["projector"] + flops["llm"] + flops["attention"])
    assert res["model_tflops_per_s"] == pytest.approx(flops["total"] / 1e3 * res["tokens_per_s"] / res["seq_len"])
    assert 0 < res["mfu"] == pytest.approx(res["model_tflops_per_s"] / res["peak_tflops"])
    profile = (run / "profile.txt").read_text()
    assert profile.startswith("profiled steps: 2, wall ") and "Self CPU" in profile
    # a rerun into the same --out replaces the run (rsvlm train refuses a fresh run over an old one by default;
    # its overwrite is tested in the training tests: a second run here took 20 s more)
    saved = load_config(TrainConfig, tmp_path / "config_recipe.yaml")
    assert saved.overwrite is True and str(saved.out_dir) == str(run)


def test_profile_steps_must_fit_in_the_run():
    cfg = load_config(TrainConfig, REPO / "configs/train/sft_tiny.yaml", ["log.profile_steps=3", "max_steps=8"])
    with pytest.raises(ValueError, match="log.profile_steps=3 profiles steps 7..9; max_steps=8"):
        check_config(cfg)
