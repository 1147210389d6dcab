"""A new user's first hour, README.md and docs/cli.md in hand: what ``rsvlm … --help`` says matches
what the docs write (``--tile SIZE --overlap PX``, ``--min-score S``), ``--task`` takes any case as
``--modality`` does, and ``rsvlm eval --help`` says what the command does."""

from __future__ import annotations

import argparse
import re
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


@pytest.mark.parametrize("sub, option, metavar", [
    ("predict", "--tile", "SIZE"), ("predict", "--overlap", "PX"), ("predict", "--min-score", "S"),
    ("predict", "--bands", "NAMES"), ("eval", "--limit", "N"), ("eval", "--image-root", "DIR"),
    ("chat", "--model", "DIR"), ("predict", "--model", "DIR"), ("eval", "--model", "DIR"),
])
def test_help_names_option_values_as_the_docs_do(sub, option, metavar):
    """The help said ``--tile TILE``, ``--overlap OVERLAP``, ``--min-score MIN_SCORE``, ``--limit LIMIT``,
    ``--model MODEL`` and ``--image-root IMAGE_ROOT`` where README.md and docs/cli.md write ``--tile SIZE
    --overlap PX``, ``--min-score S``, ``--model DIR`` and ``--image-root DIR`` (and the eval help's other
    counts are ``N``); ``--help`` of each now writes the docs' names."""
    usage = _sub(sub).format_usage()
    assert f"[{option} {metavar}]" in usage, usage
    docs = (REPO / "README.md").read_text() + (REPO / "docs" / "cli.md").read_text()
    if metavar != "NAMES":  # the docs give band names by example (--bands R,G,B,NIR)
        assert re.search(rf"{re.escape(option)} {metavar}\b", docs), f"the docs never write {option} {metavar}"


def test_every_predict_option_has_help():
    """``--task`` was listed in ``rsvlm predict --help`` with no word on it."""
    bare = [a.option_strings[0] for a in _sub("predict")._actions if a.option_strings and not a.help]
    assert not bare, f"options without help: {bare}"


def test_eval_help_says_what_the_command_does():
    """``rsvlm eval --help`` went straight from usage to options; chat, predict and train say what they do."""
    text = " ".join(_sub("eval").format_help().split())
    assert "one prediction line per record" in text and "resumed" in text and "python -m eval.TASK" in text


@pytest.mark.parametrize("sub, argv, want", [
    ("chat", ["--tta", "FLIP", "--missing-bands", "Mean", "--history", "ALL"],
     {"tta": "flip", "missing_bands": "mean", "history": "all"}),
    ("predict", ["--image", "a.tif", "--task", "det", "--tta", "Dihedral+Crops", "--missing-bands", "ERROR"],
     {"tta": "dihedral+crops", "missing_bands": "error"}),
    ("eval", ["--data", "t.jsonl", "--out", "p.jsonl", "--tta", "Crops", "--missing-bands", "COPY"],
     {"tta": "crops", "missing_bands": "copy"}),
])
def test_word_choices_are_taken_in_any_case(sub, argv, want):
    """``--modality SAR`` was taken but ``--tta FLIP``, ``--missing-bands COPY`` and ``--history ALL`` were
    usage errors (the last 'expected a whole number, got 'ALL' (or all)')."""
    args = build_parser().parse_args([sub, *argv])
    assert {k: getattr(args, k) for k in want} == want


def test_merge_lora_of_a_folder_that_is_no_checkpoint_says_only_that(tmp_path, capsys):
    """``rsvlm merge-lora --model runs/synth`` (a synthetic data folder, whose config.yaml is a data config)
    said "note: … its weights are written as they are" on stdout before the error that it is no checkpoint."""
    from rsvlm.cli import main

    data = tmp_path / "synth"
    data.mkdir()
    (data / "config.yaml").write_text("scene: {size: 96}\nsplit: {test: 0.1}\n")
    assert main(["merge-lora", "--model", str(data), "--out", str(tmp_path / "merged")]) == 2
    out, err = capsys.readouterr()
    assert "not an rsvlm checkpoint" in err and "written" not in out, (out, err)
    assert not (tmp_path / "merged").exists()


def test_ctrl_c_while_the_model_loads_is_one_line_not_a_traceback(monkeypatch, capsys):
    """`timeout -s INT 7 rsvlm predict …` during loading printed a KeyboardInterrupt traceback."""
    from rsvlm import cli, predict

    def loading(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(predict, "main", loading)
    rc = cli.main(["predict", "--image", "x.png", "--task", "cls"])
    assert rc == 130 and capsys.readouterr().err.strip() == "rsvlm predict: stopped (Ctrl-C)"
