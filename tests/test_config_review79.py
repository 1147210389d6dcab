"""Stop 79's review of config.fits and apply_overrides' typed_in: a null misspelt under a key elsewhere keeps its
hint (an Optional leaf takes null), and an override refusal left unlabelled keeps its own cause."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from rsvlm.config import ConfigError, fits, load_config
from rsvlm.overrides import apply_overrides
from rsvlm.train.config import TrainConfig

TINY = Path(__file__).resolve().parents[1] / "configs/train/sft_tiny.yaml"


@pytest.mark.parametrize(("text", "hint"), [
    ("name_or_path: null\n", "model.llm.name_or_path"), ("tokenizer: ~\n", "model.llm.tokenizer"),
    ("resum: null\n", "ckpt.resume"), ("chat_template:\n", "model.llm.chat_template"),
])
def test_a_null_in_a_file_keeps_the_hint_to_its_key(tmp_path, text, hint):
    path = tmp_path / "r.yaml"
    path.write_text(f"base: {TINY}\n{text}")
    with pytest.raises(ConfigError) as e:
        load_config(TrainConfig, path)
    assert str(e.value).endswith(f"(did you mean {hint}?)"), str(e.value)


@pytest.mark.parametrize(("override", "hint"), [
    ("resume=null", "ckpt.resume=null"), ("deepspeed=null", "dist.deepspeed=null"),
    ("name_or_path=null", "model.llm.name_or_path=null"),
])
def test_a_null_override_keeps_the_hint_to_its_key(override, hint):
    with pytest.raises(ConfigError) as e:
        load_config(TrainConfig, TINY, [override])
    assert str(e.value).endswith(f"(did you mean {hint}?)"), str(e.value)


@pytest.mark.parametrize(("tp", "ok"), [(str | None, True), (list[str] | None, True), (float, True),
                                        (TrainConfig, False), (dict[str, float], False)])
def test_null_fits_a_leaf_but_no_section(tp, ok):
    assert fits(None, tp) is ok


def _causes(error: BaseException) -> list[BaseException]:
    chain = []
    while error.__cause__ is not None and error.__cause__ not in chain and error.__cause__ is not error:
        error = error.__cause__
        chain.append(error)
    return chain


def test_an_unlabelled_override_refusal_keeps_its_own_cause():
    """``raise typed(e) from e`` made an unlabelled refusal its own cause, losing the YAML error behind it."""
    with pytest.raises(ConfigError) as e:
        apply_overrides({}, ["x=[1,"], TrainConfig)
    assert e.value.__cause__ is not e.value and isinstance(_causes(e.value)[-1], yaml.YAMLError)
    with pytest.raises(ConfigError) as e:
        apply_overrides({}, ["x=[1,"], TrainConfig, typed_in="command line")
    assert str(e.value).startswith("override 'x=[1,' (command line): value is not valid YAML")
    assert isinstance(_causes(e.value)[-1], yaml.YAMLError)
