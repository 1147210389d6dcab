"""Stop 80: the whole-section warning names the file (or base: file, or earlier override) that set each dropped key."""

import re
import warnings
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
TINY = REPO / "configs/train/sft_tiny.yaml"


def _said(path, overrides):
    from rsvlm.config import load_config
    from rsvlm.train.config import TrainConfig

    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        cfg = load_config(TrainConfig, path, overrides)
    return cfg, [str(w.message) for w in said]


def _chain(tmp_path):
    """top.yaml takes sft_tiny as its base and its optim section from optim.yaml (a section's base)."""
    (tmp_path / "optim.yaml").write_text("warmup_steps: 7\neps: 0.25\n")
    top = tmp_path / "top.yaml"
    top.write_text(f"base: {TINY}\noptim:\n  base: optim.yaml\n  weight_decay: 0.3\n")
    return top


def test_a_key_a_base_file_set_is_said_to_be_set_by_that_base_not_the_file_given(tmp_path):
    """It said 'as set by top.yaml' for eps and warmup_steps, which top.yaml never writes: its optim base did."""
    top = _chain(tmp_path)
    cfg, said = _said(top, ["optim={lr: 0.1}"])
    assert said == [f"override 'optim={{lr: 0.1}}': a mapping given whole replaces optim, so weight_decay, as set "
                    f"by {top}, and eps, warmup_steps, as set by {tmp_path / 'optim.yaml'} (a base of {top}), go back "
                    f"to their defaults; to change only what it names, give optim.lr=0.1"]
    assert cfg.optim.lr == 0.1 and cfg.optim.warmup_steps != 7  # replaced, as before


def test_the_top_base_is_named_for_what_it_alone_set(tmp_path):
    top = tmp_path / "top.yaml"
    top.write_text(f"base: {TINY}\nseed: 5\n")
    _, said = _said(top, ["optim={lr: 0.1}"])
    assert len(said) == 1 and f"so warmup_steps, as set by {TINY} (a base of {top}), goes back" in said[0]


def test_an_earlier_override_is_named_for_the_key_it_set_and_the_file_for_the_rest(tmp_path):
    top = _chain(tmp_path)
    _, said = _said(top, ["optim.eps=0.5", "seed=3", "optim={lr: 0.1}"])
    assert len(said) == 1 and (f"so weight_decay, as set by {top}, and eps, as set by the override 'optim.eps=0.5', "
                               f"and warmup_steps, as set by {tmp_path / 'optim.yaml'} (a base of {top}), go back"
                               in said[0])


def test_a_file_without_bases_is_still_named_once():
    _, said = _said(TINY, ["optim={lr: 0.1}"])
    assert said == [f"override 'optim={{lr: 0.1}}': a mapping given whole replaces optim, so warmup_steps, as set "
                    f"by {TINY}, goes back to its default; to change only what it names, give optim.lr=0.1"]


def test_the_yaml_helpers_moved_out_of_config_keep_their_names_there():
    import rsvlm.config as c
    import rsvlm.config_yaml as y

    assert c.yaml_values is y.yaml_values and c._UniqueKeyLoader is y.UniqueKeyLoader
    assert len((REPO / "rsvlm/config.py").read_text().splitlines()) <= 460


def test_a_key_below_a_bases_plain_value_names_that_base(tmp_path):
    """optim.lr=1 over a base's 'optim: fast' said the value was in the file given, which never writes optim."""
    from rsvlm.config import ConfigError

    (tmp_path / "b.yaml").write_text("optim: fast\n")
    top = tmp_path / "top.yaml"
    top.write_text("base: b.yaml\nseed: 3\n")
    said = f"override 'optim.lr=1': optim is 'fast' in {tmp_path / 'b.yaml'} (a base of {top}), not a mapping"
    with pytest.raises(ConfigError, match="^" + re.escape(said)):
        _said(top, ["optim.lr=1"])


def test_a_key_below_an_earlier_overrides_plain_value_names_that_override(tmp_path):
    """efa70276's other case: the value came from an override before, not the file (it named the file)."""
    from rsvlm.config import ConfigError

    top = tmp_path / "top.yaml"
    top.write_text("seed: 3\n")
    with pytest.raises(ConfigError, match=re.escape("optim is 'fast' in the override 'optim=fast', not a mapping")):
        _said(top, ["optim=fast", "optim.lr=1"])


def test_an_empty_mapping_given_whole_says_to_leave_it_out_not_a_bare_give(tmp_path):
    """'optim={}' ended its warning on 'to change only what it names, give ' with nothing after it."""
    _, said = _said(_chain(tmp_path), ["optim={}"])
    assert len(said) == 1 and said[0].endswith("go back to their defaults; it names nothing: to keep them, leave "
                                               "the override out")
