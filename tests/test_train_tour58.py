"""Rough-edge tour 58 of training data and runs: what a build stage reads, ``init_from`` with a hub LLM,
empty records files, difficult objects in training targets, and records whose question runs past
``data.max_length``."""

from __future__ import annotations

from pathlib import Path

import pytest
from script_loader import load_script
from test_train_utils import REPO, recipe


def test_a_build_stage_reads_every_path_its_training_config_names(tmp_path, monkeypatch):
    """``stage_inputs`` listed five of the config's paths by hand, ``config_inputs`` all of them: an image root
    (``data.root``) under OUT set through build.yaml's ``extra`` went unchecked before the stage ran."""
    stages = load_script("build_stages", monkeypatch)
    out = tmp_path / "out"
    bc = stages.BuildConfig(extra={"align": [f"data.root={out / 'data' / 'train' / 'images'}"]})
    reads = stages.stage_inputs("align", out, bc)
    assert out / "data" / "train" / "images" in reads, reads
    assert {out / "data" / "train" / "train.jsonl", out / "tokenizer",
            out / "pretrain_encoder" / "final" / "encoder.safetensors"} <= set(reads), reads


def hub_llm(cache: Path, name: str, width: int) -> None:
    """A tiny random LLM and its tokenizer, ``width`` wide, in ``cache`` as the Hugging Face hub cache holds ``name``."""
    from rsvlm.config import load_config
    from rsvlm.model import VLMConfig
    from rsvlm.model.llm import build_llm

    llm, tok, _ = build_llm(load_config(VLMConfig, REPO / "configs/model/tiny.yaml", [f"llm.config.hidden_size={width}"]).llm)
    repo = cache / f"models--{name.replace('/', '--')}"
    snap = repo / "snapshots" / ("0" * 40)
    llm.save_pretrained(snap)
    tok.save_pretrained(snap)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("0" * 40)


def test_init_from_under_a_hub_llm_of_another_width_is_refused_before_the_model_is_built(tmp_path, ckpt, monkeypatch):
    """The shape check was skipped for an LLM given by hub name: a checkpoint whose projectors are 64 wide under a
    96-wide hub LLM failed once that LLM had loaded (minutes for a 7B) and out_dir was written (exit 1). A hub
    name whose config is cached (as preflight requires offline) is built on the meta device like a local one."""
    import huggingface_hub

    from rsvlm.config import load_config
    from rsvlm.train.config import TrainConfig
    from rsvlm.train.init_from import check_init_from

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    hub_llm(tmp_path / "hub", "org/tiny96", 96)
    hub_llm(tmp_path / "hub", "org/tiny64", 64)

    def cfg(name):
        return load_config(TrainConfig, recipe(tmp_path), [f"init_from={ckpt}", f"model.llm.name_or_path={name}",
                                                            "model.llm.config=null"])

    check_init_from(cfg("org/tiny64"))  # the checkpoint's width: taken
    with pytest.raises(ValueError, match=r"^init_from .*vision.safetensors: \d+ tensor\(s\) of another shape, e.g. "
                                         r"projectors\.default\..* \(this model \(96"):
        check_init_from(cfg("org/tiny96"))
    check_init_from(cfg("org/not-cached"))  # not in the cache (online): left to the build, as before
