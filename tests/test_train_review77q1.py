"""Review 77 (Q1): a broken stem→encoder link names what broke it, not whatever else set a key near it."""

from __future__ import annotations

from pathlib import Path

import pytest

from rsvlm.train.config import LinkError
from rsvlm.train.flags import config_by

SFT = Path(__file__).resolve().parents[1] / "configs" / "train" / "sft_tiny.yaml"
ENC = "{type: open_clip, width: 8}"


@pytest.fixture
def typo(tmp_path):
    """b.yaml's stem misspells its encoder (defualt); the LinkError check_links raises for it."""
    base = tmp_path / "b.yaml"
    base.write_text(f"base: {SFT}\nmodel:\n  stems:\n    optical: {{modality: optical, encoder: defualt}}\n")
    return base, LinkError("model.stems.optical.encoder 'defualt' is not among …", "model.stems.optical.encoder",
                           "model.encoders.defualt")


def test_a_stems_misspelt_encoder_names_its_file_not_the_recipe_that_set_encoders(typo, tmp_path):
    """Was the recipe: it set model.encoders (default and sar, both still there), the last file to set a key."""
    base, error = typo
    recipe = tmp_path / "r.yaml"
    recipe.write_text(f"base: {base}\nmodel:\n  encoders:\n    default: {ENC}\n    sar: {ENC}\n")
    assert config_by(error, str(recipe), []) == f"{base} (a base of {recipe}): "
    assert config_by(error, str(recipe), ["model.encoders={default: {}, sar: {}}"]) == f"{base} (a base of {recipe}): "


def test_an_override_under_model_encoders_is_not_blamed_for_a_stems_slip(typo):
    """Was "override 'model.encoders.default.width=32': model.stems.optical.encoder 'defualt' …"."""
    from rsvlm.config import load_config
    from rsvlm.train.config import TrainConfig, check_links

    base, _ = typo
    over = ["model.encoders.default.width=32"]
    with pytest.raises(LinkError) as caught:
        check_links(load_config(TrainConfig, base, over).model)
    error = caught.value
    assert config_by(error, str(base), over) == f"{base}: "
    both = ["model.stems.optical.encoder=defualt", "model.encoders.sar.width=32"]
    assert config_by(error, str(base), both) == "override 'model.stems.optical.encoder=defualt' (command line): "


def test_an_encoder_a_recipe_dropped_names_the_recipe(tmp_path):
    """sft_tiny's sar stem reads sar; a recipe's model.encoders holding default alone dropped it."""
    recipe = tmp_path / "r.yaml"
    recipe.write_text(f"base: {SFT}\nmodel:\n  encoders:\n    default: {ENC}\n")
    error = LinkError("model.stems.sar.encoder 'sar' is not among …", "model.stems.sar.encoder", "model.encoders.sar")
    assert config_by(error, str(recipe), []) == f"{recipe}: "
    assert config_by(error, str(SFT), ["model.encoders={default: {}}"]) == \
        "override 'model.encoders={default: {}}' (command line): "
