"""Stop 79's config tour: a misspelt key is offered a key elsewhere only where its value fits there (``trainer: 3``
was offered data.train, a file's path), while ``lora_rank: 8`` keeps its model.llm.lora_r."""

from __future__ import annotations

from pathlib import Path

import pytest

from rsvlm.config import ConfigError, fits, load_config
from rsvlm.train.config import TrainConfig

TINY = Path(__file__).resolve().parents[1] / "configs/train/sft_tiny.yaml"


def _refusal(tmp_path, text: str | None = None, overrides: list[str] | None = None) -> str:
    path = TINY
    if text is not None:
        path = tmp_path / "r.yaml"
        path.write_text(f"base: {TINY}\n{text}")
    with pytest.raises(ConfigError) as e:
        load_config(TrainConfig, path, overrides or [])
    return str(e.value)


@pytest.mark.parametrize("text", ["trainer: 3\n", "trainer: true\n", "trainer: [a, b]\n"])
def test_a_plain_value_under_a_name_near_data_train_is_not_offered_data_train(tmp_path, text):
    said = _refusal(tmp_path, text)
    assert "unknown key trainer for TrainConfig" in said and said.endswith("(line 2 of r.yaml)")
    assert "data.train" not in said


@pytest.mark.parametrize("override", ["trainer=3", "trainer=[1, 2]", "trainer={a: 1}", "trainer=true"])
def test_an_override_whose_value_is_no_file_path_is_not_offered_data_train(tmp_path, override):
    said = _refusal(tmp_path, overrides=[override])
    assert said.startswith(f"override {override!r}") and "unknown key 'trainer'" in said and "data.train" not in said


def test_the_documented_hints_still_hold(tmp_path):
    said = _refusal(tmp_path, "lora_rank: 8\n")
    assert "(line 2 of r.yaml)" in said and said.endswith("(did you mean model.llm.lora_r?)")
    assert _refusal(tmp_path, overrides=["lora_rank=8"]).endswith("(did you mean model.llm.lora_r=8?)")
    assert _refusal(tmp_path, overrides=["trainer=a.jsonl"]).endswith("(did you mean data.train=a.jsonl?)")
    assert _refusal(tmp_path, overrides=["learning_rate=fast"]).endswith("(did you mean optim.lr=fast?)")


@pytest.mark.parametrize(("value", "tp", "ok"), [
    (3, str, False), ("a.jsonl", str, True), (8, int, True), ("1e4", int, True), ("fast", float, True),
    ([1], float, False), ({"a": 1}, dict[str, float], True), (3, dict[str, float], False),
    ("sar,ir", list[str], True), (3, list[str], False), (True, bool, True), ({"lr": 1}, TrainConfig, True),
    (3, TrainConfig, False), (3, int | None, True), (3, None, True),
])
def test_fits_tells_the_kind_a_key_wants(value, tp, ok):
    assert fits(value, tp) is ok


@pytest.mark.parametrize(("override", "rest"), [
    ("bogus=1", ": unknown key 'bogus' for TrainConfig"),
    ("optim.lr=fast", ": optim.lr: expected float"),
    ("optim.lr.x=1", ": optim.lr is a float and has no key 'x'"),
    ("x=[1,", ": value is not valid YAML"),
    ("data.train=[a.jsonl", ": value opens a list"),
    ("=3", " has an empty key"),
])
def test_an_override_the_user_typed_is_named_as_a_later_checks_refusal_names_it(tmp_path, override, rest):
    with pytest.raises(ConfigError) as e:
        load_config(TrainConfig, TINY, ["max_steps=3", override], typed_in="command line")
    assert str(e.value).startswith(f"override {override!r} (command line){rest}")
    if not override.startswith("data.train"):  # a program's words (None): no place said, as before
        assert str(_refusal(tmp_path, overrides=[override])).startswith(f"override {override!r}{rest}")


def test_a_typed_overrides_refusal_keeps_its_keys(tmp_path):
    with pytest.raises(ConfigError) as e:
        load_config(TrainConfig, TINY, ["optim.lr=fast"], typed_in="command line")
    assert e.value.keys == ("optim.lr",)


@pytest.mark.parametrize(("override", "said"), [
    ("a..b=1", "key 'a..b' has an empty part (a dot twice); give a.b=1"),
    (".seed=1", "key '.seed' has an empty part (a dot at its start); give seed=1"),
    ("seed.=1", "key 'seed.' has an empty part (a dot at its end); give seed=1"),
    ("..=1", "key '..' names no key"),
])
def test_an_override_key_with_an_empty_part_is_refused_naming_it(override, said):
    """Was "unknown key ''" or "seed is a int and has no key ''"."""
    with pytest.raises(ConfigError) as e:
        load_config(TrainConfig, TINY, [override], typed_in="command line")
    assert str(e.value) == f"override {override!r} (command line): {said}"


def test_a_key_below_an_int_says_an_int():
    with pytest.raises(ConfigError, match=r"^override 'max_steps.x=1': max_steps is an int and has no key 'x'$"):
        load_config(TrainConfig, TINY, ["max_steps.x=1"])


def test_a_files_dotted_key_is_its_own_and_told_to_nest(tmp_path):
    """A recipe's 'optim.lr: 1e-4' over sft_tiny was blamed on sft_tiny.yaml's line 59 (its optim.lr) with 'did you
    mean optim?' alone; it is the recipe's own line, told to nest the key."""
    said = _refusal(tmp_path, "optim.lr: 1e-4\n")
    assert said.startswith(f"{tmp_path / 'r.yaml'}: unknown key optim.lr for TrainConfig")
    assert "sft_tiny" not in said and said.endswith(
        "a file's key is not dotted (optim.lr=… is an override's form): nest it, optim: {lr: …} (line 2 of r.yaml)")
    said = _refusal(tmp_path, "model:\n  llm.lora_r: 8\n")
    assert "nest it, llm: {lora_r: …}" in said and "(line 2 of r.yaml)" in said


def test_a_dotted_name_that_names_no_key_gets_no_nesting_hint(tmp_path):
    assert "not dotted" not in _refusal(tmp_path, "optim.bogus: 1\n")


def test_a_files_blank_key_is_shown_quoted_with_its_line(tmp_path):
    """'"": 3' was "unknown key  for TrainConfig" (a gap), with no line."""
    said = _refusal(tmp_path, '"": 3\n')
    assert "unknown key '' for TrainConfig" in said and said.endswith("(line 2 of r.yaml)")
