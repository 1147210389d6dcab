"""Rough-edge tour 56 of training: SIGTERM in contrastive pretraining, the profiler on a run that stops early,
DeepSpeed's own process groups and dist.timeout_s, and what a user meets on the way."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest
import torch
from test_train_utils import make_records, recipe, sigterm_once, two_ranks

from rsvlm.train import main as train_main


def test_sigterm_stops_contrastive_pretraining_at_a_step_with_a_step_folder_to_resume(tmp_path, capsys):
    """The contrastive loop died at once on SIGTERM, saving nothing (and saying where to continue from an
    older step folder at best); now it stops as the LM loop does, and the folder resumes."""
    data = make_records(tmp_path / "d", n=8, ir_every=0)  # 3 [cap] records: the caption pairs
    out = tmp_path / "run"
    cfg = recipe(tmp_path, "pretrain_encoder_tiny.yaml")
    argv = ["--config", str(cfg), f"data.train={data}", f"out_dir={out}", "log.progress=false", "batch_size=2",
            "ckpt.every=1000", "slow_step_s=0.2"]
    with sigterm_once(out / "metrics.jsonl"):
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
    argv = ["--config", str(recipe(tmp_path)), f"data.train={data}", f"out_dir={out}", "log.progress=false",
            "max_steps=50", "batch_size=2", "log.profile_steps=2", "slow_step_s=0.1"]
    with sigterm_once(out / "metrics.jsonl"):
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


def test_the_zero_groups_are_every_process_group_the_deepspeed_engine_holds_once():
    """dist.timeout_s reached init_process_group and the count group, while DeepSpeed's own ZeRO groups (made by
    new_group without a timeout) kept torch's 30 minutes (gloo) or 10 (nccl)."""
    from types import SimpleNamespace

    from rsvlm.train.engine import zero_groups

    world, clone, params = object(), object(), [torch.nn.Parameter(torch.zeros(1)) for _ in range(3)]
    params[0].ds_process_group, params[1].ds_process_group = world, clone  # ZeRO-3's per-parameter group
    module = SimpleNamespace(parameters=lambda: iter(params))
    zero2 = SimpleNamespace(data_parallel_group=clone, seq_data_parallel_group=clone, module=module,
                            optimizer=SimpleNamespace(dp_process_group=clone))
    assert zero_groups(zero2) == [clone, world]
    plain = SimpleNamespace(data_parallel_group=None, module=SimpleNamespace(parameters=lambda: iter([])),
                            optimizer=torch.optim.SGD([params[2]]))
    assert zero_groups(plain) == []


def _group_timeouts(rank: int, world: int, store: str, results: str) -> None:
    """One gloo process of the test below: a group made as DeepSpeed makes its ZeRO groups, then set_timeouts."""
    from datetime import timedelta

    import torch.distributed as dist

    from rsvlm.train.engine import set_timeouts

    dist.init_process_group("gloo", init_method=f"file://{store}", rank=rank, world_size=world,
                            timeout=timedelta(seconds=300))  # not a few s: a rank may start late on a loaded machine
    group = dist.new_group(ranks=list(range(world)))  # deepspeed.utils.groups._clone_world_group's call

    def timeout():
        return group._get_backend(torch.device("cpu")).options._timeout.total_seconds()

    before = timeout()
    set_timeouts([group], 300.0)
    dist.barrier(group=group)
    Path(results, f"timeout{rank}.txt").write_text(f"{before:g} {timeout():g}")
    dist.destroy_process_group()


def test_set_timeouts_gives_a_group_made_without_one_dist_timeout_s(tmp_path):
    two_ranks(_group_timeouts, tmp_path)
    assert [(tmp_path / f"timeout{r}.txt").read_text() for r in (0, 1)] == ["1800 300"] * 2


def test_the_deepspeed_engine_is_given_dist_timeout_s(tmp_path, monkeypatch):
    import rsvlm.train.engine as engine
    from rsvlm.config import load_config
    from rsvlm.train.config import TrainConfig
    from rsvlm.train.loop import make_engine

    given = []
    monkeypatch.setattr(engine, "DeepSpeedEngine", lambda *args: given.append(args))
    cfg = load_config(TrainConfig, recipe(tmp_path), ["dist.deepspeed=configs/deepspeed/zero2.json",
                                                      "dist.timeout_s=90"])
    make_engine(torch.nn.Linear(2, 2), cfg, world=1)
    assert len(given) == 1 and given[0][-1] == 90


@pytest.fixture(scope="module")
def clip_step(tmp_path_factory) -> tuple[Path, Path, Path]:
    """(config, records, step folder) of a finished one-step contrastive run with ckpt.every."""
    tmp = tmp_path_factory.mktemp("clip_step")
    data, cfg = make_records(tmp / "d", n=8, ir_every=0), recipe(tmp, "pretrain_encoder_tiny.yaml")
    assert train_main(["--config", str(cfg), f"data.train={data}", f"out_dir={tmp / 'run'}", "log.progress=false",
                       "batch_size=2", "max_steps=1", "ckpt.every=1"]) == 0
    return cfg, data, tmp / "run" / "checkpoints" / "step_000001"


