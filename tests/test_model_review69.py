"""Stop 69 review, model area: the meta-built load on the parts tour69 did not load (encoder LoRA, the loc pointer,
the patch-skip gate), and a part an override adds that the weights lack."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from rsvlm.model import load_pretrained

REPO = Path(__file__).resolve().parents[1]


def test_encoder_lora_pointer_and_gate_load_as_saved_with_their_trainability(tmp_path):
    """peft's LoRA layers are injected into a tower whose weights are on meta (``set_trainable`` runs before the
    load): they, the loc pointer and the patch-skip gate come out as saved, trainable as built, none on meta."""
    from rsvlm.config import load_config
    from rsvlm.model import VLMConfig, create_model

    torch.manual_seed(0)
    over = ["trainable.encoder=lora", "loc_pointer.enabled=true", "encoders.default.patch_skip=true"]
    model, _ = create_model(load_config(VLMConfig, REPO / "configs/model/tiny.yaml", over))
    with torch.no_grad():  # not their starting values (LoRA B and the gate start at 0)
        for n, p in model.named_parameters():
            if "lora_B" in n or n.endswith(".gate"):
                p.add_(0.5)
    model.save_pretrained(tmp_path)
    loaded, _ = load_pretrained(tmp_path)
    want = {n: p for n, p in model.named_parameters() if not n.startswith("llm.")}
    got = {n: p for n, p in loaded.named_parameters() if not n.startswith("llm.")}
    assert any("lora_B" in n for n in got) and loaded.loc_pointer is not None
    assert set(got) == set(want)
    assert not [n for n, p in got.items() if p.is_meta or not torch.equal(p, want[n])]
    assert {n for n, p in got.items() if p.requires_grad} == {n for n, p in want.items() if p.requires_grad}


def test_a_part_an_override_adds_is_missing_with_the_way_out(ckpt):
    """``trainable.encoder=lora`` (or ``loc_pointer.enabled``) on a checkpoint saved without them: 'missing keys
    [...]' alone said neither that the config builds them nor that the overrides asked for it."""
    with pytest.raises(ValueError, match=r"vision\.safetensors: missing keys \['loc_pointer\.q\.weight', "
                                         r"'loc_pointer\.k\.weight'\], which .*config\.yaml with the overrides given "
                                         "builds; the weights and the config are of different models"):
        load_pretrained(ckpt, overrides=["loc_pointer.enabled=true"])
