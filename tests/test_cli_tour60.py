"""Tour 60: the CLI's front door: options are not abbreviated, and a typo is said with the option meant."""

from __future__ import annotations

import pytest

from rsvlm.cli import main


@pytest.mark.parametrize("argv, word, meant", [
    (["predict", "--image", "x.png", "--task", "regcap", "--reg", "1,2,3,4"], "--reg", "did you mean --region?"),
    (["predict", "--image", "x.png", "--task", "regcap", "--reg=1,2,3,4"], "--reg", "did you mean --region?"),
    (["chat", "--hist", "0"], "--hist", "did you mean --history?"),
    (["predict", "--image", "x.png", "--task", "det", "--m", "x"], "--m", "did you mean one of --model, --modality"),
])
def test_an_abbreviated_option_is_refused_with_the_option_it_starts(argv, word, meant, capsys):
    """``--reg`` ran as ``--region`` without a word (argparse's allow_abbrev), and ``--m`` was "ambiguous option"."""
    with pytest.raises(SystemExit) as e:
        main(argv)
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert f"unrecognized arguments: {word}" in err
    assert f"{word} is no option; options are not abbreviated: {meant}" in err


def test_a_misspelt_option_is_said_with_the_nearest(capsys):
    with pytest.raises(SystemExit):
        main(["predict", "--image", "x.png", "--task", "regcap", "--regoin", "1,2,3,4"])
    assert "unrecognized arguments: --regoin 1,2,3,4 (--regoin is no option: did you mean --region?)" \
        in capsys.readouterr().err


def test_an_unlike_option_gets_no_guess(capsys):
    with pytest.raises(SystemExit):
        main(["predict", "--image", "x.png", "--task", "det", "--xyz"])
    err = capsys.readouterr().err
    assert "unrecognized arguments: --xyz" in err and "did you mean" not in err


def test_a_required_option_cut_short_is_said_with_the_one_meant(capsys):
    """``eval --dat x`` was "the following arguments are required: --data" alone, the typo unsaid."""
    with pytest.raises(SystemExit):
        main(["eval", "--dat", "d.jsonl", "--out", "p.jsonl"])
    assert "required: --data (--dat is no option; options are not abbreviated: did you mean --data?)" \
        in capsys.readouterr().err
