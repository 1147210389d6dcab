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


@pytest.mark.parametrize("override, key, column", [("data.extra=[{path: a.jsonl, path: b.jsonl}]", "path", 18),
                                                   ("optim={lr: 1.0e-3, lr: 2.0e-3}", "lr", 14)])
def test_a_key_named_twice_in_an_overrides_mapping_is_refused_as_in_a_file(override, key, column):
    """PyYAML kept the last silently: data.extra trained on b.jsonl alone, a.jsonl dropped unsaid."""
    with pytest.raises(ConfigError) as e:
        load_config(TrainConfig, RECIPE, [override])
    assert str(e.value) == (f"override {override!r}: value is not valid YAML (key {key!r} a second time at column "
                            f"{column}: a mapping would keep the last alone)")


def test_the_same_mapping_twice_in_a_list_is_no_key_named_twice():
    cfg = load_config(TrainConfig, RECIPE, ["data.extra=[{path: a.jsonl}, {path: a.jsonl, weight: 0.5}]"])
    assert [(s.path, s.weight) for s in cfg.data.extra] == [("a.jsonl", 1.0), ("a.jsonl", 0.5)]
