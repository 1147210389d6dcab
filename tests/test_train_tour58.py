"""Rough-edge tour 58 of training data and runs: what a build stage reads, ``init_from`` with a hub LLM,
empty records files, difficult objects in training targets, and records whose question runs past
``data.max_length``."""

from __future__ import annotations

from pathlib import Path

from script_loader import load_script


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
