"""Stop 75: a model folder's config.yaml is read as a --config file is: a quoted number or true/false is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from rsvlm.config import ConfigError, load_yaml

BUNDLED = Path(__file__).resolve().parents[1] / "rsvlm" / "assets" / "default_model" / "config.yaml"


def _quoted_copy(tmp_path: Path) -> Path:
    """The bundled model's config.yaml (alone) with ``mlp_ratio: "4.0"``, which from_dict took as 4.0 unsaid."""
    folder = tmp_path / "model"
    folder.mkdir()
    text = BUNDLED.read_text()
    assert "    mlp_ratio: 4.0\n" in text
    (folder / "config.yaml").write_text(text.replace("    mlp_ratio: 4.0\n", '    mlp_ratio: "4.0"\n', 1))
    return folder


def test_a_model_configs_quoted_number_is_refused_naming_file_line_and_key(tmp_path):
    from rsvlm.model.vlm import VLMConfig

    folder = _quoted_copy(tmp_path)
    with pytest.raises(ConfigError) as e:
        load_yaml(folder / "config.yaml", VLMConfig)
    line = (folder / "config.yaml").read_text().splitlines().index('    mlp_ratio: "4.0"') + 1
    assert str(e.value) == (f'{folder / "config.yaml"}: encoders.default.mlp_ratio: "4.0" (line {line}): a number in '
                            "quotes, which YAML reads as text; write it without quotes")
    assert e.value.keys == ("encoders.default.mlp_ratio",)
    assert load_yaml(BUNDLED, VLMConfig)["encoders"]["default"]["mlp_ratio"] == 4.0  # a saved config passes


def test_a_saved_model_config_has_no_quoted_value_the_check_refuses(tmp_path):
    """save_config writes text fields that look like numbers in quotes (a tokenizer "1.5", a band "8"): the check
    refuses a quote only where the field wants a number, true/false, list or mapping, so a saved model loads."""
    import dataclasses

    from rsvlm.config import from_dict, save_config
    from rsvlm.model.vlm import VLMConfig

    cfg = from_dict(VLMConfig, load_yaml(BUNDLED))
    stems = {k: dataclasses.replace(s, bands=["8", "true"]) for k, s in cfg.stems.items()}
    llm = dataclasses.replace(cfg.llm, tokenizer="1.5")
    save_config(dataclasses.replace(cfg, stems=stems, llm=llm), tmp_path / "config.yaml")
    assert "'1.5'" in (tmp_path / "config.yaml").read_text()  # quoted by YAML, a text field
    assert load_yaml(tmp_path / "config.yaml", VLMConfig)["llm"]["tokenizer"] == "1.5"


def test_loading_a_model_folder_refuses_its_quoted_number(tmp_path):
    from rsvlm.model.checkpoint import load_pretrained

    folder = _quoted_copy(tmp_path)  # no weights: the refusal comes before any is looked for
    with pytest.raises(ConfigError, match=r'encoders\.default\.mlp_ratio: "4\.0" \(line \d+\): a number in quotes'):
        load_pretrained(folder)


@pytest.mark.parametrize("words, joined", [
    (["scene.size", "64"], "scene.size=64"),
    (["scene.size", "=64"], "scene.size=64"),
    (["scene.size=", "64"], "scene.size=64"),
])
def test_an_override_parted_by_a_space_is_said_joined(words, joined):
    """``scene.size 64`` (the shell parts ``scene.size = 64`` too) said "override 'scene.size' is not of the form
    key=value", the value after it not named."""
    from data_gen.synth.config import SynthConfig
    from rsvlm.config import load_config

    with pytest.raises(ConfigError) as e:
        load_config(SynthConfig, None, ["render.sar_looks=2", *words])
    assert str(e.value) == (f"override {words[0]!r} and the word after it, {words[1]!r}, are one override parted by a "
                            f"space: give {joined} (no spaces around =)")


@pytest.mark.parametrize("words, said", [
    (["scene.size"], "override 'scene.size' is not of the form key=value"),  # nothing after it
    (["scene.size", "render.sar_looks=2"], "override 'scene.size' is not of the form key=value"),  # a key=value after
])
def test_a_lone_word_is_refused_as_before(words, said):
    from data_gen.synth.config import SynthConfig
    from rsvlm.config import load_config

    with pytest.raises(ConfigError, match=f"^{said}$"):
        load_config(SynthConfig, None, words)
