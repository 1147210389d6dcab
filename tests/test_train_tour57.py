"""Rough-edge tour 57 of training: what a step folder, an init_from or an exported encoder is called, the
contrastive recipes' settings, empty contrastive log windows, HF-style flags, and the DeepSpeed JSON's keys."""

from __future__ import annotations

import pytest

from rsvlm.train import checkpoint as ckpt


def test_a_plain_step_folder_without_its_weights_is_not_called_a_deepspeed_one(tmp_path):
    """A plain-engine step folder that lost trainable.safetensors was "a DeepSpeed step folder … zero_to_fp32
    first" (any trainer_state_rank0.json made it one); it names the step before it to go back to."""
    root = tmp_path / "checkpoints"
    for name in ("step_000002", "step_000004"):
        (root / name).mkdir(parents=True)
        for f in ("optimizer.safetensors", "scheduler.json", "trainer_state_rank0.json"):
            (root / name / f).write_text("{}")
    why = ckpt.not_a_step_folder(root / "step_000004")
    assert "DeepSpeed" not in why and why.startswith("a half-written or damaged step folder"), why
    assert f"ckpt.resume={root / 'step_000002'}" in why, why
    (root / "step_000004" / "deepspeed").mkdir()  # a DeepSpeed folder is still called one
    assert "zero_to_fp32" in ckpt.not_a_step_folder(root / "step_000004")
