"""Training tour 67: override and recipe hints for the keys of a mapping's entries (model.encoders.NAME.x)."""

import pytest

from rsvlm.config import ConfigError, load_config
from rsvlm.train.config import TrainConfig

TINY = "configs/train/sft_tiny.yaml"


@pytest.mark.parametrize("override, hint", [
    ("patch_size=16", "model.encoders.NAME.patch_size=16, NAME one of default, sar"),
    ("lora_target_modules=[qkv]", "model.encoders.NAME.lora_target_modules=[qkv], NAME one of default, sar"),
    ("bands=[R]", "model.stems.NAME.bands=[R], NAME one of optical, msi, sar, ir"),
])
def test_an_override_naming_a_mapping_entrys_key_names_that_key(override, hint):
    """patch_size=16 was offered batch_size=16 and lora_target_modules the LLM's target_modules: the keys of
    model.encoders' and model.stems' entries were never looked at."""
    with pytest.raises(ConfigError) as e:
        load_config(TrainConfig, TINY, [override])
    assert str(e.value).endswith(f"(did you mean {hint}?)"), str(e.value)


def test_an_override_names_the_one_entry_a_recipe_has():
    """With one encoder, the hint names it, not NAME."""
    with pytest.raises(ConfigError) as e:
        load_config(TrainConfig, None, ["model.encoders={default: {}}", "patch_size=16"])
    assert str(e.value).endswith("(did you mean model.encoders.default.patch_size=16?)"), str(e.value)


def test_lora_r_still_names_the_llms_key():
    """An encoder's lora_r does not make lora_r=8 ambiguous: the key outside a mapping goes first."""
    with pytest.raises(ConfigError) as e:
        load_config(TrainConfig, TINY, ["lora_r=8"])
    assert str(e.value).endswith("(did you mean model.llm.lora_r=8?)"), str(e.value)


def test_a_recipe_key_of_an_encoder_at_the_top_names_where_it_goes(tmp_path):
    p = tmp_path / "run.yaml"
    p.write_text("patch_size: 16\n")
    with pytest.raises(ConfigError) as e:
        load_config(TrainConfig, p)
    assert str(e.value).endswith("(did you mean model.encoders.NAME.patch_size?)"), str(e.value)
