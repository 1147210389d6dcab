"""Tour 64 (front door): one "store" action notes and says repeated options, --rgb-bands repeated in another
case is the same bands, train/merge-lora/convert-llava say which stream lost its reader."""

from __future__ import annotations

import sys

import pytest
from conftest import one_stream_closed, stubbed_command

from rsvlm.cli import build_parser, main


@pytest.mark.parametrize("second", ["b04,b03,b02", "B4,B3,B2", " B04 , B03 , B02"])
def test_rgb_bands_repeated_in_another_spelling_of_the_same_bands_is_taken_unsaid(second, capsys):
    args = build_parser().parse_args(["predict", "--image", "a.png", "--task", "det", "--vis", "v.png",
                                      "--rgb-bands", "B04,B03,B02", "--rgb-bands", second])
    assert len(args.rgb_bands) == 3
    assert capsys.readouterr().err == ""  # was: "--rgb-bands given twice, [...] and [...]"


def test_rgb_bands_repeated_with_other_bands_is_still_said(capsys):
    build_parser().parse_args(["chat", "--image", "a.png", "--rgb-bands", "B04,B03,B02", "--rgb-bands", "B08,B04,B03"])
    assert "--rgb-bands given twice" in capsys.readouterr().err


def test_one_store_action_serves_data_gen_and_rsvlm():
    import data_gen.argv
    from rsvlm import argparsing

    p = data_gen.argv.record_values(argparsing.Parser(prog="x"))
    p.add_argument("--seed", type=int)
    p.parse_args(["--seed", "1", "--seed=2"])
    assert p._registry_get("action", None) is argparsing.Noted is build_parser()._registry_get("action", None)
    assert data_gen.argv.given_twice(p, ["--seed", "1", "--seed=2"]) == \
        "--seed is given twice: '--seed 1' and '--seed=2'; which one is meant? (give it once)"


@pytest.mark.parametrize("command", ["train", "merge-lora", "convert-llava"])
@pytest.mark.parametrize("closed", ["stdout", "stderr"])
def test_train_merge_and_convert_say_which_stream_lost_its_reader(command, closed, tmp_path, monkeypatch):
    def work(*a, **k):
        print("wrote …")
        print("loading …", file=sys.stderr)
        return 3

    argv = stubbed_command(monkeypatch, tmp_path, command, work)
    kept, said = one_stream_closed(monkeypatch, closed)
    assert main(argv) == 3  # the run's own status, as before
    assert f"rsvlm {command}: {said} was closed by its reader" in kept.text  # was: nothing said
