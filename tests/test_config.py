from dataclasses import dataclass, field

import pytest

from rsvlm.config import ConfigError, load_config, save_config, to_dict


@dataclass
class OptimConfig:
    lr: float = 1e-3
    betas: list[float] = field(default_factory=lambda: [0.9, 0.999])


@dataclass
class EncoderConfig:
    width: int = 64
    name: str | None = None


@dataclass
class RunConfig:
    optim: OptimConfig = field(default_factory=OptimConfig)
    encoders: dict[str, EncoderConfig] = field(default_factory=lambda: {"rgb": EncoderConfig()})
    steps: int = 10
    bf16: bool = False


def test_yaml_then_overrides(tmp_path):
    p = tmp_path / "run.yaml"
    p.write_text("optim:\n  lr: 0.01\nsteps: 5\nencoders:\n  rgb: {width: 32}\n  sar: {width: 16, name: s}\n")
    cfg = load_config(RunConfig, p, ["optim.lr=2e-4", "bf16=true", "optim.betas=[0.8, 0.9]"])
    assert cfg.optim.lr == pytest.approx(2e-4) and isinstance(cfg.optim.lr, float)
    assert cfg.steps == 5 and cfg.bf16 is True and cfg.optim.betas == [0.8, 0.9]
    assert isinstance(cfg.encoders["sar"], EncoderConfig) and cfg.encoders["sar"].width == 16
    assert cfg.encoders["rgb"].width == 32


