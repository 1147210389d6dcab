"""Tour 78 (G): every YAML in configs/ given three kinds of mistake (a wrong type, an unknown key, a bad value), each
refused naming the file, the line and the key, as ``rsvlm train`` / ``python -m data_gen synth`` check a recipe before
any work (``load_config``, then the training recipe's value checks, whose refusal ``value_blamed`` opens with the file
or override); a refusal ending in a hint carries the line too; an override's list left open is refused; a section's
typo gets no hint of a leaf elsewhere; ``half`` is not called HF Trainer's."""

from __future__ import annotations

import dataclasses
import sys
import typing
from pathlib import Path

import pytest
import yaml

from data_gen.synth.config import SynthConfig
from rsvlm.config import ConfigError, before_hint, load_config
from rsvlm.config_bases import value_blamed
from rsvlm.model.vlm import VLMConfig
from rsvlm.overrides import override_named
from rsvlm.train.config import TrainConfig, check_config

REPO = Path(__file__).resolve().parents[1]
CONFIGS = sorted((REPO / "configs").rglob("*.yaml"))
TINY = REPO / "configs" / "train" / "sft_tiny.yaml"


def config_class(path: Path) -> type:
    """The config class a shipped YAML is read as (its folder's and name's)."""
    if path.parent.name == "model" or path.name == "model.yaml":
        return VLMConfig
    if path.name.startswith("data_") or path.parent.name == "data":
        return SynthConfig
    if path.name == "build.yaml":
        sys.path.insert(0, str(REPO / "scripts"))
        try:
            from build_stages import BuildConfig
        finally:
            sys.path.remove(str(REPO / "scripts"))
        return BuildConfig
    return TrainConfig


def written_line(path: Path, place: tuple[str, ...]) -> int:
    """The line (from 1) of the key at dotted ``place`` in YAML file ``path``, as PyYAML's own nodes say it."""
    node = yaml.compose(path.read_text())
    for i, part in enumerate(place):
        key, value = next((k, v) for k, v in node.value if k.value == part)
        if i == len(place) - 1:
            return key.start_mark.line + 1
        node = value
    raise AssertionError(place)


def _first(cls: type, want, at: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The dotted place of ``cls``'s first field whose type ``want`` accepts, sections searched in order."""
    hints = typing.get_type_hints(cls)
    for name in cls.__dataclass_fields__:
        if want(hints[name]):
            return (*at, name)
        if dataclasses.is_dataclass(hints[name]) and (found := _first(hints[name], want, (*at, name))):
            return found
    return ()


def _set(data: dict, place: tuple[str, ...], value) -> None:
    for part in place[:-1]:
        data = data.setdefault(part, {}) if isinstance(data.get(part), dict) or part not in data else data[part]
    data[place[-1]] = value


def _broken(path: Path, out: Path, place: tuple[str, ...], value) -> Path:
    """A copy of config ``path`` at ``out`` (its ``base:`` made absolute) with ``value`` set at ``place``."""
    data = yaml.safe_load(path.read_text()) or {}
    _set(data, place, value)
    out.write_text(yaml.safe_dump(data, sort_keys=False).replace("base: ", f"base: {path.parent}/"))
    return out


# a value each class refuses, where its command checks one: (dotted place, value, words of the refusal)
BAD_VALUE = {TrainConfig: (("precision",), "fp17", "precision must be fp32, bf16 or fp16, got 'fp17'"),
             SynthConfig: (("split", "val"), 2.0, "must be >= 0 and sum to at most 1")}


def _refusal(cls: type, path: Path) -> str:
    """What checking config ``path`` as ``cls`` says: load_config's refusal, else (a training recipe) its value
    checks' with what set the key."""
    try:
        cfg = load_config(cls, path)
        if cls is TrainConfig:
            check_config(cfg)
    except ConfigError as e:
        return str(e)
    except ValueError as e:
        return value_blamed(str(e), path, [])
    raise AssertionError(f"{path} was not refused")


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: str(p.relative_to(REPO / "configs")))
def test_each_configs_wrong_type_unknown_key_and_bad_value_names_file_line_and_key(path, tmp_path):
    cls = config_class(path)
    load_config(cls, path)  # as shipped: it loads
    data = yaml.safe_load(path.read_text()) or {}
    hints = typing.get_type_hints(cls)
    section = next((k for k in data if isinstance(data[k], dict) and dataclasses.is_dataclass(hints.get(k))), None)
    mistakes = {"wrong type": (_first(cls, lambda tp: tp is int), "abc", "expected int"),
                "unknown key": ((section, "bogus_key") if section else ("bogus_key",), 1, "unknown key")}
    if cls in BAD_VALUE:
        mistakes["bad value"] = BAD_VALUE[cls]
    for kind, (place, value, words) in mistakes.items():
        broken = _broken(path, tmp_path / f"{kind.replace(' ', '_')}.yaml", place, value)
        said = str(_refusal(cls, broken))
        line = written_line(broken, place)
        assert said.startswith(f"{broken}: ") and ".".join(place) in said and words in said, (kind, said)
        assert f"(line {line} of {broken.name})" in said and "\n" not in said, (kind, said)


