"""Stop 69, training review: two overrides given as one argument told to split (rsvlm.overrides), init_from's
"left out" / "resized" notes said by rank 0 alone, check_links re-raising a check of the model's it does not
mirror."""

from __future__ import annotations

import pytest
from test_train_tour69 import OPTICAL, SFT

from rsvlm.config import ConfigError, load_config
from rsvlm.train.config import TrainConfig


def test_parse_override_reads_a_dashed_key_and_a_yaml_value():
    from rsvlm.overrides import parse_override

    assert parse_override("--optim.wd=0.5") == (["optim", "wd"], 0.5)
    assert parse_override("optim.lr=1e-4") == (["optim", "lr"], "1e-4")  # PyYAML's text; from_dict makes it a float


@pytest.mark.parametrize("overrides, split", [
    (["optim.lr=1e-4,max_steps=3"], "optim.lr=1e-4 max_steps=3"),
    (["max_steps=3,seed=2"], "max_steps=3 seed=2"),
    (["--optim.lr=1e-4,--max_steps=3"], "--optim.lr=1e-4 --max_steps=3"),
    (["model.stems.optical.bands=[R,G],max_steps=3"], "model.stems.optical.bands=[R,G] max_steps=3"),  # bad YAML
])
def test_two_overrides_in_one_argument_are_told_one_key_value_per_argument(overrides, split):
    """optim.lr=1e-4,max_steps=3 was refused "expected float, got '1e-4,max_steps=3'" and no more."""
    with pytest.raises(ConfigError) as e:
        load_config(TrainConfig, SFT, overrides)
    assert str(e.value).endswith(f"; one key=value per argument: {split}"), str(e.value)


@pytest.mark.parametrize("override", ["optim.lr=1e-4,5", "optim.lr=1e-4,maxsteps=3"])
def test_a_comma_naming_no_key_gets_no_split_hint(override):
    with pytest.raises(ConfigError) as e:
        load_config(TrainConfig, SFT, [override])
    assert "per argument" not in str(e.value), str(e.value)


GROWN = ("model.encoders={default: {type: open_clip, width: 64, layers: 2, heads: 4, patch_size: 8, "
         "image_size: 48, feature_layer: -2, pos_embed: learned}}")


@pytest.mark.parametrize("rank", [0, 1])
def test_init_froms_left_out_and_resized_notes_are_said_by_rank_0_alone(ckpt, capsys, rank):
    """Under a launcher every rank printed "init_from: encoders.sar, … left out" and "… resized" (init_vision had no
    rank to check), as no other note of the training loop is."""
    from rsvlm.model import create_model
    from rsvlm.train.loop import init_vision

    model, _ = create_model(load_config(TrainConfig, SFT, [OPTICAL, GROWN]).model)
    init_vision(model, ckpt, rank=rank)
    err = capsys.readouterr().err
    if rank:
        assert "init_from" not in err, err
    else:
        assert "encoders.sar, projectors.sar, stems.ir, stems.msi, stems.sar of " in err and "left out" in err, err
        assert "resized from 17 to 37 positions (bicubic)" in err, err


def test_check_links_passes_on_a_model_check_it_does_not_mirror(monkeypatch):
    """check_links looked for the stem the model's check named with next(): a check of another kind was a bare
    StopIteration."""
    import rsvlm.model.vlm
    from rsvlm.train.config import check_links

    def other(cfg, prefix=""):
        raise ValueError("model.stems: some other link check")

    monkeypatch.setattr(rsvlm.model.vlm, "check_stem_links", other)
    with pytest.raises(ValueError, match="^model.stems: some other link check$"):
        check_links(load_config(TrainConfig, SFT).model)
