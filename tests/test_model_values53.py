"""Each list of allowed model-config values has one definition, beside the builder that honours it:
the builder takes every value on it and refuses others, and ``check_model_config`` (training's
preflight) reads the same list, so the two cannot drift apart."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from rsvlm.config import load_config
from rsvlm.model import checks, llm, projector, stem, vision, vlm
from rsvlm.model.checks import check_model_config
from rsvlm.model.vlm import VLMConfig
from rsvlm.train import config as train_config

TINY = Path(__file__).resolve().parents[1] / "configs/model/tiny.yaml"


@pytest.mark.parametrize("name,home", [("POS_CODES", projector), ("POS_EMBEDS", vision), ("LOC_INITS", llm),
                                       ("INTERPOLATIONS", stem)])
def test_checks_reads_the_builders_own_list(name, home):
    assert getattr(checks, name) is getattr(home, name)


def test_training_checks_the_model_trainability_modes():
    assert train_config.TRAINABLE is vlm.TRAINABLE
    assert vlm.TRAINABLE["llm"] is llm.TRAINABILITY and vlm.TRAINABLE["encoder"] is llm.TRAINABILITY


@pytest.mark.parametrize("value", projector.POS_CODES)
def test_projector_builds_every_pos_code(value):
    p = projector.Projector(projector.ProjectorConfig(pos_code=value), 8, 16)
    assert p(torch.randn(1, 4, 8), (2, 2)).shape == (1, 4, 16)  # (B,N,D_in) → (B,N,D_llm)


@pytest.mark.parametrize("value", vision.POS_EMBEDS)
def test_encoder_builds_every_pos_embed(value):
    enc = vision.OpenClipEncoder(vision.VisionConfig(width=16, layers=1, heads=2, pos_embed=value))
    assert enc.width == 16


@pytest.mark.parametrize("value", stem.INTERPOLATIONS)
def test_stem_resizes_with_every_interpolation(value):
    x = stem.prepare(stem.StemConfig(interpolation=value), np.full((3, 10, 12), 0.5, np.float32), 8)
    assert x.shape == (3, 8, 8)


@pytest.mark.parametrize("value", llm.LOC_INITS)
def test_llm_builds_with_every_loc_init(value):
    cfg = load_config(VLMConfig, TINY).llm
    model, tok, _ = llm.build_llm(replace(cfg, loc_init=value))
    assert model.get_input_embeddings().num_embeddings == len(tok)


@pytest.mark.parametrize("field,value,allowed", [
    ("pos_code", "loc3d", projector.POS_CODES), ("pos_embed", "rope", vision.POS_EMBEDS),
    ("loc_init", "zeros", llm.LOC_INITS), ("interpolation", "nearest", stem.INTERPOLATIONS)])
def test_preflight_takes_each_listed_value_and_names_the_list_otherwise(field, value, allowed):
    base = load_config(VLMConfig, TINY)
    where = {"pos_code": lambda c: [c.projector], "pos_embed": lambda c: list(c.encoders.values()),
             "loc_init": lambda c: [c.llm], "interpolation": lambda c: list(c.stems.values())}[field]
    for ok in allowed:
        cfg = load_config(VLMConfig, TINY)
        for part in where(cfg):
            setattr(part, field, ok)
        assert check_model_config(cfg, prefix="") is None
    for part in where(base):
        setattr(part, field, value)
    with pytest.raises(ValueError, match=re.escape(f".{field} must be one of {allowed}, got {value!r}")):
        check_model_config(base, prefix="")


def test_builders_refuse_an_unlisted_value_naming_the_list():
    with pytest.raises(ValueError, match="pos_code must be 'none' or 'loc2d', got 'loc3d'"):
        projector.Projector(projector.ProjectorConfig(pos_code="loc3d"), 8, 16)
    with pytest.raises(ValueError, match="pos_embed must be 'learned' or 'sincos2d', got 'rope'"):
        vision.OpenClipEncoder(vision.VisionConfig(width=16, layers=1, heads=2, pos_embed="rope"))


def test_stem_links_are_one_check_for_the_model_and_preflight():
    cfg = load_config(VLMConfig, TINY)
    cfg.stems["ir"].encoder = "thermal"
    with pytest.raises(ValueError, match=r"^stems\.ir\.encoder 'thermal' is not among encoders \['default', 'sar'\]"):
        vlm.check_stem_links(cfg)
    with pytest.raises(ValueError, match=r"^model\.stems\.ir\.encoder 'thermal' is not among model\.encoders"):
        check_model_config(cfg)
    cfg = load_config(VLMConfig, TINY)
    cfg.stems["ir"].modality = "tir"
    with pytest.raises(ValueError, match=r"^stems\.ir\.modality is 'tir'; it must equal its key 'ir'"):
        vlm.RSVLM(cfg, torch.nn.Linear(1, 1), None, None)
