"""Tour 77 (area G): HF Trainer's ``bf16``/``fp16`` flags are said as ``precision``; a wrong type in a config file
names the line it is written on, the base's where a base set it; ten wrong files a user writes, each refused naming
file, line and key with the fix."""

from __future__ import annotations

import pytest

from rsvlm.config import ConfigError, load_config
from rsvlm.config_bases import key_line
from rsvlm.train.config import TrainConfig


@pytest.mark.parametrize("override, said", [
    ("bf16=true", "; HF Trainer's bf16=true is precision=bf16 here"),
    ("fp16=True", "; HF Trainer's fp16=true is precision=fp16 here"),
    ("bf16=false", "; HF Trainer's bf16=false is precision=fp32 here (the default)"),
])
def test_hf_trainers_precision_flags_in_an_override_point_at_precision(override, said):
    with pytest.raises(ConfigError) as e:
        load_config(TrainConfig, None, [override])
    assert str(e.value).startswith(f"override {override!r}: unknown key") and str(e.value).endswith(said)


def test_hf_trainers_precision_flag_in_a_file_points_at_precision(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text("max_steps: 3\nbf16: true\n")
    with pytest.raises(ConfigError) as e:
        load_config(TrainConfig, path)
    assert str(e.value).startswith(f"{path}: unknown key bf16") and "is precision=bf16 here" in str(e.value)


def test_a_wrong_type_in_a_file_names_its_line(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text("max_steps: 3\noptim:\n  lr: 1e-4\n  warmup_steps: many\n")
    with pytest.raises(ConfigError) as e:
        load_config(TrainConfig, path)
    assert str(e.value) == f"{path}: optim.warmup_steps: expected int, got 'many' (line 4 of r.yaml)"


def test_a_wrong_type_a_base_set_names_the_bases_line(tmp_path):
    (tmp_path / "b.yaml").write_text("# base\n\nseed: 1\nbatch_size: two\n")
    path = tmp_path / "r.yaml"
    path.write_text("base: b.yaml\nmax_steps: 3\n")
    with pytest.raises(ConfigError) as e:
        load_config(TrainConfig, path)
    assert str(e.value) == (f"{tmp_path / 'b.yaml'} (a base of {path}): batch_size: expected int, got 'two' "
                            "(line 4 of b.yaml)")


def test_key_line_finds_nested_keys_and_list_items(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text("data:\n  extra:\n    - path: a.jsonl\n    -\n      path: b.jsonl\nmax_steps: 3\n")
    assert key_line(path, "max_steps") == 6
    assert key_line(path, "data.extra[1].path") == 5
    assert key_line(path, "data.extra[7]") == 2  # no such item: the list's own key
    assert key_line(path, "optim.lr") is None
    assert key_line(tmp_path / "none.yaml", "max_steps") is None


# the tour: wrong config files a real user writes, each refused naming the file, the line and the key, with the fix
TOUR = [
    ("max_steps: 3\noptim:\n  lr: 1e-4\n   warmup_steps: 10\n", ":4:16: not valid YAML", "indent it as that line is"),
    ("max_steps: 3\noptim:\n\tlr: 1e-4\n", ":3:1: not valid YAML", "YAML indents with spaces, not tabs"),
    ("optim:\n  - lr: 1e-4\n", ": optim: expected a mapping for OptimConfig", "(line 1 of r.yaml)"),
    ("max_steps: 3\ntrainer:\n  lr: 1\n", ": unknown key trainer for TrainConfig", "valid keys at this level: "),
    ('max_steps: 3\n"seed ": 4\n', ": unknown key seed  for TrainConfig",
     "'seed ' has a space in its name (in quotes?): write seed (line 2 of r.yaml)"),
    ("max_steps: 3\nmodel:\n  llm:\n    lora_r: eight\n", ": model.llm.lora_r: expected int, got 'eight'",
     "(line 4 of r.yaml)"),
    ("max_steps:3\nseed:4\n", ": top level must be a mapping, got str 'max_steps:3 seed:4'",
     "; YAML needs a space after a key's colon: max_steps: 3"),
    ("max_steps: 3\nmax_steps: 4\n", ":2:1: not valid YAML", "found key 'max_steps' a second time (first at line 1)"),
    ("- max_steps: 3\n", ": top level must be a mapping, got list", ""),
    ("max_steps: 3\nbf16: true\n", ": unknown key bf16 for TrainConfig", "is precision=bf16 here"),
]


@pytest.mark.parametrize("text, head, fix", TOUR)
def test_a_wrong_config_file_is_refused_naming_file_line_and_key_with_the_fix(tmp_path, text, head, fix):
    path = tmp_path / "r.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as e:
        load_config(TrainConfig, path)
    said = str(e.value)
    assert said.startswith(f"{path}{head}") and fix in said, said


@pytest.mark.parametrize("text", ["", "# all commented out\n", '{"max_steps": 3}\n', "\ufeffmax_steps: 3\n"])
def test_an_empty_a_json_or_a_bom_opened_config_file_loads(tmp_path, text):
    path = tmp_path / "r.yaml"
    path.write_text(text, encoding="utf-8")
    assert load_config(TrainConfig, path).max_steps == (3 if "3" in text else TrainConfig().max_steps)