def test_a_refusal_ending_in_a_hint_gets_its_line_before_the_hint(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text(f"base: {TINY}\ndata:\n  trian: a.jsonl\n")
    with pytest.raises(ConfigError) as e:
        load_config(TrainConfig, path)
    said = str(e.value)
    assert said.startswith(f"{path}: unknown key data.trian for DataConfig (line 3 of r.yaml); valid keys")
    assert said.endswith("(did you mean data.train?)")
    assert before_hint("x must be y; did you mean z?", " (line 2 of a.yaml)") == "x must be y (line 2 of a.yaml); " \
                                                                                   "did you mean z?"
    assert before_hint("x must be y (z?)", " (line 2)") == "x must be y (line 2) (z?)"
    assert before_hint("x must be y", " (line 2)") == "x must be y (line 2)"


@pytest.mark.parametrize("override, opens", [("data.train=[a.jsonl", "list ([)"), ("out_dir={a: b", "mapping ({)")])
def test_an_override_whose_list_or_mapping_is_left_open_is_refused_naming_it(override, opens):
    """``data.train=[a.jsonl`` was read as the text '[a.jsonl', a file looked for by that name."""
    key = override.split("=")[0]
    with pytest.raises(ConfigError) as e:
        load_config(TrainConfig, TINY, [override])
    assert str(e.value) == (f"override {override!r} (command line): value opens a {opens} that is not closed; close "
                            f"it, or quote it for a text: \"{key}='{override.split('=', 1)[1]}'\"")
    text = "{pl}: detect"  # a text field's value with braces, closed: taken as written, as before
    cfg = load_config(TrainConfig, TINY, [f"model.prompt.det_class_question={text}"])
    assert cfg.model.prompt.det_class_question == text


def test_a_sections_typo_gets_no_hint_of_a_leaf_in_another_section(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text(f"base: {TINY}\ntrainer:\n  max_steps: 3\n")
    with pytest.raises(ConfigError) as e:
        load_config(TrainConfig, path)
    said = str(e.value)
    assert "unknown key trainer for TrainConfig" in said and "data.train" not in said and "(line 2 of r.yaml)" in said


def test_half_is_not_called_hf_trainers_and_fp16_still_is(tmp_path):
    with pytest.raises(ConfigError) as e:
        load_config(TrainConfig, TINY, ["half=true"])
    assert str(e.value).endswith("; half=true (half precision) is precision=fp16 here")
    with pytest.raises(ConfigError) as e:
        load_config(TrainConfig, TINY, ["fp16=true"])
    assert str(e.value).endswith("; HF Trainer's fp16=true is precision=fp16 here")


def test_a_later_checks_refusal_names_the_override_or_file_that_set_its_key(tmp_path):
    said = "modalities ['radar']: each must be one of optical, msi, sar, ir"
    assert override_named(said, ["scene.size=64", "modalities=[sar,radar]"]) == \
        "override 'modalities=[sar,radar]' (command line)"
    assert override_named(said, ["modalities="]) is None  # an option's stand-in: the option names itself
    assert value_blamed("precision must be fp32, bf16 or fp16, got 'fp17'", TINY, ["precision=fp17"]) == \
        "override 'precision=fp17' (command line): precision must be fp32, bf16 or fp16, got 'fp17'"
    assert value_blamed("seed must be …", None, []) == "seed must be …"  # a default: nothing set it
