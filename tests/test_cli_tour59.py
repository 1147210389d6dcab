"""Tour 59: the CLI front door as a demanding user meets it."""

from __future__ import annotations

import pytest

from rsvlm.cli import main


@pytest.mark.parametrize("option, value, hint", [
    ("--region", "-1,0,5,5", "--region=-1,0,5,5"),
    ("--prompt", "-why?", "'--prompt=-why?'"),  # quoted for the shell
])
def test_a_value_starting_with_a_dash_is_said_how_to_give(option, value, hint, capsys):
    """``--region -1,0,5,5`` was "expected one argument" alone: argparse reads the value as an option."""
    with pytest.raises(SystemExit) as e:
        main(["predict", "--image", "x.png", "--task", "regcap", option, value])
    assert e.value.code == 2
    assert f"argument {option}: expected one argument (a value starting with '-' is given as {hint})" \
        in capsys.readouterr().err


def test_a_missing_value_gets_no_dash_hint(capsys):
    with pytest.raises(SystemExit):
        main(["predict", "--image", "x.png", "--task", "regcap", "--region"])
    err = capsys.readouterr().err
    assert "argument --region: expected one argument" in err and "given as" not in err


@pytest.mark.parametrize("argv, option", [
    (["--region", "--prompt", "what?"], "--region"),  # the region left out: the next option followed
    (["--prompt", "--out", "r.json"], "--prompt"),
    (["--prompt", "--ou=r.json"], "--prompt"),  # an option cut short, as argparse takes it
    (["--region", "-h"], "--region"),
])
def test_a_value_left_out_before_the_next_option_gets_no_dash_hint(argv, option, capsys):
    """``--region --prompt what?`` was told to write ``--region=--prompt``: the next option is no value."""
    with pytest.raises(SystemExit):
        main(["predict", "--image", "x.png", "--task", "regcap", *argv])
    err = capsys.readouterr().err
    assert f"argument {option}: expected one argument" in err and "given as" not in err


@pytest.mark.parametrize("argv", [["predict", "--image", "x.png", "--task", "det"], ["chat"],
                                  ["eval", "--data", "d.jsonl", "--out", "p.jsonl"], ["merge-lora", "--out", "m"]])
def test_an_empty_model_is_refused_not_the_bundled_one_run(argv, capsys):
    """``--model "$MODEL"`` with MODEL unset ran the bundled default model without a word."""
    assert main([*argv, "--model", ""]) == 2
    err = capsys.readouterr().err
    assert f"rsvlm {argv[0]}: --model is empty; give a checkpoint folder" in err
    assert ("leave --model out" in err) == (argv[0] != "merge-lora")
