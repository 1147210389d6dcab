"""Tour 66 (helper C): predict's options given to chat."""

from __future__ import annotations

import pytest
from conftest import usage_error

from rsvlm.cli import main


def test_predict_s_options_given_to_chat_say_what_the_chat_does_instead(capsys):
    """rsvlm chat --task det was answered "did you mean --tta?", --prompt hi with nothing at all."""
    err = usage_error(["chat", "--image", "a.tif", "--task", "det"], capsys)
    assert "in the chat a question opens with its task tag: [det] Detect all ships." in err, err
    assert "did you mean" not in err, err
    err = usage_error(["chat", "--image", "a.tif", "--prompt=hi", "--vis", "o.png"], capsys)
    assert "a question is typed, or piped in: echo" in err and "/vis out.png and /geojson" in err, err


def test_a_misspelt_chat_option_is_still_told_the_one_meant(capsys):
    assert "did you mean --tta?" in usage_error(["chat", "--image", "a.tif", "--tak", "flip"], capsys)


def test_chat_s_region_hint_says_what_becomes_of_pixels_in_a_box(capsys):
    """--region's hint ended "(pixels X1,Y1,X2,Y2 in it are converted in the error))": converted to what, where."""
    err = usage_error(["chat", "--image", "a.tif", "--region", "1,2,3,4"], capsys)
    assert "one typed in pixels, <box>10,10,50,50</box>, is refused naming the <box> to write)" in err, err
    assert "))" not in err, err


def test_predict_help_says_a_region_alone_makes_the_task_regcap(capsys):
    """6363fa49 let --region stand for --task regcap; --help said nothing of it."""
    with pytest.raises(SystemExit):
        main(["predict", "--help"])
    assert "alone, it makes --task regcap" in " ".join(capsys.readouterr().out.split())
