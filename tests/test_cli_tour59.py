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
