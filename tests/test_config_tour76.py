"""Tour 76 (area H): every section's keys get a did-you-mean hint, a short key's one slip included (``scene.sise``,
``split.tset`` got none: difflib likens them to size and test at 0.75, under its 0.8); every shipped config loads, and
a misspelt key, a wrong type or an unknown section in it is refused naming the file and the key."""

from __future__ import annotations

import dataclasses
import typing
from pathlib import Path

import pytest
import yaml
from test_config_tour78 import config_class

from data_gen.synth.config import SynthConfig
from rsvlm.config import ConfigError, load_config
from rsvlm.config_hints import near_key
from rsvlm.near import one_slip
from rsvlm.train.config import TrainConfig

REPO = Path(__file__).resolve().parents[1]
CONFIGS = sorted((REPO / "configs").rglob("*.yaml"))


@pytest.mark.parametrize("override, hint", [("scene.sise=3", "scene.size=3"), ("split.tset=0.2", "split.test=0.2"),
                                            ("render.sar_loks=2", "render.sar_looks=2"),
                                            ("scene.szie=64", "scene.size=64")])
def test_a_short_keys_one_slip_gets_its_hint_in_an_override(override, hint):
    with pytest.raises(ConfigError) as e:
        load_config(SynthConfig, None, [override])
    assert str(e.value).startswith(f"override {override!r}: unknown key") and f"(did you mean {hint}?)" in str(e.value)


def test_a_short_keys_one_slip_gets_its_hint_in_a_file(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("scene:\n  sise: 64\nsplit:\n  tset: 0.2\n")
    with pytest.raises(ConfigError) as e:
        load_config(SynthConfig, path)
    said = str(e.value)
    assert said.startswith(f"{path}: unknown keys in 2 places")
    assert "scene.sise" in said and "(did you mean scene.size?)" in said and "(did you mean split.test?)" in said


@pytest.mark.parametrize("typed, key, slip", [("sise", "size", True), ("tset", "test", True), ("sizes", "size", True),
                                              ("sze", "size", True), ("size", "size", False), ("abcd", "dcba", False),
                                              ("lrr", "lr", False), ("sxe", "size", False), ("tsets", "test", False)])
def test_one_slip_is_one_letter_wrong_added_left_out_or_two_swapped(typed, key, slip):
    assert one_slip(typed, key) is slip


def test_a_slip_near_two_keys_alike_gets_no_hint():
    assert near_key("vat", ["val", "var"]) is None and near_key("vak", ["val", "test"]) == "val"




def _broken(path: Path, tmp_path: Path, change) -> Path:
    """A copy of config ``path`` (its ``base:`` made absolute) with ``change`` made to its mapping."""
    data = yaml.safe_load(path.read_text()) or {}
    change(data)
    text = yaml.safe_dump(data, sort_keys=False).replace("base: ", f"base: {path.parent}/")
    out = tmp_path / f"{path.stem}.yaml"
    out.write_text(text)
    return out


def _first_int(cls: type, at: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The dotted place of ``cls``'s first int field, sections searched in order (``scene.size``)."""
    hints = typing.get_type_hints(cls)
    for name in cls.__dataclass_fields__:
        tp = hints[name]
        if tp is int:
            return (*at, name)
        if dataclasses.is_dataclass(tp) and (found := _first_int(tp, (*at, name))):
            return found
    return ()


def _set(data: dict, place: tuple[str, ...], value) -> None:
    for part in place[:-1]:
        data = data.setdefault(part, {})
    data[place[-1]] = value


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: str(p.relative_to(REPO / "configs")))
def test_every_config_loads_and_each_slip_in_it_names_the_file_and_key(path, tmp_path):
    cls = config_class(path)
    load_config(cls, path)
    top = next(k for k in (yaml.safe_load(path.read_text()) or {}) if k != "base")
    whole = _first_int(cls)
    slips = {f"{top}x": lambda d: d.__setitem__(f"{top}x", d.pop(top)),
             ".".join(whole): lambda d: _set(d, whole, "abc"),
             "bogus_section": lambda d: d.__setitem__("bogus_section", {"a": 1})}
    for key, change in slips.items():
        broken = _broken(path, tmp_path, change)
        with pytest.raises(ConfigError) as e:
            load_config(cls, broken)
        said = str(e.value)
        assert said.startswith(f"{broken}: ") and key in said and "\n" not in said, said


@pytest.mark.parametrize("cls, override, said", [
    (SynthConfig, "scene.size=[64,96]", "scene.size: expected int, got [64, 96]"),
    (SynthConfig, "split.val=abc", "split.val: expected float, got 'abc'"),
    (SynthConfig, "scene.scene_weights.forest=x", "scene.scene_weights.forest: expected float, got 'x'"),
    (TrainConfig, "model.llm.lora_r=[8]", "model.llm.lora_r: expected int, got [8]"),
    (TrainConfig, "model.llm.target_modules=q_proj,v_proj", "expected a list, got 'q_proj,v_proj' (a list is written "
                                                            "[q_proj,v_proj])"),
    (TrainConfig, "data.extra=[a.jsonl]", "data.extra[0]: expected a mapping for SourceConfig, got 'a.jsonl' (write "
                                          "{path: a.jsonl})"),
])
def test_an_override_of_a_list_or_a_nested_key_is_refused_naming_it_and_its_key(cls, override, said):
    path = REPO / ("configs/train/sft_tiny.yaml" if cls is TrainConfig else "configs/data/default.yaml")
    with pytest.raises(ConfigError) as e:
        load_config(cls, path, [override])
    assert str(e.value).startswith(f"override {override!r}: ") and said in str(e.value) and "\n" not in str(e.value)


def test_a_list_override_of_a_list_field_and_a_nested_key_are_taken():
    cfg = load_config(TrainConfig, REPO / "configs/train/sft_tiny.yaml",
                      ["model.llm.target_modules=[q_proj, v_proj]", "model.encoders.default.patch_size=8"])
    assert cfg.model.llm.target_modules == ["q_proj", "v_proj"] and cfg.model.encoders["default"].patch_size == 8
