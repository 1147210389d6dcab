"""Stop 75's tour of synthetic data: config errors name the file, the rebuild bar's unit, count balance."""

from __future__ import annotations

import pytest


def _synth(tmp_path, *argv: str) -> int:
    from data_gen.__main__ import main

    return main(["synth", "--out", str(tmp_path / "o"), "--n", "1", "--no-progress", *argv])


@pytest.mark.parametrize("yaml_text, said", [
    ("render:\n  sar_looks: 0\n", "render.sar_looks 0 is out of range: give a whole number >= 1 "
     "(line 2 of mine.yaml)\n"),
    ("scene:\n  max_objects: -3\n", "scene.max_objects -3 is out of range: give a whole number >= 0 "
     "(line 2 of mine.yaml)\n"),
    ("scene:\n  object_scale: .inf\n", "scene.object_scale inf is out of range: give a finite number > 0 "
     "(line 2 of mine.yaml)\n"),
    ("scene:\n  size: 8\n", "scene.size 8 must be between 16 and 4096 (line 2 of mine.yaml) (a whole number of px)\n"),
    ("scene:\n  pairs_fraction: 2\n", "scene.pairs_fraction 2 must be in [0, 1] "
     "(line 2 of mine.yaml)\n"),
    ("instructions:\n  obb_fraction: 3\n", "instructions.obb_fraction must be in [0, 1], got 3 "
     "(line 2 of mine.yaml)\n"),
    ("modalities: [rgb]\n", "modalities ['rgb']: each must be one of"),
    ("split:\n  val: 0.6\n  test: 0.5\n", "split.val=0.6, split.test=0.5 must be >= 0 and sum to at most 1 (line 2 of "
                                         "mine.yaml) (split fractions: train is what they leave)\n"),  # stop 78: line
])
def test_a_config_files_out_of_range_value_names_the_file(tmp_path, capsys, yaml_text, said):
    """'error: render.sar_looks 0 is out of range (max_objects >= 0, …)': no file named, and every key's range."""
    cfg = tmp_path / "mine.yaml"
    cfg.write_text(yaml_text)
    assert _synth(tmp_path, "--config", str(cfg)) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {cfg}: {said}"), err
    assert not (tmp_path / "o").exists()


def test_a_base_files_value_names_the_base_and_an_override_or_option_names_no_file(tmp_path, capsys):
    base, top = tmp_path / "base.yaml", tmp_path / "top.yaml"
    base.write_text("scene:\n  max_objects: -3\n  size: 8\n")
    top.write_text("base: base.yaml\nrender:\n  sar_looks: 2\n")
    assert _synth(tmp_path, "--config", str(top), "scene.size=64") == 2
    assert capsys.readouterr().err == (f"error: {base} (a base of {top}): scene.max_objects -3 is out of range: give a "
                                       "whole number >= 0 (line 2 of base.yaml)\n")
    # the value the user typed is named as typed, not blamed on the file that also set it
    assert _synth(tmp_path, "--config", str(top), "--size", "4") == 2
    assert capsys.readouterr().err.startswith("error: --size 4 must be between 16 and 4096")
    assert _synth(tmp_path, "--config", str(top), "scene.size=64", "scene={max_objects: -1}") == 2
    err = capsys.readouterr().err  # the mapping's warning (it drops scene.size=64), one line, then the refusal
    assert err.startswith("synth: warning: override 'scene={max_objects: -1}': a mapping given whole replaces scene")
    assert "\nerror: override 'scene={max_objects: -1}' (command line): scene.max_objects -1 is out of range" in err


@pytest.fixture(scope="module")
def scene_with_objects(tmp_path_factory):
    """A synth scene's ground truth (seed 0's first with objects: ships, vehicles …)."""
    import json

    from data_gen.synth.config import SynthConfig
    from data_gen.synth.run import synthesize
    from rsvlm.config import from_dict

    out = tmp_path_factory.mktemp("synth")
    cfg = from_dict(SynthConfig, {"modalities": ["optical"], "scene": {"size": 64, "pairs_fraction": 0},
                                  "instructions": {"records_per_image": 0}})
    synthesize(out, 4, seed=0, cfg=cfg, progress=False, verbose=False)
    scenes = [json.loads(p.read_text()) for p in sorted((out / "scenes").glob("*.json"))]
    return next(s for s in scenes if len({o["class"] for o in s["frames"][0]["objects"]}) >= 2)


