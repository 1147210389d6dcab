"""Rough-edge tour 56 of training: SIGTERM in contrastive pretraining, the profiler on a run that stops early,
DeepSpeed's own process groups and dist.timeout_s, and what a user meets on the way."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import torch
from test_train_utils import make_records, recipe

from rsvlm.train import main as train_main


def _sigterm_once(path: Path, timeout_s: float = 60) -> None:
    """Send this process SIGTERM, from a thread, once ``path`` exists (a run's first metrics line)."""

    def scheduler():
        deadline = time.monotonic() + timeout_s
        while not path.is_file() and time.monotonic() < deadline:
            time.sleep(0.01)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=scheduler, daemon=True).start()


def test_sigterm_stops_contrastive_pretraining_at_a_step_with_a_step_folder_to_resume(tmp_path, capsys):
    """The contrastive loop died at once on SIGTERM, saving nothing (and saying where to continue from an
    older step folder at best); now it stops as the LM loop does, and the folder resumes."""
    data = make_records(tmp_path / "d", n=8, ir_every=0)  # 3 [cap] records: the caption pairs
    out = tmp_path / "run"
    cfg = recipe(tmp_path, "pretrain_encoder_tiny.yaml")
    argv = ["--config", str(cfg), f"data.train={data}", f"out_dir={out}", "log.progress=false", "batch_size=2",
            "ckpt.every=1000", "slow_step_s=0.2"]
    _sigterm_once(out / "metrics.jsonl")
    assert train_main([*argv, "max_steps=50"]) == 143
    err = capsys.readouterr().err
    steps = sorted(p.name for p in (out / "checkpoints").iterdir())
    assert len(steps) == 1 and steps[0] < "step_000050" and not steps[0].endswith(".tmp"), steps
    saved = out / "checkpoints" / steps[0]
    assert (saved / "model.safetensors").is_file() and (saved / "trainer_state_rank0.json").is_file()
    assert err.strip().splitlines()[-1] == (f"rsvlm train: stopped by SIGTERM (its step saved on the way out); "
                                            f"continue from {saved} with ckpt.resume=auto"), err[-2000:]
    assert not (out / "final").exists()
    step = int(steps[0].split("_")[1])
    assert train_main([*argv, f"max_steps={step + 1}", "ckpt.resume=auto", "slow_step_s=0"]) == 0
    assert f"resumed contrastive pretraining at step {step}" in capsys.readouterr().err
    assert (out / "final" / "encoder.safetensors").is_file()


def test_a_run_stopped_early_closes_its_profiler(tmp_path, monkeypatch, capsys):
    """SIGTERM (or Ctrl-C, or an error) inside log.profile_steps left torch.profiler running in the process and
    wrote no profile.txt, although steps had been profiled (what close writes: the test below)."""
    import rsvlm.train.loop as loop

    made = []

    class Profiler:  # torch.profiler's own run is slow on the CPU; what matters here is that close is called
        def __init__(self, *args, **kwargs):
            self.steps, self.closed = 0, False
            made.append(self)

        def step(self):
            self.steps += 1

        def close(self):
            self.closed = True

    monkeypatch.setattr(loop, "StepProfiler", Profiler)
    data = make_records(tmp_path / "d", n=8, ir_every=0)
    out = tmp_path / "run"
    _sigterm_once(out / "metrics.jsonl")
    argv = ["--config", str(recipe(tmp_path)), f"data.train={data}", f"out_dir={out}", "log.progress=false",
            "max_steps=50", "batch_size=2", "log.profile_steps=2", "slow_step_s=0.1"]
    assert train_main(argv) == 143
    assert len(made) == 1 and made[0].closed and 0 < made[0].steps < 50


def test_the_profiler_closes_once_and_says_nothing_where_no_step_was_profiled(tmp_path):
    from rsvlm.train.logging import StepProfiler

    early = StepProfiler(tmp_path, active=2, rank=0, cuda=False, wait=3)
    early.step()  # stopped while waiting: no profiled step, no profile.txt
    early.close()
    early.close()
    assert not torch.autograd._profiler_enabled() and not (tmp_path / "profile.txt").exists()
    whole = StepProfiler(tmp_path, active=2, rank=0, cuda=False, wait=1)
    for _ in range(4):
        torch.ones(8).sum()
        whole.step()
    whole.close()
    assert (tmp_path / "profile.txt").read_text().startswith("profiled steps: 2, wall ")
    cut = StepProfiler(tmp_path, active=3, rank=0, cuda=False, wait=1)
    for _ in range(3):  # a step waited, one warmed up, one profiled: then the run stopped
        torch.ones(8).sum()
        cut.step()
    cut.close()
    said = (tmp_path / "profile.txt").read_text().splitlines()[0]
    assert said.startswith("profiled steps: 1 of the 3 asked (cut short: the run stopped after step 3; "), said
    assert not torch.autograd._profiler_enabled()
