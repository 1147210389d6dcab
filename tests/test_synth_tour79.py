"""Stop 79's tour of synth: a config's refusal names its line (rsvlm's value_blamed), a run without a terminal says
at once what it begins."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _synth(tmp_path, *argv: str) -> int:
    from data_gen.__main__ import main

    return main(["synth", "--out", str(tmp_path / "o"), "--n", "1", "--no-progress", *argv])


def test_a_config_files_refusal_names_the_line_that_sets_the_key(tmp_path, capsys):
    """data_gen's own blaming named the file alone (``mine.yaml: scene.max_objects -3 …``), as rsvlm train no longer
    does: the line is said, in a base too."""
    base, top = tmp_path / "base.yaml", tmp_path / "top.yaml"
    base.write_text("# shared\nrender:\n  sar_looks: 2\nscene:\n  size: 64\n  max_objects: -3\n")
    top.write_text("base: base.yaml\n")
    assert _synth(tmp_path, "--config", str(top)) == 2
    assert capsys.readouterr().err == (f"error: {base} (a base of {top}): scene.max_objects -3 is out of range: give "
                                       "a whole number >= 0 (line 6 of base.yaml)\n")


def test_an_override_or_option_is_named_before_the_file_that_also_sets_the_key(tmp_path, capsys):
    cfg = tmp_path / "mine.yaml"
    cfg.write_text("scene:\n  size: 64\n")
    assert _synth(tmp_path, "--config", str(cfg), "scene.size=8") == 2
    assert capsys.readouterr().err == ("error: override 'scene.size=8' (command line): scene.size 8 must be between "
                                       "16 and 4096 (a whole number of px)\n")
    assert _synth(tmp_path, "--config", str(cfg), "--size", "8") == 2  # the option names itself; no file, no line
    assert capsys.readouterr().err == "error: --size 8 must be between 16 and 4096 (a whole number of px)\n"


def test_words_from_elsewhere_are_not_said_to_be_the_command_lines(tmp_path):
    """build_stages checks build.yaml's extra.data words with ``source=None``: its refusal names where they are."""
    from data_gen.__main__ import synth_config, synth_parser

    a = synth_parser().parse_args(["--out", "o", "--n", "1", "scene.size=8"])
    with pytest.raises(ValueError) as e:
        synth_config(a, None, None)
    assert str(e.value) == "override 'scene.size=8': scene.size 8 must be between 16 and 4096 (a whole number of px)"


def test_a_run_with_stderr_piped_says_what_it_makes_before_the_first_scene(tmp_path):
    """A 4096-px scene takes ~72 s; with stderr a pipe (a log, nohup) the first line came after it."""
    run = subprocess.run([sys.executable, "-m", "data_gen", "synth", "--out", str(tmp_path / "o"), "--n", "2",
                          "--size", "32", "--pairs-fraction", "0", "--workers", "2"],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    lines = run.stderr.splitlines()
    assert lines[0] == ("synth: 2 scenes of 32 px x 4 modalities, 2 workers; up to about 0.1 GB of memory a process "
                        "at the peak (0.2 GB in all)"), lines
    assert lines[1].startswith("synth: 1/2 scenes (50%)"), lines


def test_the_start_line_says_the_memory_a_4096_px_pair_takes():
    from data_gen.synth.config import SynthConfig
    from data_gen.synth.run import start_line
    from rsvlm.config import load_config

    cfg = load_config(SynthConfig, None, ["scene.size=4096", "scene.pairs_fraction=0.5", "modalities=[sar]"])
    assert start_line(1, cfg, 1) == ("synth: 1 scene of 4096 px x 1 modality, 1 worker; up to about 5.4 GB of "
                                     "memory a process at the peak")
