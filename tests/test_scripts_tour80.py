"""Stop 80's tour of the build and probe scripts: a --model that is no folder is refused naming --model before
any work, too few sample scenes say which objects were wanted of how many scenes, and the build's --help keeps
its lines short."""

from __future__ import annotations

import subprocess
import sys

import pytest
from script_loader import REPO, load_script


@pytest.mark.parametrize("script", ["probe_sensor_word", "probe_pointer_cells"])
@pytest.mark.parametrize("kind, says", [("missing", "no such folder"), ("file", "a file; a checkpoint is a folder"),
                                        ("run", "no config.yaml); it is a training run's out_dir")])
def test_a_model_that_is_no_folder_is_refused_naming_model(tmp_path, monkeypatch, capsys, script, kind, says):
    """Was 'error: /x: not an rsvlm checkpoint (no such folder)', naming no option, after --data was read."""
    probe = load_script(script, monkeypatch)
    model = tmp_path / "model"
    if kind == "file":
        model.write_text("")
    if kind == "run":  # a training run's out_dir, whose model is final/
        (model / "final").mkdir(parents=True)
        (model / "final" / "config.yaml").write_text("")
    data = tmp_path / "d.jsonl"  # never read: --model is checked before any work
    data.write_text("{not json\n")
    with pytest.raises(SystemExit) as e:
        probe.main(["--model", str(model), "--data", str(data)])
    err = capsys.readouterr().err
    assert e.value.code == 2 and f"error: --model {model}: not an rsvlm checkpoint ({says}" in err


def test_too_few_sample_scenes_say_what_was_wanted_of_how_many(tmp_path, monkeypatch):
    """Was 'no scene of ['airport'] with enough objects': which objects, and of how many scenes drawn, unsaid."""
    samples = load_script("make_samples", monkeypatch)
    with pytest.raises(SystemExit) as e:
        samples.main(["--out", str(tmp_path / "out"), "--n", "1", "--seed", "4242"])
    assert e.value.code == ("error: no scene of ['airport'] with enough objects (airport: 1 plane or more) among "
                            "the 1 scene drawn (--n 1 --seed 4242); draw more (--n) or change --seed")
    assert not (tmp_path / "out").exists()


def test_pick_scenes_names_each_missing_class_and_its_need(monkeypatch):
    samples = load_script("make_samples", monkeypatch)
    two_ships = {"scene_class": "harbour", "frames": [{"objects": [{"class": "ship"}] * 2}]}
    with pytest.raises(ValueError, match=r"\(airport: 1 plane or more, harbour: 3 ships or more\) among the 2 "
                                         r"scenes drawn"):
        samples.pick_scenes([two_ships, two_ships])


def test_build_help_lines_fit_a_terminal():
    """Two lines of the build's --help ran to 136 and 159 characters (its description is printed as written)."""
    out = subprocess.run([sys.executable, str(REPO / "scripts" / "build_default_model.py"), "--help"],
                         capture_output=True, text=True, check=True).stdout
    assert max(len(line) for line in out.splitlines()) <= 115
