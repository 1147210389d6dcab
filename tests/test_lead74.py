"""Lead checks of stop 74 that fall between areas."""

import pytest

from rsvlm.config import load_config
from rsvlm.train.config import TrainConfig, check_config


def test_a_frozen_4bit_llm_is_refused_before_training_not_at_its_final_save():
    """qlora_tiny with trainable.llm=frozen trained its stems and projector, then its final save was refused (a 4/8-bit
    LLM is never written whole): the config check now says so before anything runs (RM found it)."""
    cfg = load_config(TrainConfig, "configs/train/qlora_tiny.yaml", ["model.trainable.llm=frozen"])
    with pytest.raises(ValueError, match=r"model.trainable.llm: frozen, with a 4/8-bit LLM: such a model is never saved"):
        check_config(cfg)
    check_config(load_config(TrainConfig, "configs/train/qlora_tiny.yaml", []))  # QLoRA itself is as before
