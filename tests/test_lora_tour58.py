"""LoRA targets and merges, tour 58: a LoRA on a tied head (or tied input embeddings) merged into its own
module; a LoRA target that ``lora_token_rows`` also trains refused naming both keys, before the LLM loads;
a Linear that nn.MultiheadAttention never calls refused as a target; average/compare of weight folders."""

from __future__ import annotations

import json

import pytest
import torch
from test_model_checkpoint import TINY, logits_of, make_batch, perturb_trainables

TIED = "llm.config.tie_word_embeddings=true"


def _tiny(*overrides):
    from rsvlm.config import load_config
    from rsvlm.model import VLMConfig

    return load_config(VLMConfig, TINY, list(overrides))


def test_averaging_names_the_llm_config_json_setting_that_differs(tmp_path):
    from rsvlm.model.weights import average_checkpoints

    roots = []
    for name, tie in (("a", False), ("b", True)):
        root = tmp_path / name
        (root / "llm").mkdir(parents=True)
        (root / "config.yaml").write_text("llm: {name_or_path: llm}\n")
        (root / "llm" / "config.json").write_text(json.dumps({"dtype": "float32", "tie_word_embeddings": tie}))
        from safetensors.torch import save_file

        save_file({"w": torch.zeros(2)}, str(root / "vision.safetensors"))
        roots.append(root)
    with pytest.raises(ValueError, match=r"config\.json differs .*\(tie_word_embeddings: False → True\)"):
        average_checkpoints(roots, tmp_path / "avg")


def test_compare_weights_skips_a_folder_named_like_a_weight_file(tmp_path):
    """A folder 'notes.safetensors' was opened as a file (safetensors' error on a directory)."""
    from safetensors.torch import save_file

    from rsvlm.model.weights import compare_weights

    for name in ("a", "b"):
        (tmp_path / name / "notes.safetensors").mkdir(parents=True)
        save_file({"w": torch.ones(2)}, str(tmp_path / name / "vision.safetensors"))
    rows = compare_weights(tmp_path / "a", tmp_path / "b")
    assert [(r["file"], r["name"], r["status"]) for r in rows] == [("vision.safetensors", "w", "same")]
