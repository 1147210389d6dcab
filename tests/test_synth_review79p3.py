"""Review of stop 79's data_gen round 2: an override's warning in synth and rebuild is one line, said once."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def cpu96_set(tmp_path_factory):
    """A synth set of 3 scenes at 32 px over configs/data/cpu96.yaml (its mix: task_weights, mask_budget set)."""
    from data_gen.__main__ import main

    out = tmp_path_factory.mktemp("set")
    assert main(["synth", "--out", str(out), "--n", "3", "--config", str(REPO / "configs/data/cpu96.yaml"),
                 "--no-progress", "scene.size=32", "modalities=[optical]", "scene.pairs_fraction=0"]) == 0
    return out


def test_synth_says_a_whole_section_overrides_warning_in_one_line(tmp_path, capsys):
    """``scene={size: 32}`` printed Python's two-line UserWarning (``…/rsvlm/config.py:428: UserWarning: …`` and the
    source line under it); read twice (--tasks names a task at weight 0: weighted 1) it is still said once."""
    from data_gen.__main__ import main

    assert main(["synth", "--out", str(tmp_path / "s"), "--n", "1", "--config", str(REPO / "configs/data/cpu96.yaml"),
                 "--tasks", "cls", "--no-progress", "modalities=[optical]", "scene={size: 32}",
                 "instructions.task_weights.cls=0"]) == 0
    err = capsys.readouterr().err
    said = [line for line in err.splitlines() if "warning" in line.lower()]
    assert said == ["synth: warning: override 'scene={size: 32}': a mapping given whole replaces scene, so "
                    "pairs_fraction, max_objects, as set by " + str(REPO / "configs/data/cpu96.yaml")
                    + ", go back to their defaults; to change only what it names, give scene.size=32"], err
    assert "UserWarning" not in err and "apply_overrides(" not in err


def test_rebuild_takes_the_instructions_section_whole_and_warns_once_in_one_line(cpu96_set, capsys):
    """``instructions={records_per_image: 2}`` was refused as "would change nothing" (it changes the mix); it is
    read, and what it sends back to the defaults is said in one line, once though --tasks reads the config twice."""
    from data_gen.__main__ import main

    assert main(["rebuild", "--dir", str(cpu96_set), "--prefix", "w_", "--tasks", "cap,det", "--no-progress",
                 "instructions={records_per_image: 2}"]) == 0
    err = capsys.readouterr().err
    said = [line for line in err.splitlines() if "warning" in line.lower()]
    assert len(said) == 1 and said[0].startswith(
        "rebuild: warning: override 'instructions={records_per_image: 2}': a mapping given whole replaces "
        "instructions, so task_weights, mask_budget, as set by "), err
    assert said[0].endswith("give instructions.records_per_image=2") and "UserWarning" not in err
    assert (cpu96_set / "w_train.jsonl").read_text()


def test_rebuild_still_refuses_a_key_outside_instructions(cpu96_set, capsys):
    from data_gen.__main__ import main

    assert main(["rebuild", "--dir", str(cpu96_set), "--prefix", "v_", "--no-progress", "scene={size: 64}"]) == 2
    assert capsys.readouterr().err == ("error: rebuild only uses instructions.* keys; 'scene={size: 64}' would change "
                                       "nothing\n")
