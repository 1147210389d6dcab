"""Rough edges of loading a model and asking it (the model / chat / predict tour)."""

from pathlib import Path

import pytest
import torch

from rsvlm.config import load_config
from rsvlm.model import VLMConfig
from rsvlm.model.llm import build_llm

REPO = Path(__file__).resolve().parents[1]
TINY = REPO / "configs/model/tiny.yaml"


@pytest.fixture(scope="module")
def base_dir(tmp_path_factory):
    """A tiny random Llama + byte tokenizer saved in HF layout."""
    llm, tok, _ = build_llm(load_config(VLMConfig, TINY).llm)
    d = tmp_path_factory.mktemp("base")
    llm.save_pretrained(d)
    tok.save_pretrained(d)
    return d


def test_a_quick_llm_load_draws_no_progress_bar_and_leaves_transformers_hook_alone(base_dir, capfd):
    from transformers.utils import logging as hf_logging

    cfg = load_config(VLMConfig, TINY).llm
    cfg.name_or_path, cfg.config = str(base_dir), None
    build_llm(cfg, bar_delay_s=0)  # the bar as transformers draws it: this test can see one
    assert "Loading weights" in capfd.readouterr().err
    build_llm(cfg)  # every `rsvlm predict` / `chat` printed "Loading weights: 100%|...| 39/39"
    assert "Loading weights" not in capfd.readouterr().err
    assert hf_logging.set_tqdm_hook(None) is None  # the hook is taken off again
