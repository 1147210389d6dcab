"""Stop 70, training review: a key in capitals is offered its small spelling; a resume with another seed names
seed, not the model section."""

from __future__ import annotations

from pathlib import Path

import pytest

from rsvlm.config import ConfigError, load_config, save_config
from rsvlm.train.config import TrainConfig

REPO = Path(__file__).resolve().parents[1]
SFT = REPO / "configs" / "train" / "sft_tiny.yaml"


@pytest.mark.parametrize("override,meant", [("optim.LR=1e-4", "optim.lr=1e-4"), ("MAX_STEP=3", "max_steps=3")])
def test_a_training_key_in_capitals_is_offered_its_small_spelling(override, meant):
    """difflib scored LR against lr at 0: optim.LR=1e-4 was refused with no "did you mean"."""
    with pytest.raises(ConfigError) as e:
        load_config(TrainConfig, SFT, [override])
    assert str(e.value).endswith(f"(did you mean {meant}?)"), str(e.value)


def test_a_recipe_key_in_capitals_is_offered_its_small_spelling(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text(f"base: {SFT}\noptim: {{LR: 1.0e-4}}\n")
    with pytest.raises(ConfigError) as e:
        load_config(TrainConfig, path)
    assert str(e.value).endswith("(did you mean optim.lr?)"), str(e.value)


def test_a_synth_key_in_capitals_is_offered_its_small_spelling():
    """python -m data_gen synth split.VAL=0.5 was told the valid keys (test, val) and nothing nearer."""
    from data_gen.synth.config import SynthConfig

    with pytest.raises(ConfigError) as e:
        load_config(SynthConfig, None, ["split.VAL=0.5"])
    assert str(e.value).endswith("(did you mean split.val=0.5?)"), str(e.value)


def test_a_key_the_same_but_for_case_as_two_is_offered_neither():
    from rsvlm.config_hints import near_key

    assert near_key("VAL", ["val", "Val"]) is None
    assert near_key("VAL", ["test", "val"]) == "val"
    assert near_key("val", ["test", "val"]) == "val"  # as written, a valid key: difflib's own answer


def test_a_resume_with_another_seed_names_seed_not_the_model_section(tmp_path):
    """A changed seed was refused as "trained with another model section: seed: 0 → 1", seed being no model key."""
    from rsvlm.train.resume import model_changes

    save_config(load_config(TrainConfig, SFT, ["seed=0"]), tmp_path / "train_config.yaml")
    with pytest.raises(ValueError) as e:
        model_changes(tmp_path, load_config(TrainConfig, SFT, ["seed=1"]))
    said = str(e.value)
    assert "was trained with another seed: seed: 0 → 1 (seed: the frozen weights" in said, said
    assert "model section" not in said and "; set it back to resume" in said, said
    with pytest.raises(ValueError) as e:
        model_changes(tmp_path, load_config(TrainConfig, SFT, ["seed=1", "model.llm.lora_alpha=64"]))
    said = str(e.value)
    assert "was trained with another model section and another seed: model.llm.lora_alpha: " in said, said
    assert "; set them back to resume" in said, said


def test_a_recipe_not_found_in_a_folder_that_cannot_be_listed_is_said_not_found(tmp_path, monkeypatch):
    """near_file listed the folder to offer a near name: a folder without read permission raised PermissionError."""
    def refuse(self):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "iterdir", refuse)
    with pytest.raises(ConfigError) as e:
        load_config(TrainConfig, tmp_path / "sft_tiny.yml")
    assert str(e.value) == f"config file not found: {tmp_path / 'sft_tiny.yml'}"