@pytest.mark.parametrize("damage, says", [
    ("cut model.safetensors", "ckpt.resume: {f}/model.safetensors: not a readable safetensors file ("),
    ("cut scheduler.json", "ckpt.resume: {f}/scheduler.json: cut or damaged ("),
    ("rm sampler.safetensors", "ckpt.resume: {f} lacks sampler.safetensors (a half-written or damaged step folder)"),
    ("rm rng_rank0.safetensors", "ckpt.resume: {f} lacks rng_rank0.safetensors (a half-written or damaged step"),
    ("lm", "ckpt.resume: {f}: not a contrastive pretraining checkpoint (no model.safetensors); it is a step "
           "folder of the LM loop (objective lm)")])
def test_a_damaged_contrastive_step_folder_is_refused_before_anything_is_built(damage, says, clip_step, tmp_path,
                                                                              capsys):
    """A cut model.safetensors was a SafetensorError traceback, a cut scheduler.json a bare JSONDecodeError and a
    missing sampler a FileNotFoundError, each exit 1 once the model was built; an LM step folder said only
    'no model.safetensors'."""
    import shutil

    cfg, data, step = clip_step
    folder = tmp_path / "step_000001"
    shutil.copytree(step, folder)
    how, name = damage.split(" ") if " " in damage else (damage, "")
    if how == "cut":
        (folder / name).write_bytes((folder / name).read_bytes()[:20])
    elif how == "rm":
        (folder / name).unlink()
    else:
        (folder / "model.safetensors").rename(folder / "trainable.safetensors")
    out = tmp_path / "run"
    argv = ["--config", str(cfg), f"data.train={data}", f"out_dir={out}", "log.progress=false", "batch_size=2",
            "max_steps=2", f"ckpt.resume={folder}"]
    assert train_main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("rsvlm train: " + says.format(f=folder)), err
    assert not out.exists()


@pytest.mark.parametrize("text, says", [
    ('[1, 2]', "the top level must be a JSON object"),
    ('{"zero_optimization": 2}', 'zero_optimization must be a JSON object such as {"stage": 2}, got 2'),
    ('{"bf16": true}', 'bf16 must be a JSON object such as {"enabled": "auto"}, got true'),
    ('{"train_batch_size": "8"}', 'DeepSpeed config sets train_batch_size="8" but the training config gives 8'),
    ('{"gradient_clipping": 2.0}', "DeepSpeed config sets gradient_clipping=2.0 but the training config gives 1.0 "
                                   "(optim.max_grad_norm)")])
def test_a_deepspeed_json_of_the_wrong_shape_or_values_is_refused_naming_the_key(text, says, tmp_path):
    """A top level, zero_optimization or bf16 of another JSON type was an AttributeError traceback (preflight
    let it through as a crash); '"8"' read 'sets train_batch_size=8 but the training config gives 8'; an
    explicit gradient_clipping overrode optim.max_grad_norm unsaid."""
    from rsvlm.config import load_config
    from rsvlm.train.config import TrainConfig
    from rsvlm.train.deepspeed_config import load_deepspeed_config

    cfg = load_config(TrainConfig, recipe(tmp_path), ["batch_size=4", "optim.max_grad_norm=1.0"])
    (tmp_path / "ds.json").write_text(text)
    with pytest.raises(ValueError) as e:
        load_deepspeed_config(tmp_path / "ds.json", cfg, world_size=2)
    assert str(e.value).startswith(f"{tmp_path / 'ds.json'}: ") and says in str(e.value), str(e.value)


def test_a_deepspeed_json_without_gradient_clipping_clips_at_optim_max_grad_norm(tmp_path):
    """Left out, DeepSpeed's default of 0 trained without clipping whatever optim.max_grad_norm said."""
    from rsvlm.config import load_config
    from rsvlm.train.config import TrainConfig
    from rsvlm.train.deepspeed_config import fill_auto

    cfg = load_config(TrainConfig, recipe(tmp_path), ["optim.max_grad_norm=0.7"])
    assert fill_auto({"zero_optimization": {"stage": 2}}, cfg, 2)["gradient_clipping"] == 0.7


def test_a_contrastive_resume_from_a_runs_folder_says_where_its_step_folders_are(clip_step, tmp_path, capsys):
    """ckpt.resume=OUT_DIR or OUT_DIR/checkpoints said only 'no model.safetensors' (the LM loop's resume names
    the step folders)."""
    cfg, data, step = clip_step
    run = step.parent.parent
    for given, says in ((run, f"this is a run's out_dir: its step folders are in {run / 'checkpoints'}"),
                        (step.parent, f"it holds step folders: give one (the latest is {step}), or ckpt.resume=auto")):
        argv = ["--config", str(cfg), f"data.train={data}", f"out_dir={tmp_path / 'run'}", "log.progress=false",
                "batch_size=2", "max_steps=2", f"ckpt.resume={given}"]
        assert train_main(argv) == 2
        assert capsys.readouterr().err.strip() == (f"rsvlm train: ckpt.resume: {given}: not a contrastive pretraining "
                                                   f"checkpoint (no model.safetensors); {says}")


