"""Tour 54 of checkpoints: merge-lora, LoRA/merged/bf16 round trips, damaged step folders, export_step."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from test_model_checkpoint import TINY, _batch, _logits, _perturb_trainables

from rsvlm.config import load_config
from rsvlm.model import VLMConfig, create_model, load_pretrained, merge_lora
from rsvlm.model.checkpoint import saved_dtypes


def _lora_ckpt(root: Path, *overrides: str, dtype: torch.dtype | None = None) -> Path:
    """A tiny LoRA checkpoint (llm/ + adapter/) whose trainable weights moved off their start."""
    torch.manual_seed(0)
    model, _ = create_model(load_config(VLMConfig, TINY, list(overrides)), dtype=dtype)
    _perturb_trainables(model)
    return model.save_pretrained(root)


def test_merging_a_bf16_checkpoint_keeps_bf16_and_its_answers(tmp_path):
    """merge_lora loaded the checkpoint in float32 and wrote it so: a bf16 7B grew from 14 to 28 GB."""
    src = _lora_ckpt(tmp_path / "bf16", dtype=torch.bfloat16)
    merged = merge_lora(src, tmp_path / "merged")
    for rel in ("vision.safetensors", "llm/model.safetensors"):
        assert set(saved_dtypes([merged / rel]).values()) == {torch.bfloat16}, rel
    lora, proc = load_pretrained(src)
    ref = _logits(lora, _batch(proc))
    again, proc2 = load_pretrained(merged)
    torch.testing.assert_close(_logits(again, _batch(proc2)), ref, atol=0.05, rtol=0.05)  # bf16 rounding of W + BA
