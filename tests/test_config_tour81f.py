"""Tour 81 (F) of config files: a section split between a file and its ``base:`` names both in an error.

A base holding ``optim: {lrr: 1}`` and a file over it holding ``optim: {warmupsteps: 3}`` were refused as
"base2.yaml (a base of c.yaml): unknown keys optim.lrr, optim.warmupsteps … (line 2 of base2.yaml)": c.yaml's line,
where the second is written, was not said, as if both were the base's to fix. Each key another file set is now named
with its line there.
"""
from __future__ import annotations

import re

import pytest

from rsvlm.config import ConfigError, load_config
from rsvlm.train.config import TrainConfig


def train_config_refusal(path) -> str:
    """The ConfigError ``load_config(TrainConfig, path)`` raises, as text (test_config_review81RF uses it too)."""
    with pytest.raises(ConfigError) as e:
        load_config(TrainConfig, path)
    return str(e.value)


def test_unknown_keys_of_a_section_split_with_its_base_name_both_files(tmp_path):
    (tmp_path / "base.yaml").write_text("optim:\n  lrr: 1\n  eps: 1.0e-8\n")
    child = tmp_path / "c.yaml"
    child.write_text("base: base.yaml\nout_dir: runs/x\noptim:\n  warmupsteps: 3\n")
    said = train_config_refusal(child)
    assert said.startswith(f"{tmp_path / 'base.yaml'} (a base of {child}): unknown keys optim.lrr, optim.warmupsteps")
    assert "(line 2 of base.yaml; optim.warmupsteps at line 4 of c.yaml); valid keys" in said
    assert said.endswith("(did you mean optim.lr for optim.lrr, optim.warmup_steps for optim.warmupsteps?)")


def test_the_other_file_leads_where_its_key_comes_first(tmp_path):
    (tmp_path / "base.yaml").write_text("optim:\n  warmupsteps: 3\n")
    child = tmp_path / "c.yaml"
    child.write_text("base: base.yaml\noptim:\n  lrr: 1\n")
    said = train_config_refusal(child)
    assert said.startswith(f"{child}: unknown keys optim.lrr, optim.warmupsteps")
    assert "(line 3 of c.yaml; optim.warmupsteps at line 2 of base.yaml)" in said


def test_keys_of_one_file_name_it_alone(tmp_path):
    (tmp_path / "base.yaml").write_text("optim:\n  lr: 1.0e-4\n")
    child = tmp_path / "c.yaml"
    child.write_text("base: base.yaml\noptim:\n  lrr: 1\n  warmupsteps: 3\n")
    said = train_config_refusal(child)
    assert said.startswith(f"{child}: unknown keys optim.lrr, optim.warmupsteps")
    assert "base.yaml" not in said and len(re.findall(r"line \d+ of", said)) == 1


def test_a_later_check_of_two_keys_set_in_two_files_names_both(tmp_path):
    """``clip.text_width=64 must be a multiple of clip.text_heads=3`` named c.yaml's line alone; 3 is the base's."""
    from rsvlm.config_bases import value_blamed
    from rsvlm.train.config_checks import check_config

    (tmp_path / "base.yaml").write_text("clip:\n  text_heads: 3\n")
    child = tmp_path / "c.yaml"
    child.write_text("base: base.yaml\nobjective: clip\ndata: {train: x.jsonl}\nclip:\n  text_width: 64\n")
    with pytest.raises(ValueError) as e:
        check_config(load_config(TrainConfig, child))
    assert value_blamed(str(e.value), child, []) == (
        f"{child}: clip.text_width=64 must be a multiple of clip.text_heads=3 (line 5 of c.yaml; clip.text_heads at "
        "line 2 of base.yaml)")
    child.write_text("base: base.yaml\nobjective: clip\ndata: {train: x.jsonl}\nclip:\n  text_width: 64\n  text_heads: 3\n")
    with pytest.raises(ValueError) as e:
        check_config(load_config(TrainConfig, child))
    assert value_blamed(str(e.value), child, []).endswith("(line 5 of c.yaml)")  # one file: as before
