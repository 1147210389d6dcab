"""Review of stop 75's synth config errors: blame, the joined override, did-you-means that name the wrong thing."""

from __future__ import annotations

import pytest


def _synth(tmp_path, *argv: str) -> int:
    from data_gen.__main__ import main

    return main(["synth", "--out", str(tmp_path / "o"), "--n", "1", "--no-progress", *argv])


def test_a_file_is_not_blamed_for_weights_an_override_zeroed(tmp_path, capsys):
    """mw.yaml set optical 1, sar 0; ``instructions.modality_weights.optical=0`` made both 0, and the refusal
    blamed mw.yaml alone (config_blamed skipped an override only when it set the whole key or a mapping above)."""
    cfg = tmp_path / "mw.yaml"
    cfg.write_text("instructions:\n  modality_weights: {optical: 1, sar: 0}\n")
    argv = ["--config", str(cfg), "--modalities", "optical,sar"]
    assert _synth(tmp_path, *argv, "instructions.modality_weights.optical=0") == 2
    assert capsys.readouterr().err.startswith(  # the override as typed (stop 78), not the file alone
        "error: override 'instructions.modality_weights.optical=0' (command line): instructions.modality_weights "
        "{optical: 0, sar: 0}: every rendered modality (optical, sar) has weight 0")
    assert _synth(tmp_path, *argv[:2], "--modalities", "sar") == 2  # the file's own 0: still named
    assert capsys.readouterr().err.startswith(f"error: {cfg}: instructions.modality_weights {{optical: 1, sar: 0}}")


def test_an_override_parted_by_spaces_on_both_sides_of_the_equals_is_said_joined():
    """``scene.size = 64`` (three words) was told to 'give scene.size=' with no value, as if '=' were the value."""
    from data_gen.synth.config import SynthConfig
    from rsvlm.config import ConfigError, load_config

    with pytest.raises(ConfigError) as e:
        load_config(SynthConfig, None, ["scene.size", "=", "64"])
    assert str(e.value) == ("override 'scene.size' and the words after it, '=', '64', are one override parted by "
                            "spaces: give scene.size=64 (no spaces around =)")
    for words in (["scene.size", "="], ["scene.size", "=", "render.sar_looks=2"]):  # no value to join: as before
        with pytest.raises(ConfigError, match="^override 'scene.size' is not of the form key=value$"):
            load_config(SynthConfig, None, words)


def test_did_you_mean_offers_no_name_that_only_ends_the_word():
    """'nir' and 'swir' (msi bands) were offered 'ir' (thermal), 'port' (a harbour) 'airport'."""
    from data_gen.instructions.config import names_meant as did_you_mean
    from data_gen.synth.classes import SCENE_CLASSES
    from rsvlm.tokens import MODALITIES

    assert did_you_mean(["nir", "swir"], MODALITIES) == "" and did_you_mean(["port"], SCENE_CLASSES) == ""
    assert did_you_mean(["sarr", "nir"], MODALITIES) == "; did you mean 'sar' for 'sarr'?"
    assert did_you_mean(["farm", "forst"], SCENE_CLASSES) == ("; did you mean 'farmland' for 'farm', 'forest' for "
                                                              "'forst'?")


@pytest.mark.parametrize("key", ["trian", "Train"])
def test_a_misspelt_split_train_gets_the_train_hint(tmp_path, capsys, key):
    """``split.trian=0.1`` listed test, val alone; ``split.train`` got what to give instead."""
    assert _synth(tmp_path, f"split.{key}=0.1") == 2
    assert capsys.readouterr().err.endswith(
        f"valid keys at this level: test, val; {key!r} read as 'train': train is what val and test leave (1 - val - "
        "test): give split.val and split.test instead (train 0.5: split.val=0.25 split.test=0.25)\n")
    cfg = tmp_path / "tr.yaml"
    cfg.write_text(f"split:\n  {key}: 0.8\n")
    assert _synth(tmp_path, "--config", str(cfg)) == 2
    assert f"{key!r} read as 'train': train is what" in capsys.readouterr().err


def test_two_stray_words_are_not_told_to_join_and_a_models_key_is():
    """``optical sar`` (modalities given as words) was told to 'give optical=sar', a key no config has."""
    from data_gen.synth.config import SynthConfig
    from rsvlm.config import ConfigError, load_config
    from rsvlm.train.config import TrainConfig

    with pytest.raises(ConfigError, match="^override 'optical' is not of the form key=value$"):
        load_config(SynthConfig, None, ["optical", "sar"])
    with pytest.raises(ConfigError, match=r"give model\.encoders\.default\.image_size=224 \(no spaces around =\)$"):
        load_config(TrainConfig, None, ["model.encoders.default.image_size", "224"])
