"""Stop 79, round 2: config_values split out of config_hints; a mapping override that drops a section's keys."""

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def test_config_values_loads_alone_and_config_hints_still_gives_its_names():
    """config_values needs no other rsvlm module (no import cycle); the names keep their old home too."""
    code = ("import sys, rsvlm.config_values as v; "
            "assert not [m for m in sys.modules if m.startswith('rsvlm.') and m != 'rsvlm.config_values'], "
            "sorted(m for m in sys.modules if m.startswith('rsvlm.')); "
            "import rsvlm.config_hints as h, rsvlm.config as c; "
            "assert all(getattr(h, n) is getattr(v, n) for n in ('BOOLS', 'is_number', 'quoted_kind', "
            "'quoted_refusal', 'bool_hint', 'list_hint', 'mapping_hint'))")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_config_modules_keep_room_under_the_line_limit():
    for name, most in (("config.py", 495), ("config_hints.py", 460), ("config_values.py", 120)):
        lines = (REPO / "rsvlm" / name).read_text().splitlines()
        assert len(lines) <= most, name
        assert name == "config.py" or max(map(len, lines)) <= 125, name  # config_hints' line 77 was 145


def _warned(cls, path, overrides):
    import warnings

    from rsvlm.config import ConfigError, load_config

    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        try:
            cfg = load_config(cls, path, overrides)
        except ConfigError as e:  # the config or its refusal, and what was warned of beside it
            cfg = e
    return cfg, [str(w.message) for w in said]


def test_a_mapping_given_for_a_section_names_what_it_drops_and_the_overrides_that_keep_it():
    """model.llm={lora_r: 8} over sft_tiny silently took the tiny LLM's config, chat template and lora_alpha back
    to the defaults (a 7B-sized LLM config, no chat template); the replacement stands, said once."""
    from rsvlm.train.config import TrainConfig

    recipe = REPO / "configs/train/sft_tiny.yaml"
    cfg, said = _warned(TrainConfig, recipe, ["model.llm={lora_r: 8}"])
    assert said == [f"override 'model.llm={{lora_r: 8}}': a mapping given whole replaces model.llm, so config, "
                    f"chat_template, lora_alpha, as set by {recipe}, go back to their defaults; to change only "
                    f"what it names, give model.llm.lora_r=8"]
    assert cfg.model.llm.lora_r == 8 and cfg.model.llm.config is None  # replaced, as before: only said now


def test_a_mapping_for_a_section_above_names_the_keys_below_it_drops():
    from rsvlm.train.config import TrainConfig

    _, said = _warned(TrainConfig, REPO / "configs/train/sft_tiny.yaml",
                      ["model={llm: {lora_r: 8, chat_template: rsvlm}}"])
    assert len(said) == 1 and "replaces model, so encoders, stems, llm.config, llm.lora_alpha, as " in said[0]
    assert said[0].endswith("give model.llm.lora_r=8 model.llm.chat_template=rsvlm")


def test_a_model_configs_llm_given_whole_drops_its_name_or_path():
    from rsvlm.model import VLMConfig

    _, said = _warned(VLMConfig, REPO / "configs/model/qwen2.5-1.5b.yaml", ["llm={config: {vocab_size: 8}}"])
    assert len(said) == 1 and "replaces llm, so name_or_path" in said[0]
    assert said[0].endswith("give llm.config={vocab_size: 8}")  # a mapping field's value: given whole


@pytest.mark.parametrize("override", [
    "model.stems={optical: {modality: optical, bands: [R, G, B]}}",  # a mapping of entries: given whole, as docs say
    "model.llm={config: {a: 1}, chat_template: rsvlm, lora_r: 4, lora_alpha: 8}",  # it keeps every key the file set
    "ckpt={every: 50, keep: 2}",  # the rest of ckpt is the default already
    "model.llm.lora_r=8",
    "model.llm={lora_rank: 8}",  # refused for its key: no warning beside the refusal
    "model={llm: {lora_rank: 8}}",  # so too a key deeper in (review 79: warned, offering model.llm.lora_rank=8)
    "model={stems: {optical: {modality: optical, bnds: [R]}}}",  # and one in an entry of a mapping of sections
])
def test_a_mapping_that_drops_nothing_is_not_warned_of(override):
    from rsvlm.train.config import TrainConfig

    assert _warned(TrainConfig, REPO / "configs/train/sft_tiny.yaml", [override])[1] == []


def test_rsvlm_train_says_the_dropped_keys_on_one_line(capsys):
    from rsvlm.config import load_config
    from rsvlm.overrides import warnings_as_lines
    from rsvlm.train.config import TrainConfig

    with warnings_as_lines("rsvlm train"):
        load_config(TrainConfig, REPO / "configs/train/sft_tiny.yaml", ["optim={lr: 0.1}"])
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("rsvlm train: warning: override 'optim={lr: 0.1}': a mapping "
                                                   "given whole replaces optim, so warmup_steps, as set by ")
    assert err.endswith("sft_tiny.yaml, goes back to its default; to change only what it names, give optim.lr=0.1\n")


def test_a_key_an_earlier_override_set_is_said_to_be_dropped_too():
    from rsvlm.train.config import TrainConfig

    recipe = REPO / "configs/train/sft_tiny.yaml"
    _, said = _warned(TrainConfig, recipe, ["optim.eps=0.5", "seed=3", "optim={lr: 0.1}"])
    assert len(said) == 1 and (f"so eps, as set by the override 'optim.eps=0.5', and warmup_steps, as set by "
                               f"{recipe}, go back" in said[0])  # stop 80: who set each key, not both for all