@pytest.mark.parametrize("share, zeros", [(0.8, True), (1.0, False)])
def test_count_present_share_sets_how_often_a_scene_with_objects_is_asked_of_an_absent_class(share, zeros,
                                                                                             scene_with_objects):
    """The default mix's counts lean to "0" (a fifth of a scene-with-objects' questions name a class it lacks);
    ``instructions.count_present_share`` sets that share for users making their own sets (default 0.8: as before)."""
    from collections import Counter

    import numpy as np

    from data_gen.instructions.builders import Skip, View, build_count, build_vqa
    from data_gen.instructions.config import InstructionConfig

    cfg = InstructionConfig(count_present_share=share)
    answers = [build_count(View(scene_with_objects, 0, "optical", {}, np.random.default_rng(s), cfg)).answer
               for s in range(200)]
    vqa = []
    for k in range(300):
        try:
            sample = build_vqa(View(scene_with_objects, 0, "sar", {}, np.random.default_rng(k), cfg))
        except Skip:  # a position or attribute question the scene gives none of
            continue
        vqa += [sample.answer] if sample.question_type == "count" else []
    have = {str(n) for n in Counter(o["class"] for o in scene_with_objects["frames"][0]["objects"]).values()}
    assert set(answers) <= {"0", *have} and len(vqa) > 10 and set(vqa) <= {"0", *have}
    assert ("0" in answers) == zeros and ("0" in vqa) == zeros
    if zeros:  # the default draw: about a fifth
        assert 0.1 < answers.count("0") / len(answers) < 0.3


def test_count_present_share_out_of_range_is_refused_naming_the_key(tmp_path, capsys):
    assert _synth(tmp_path, "instructions.count_present_share=1.5") == 2
    assert capsys.readouterr().err == ("error: override 'instructions.count_present_share=1.5' (command line): "
                                       "instructions.count_present_share must be in [0, 1], got 1.5\n")


def test_the_rebuild_bar_names_what_it_counts(tmp_path, capfd):
    """The rebuild bar read 'records: 100% 12/12' while it counted scenes (its rate said scenes/s)."""
    from data_gen.__main__ import main

    assert _synth(tmp_path, "--size", "32", "--modalities", "optical") == 0
    capfd.readouterr()
    assert main(["rebuild", "--dir", str(tmp_path / "o"), "--prefix", "r_"]) == 0
    err = capfd.readouterr().err
    assert "rebuild: scenes: 100% 1/1 [" in err and "records:" not in err, err


@pytest.mark.parametrize("override, said", [
    ("instructions.task_weights.detx=1", "unknown task ['detx']; tasks are cls, vqa, cap, count, det, ground, regcap, "
                                         "seg, change; did you mean 'det' for 'detx'?\n"),
    ("instructions.modality_weights.optcal=0", "unknown modality ['optcal']; one of optical, msi, sar, ir; did you "
                                               "mean 'optical' for 'optcal'?\n"),
    ("scene.scene_weights.forst=1", "(unknown: ['forst']; did you mean 'forest' for 'forst'?)\n"),
    ("modalities=[optical,sarr]", "('sarr' is not; did you mean 'sar' for 'sarr'?)\n"),
    ("instructions.task_weights.zzz=1", "unknown task ['zzz']; tasks are cls, vqa, cap, count, det, ground, regcap, "
                                        "seg, change\n"),  # nothing near: the list alone
])
def test_a_misspelt_task_modality_or_scene_class_gets_a_did_you_mean(tmp_path, capsys, override, said):
    """``task_weights.detx`` (stop 74's note), ``modality_weights.optcal``, ``scene_weights.forst`` and
    ``modalities=[sarr]`` were refused with the list alone, the near name not said."""
    assert _synth(tmp_path, override) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.endswith(said), err


def test_did_you_mean_on_the_command_line_names_each_near_modality(tmp_path, capsys):
    assert _synth(tmp_path, "--modalities", "sarr,optcal") == 2
    assert capsys.readouterr().err == ("error: --modalities sarr,optcal: each must be one of optical, msi, sar, ir "
                                       "('sarr', 'optcal' are not; did you mean 'sar' for 'sarr', 'optical' for "
                                       "'optcal'?)\n")


def test_rebuild_names_the_config_file_of_a_bad_instructions_value(tmp_path, capsys):
    """``rebuild --config mine.yaml`` with ``obb_fraction: 3`` said "instructions.obb_fraction must be in [0, 1]",
    no file; the same value as key=value is named as the override typed (stop 78)."""
    from data_gen.__main__ import main

    assert _synth(tmp_path, "--size", "32", "--modalities", "optical") == 0
    cfg = tmp_path / "mine.yaml"
    cfg.write_text("instructions:\n  obb_fraction: 3\n")
    capsys.readouterr()
    argv = ["rebuild", "--dir", str(tmp_path / "o"), "--prefix", "r_", "--no-progress"]
    assert main([*argv, "--config", str(cfg)]) == 2
    assert capsys.readouterr().err == (f"error: {cfg}: instructions.obb_fraction must be in [0, 1], got 3 "
                                       "(line 2 of mine.yaml)\n")
    assert main([*argv, "instructions.obb_fraction=3"]) == 2
    assert capsys.readouterr().err == ("error: override 'instructions.obb_fraction=3' (command line): "
                                       "instructions.obb_fraction must be in [0, 1], got 3\n")
    assert main([*argv, "--config", str(cfg), "instructions.obb_fraction=0.4"]) == 0
