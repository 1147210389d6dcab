"""Config files as a demanding user writes them: a number or true/false in quotes, a scene weight a file gets wrong,
and the refusals that name the file and key (stop 74)."""

import pytest

from data_gen.synth.config import SceneConfig, SynthConfig
from rsvlm.config import ConfigError, load_config


def _load(tmp_path, text, overrides=(), name="data.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return load_config(SynthConfig, path, list(overrides))


@pytest.mark.parametrize("text, said", [
    ('render:\n  sar_looks: "4"\n', 'render.sar_looks: "4" (line 2): a number in quotes'),
    ("scene:\n  pairs_fraction: '0.5'\n", "scene.pairs_fraction: '0.5' (line 2): a number in quotes"),
    ('instructions:\n  all_tasks: "yes"\n', 'instructions.all_tasks: "yes" (line 2): true/false in quotes'),
    ('scene:\n  scene_weights: {forest: "2"}\n', 'scene.scene_weights.forest: "2" (line 2): a number in quotes'),
])
def test_a_quoted_number_or_bool_in_a_file_is_refused_naming_file_line_and_key(tmp_path, text, said):
    # render.sar_looks: "4" was taken as 4 unsaid; "yes" was "expected true/false, got 'yes'", a puzzle
    with pytest.raises(ConfigError) as e:
        _load(tmp_path, text)
    assert str(e.value).startswith(f"{tmp_path / 'data.yaml'}: {said}")
    assert str(e.value).endswith("which YAML reads as text; write it without quotes")


def test_several_quoted_values_are_said_at_once(tmp_path):
    with pytest.raises(ConfigError) as e:
        _load(tmp_path, 'render:\n  sar_looks: "4"\n  png_compress_level: "1"\ninstructions:\n  all_tasks: "no"\n')
    assert "render.sar_looks: \"4\" (line 2), render.png_compress_level: \"1\" (line 3), instructions.all_tasks: " \
           "\"no\" (line 5): a number or true/false in quotes" in str(e.value)
    assert e.value.keys == ("render.sar_looks", "render.png_compress_level", "instructions.all_tasks")


def test_a_quoted_number_in_a_base_file_names_the_base(tmp_path):
    (tmp_path / "base.yaml").write_text('render:\n  sar_looks: "8"\n')
    with pytest.raises(ConfigError) as e:
        _load(tmp_path, "base: base.yaml\nscene:\n  size: 64\n")
    assert str(e.value).startswith(f"{tmp_path / 'base.yaml'}: render.sar_looks: \"8\" (line 2)")


def test_unquoted_values_quoted_text_and_overrides_are_taken_as_before(tmp_path):
    cfg = _load(tmp_path, "render:\n  sar_looks: 4\ninstructions:\n  all_tasks: yes\n  records_per_image: 1e0\n"
                          'modalities: ["sar", "ir"]\nscene:\n  scene_weights: {"parking lot": 3}\n',
                ["scene.pairs_fraction=0.5", 'render.png_compress_level="3"'])  # an override is text by nature
    assert (cfg.render.sar_looks, cfg.instructions.all_tasks, cfg.instructions.records_per_image) == (4, True, 1.0)
    assert cfg.modalities == ["sar", "ir"] and cfg.scene.scene_weights == {"parking lot": 3.0}
    assert (cfg.scene.pairs_fraction, cfg.render.png_compress_level) == (0.5, 3)


def test_a_files_bad_scene_weight_names_the_file(tmp_path):
    # "scene.scene_weights {'forst': 2.0}: weights >= 0 …" named the key and not the --config file
    with pytest.raises(ConfigError) as e:
        _load(tmp_path, "scene:\n  scene_weights: {forst: 2, harbour: 1}\n")
    assert str(e.value).startswith(f"{tmp_path / 'data.yaml'}: scene.scene_weights {{'forst': 2.0, 'harbour': 1.0}}: "
                                   "weights >= 0, not all 0, for scene classes airport,")
    assert str(e.value).endswith("(unknown: ['forst']; did you mean 'forest' for 'forst'?)")
    assert e.value.keys == ("scene.scene_weights.forst",)


def test_a_bad_scene_weight_in_an_override_names_the_override(tmp_path):
    with pytest.raises(ConfigError) as e:
        _load(tmp_path, "scene:\n  size: 64\n", ["scene.scene_weights={airport: -1}"])
    assert str(e.value).startswith("override 'scene.scene_weights={airport: -1}': scene.scene_weights "
                                   "{'airport': -1.0}: weights >= 0")


def test_synth_names_the_config_file_of_a_bad_scene_weight(tmp_path, capsys):
    from data_gen.__main__ import main

    (tmp_path / "d.yaml").write_text("scene:\n  scene_weights: {Harbour: 1}\n")
    assert main(["synth", "--config", str(tmp_path / "d.yaml"), "--out", str(tmp_path / "o"), "--n", "1",
                 "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {tmp_path / 'd.yaml'}: scene.scene_weights {{'Harbour': 1.0}}: ")
    assert err.rstrip().endswith("(unknown: ['Harbour']; meant: 'Harbour' is 'harbour')")
    assert not (tmp_path / "o").exists()


def test_all_weights_zero_names_the_file_and_a_config_built_by_hand_is_left_to_synth(tmp_path):
    from data_gen.synth.classes import SCENE_CLASSES
    from rsvlm.config import from_dict

    weights = ", ".join(f"{c}: 0" for c in SCENE_CLASSES)
    with pytest.raises(ConfigError) as e:
        _load(tmp_path, f"scene:\n  scene_weights: {{{weights}}}\n")
    assert str(e.value).startswith(f"{tmp_path / 'data.yaml'}: scene.scene_weights {{'airport': 0.0,")
    assert e.value.keys == ("scene.scene_weights",)
    assert SceneConfig(scene_weights={"forst": 1.0}).scene_weights == {"forst": 1.0}  # synth's check_config says it
    assert from_dict(SynthConfig, {"instructions": {"task_weights": {"detect": 1.0}}})


@pytest.mark.parametrize("text, said", [
    ("instructions:\n  task_weights: {detx: 1}\n", "instructions.task_weights: unknown task ['detx'] (line 2 of "
                                                  "data.yaml); tasks are cls,"),  # stop 78: the line, before the hint
    ("instructions:\n  modality_weights: {SAR: 1}\n",
     "instructions.modality_weights: unknown modality ['SAR'] (config keys are lower case: sar); one of optical,"),
    ("instructions:\n  task_weights: {det: -1, cls: .inf}\n",
     "instructions.task_weights: weights must be finite numbers >= 0, got {det: -1, cls: inf}"),
])
def test_a_files_unknown_task_or_bad_weight_names_the_file(tmp_path, text, said):
    # synth said "error: instructions.task_weights: unknown task ['detx']; …", not which --config file
    with pytest.raises(ConfigError) as e:
        _load(tmp_path, text)
    assert str(e.value).startswith(f"{tmp_path / 'data.yaml'}: {said}")


def test_a_bad_weight_in_an_override_names_the_override(tmp_path):
    with pytest.raises(ConfigError) as e:
        _load(tmp_path, "scene:\n  size: 64\n", ["instructions.task_weights.DET=1"])
    assert str(e.value).startswith("override 'instructions.task_weights.DET=1': instructions.task_weights: "
                                   "unknown task ['DET'] (config keys are lower case: det)")


def test_a_top_level_section_indented_under_another_is_told_so(tmp_path):
    from rsvlm.train.config import TrainConfig

    (tmp_path / "r.yaml").write_text("optim:\n  lr: 1e-4\n  ckpt:\n    every: 3\n")
    with pytest.raises(ConfigError) as e:
        load_config(TrainConfig, tmp_path / "r.yaml")
    assert str(e.value).endswith("; ckpt is a top-level section, not one of optim: indent ckpt: as optim: is (at the "
                                 "left margin)")


def test_a_section_with_nothing_under_it_says_how_to_keep_its_defaults(tmp_path):
    # "scene: None is not allowed (expected SceneConfig)" for a scene: whose keys were all commented out
    with pytest.raises(ConfigError) as e:
        _load(tmp_path, "scene:\n#  size: 64\n")
    assert str(e.value).endswith("scene: None is not allowed (expected SceneConfig) (line 1 of data.yaml); a section "
                                 "holds its keys indented under it (for its defaults leave it out, or write scene: {})")
    assert _load(tmp_path, "scene: {}\n").scene == SceneConfig()


@pytest.mark.parametrize("override, said", [
    ("render.sar_looks=yes", "render.sar_looks: expected int, got True (YAML reads yes, no, on, off as true/false)"),
    ("modalities=[optical, no]", "modalities[1]: expected a string, got False (YAML reads yes, no, on, off as "
                                 "true/false: put the text in quotes)"),
])
def test_a_yaml_bool_where_a_number_or_text_is_wanted_says_what_yaml_made_of_it(tmp_path, override, said):
    with pytest.raises(ConfigError) as e:
        load_config(SynthConfig, None, [override])
    assert str(e.value).endswith(said)


def test_overrides_quoted_together_as_one_argument_are_told_apart():
    # "optim.lr=1e-4 max_steps=3" (one argument, quoted in a script) said only "expected float, got '1e-4 max_steps=3'"
    from rsvlm.train.config import TrainConfig

    with pytest.raises(ConfigError) as e:
        load_config(TrainConfig, None, ["optim.lr=1e-4 max_steps=3"])
    assert str(e.value).endswith("; one key=value per argument (not quoted together): optim.lr=1e-4 max_steps=3")
    with pytest.warns(UserWarning, match=r"per argument \(not quoted together\): out_dir=runs/a max_steps=3$"):
        assert load_config(TrainConfig, None, ["out_dir=runs/a max_steps=3"]).out_dir == "runs/a max_steps=3"
    assert load_config(TrainConfig, None, ["out_dir=runs/a b=3"]).out_dir == "runs/a b=3"  # b is no key: no warning


@pytest.mark.parametrize("override, said", [
    ("modalities=optical", "expected a list, got 'optical'"),  # one word: no hint, as test_config_lead62 pins
    ("modalities=optical sar", "expected a list, got 'optical sar' (a list is written [optical, sar])"),
    ("scene.scene_weights=forest:2", "expected a mapping, got 'forest:2' (a mapping is written {forest: 2})"),
    ("scene.scene_weights=forest=2,lake=1", "(a mapping is written {forest: 2, lake: 1})"),
])
def test_a_list_or_mapping_written_as_text_is_shown_as_yaml_writes_it(override, said):
    # "expected a list, got 'optical'" and "expected a mapping, got 'forest:2'" said no more
    with pytest.raises(ConfigError) as e:
        load_config(SynthConfig, None, [override])
    assert str(e.value).endswith(said)


def test_a_list_or_mapping_in_quotes_is_told_to_lose_its_quotes(tmp_path):
    # "expected a list, got '[optical, sar]' (a list is written [[optical, sar]])": the hint nested it once more
    with pytest.raises(ConfigError) as e:
        _load(tmp_path, 'modalities: "[optical, sar]"\nscene:\n  scene_weights: "{forest: 2}"\n')
    assert str(e.value) == (f"{tmp_path / 'data.yaml'}: modalities: \"[optical, sar]\" (line 1), scene.scene_weights: "
                            "\"{forest: 2}\" (line 3): a list or a mapping in quotes, which YAML reads as text; write "
                            "them without quotes")
    with pytest.raises(ConfigError, match=r"got '\[optical, sar\]' \(a list in quotes is text: write it without "
                                          r"quotes\)$"):
        load_config(SynthConfig, None, ['modalities="[optical, sar]"'])
    assert _load(tmp_path, 'modalities: ["[sar]"]\n').modalities == ["[sar]"]  # a quoted item of a list of text
