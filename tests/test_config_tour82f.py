"""Tour 82 (F) of config values: a list written as Python writes one.

``optim.betas=(0.9, 0.95)`` was refused with "(a list is written [(0.9, 0.95)])", the parentheses kept inside the
brackets it advised; ``optim.betas={0.9, 0.95}`` (YAML's mapping of two nulls) with no hint at all, and
``optim.betas=[0.9 0.95]`` as "optim.betas[0]: expected float, got '0.9 0.95'", not saying a comma was missing.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from rsvlm.config import ConfigError, load_config
from rsvlm.config_values import list_hint
from rsvlm.train.config import TrainConfig

RECIPE = "configs/train/sft_tiny.yaml"


@pytest.mark.parametrize("override, said", [
    ("optim.betas=(0.9, 0.95)", "optim.betas: expected a list, got '(0.9, 0.95)' (a list is written [0.9, 0.95])"),
    ("optim.betas=(0.9,0.95)", "optim.betas: expected a list, got '(0.9,0.95)' (a list is written [0.9,0.95])"),
    ("optim.betas={0.9, 0.95}", "optim.betas: expected a list, got {0.9: None, 0.95: None} (a list is written "
                                "[0.9, 0.95]; {…} is a mapping)"),
    ("optim.betas=[0.9 0.95]", "optim.betas[0]: expected float, got '0.9 0.95' (a list's items are parted by commas: "
                               "0.9, 0.95)"),
    ("optim.betas=0.9 0.95", "optim.betas: expected a list, got '0.9 0.95' (a list is written [0.9, 0.95])")])
def test_a_list_written_otherwise_is_refused_with_the_list_to_write(override, said):
    with pytest.raises(ConfigError) as e:
        load_config(TrainConfig, RECIPE, [override])
    assert str(e.value) == f"override {override!r}: {said}"


def test_the_same_in_a_file_names_its_line(tmp_path):
    f = tmp_path / "t.yaml"
    f.write_text(f"base: {Path(RECIPE).resolve()}\noptim:\n  betas: [0.9 0.95]\n", encoding="utf-8")
    with pytest.raises(ConfigError) as e:
        load_config(TrainConfig, f)
    assert "optim.betas[0]: expected float, got '0.9 0.95' (line 3 of t.yaml)" in str(e.value)
    assert str(e.value).endswith("(a list's items are parted by commas: 0.9, 0.95)")


@pytest.mark.parametrize("value", ["(0.9)", "0.9", {"a": 1}, {}, 3, None])
def test_no_list_is_guessed_from_one_value_or_a_real_mapping(value):
    assert list_hint(value) == ""


@pytest.mark.parametrize("override, value", [("optim.betas=[0.9,0.95]", [0.9, 0.95]),
                                             ("optim.betas=[9e-1, 0.95]", [0.9, 0.95]), ("init_from=~", None),
                                             ("init_from=null", None)])
def test_lists_and_nulls_written_so_are_read(override, value):
    cfg = load_config(TrainConfig, RECIPE, [override])
    key = override.split("=")[0]
    assert (cfg.optim.betas if key == "optim.betas" else cfg.init_from) == value
