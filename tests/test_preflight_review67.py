"""Preflight review 67: the training preflight's LoRA checks on towers built once (``checks.meta_towers``) keep
their refusals and their order: the contrastive loop still checks its encoders' targets, an encoder's target
still comes before the LLM's, and ``create_model(towers=)`` still refuses one."""

import pytest
from test_train_utils import make_records, recipe

from rsvlm.config import load_config
from rsvlm.train.config import TrainConfig


def test_contrastive_preflight_still_refuses_an_encoder_lora_target(tmp_path):
    """objective: clip checks no LLM (lm=False) but each encoder's LoRA targets, on the towers built once."""
    from rsvlm.train.run import preflight

    data = make_records(tmp_path / "d", n=8, ir_every=0)
    cfg = load_config(TrainConfig, recipe(tmp_path, "pretrain_encoder_tiny.yaml"),
                      [f"data.train={data}", f"out_dir={tmp_path / 'out'}", "model.trainable.encoder=lora",
                       "model.encoders.sar.lora_target_modules=[nothing]", "model.llm.target_modules=[nothing]"])
    with pytest.raises(ValueError, match=r"^model\.encoders\.sar\.lora_target_modules: \['nothing'\] match no"):
        preflight(cfg)
    assert not (tmp_path / "out").exists()


def test_an_encoder_lora_target_is_refused_before_the_llms(tmp_path):
    """Both wrong: the encoder's key is named, as when preflight checked the towers in a loop of its own first."""
    from rsvlm.train.run import preflight

    data = make_records(tmp_path / "d", n=8, ir_every=0)
    cfg = load_config(TrainConfig, recipe(tmp_path), [f"data.train={data}", f"out_dir={tmp_path / 'out'}",
                                                      "model.trainable.encoder=lora", "model.trainable.llm=lora",
                                                      "model.encoders.default.lora_target_modules=[nothing]",
                                                      "model.llm.target_modules=[nothing]"])
    with pytest.raises(ValueError, match=r"^model\.encoders\.default\.lora_target_modules: "):
        preflight(cfg)
    cfg.model.encoders["default"].lora_target_modules = ["c_fc"]
    with pytest.raises(ValueError, match=r"^model\.llm\.target_modules: "):
        preflight(cfg)


def test_create_model_refuses_a_lora_target_on_the_towers_given(tmp_path):
    """create_model(towers=) names the key (no ``model.`` prefix: a model section) before the LLM is built."""
    from rsvlm.model import create_model
    from rsvlm.model.checks import meta_towers

    cfg = load_config(TrainConfig, recipe(tmp_path), ["model.trainable.encoder=lora",
                                                      "model.encoders.sar.lora_target_modules=[nothing]"]).model
    with pytest.raises(ValueError, match=r"^encoders\.sar\.lora_target_modules: "):
        create_model(cfg, device="meta", towers=meta_towers(cfg))