def test_unknown_key_lists_valid_keys(tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text("optim:\n  learning_rate: 0.1\n")
    with pytest.raises(ConfigError) as e:
        load_config(RunConfig, p)
    assert "optim.learning_rate" in str(e.value) and "betas, lr" in str(e.value)
    with pytest.raises(ConfigError) as e:
        load_config(RunConfig, None, ["optim.lrr=1"])
    assert "valid keys at this level: betas, lr" in str(e.value)
    with pytest.raises(ConfigError, match="bf16"):
        load_config(RunConfig, None, ["stepz=3"])


def test_type_errors_name_the_key():
    with pytest.raises(ConfigError, match="steps"):
        load_config(RunConfig, None, ["steps=many"])
    with pytest.raises(ConfigError, match="not of the form"):
        load_config(RunConfig, None, ["steps"])


def test_a_bad_value_blames_the_override_that_set_it_not_the_file(tmp_path):
    p = tmp_path / "run.yaml"
    p.write_text("steps: 5\n")
    with pytest.raises(ConfigError) as e:
        load_config(RunConfig, p, ["bf16=true", "optim.lr=fast"])
    assert str(e.value).startswith("override 'optim.lr=fast': optim.lr: expected float") and "run.yaml" not in str(e.value)
    with pytest.raises(ConfigError, match=r"^override 'optim=\{lr: x\}': optim.lr"):
        load_config(RunConfig, p, ["optim={lr: x}"])  # a whole section set at once
    p.write_text("steps: many\n")
    with pytest.raises(ConfigError, match=r"run.yaml: steps: expected int"):
        load_config(RunConfig, p, ["optim.lr=0.1"])


@dataclass
class SourceConfig:
    path: str = ""
    weight: float = 1.0


@dataclass
class MixConfig:
    extra: list[SourceConfig] = field(default_factory=list)
    weights: dict[str, float] = field(default_factory=dict)


def test_an_unknown_key_inside_an_override_blames_the_override_and_a_missing_space_is_named(tmp_path):
    p = tmp_path / "mix.yaml"
    p.write_text("weights: {sar: 1.0}\n")
    # was 'mix.yaml: unknown key(s) extra[0].pth …', naming the file the key is not in
    with pytest.raises(ConfigError, match=r"^override 'extra=\[\{pth: x\}\]': unknown key extra\[0\]\.pth"):
        load_config(MixConfig, p, ["extra=[{pth: x}]"])
    with pytest.raises(ConfigError) as e:  # YAML reads {optical:2} as the key 'optical:2' with no value
        load_config(MixConfig, p, ["weights={optical:2}"])
    assert str(e.value).startswith("override 'weights={optical:2}'") and e.value.args[0].endswith("{optical: 2}")
    p.write_text("extra: [{pth: x}]\n")  # the file's own fault is still the file's
    with pytest.raises(ConfigError, match=r"mix.yaml: unknown key extra\[0\]\.pth"):
        load_config(MixConfig, p, ["weights={sar: 2}"])


def test_yaml_errors_are_one_line_with_the_place_and_a_folder_is_named(tmp_path):
    p = tmp_path / "run.yaml"
    p.write_text("steps: 3\noptim: {lr: 0.1\nbf16: true\n")
    with pytest.raises(ConfigError) as e:
        load_config(RunConfig, p)
    msg = str(e.value)
    assert msg.startswith(f"{p}:3:5: not valid YAML (expected ',' or '}}'") and "\n" not in msg and "^" not in msg
    with pytest.raises(ConfigError) as e:
        load_config(RunConfig, None, ["optim.betas=[0.8, 0.9"])
    assert "value is not valid YAML" in str(e.value) and "\n" not in str(e.value)
    with pytest.raises(ConfigError, match="is a folder; give a config file"):
        load_config(RunConfig, tmp_path)  # was "config file not found" for a folder that is there


def test_a_binary_or_bom_file(tmp_path):
    p = tmp_path / "weights.yaml"
    p.write_bytes(b"\xa0\x00\xff binary")
    with pytest.raises(ConfigError, match="weights.yaml: not a YAML text file"):
        load_config(RunConfig, p)
    p.write_bytes("\ufeffsteps: 3\n".encode())  # saved by a Windows editor
    assert load_config(RunConfig, p).steps == 3


def test_values_of_a_mapping_field_are_checked(tmp_path):
    from rsvlm.train.config import TrainConfig

    cfg = load_config(TrainConfig, None, ["data.task_weights={cls: 2, det: 0.5}"])
    assert cfg.data.task_weights == {"cls": 2.0, "det": 0.5} and isinstance(cfg.data.task_weights["cls"], float)
    with pytest.raises(ConfigError, match=r"data.task_weights.cls: expected float, got 'x'"):
        load_config(TrainConfig, None, ["data.task_weights={cls: x}"])  # was accepted, failing mid-run
    with pytest.raises(ConfigError, match=r"data.modality_weights.sar: None is not allowed"):
        load_config(TrainConfig, None, ["data.modality_weights={sar: null}"])


def test_resolved_config_round_trips(tmp_path):
    cfg = load_config(RunConfig, None, ["steps=7", "encoders.rgb.name=vit"])
    path = save_config(cfg, tmp_path / "out" / "config.yaml")
    again = load_config(RunConfig, path)
    assert to_dict(again) == to_dict(cfg) and again.encoders["rgb"].name == "vit"


def test_missing_file_is_named(tmp_path):
    with pytest.raises(ConfigError, match="nope.yaml"):
        load_config(RunConfig, tmp_path / "nope.yaml")


def test_base_files_merge_at_the_top_and_in_a_section(tmp_path):
    (tmp_path / "common").mkdir()
    (tmp_path / "common" / "optim.yaml").write_text("lr: 0.05\nbetas: [0.5, 0.6]\n")
    (tmp_path / "common" / "run.yaml").write_text("steps: 7\nbf16: true\noptim: {base: optim.yaml, lr: 0.02}\n")
    child = tmp_path / "child.yaml"
    child.write_text("base: common/run.yaml\nsteps: 3\n")
    cfg = load_config(RunConfig, child, ["optim.betas=[0.1, 0.2]"])
    # the section's base is relative to the file naming it; the child and the overrides win
    assert (cfg.steps, cfg.bf16, cfg.optim.lr, cfg.optim.betas) == (3, True, 0.02, [0.1, 0.2])
    assert load_config(RunConfig, tmp_path / "common" / "run.yaml").optim.betas == [0.5, 0.6]


def test_base_errors_name_the_files(tmp_path):
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    a.write_text("base: b.yaml\n")
    b.write_text("base: a.yaml\n")
    with pytest.raises(ConfigError, match=r"'base' cycle: .*a\.yaml → .*b\.yaml → .*a\.yaml"):
        load_config(RunConfig, a)
    a.write_text("base: missing.yaml\n")
    with pytest.raises(ConfigError, match=r"base file not found: .*missing\.yaml"):
        load_config(RunConfig, a)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "run.yaml").write_text("optim: {base: optim.yaml}\n")
    a.write_text("base: sub/run.yaml\n")  # the file that names the missing one is named (was "a config under sub")
    with pytest.raises(ConfigError, match=r"base file not found: .*sub/optim\.yaml \(named in .*sub/run\.yaml\)$"):
        load_config(RunConfig, a)
    a.write_text("base: ''\n")
    with pytest.raises(ConfigError, match=r"a\.yaml: 'base' must be a file path, got ''"):  # was "not found: <folder>"
        load_config(RunConfig, a)
    a.write_text("base: b.yaml\n")
    b.write_text("optim: {lr_typo: 1}\n")
    with pytest.raises(ConfigError, match="lr_typo"):  # a base's keys are checked like the file's own
        load_config(RunConfig, a)


