"""Model parts, tour 58: a converted (hf_clip) checkpoint loaded at another size with one override; the
hf_clip tower's positions resized as open_clip's are; pos_embed sincos2d refused for an hf_clip tower."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import torch

TINY = Path(__file__).resolve().parents[1] / "configs" / "model" / "tiny.yaml"
HF = {"hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4, "patch_size": 8, "image_size": 32}


def _hf_tiny(**enc):
    from rsvlm.config import load_config
    from rsvlm.model import VLMConfig
    from rsvlm.model.vision import VisionConfig

    cfg = load_config(VLMConfig, TINY)
    return dataclasses.replace(cfg, encoders={**cfg.encoders, "default": VisionConfig(type="hf_clip", **enc)})


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    """A checkpoint whose hf_clip tower config is written as convert-llava writes it: each size twice."""
    from rsvlm.model import create_model

    torch.manual_seed(0)
    model, _ = create_model(_hf_tiny(hf_config=dict(HF), width=64, patch_size=8, image_size=32))
    return model.save_pretrained(tmp_path_factory.mktemp("hfclip") / "ckpt")


@pytest.mark.parametrize("override", ["encoders.default.image_size=64", "encoders.default.hf_config.image_size=64"])
def test_a_converted_checkpoint_loads_at_another_size_with_one_override(converted, override):
    from safetensors.torch import load_file

    from rsvlm.model.checkpoint import load_pretrained
    from rsvlm.model.vision import interpolate_pos_embed

    big, proc = load_pretrained(converted, overrides=[override])  # was: refused, asking for the other key too
    enc = big.encoders["default"]
    assert (enc.image_size, big.cfg.encoders["default"].image_size) == (64, 64)
    assert big.cfg.encoders["default"].hf_config["image_size"] == 64
    assert proc.n_tokens["optical"] == 64  # an 8x8 grid
    key = "encoders.default.model.embeddings.position_embedding.weight"
    torch.testing.assert_close(big.state_dict()[key],
                               interpolate_pos_embed(load_file(str(converted / "vision.safetensors"))[key], (4, 4), (8, 8)))


def test_twin_overrides_that_contradict_each_other_are_still_refused(converted):
    from rsvlm.model.checkpoint import load_pretrained

    with pytest.raises(ValueError, match=r"encoders.default.image_size 48 \(hf_config.image_size: 64\) contradicts"):
        load_pretrained(converted, overrides=["encoders.default.image_size=48", "encoders.default.hf_config.image_size=64"])
