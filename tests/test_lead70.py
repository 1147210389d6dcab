"""Stop 70, lead: an override of a key a config section has not, where the section says what to give instead."""

from __future__ import annotations

import pytest

from data_gen.synth.config import SynthConfig
from rsvlm.config import ConfigError
from rsvlm.overrides import apply_overrides


def test_an_override_of_split_train_is_told_it_is_what_val_and_test_leave():
    """``synth split.train=0.5`` got only "unknown key … valid keys: test, val" (a recipe got the hint, an override
    did not): the section's NO_KEY words now end the override's refusal too, with its dotted place."""
    with pytest.raises(ConfigError) as e:
        apply_overrides({}, ["split.train=0.5"], SynthConfig)
    said = str(e.value)
    assert "unknown key 'split.train'" in said
    assert "give split.val and split.test instead" in said and "split.val=0.25" in said


def test_an_override_of_another_unknown_key_gets_no_such_hint():
    with pytest.raises(ConfigError) as e:
        apply_overrides({}, ["split.tran=0.5"], SynthConfig)
    assert "what val and test leave" not in str(e.value)