def test_a_text_field_takes_the_override_as_written():
    from rsvlm.train.config import TrainConfig

    cfg = load_config(TrainConfig, None, ["model.prompt.system=Answer briefly: one word.",  # was a mapping
                                          "model.prompt.det_class_question={pl}: detect",  # was invalid YAML
                                          "out_dir=runs/a #2"])  # was "runs/a", the rest a comment
    assert cfg.model.prompt.system == "Answer briefly: one word."
    assert (cfg.model.prompt.det_class_question, cfg.out_dir) == ("{pl}: detect", "runs/a #2")
    cfg = load_config(RunConfig, None, ["encoders.rgb.name=no", "encoders.sar={width: 8}", "encoders.sar.name=1.10"])
    assert (cfg.encoders["rgb"].name, cfg.encoders["sar"].name) == ("no", "1.10")  # were False, 1.1
    assert load_config(RunConfig, None, ["encoders.rgb.name=null"]).encoders["rgb"].name is None
    assert load_config(RunConfig, None, ["encoders.rgb.name='x: y'"]).encoders["rgb"].name == "x: y"
    assert load_config(RunConfig, None, ["optim.betas=[0.1, 0.2]"]).optim.betas == [0.1, 0.2]  # others: YAML


def test_a_key_below_a_number_is_named_as_such():
    with pytest.raises(ConfigError, match=r"^override 'optim.lr.x=1': optim.lr is a float and has no key 'x'"):
        load_config(RunConfig, None, ["optim.lr.x=1"])  # was "RunConfig: optim.lr: expected float, got {'x': 1}"


def test_a_key_twice_in_a_file_and_a_file_that_is_no_mapping_are_refused(tmp_path):
    p = tmp_path / "run.yaml"
    p.write_text("optim:\n  lr: 0.05\nsteps: 3\noptim:\n  betas: [0.5, 0.6]\n")  # the first optim: was dropped
    with pytest.raises(ConfigError, match=r"run.yaml:4:1: not valid YAML \(found key 'optim' a second time "
                                          r"\(first at line 1\)"):
        load_config(RunConfig, p)
    p.write_text("encoders:\n  rgb: &e {width: 8, name: a}\n  sar:\n    <<: *e\n    width: 4\n")
    sar = load_config(RunConfig, p).encoders["sar"]  # a merge key, and the key it then sets, are no repeat
    assert (sar.width, sar.name) == (4, "a")
    for text, kind in (("[]\n", "list"), ("- steps: 3\n", "list"), ("false\n", "bool")):
        p.write_text(text)  # "[]" and "false" read as an empty mapping: the file was silently ignored
        with pytest.raises(ConfigError, match=f"run.yaml: top level must be a mapping, got {kind}"):
            load_config(RunConfig, p)
    p.write_text("# nothing set yet\n")
    assert load_config(RunConfig, p).steps == 10
