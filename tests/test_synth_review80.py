"""Review of stop 80's data_gen and bench changes: rebuild's --prefix is refused before its config is read, a data
config is told from other kinds by its own sections, and bench/tta.py's --limit takes a count of 1 or more or 'all'."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest
from script_loader import load_bench

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("prefix", ["stage 1_", "x/", ".h_", " s_"])
def test_rebuild_names_a_bad_prefix_before_a_bad_config(tmp_path, prefix, capsys, monkeypatch):
    """A bad --prefix was checked after the config was loaded, so a training recipe given as --config hid it: the
    user fixed the config, ran again, and only then heard of the prefix (an empty --dir: nothing is read first)."""
    from data_gen.__main__ import main

    monkeypatch.chdir(REPO)
    capsys.readouterr()
    assert main(["rebuild", "--dir", str(tmp_path), "--prefix", prefix, "--config", "configs/train/sft_tiny.yaml",
                 "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: prefix {prefix!r} ") and "SynthConfig" not in err and err.count("\n") == 1


def test_a_data_config_is_known_by_any_of_its_sections(tmp_path):
    """Every section of SynthConfig marks a data config, however few it holds: a typo beside one is no recipe."""
    from dataclasses import fields

    from data_gen.argv import other_file
    from data_gen.synth.config import SynthConfig

    for name in (f.name for f in fields(SynthConfig)):
        cfg = tmp_path / f"{name}.yaml"
        cfg.write_text(f"{name}: {{}}\noptim: {{lr: 1}}\nmax_steps: 3\n")
        assert other_file(str(cfg)) == "", name
    recipe = tmp_path / "r.yaml"
    recipe.write_text("optim: {lr: 1}\nmax_steps: 3\n")
    assert " is a training recipe" in other_file(str(recipe))


@pytest.mark.parametrize("value", ["0", "-2", "x", "1.5"])
def test_tta_limit_refuses_what_is_no_count_naming_it(monkeypatch, capsys, value):
    """``--limit 0`` answered every record and ``--limit -2`` all but the last two, unsaid; 'x' was "invalid
    every_or_count value"."""
    tta = load_bench("tta", monkeypatch)
    with pytest.raises(argparse.ArgumentTypeError, match=f"{value!r}: give a count of records"):
        tta.every_or_count(value)
    assert tta.every_or_count(" ALL ") is None and tta.every_or_count("3") == 3


@pytest.mark.parametrize("prefix", ["*.x", "stage 1_", "a:b", "**", "é*_"])
def test_the_prefix_offered_is_one_rebuild_takes(prefix, tmp_path):
    """``prefix_problem('*.x')`` offered '.x_', which opens with '.' and is refused in turn."""
    from data_gen.instructions.rebuild import check_prefix, prefix_problem

    offered = prefix_problem(prefix).rsplit("e.g. ", 1)[1].strip("'")
    check_prefix(offered, tmp_path)  # raises where the offer is refused
