"""A new user's first hour, README.md and docs/cli.md in hand: ``--task`` takes any case as
``--modality`` does, and says in ``--help`` what it is."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from rsvlm.cli import build_parser

REPO = Path(__file__).resolve().parents[1]


def _sub(name: str) -> argparse.ArgumentParser:
    action = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return action.choices[name]


@pytest.mark.parametrize("task", ["DET", "Det", "regCap"])
def test_predict_task_is_taken_in_any_case_as_modality_is(task):
    """``--task DET`` was a usage error while ``--modality SAR`` and a prompt's ``[DET]`` were taken."""
    args = build_parser().parse_args(["predict", "--image", "a.png", "--task", task, "--modality", "SAR"])
    assert (args.task, args.modality) == (task.lower(), ["sar"])


def test_predict_task_still_refuses_an_unknown_task(capsys):
    with pytest.raises(SystemExit) as e:
        build_parser().parse_args(["predict", "--image", "a.png", "--task", "detect"])
    assert e.value.code == 2 and "invalid choice: 'detect'" in capsys.readouterr().err


def test_every_predict_option_has_help():
    """``--task`` was listed in ``rsvlm predict --help`` with no word on it."""
    bare = [a.option_strings[0] for a in _sub("predict")._actions if a.option_strings and not a.help]
    assert not bare, f"options without help: {bare}"
