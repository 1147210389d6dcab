"""Model package, tour 52: building on the meta device."""

from pathlib import Path

import numpy as np
import pytest
import torch

from rsvlm.config import load_config
from rsvlm.model import VLMConfig, create_model

REPO = Path(__file__).resolve().parents[1]
TINY = REPO / "configs" / "model" / "tiny.yaml"


def test_create_model_on_meta_builds_the_llm_there_not_on_the_cpu_first(monkeypatch):
    from transformers import AutoModelForCausalLM

    seen = []
    real = AutoModelForCausalLM.from_config

    def spy(*a, **k):
        seen.append(torch.empty(0).device.type)  # where a fresh tensor lands while the LLM is made
        return real(*a, **k)

    monkeypatch.setattr(AutoModelForCausalLM, "from_config", spy)
    model, _ = create_model(load_config(VLMConfig, TINY), device="meta")
    assert seen == ["meta"]  # was "cpu": a 7B config filled 30 GB of RAM before the move to meta
    assert {p.device.type for p in model.parameters()} == {"meta"}
    assert torch.empty(0).device.type == "cpu"  # the default device is left as it was
