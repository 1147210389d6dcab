"""Training rough edges found on tour 51: out-of-range numbers, resume with another config, the logged LR."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_train_utils import make_records, recipe

from rsvlm.train import main as train_main


@pytest.mark.parametrize("override, key", [
    ("log.every=0", "log.every"), ("ckpt.every=-1", "ckpt.every"), ("ckpt.keep=0", "ckpt.keep"),
    ("optim.lr=-1", "optim.lr"), ("optim.warmup_steps=-3", "optim.warmup_steps"),
    ("optim.max_grad_norm=-1", "optim.max_grad_norm"), ("optim.min_lr_ratio=1.5", "optim.min_lr_ratio"),
    ("optim.weight_decay=-0.1", "optim.weight_decay"), ("optim.betas=[0.9]", "optim.betas"),
    ("optim.betas=[0.9, 1.0]", "optim.betas"), ("data.group_factor=0", "data.group_factor"),
    ("seed=-1", "seed"), ("slow_step_s=-1", "slow_step_s"), ("log.profile_steps=-2", "log.profile_steps"),
])
def test_a_number_out_of_range_is_refused_with_its_key_before_anything_is_built(tmp_path, capsys, override, key):
    data = make_records(tmp_path / "d", n=4, ir_every=0)
    out = tmp_path / "run"
    argv = ["--config", str(recipe(tmp_path)), f"data.train={data}", f"out_dir={out}", "max_steps=2", override]
    assert train_main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    said = f"rsvlm train: override {override!r} (command line): {key} must be"  # was f"rsvlm train: {key} must be"
    assert len(err) == 1 and err[0].startswith(said), err
    assert not out.exists()


def _run(tmp_path, *extra: str) -> tuple[list[str], Path]:
    data = make_records(tmp_path / "d", n=8, ir_every=0)
    out = tmp_path / "run"
    argv = ["--config", str(recipe(tmp_path)), f"data.train={data}", f"out_dir={out}", "log.progress=false",
            "batch_size=4", "ckpt.every=1", "ckpt.keep=5", "optim.warmup_steps=0", "optim.schedule=constant", *extra]
    return argv, out


def _resumed(tmp_path, capsys, *changes: str) -> tuple[int, str, Path]:
    """Train one step, then resume to step 2 with ``changes``: (exit status, stderr, out_dir)."""
    argv, out = _run(tmp_path, "max_steps=1")
    assert train_main(argv) == 0
    capsys.readouterr()
    rc = train_main([*argv, "max_steps=2", *changes, "ckpt.resume=auto"])
    return rc, capsys.readouterr().err, out


def test_a_changed_lr_on_resume_takes_effect_and_the_changes_are_named(tmp_path, capsys):
    rc, err, out = _resumed(tmp_path, capsys, "optim.lr=0.01")
    assert rc == 0
    assert "changes 2 settings" in err and "max_steps: 1 → 2" in err and "optim.lr: 0.001 → 0.01" in err
    lrs = [json.loads(x)["lr"] for x in (out / "metrics.jsonl").read_text().splitlines()]
    assert lrs == [1e-3, 1e-2]  # the checkpoint's optimizer state used to keep 1e-3


def test_resuming_with_another_model_shape_is_one_line_naming_the_key(tmp_path, capsys):
    rc, err, _ = _resumed(tmp_path, capsys, "model.llm.lora_r=8")
    assert rc == 2 and "Traceback" not in err  # refused before anything is built or written: a config error
    last = err.strip().splitlines()[-1]  # before the model is built (tour 52); it named a lora_A tensor after
    assert last.startswith("rsvlm train: ckpt.resume:") and "model.llm.lora_r: 4 → 8" in last


def test_a_finished_contrastive_run_can_be_extended_from_its_last_step(tmp_path, capsys):
    data = make_records(tmp_path / "d", n=12, ir_every=0)
    out = tmp_path / "clip"
    argv = ["--config", str(recipe(tmp_path, "pretrain_encoder_tiny.yaml")), f"data.train={data}", f"out_dir={out}",
            "log.progress=false", "batch_size=4", "ckpt.every=5", "optim.warmup_steps=0", "optim.schedule=constant",
            "optim.lr=1e-3"]
    assert train_main([*argv, "max_steps=1"]) == 0
    assert [p.name for p in (out / "checkpoints").iterdir()] == ["step_000001"]  # none was saved at the end
    capsys.readouterr()
    assert train_main([*argv, "max_steps=2", "optim.lr=1e-2", "ckpt.resume=auto"]) == 0
    err = capsys.readouterr().err
    assert "resumed contrastive pretraining at step 1" in err and "optim.lr: 0.001 → 0.01" in err
    lines = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines()]
    assert [(x["step"], x["lr"]) for x in lines] == [(1, 1e-3), (2, 1e-2)]


def test_resume_auto_refuses_to_restart_over_a_finished_run_without_step_folders(tmp_path, capsys):
    argv, out = _run(tmp_path, "max_steps=1", "ckpt.every=0")
    assert train_main(argv) == 0
    before = (out / "final" / "vision.safetensors").read_bytes()
    capsys.readouterr()
    # was: 'no checkpoint …; starting at step 0', the metrics dropped and final/ replaced by a new run's
    assert train_main([*argv, "max_steps=2", "ckpt.resume=auto"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "holds a finished run (final/) but no step folder" in err[0] and "overwrite=true" in err[0]
    assert (out / "final" / "vision.safetensors").read_bytes() == before
    assert len((out / "metrics.jsonl").read_text().splitlines()) == 1


def test_a_step_folder_of_two_processes_is_refused_for_one_before_anything_is_built(tmp_path):
    from rsvlm.train import checkpoint as ckpt

    step = tmp_path / "step_000004"
    (step / "deepspeed").mkdir(parents=True)
    for rank in (0, 1):
        for name in ckpt.step_files(rank, deepspeed=True)[1:]:
            (step / name).write_text("{}")
    ckpt.check_step_folder(step, 0, deepspeed=True, world=2)  # complete for two
    # was: passed, and DeepSpeed's ZeRORuntimeException came as a traceback after the engine was built
    with pytest.raises(ValueError, match="saved by 2 processes and this run has 1; resume with 2"):
        ckpt.check_step_folder(step, 0, deepspeed=True, world=1)
    with pytest.raises(FileNotFoundError, match="saved with fewer processes"):
        ckpt.check_step_folder(step, 2, deepspeed=True, world=3)


def test_resume_from_the_checkpoints_folder_itself_names_its_latest_step(tmp_path):
    from rsvlm.train import checkpoint as ckpt

    root = tmp_path / "run" / "checkpoints"
    for step in (2, 4):
        ckpt.step_dir(root, step).mkdir(parents=True)
    (root / "step_000006.tmp").mkdir()  # a killed save is no step folder
    with pytest.raises(FileNotFoundError, match="it holds step folders: give one \\(the latest is .*step_000004\\)"):
        ckpt.check_step_folder(root, 0, deepspeed=False)