@pytest.mark.parametrize("make, says", [
    ("rgb", "meta.{key} must be one band of ids, got 3 bands (PIL mode RGB)"),
    ("float", "meta.{key} must hold whole-number ids, got float32 values"),
    ("negative", "meta.{key} holds negative ids (down to -1); 0 is background")])
def test_a_mask_of_another_form_is_a_bad_sample_naming_it(make, says, tmp_path):
    """An RGB sem_mask was a torch 'permute' RuntimeError, a float inst_mask a numpy TypeError (either crashed
    the run: the loop counts ValueError and OSError as bad samples); an RGB or negative inst_mask gave targets
    unsaid."""
    import numpy as np
    import tifffile
    from PIL import Image

    from rsvlm.train.clip_heads import box_targets, center_targets, patch_targets

    if make == "rgb":
        Image.fromarray(np.zeros((16, 16, 3), np.uint8)).save(tmp_path / "m.png")
        name = "m.png"
    else:
        name = "m.tif"
        tifffile.imwrite(tmp_path / name, np.full((16, 16), 1.5 if make == "float" else -1,
                                                  np.float32 if make == "float" else np.int16))
    rec = {"id": "r", "meta": {"sem_mask": name, "inst_mask": name}}
    for make_targets, key in ((lambda: patch_targets(rec, tmp_path, 2, 3), "sem_mask"),
                              (lambda: box_targets(rec, tmp_path, 2), "inst_mask"),
                              (lambda: center_targets(rec, tmp_path, 2, 3), "inst_mask")):
        with pytest.raises(ValueError) as e:
            make_targets()
        assert str(e.value) == f"{tmp_path / name}: " + says.format(key=key)
    Image.fromarray(np.eye(16, dtype=np.uint8)).save(tmp_path / "ok.png")  # one band of ids: as before
    ok = {"id": "r", "meta": {"sem_mask": "ok.png", "inst_mask": "ok.png"}}
    assert patch_targets(ok, tmp_path, 2, 3).shape == (4, 1, 3) and box_targets(ok, tmp_path, 2)[:, 0].sum() == 1


def test_a_contrastive_batch_larger_than_the_caption_pairs_is_said(clip_step, tmp_path, capsys):
    """batch_size=32 over 3 caption pairs contrasted 3 a step without a word (the LM loop refuses data that
    cannot fill one global batch)."""
    cfg, data, _ = clip_step
    base = ["--config", str(cfg), f"data.train={data}", "log.progress=false", "max_steps=1", "optim.warmup_steps=0"]
    assert train_main([*base, f"out_dir={tmp_path / 'a'}", "batch_size=32"]) == 0
    assert ("warning: 3 caption pairs, fewer than a global batch of 32 (batch_size × grad_accum × processes): each "
            "step contrasts 3 of them") in capsys.readouterr().err
    assert train_main([*base, f"out_dir={tmp_path / 'b'}", "batch_size=3"]) == 0
    assert "fewer than a global batch" not in capsys.readouterr().err


@pytest.mark.parametrize("recipe_name", ["sft_tiny.yaml", "pretrain_encoder_tiny.yaml"])
def test_the_step_sigterm_stops_at_is_logged(recipe_name, tmp_path, monkeypatch):
    """With log.every=1000 a run stopped by SIGTERM at step 3 wrote no metrics line: the losses since the last
    line were lost (a resume's lines start after the step folder's step)."""
    import rsvlm.train.clip as clip
    import rsvlm.train.logging as logging

    calls = []

    def term_at_step_2(*args):  # a scheduler's SIGTERM during step 2: taken at the next step boundary
        calls.append(1)
        if len(calls) == 2:
            os.kill(os.getpid(), signal.SIGTERM)

    if recipe_name == "sft_tiny.yaml":
        step = logging.Metrics.step
        monkeypatch.setattr(logging.Metrics, "step", lambda self: (term_at_step_2(), step(self)))
    else:
        accumulate = clip.accumulate
        monkeypatch.setattr(clip, "accumulate", lambda *a: (term_at_step_2(), accumulate(*a))[1])
    data = make_records(tmp_path / "d", n=8, ir_every=0)
    out = tmp_path / "run"
    argv = ["--config", str(recipe(tmp_path, recipe_name)), f"data.train={data}", f"out_dir={out}",
            "log.progress=false", "max_steps=50", "batch_size=2", "log.every=1000", "ckpt.every=1000"]
    assert train_main(argv) == 143
    lines = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines()]
    stopped = int(sorted((out / "checkpoints").iterdir())[-1].name.split("_")[1])
    assert [x["step"] for x in lines] == [stopped] and stopped in (2, 3), lines
