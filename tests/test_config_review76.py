"""Review 76 (RH): a short key's one slip (``one_slip``) is offered among the keys of its own level (``scene.sise``),
not among every key of the config: ``train.step`` was told 'did you mean model.trainable.stem', ``data.dem``
model.loc_pointer.dim, ``train.tool`` model.projector.pool."""

from __future__ import annotations

import pytest

from data_gen.synth.config import SynthConfig
from rsvlm.config import ConfigError, load_config
from rsvlm.train.config import TrainConfig


@pytest.mark.parametrize("override, far", [("train.step=1", "stem"), ("step=1", "stem"), ("data.dem=1", "dim"),
                                           ("optim.dir=x", "dim"), ("train.tool=1", "pool")])
def test_a_short_unknown_key_is_not_hinted_as_a_key_one_letter_off_elsewhere_in_the_config(override, far):
    with pytest.raises(ConfigError) as e:
        load_config(TrainConfig, None, [override])
    said = str(e.value)
    assert said.startswith(f"override {override!r}: unknown key") and f"{far}=" not in said, said


@pytest.mark.parametrize("override, hint", [("scene.sise=3", "scene.size=3"), ("model.projector.tpye=x",
                                                                              "model.projector.type=x")])
def test_a_short_keys_one_slip_in_its_own_section_still_gets_its_hint(override, hint):
    cls = TrainConfig if override.startswith("model") else SynthConfig
    with pytest.raises(ConfigError, match=rf"\(did you mean {hint}\?\)"):
        load_config(cls, None, [override])
