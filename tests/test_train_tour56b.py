"""Rough-edge tour 56 (b) of training: whose fault a config error is, empty log windows, settings a run
ignores, and resuming from the other loop's step folder."""

from __future__ import annotations

import pytest

from rsvlm.config import ConfigError, load_config
from rsvlm.train.config import TrainConfig


def test_an_unknown_key_in_the_file_is_the_files_fault_not_an_overrides_it_lists_as_valid(tmp_path):
    """'max_step: 3' in the file with max_steps=1 on the command line was reported as "override
    'max_steps=1': unknown key(s) max_step …": the override's key is in the list of valid keys."""
    p = tmp_path / "run.yaml"
    p.write_text("max_step: 3\n")
    with pytest.raises(ConfigError) as e:
        load_config(TrainConfig, p, ["max_steps=1", "optim.lr=1e-4"])
    assert str(e.value).startswith(f"{p}: unknown key(s) max_step for TrainConfig"), str(e.value)
    assert "override" not in str(e.value)
    p.write_text("max_steps: 3\n")  # an override's own bad key or value is still the override's
    with pytest.raises(ConfigError, match=r"^override 'data.extra=\[\{pth: a\}\]': unknown key\(s\) data.extra\[0\]"):
        load_config(TrainConfig, p, ["max_steps=1", "data.extra=[{pth: a}]"])
    with pytest.raises(ConfigError, match=r"^override 'optim=\{lr: 1, betas: x\}': optim.betas: expected a list"):
        load_config(TrainConfig, p, ["optim={lr: 1, betas: x}", "optim.lr=2"])


def test_an_override_below_a_file_value_that_is_no_mapping_names_it_instead_of_dropping_it(tmp_path):
    """A file's 'optim: fast' (or a stem given as a number) was replaced by {} under optim.lr=1: the run
    trained with default settings and the file's value was gone without a word."""
    p = tmp_path / "run.yaml"
    p.write_text("optim: fast\n")
    with pytest.raises(ConfigError, match=rf"^override 'optim.lr=1': optim is 'fast' in {p}, not a mapping to set 'lr'"):
        load_config(TrainConfig, p, ["optim.lr=1"])
    p.write_text("data:\n  task_weights: 3\n")
    with pytest.raises(ConfigError, match=r"data.task_weights is 3 in .*run.yaml, not a mapping to set 'cls'"):
        load_config(TrainConfig, p, ["data.task_weights.cls=2"])
    p.write_text("max_steps: 3\n")  # a mapping the file leaves unset (None, or absent) is still made
    assert load_config(TrainConfig, p, ["data.task_weights.cls=2"]).data.task_weights == {"cls": 2.0}
