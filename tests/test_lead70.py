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
        apply_overrides({}, ["split.bogus=0.5"], SynthConfig)
    assert "what val and test leave" not in str(e.value)
    with pytest.raises(ConfigError) as e:  # a typo of train is read as train since c6ab20a0, and told why
        apply_overrides({}, ["split.tran=0.5"], SynthConfig)
    assert "'tran' read as 'train': train is what val and test leave" in str(e.value)


@pytest.mark.parametrize("script", ["bench/det_decoding.py", "bench/tta.py", "bench/load_time.py"])
def test_a_scripts_help_shows_no_rest_double_backticks(script):
    """Descriptions taken from a module docstring showed reST's ``x`` in --help (only eval.loc_error stripped them);
    rsvlm.argparsing.Parser now reads them as x for every script."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    doc = (root / script).read_text().split('"""')[1].split("\n\n")[0]
    assert "``" in doc  # the description as written holds reST literals
    out = subprocess.run([sys.executable, script, "--help"], cwd=root, capture_output=True, text=True, check=True).stdout
    assert "``" not in out
    assert doc.split("``")[1] in " ".join(out.split())  # the literal itself is still said
