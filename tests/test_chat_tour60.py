"""Tour 60: in a chat, reading and band notes advise the /image command, not predict's --bands / --modality."""

from __future__ import annotations

import numpy as np
import pytest

from rsvlm.advice import for_chat, for_cli


@pytest.fixture
def vv(tmp_path):
    import tifffile

    path = tmp_path / "one scene.tif"  # a space: the advice quotes the path as /image reads it
    tifffile.imwrite(path, np.random.default_rng(1).random((32, 32), dtype=np.float32))
    return path


def test_a_band_note_in_the_chat_names_the_image_command(ckpt, vv):
    """"name it with --bands, or "bands" in a record's image": neither is anything a chat takes."""
    from test_predict_edges import chat_repl

    repl, out = chat_repl(ckpt)
    repl.session.processor.missing_bands = "copy"
    assert repl.handle(f"/image '{vv}' sar")
    said = out.getvalue()
    assert f"1 unnamed band taken as VV (name it with /image '{vv}' sar NAME,NAME,…)" in said, said
    assert "--bands" not in said and "record" not in said


def test_a_band_error_in_the_chat_names_the_image_command(ckpt, vv):
    from test_predict_edges import chat_repl

    repl, out = chat_repl(ckpt)
    repl.session.processor.missing_bands = "copy"
    assert repl.handle(f"/image '{vv}' sar X1")
    said = out.getvalue()
    assert said.startswith("error: ") and said.rstrip().endswith(f"name them with /image '{vv}' sar NAME,NAME,…"), said


def test_an_image_of_the_command_line_keeps_the_option(ckpt, vv, monkeypatch, capsys):
    """Notes of an --image said before the chat starts name the option typed, without a record's field."""
    from test_chat_tour54 import chat_main

    assert chat_main(["--model", str(ckpt), "--image", str(vv), "--modality", "sar"], [], monkeypatch) == 0
    out = capsys.readouterr().out
    assert "1 unnamed band taken as VV (name it with --bands)" in out, out


@pytest.mark.parametrize("note, bands, said", [
    ("3 unnamed bands taken in order (if not, name them with --bands, or \"bands\" in a record's image)", None,
     "3 unnamed bands taken in order (if not, name them with /image 'a b.tif' msi NAME,NAME,…)"),
    ("read as Sentinel-2's (--bands B04,B03,B02)", None, "read as Sentinel-2's (/image 'a b.tif' msi B04,B03,B02)"),
    ("a grey photo (--modality sar or ir)", "VV", "a grey photo (/image 'a b.tif' sar VV (or ir))"),
    ("a panchromatic photo: --modality optical; SAR: --modality sar", None,
     "a panchromatic photo: /image 'a b.tif' optical; SAR: /image 'a b.tif' sar"),
])
def test_for_chat_says_each_option_as_the_image_command(note, bands, said):
    assert for_chat(note, "a b.tif", "msi", bands) == said


def test_the_stems_hint_is_the_one_advice_rewrites():
    """advice keeps stem.NAME_BANDS' text (importing the stem imports torch): a change there is caught here."""
    from rsvlm.model.stem import NAME_BANDS

    assert for_cli(f"x ({NAME_BANDS})") == "x (--bands)"


@pytest.mark.parametrize("words, said", [
    (["a b.tif", "--modality", "sar"], "/image takes the modality and bands without option names: /image 'a b.tif' sar"),
    (["a.tif", "--bands", "VV,VH"], "/image takes the modality and bands without option names: /image a.tif VV,VH"),
    (["a.tif", "sar", "--bands=VV,VH"], "without option names: /image a.tif sar VV,VH"),
    (["a.tif", "--modality", "sar", "--bands", "VV,VH"], "without option names: /image a.tif sar VV,VH"),
    (["a.tif", "--missing-bands", "copy"], "no options (--missing-bands): it is an option of rsvlm chat, given when it "
                                           "starts"),
])
def test_image_words_that_are_options_are_refused_with_the_command_meant(words, said):
    """``/image a.tif --modality sar`` was "unknown modality '--modality'", and ``sar --bands=VV,VH`` loaded a band
    named "--bands=VV" (left out, VV filled from VH); five words were told to quote a path with spaces."""
    from rsvlm.chat_commands import option_words

    assert said in option_words(words)


def test_image_words_without_options_pass():
    from rsvlm.chat_commands import option_words

    assert option_words(["-scene.tif", "sar", "VV"]) is None  # a path may start with a dash


def test_an_image_command_with_an_option_loads_nothing(ckpt, vv):
    from test_predict_edges import chat_repl

    repl, out = chat_repl(ckpt)
    assert repl.handle(f"/image '{vv}' sar --bands=VV")  # loaded a band named "--bands=VV", VV filled
    assert out.getvalue() == f"error: /image takes the modality and bands without option names: /image '{vv}' sar VV\n"
    assert repl.images == []
