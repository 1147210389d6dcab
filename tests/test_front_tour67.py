"""Stop 67's tour of the front door (rsvlm chat's commands, rsvlm predict)."""

import pytest
from conftest import usage_error
from test_predict_edges import chat_repl


@pytest.fixture(scope="module")
def repl(ckpt):
    return chat_repl(ckpt)


def said(repl, line: str) -> str:
    """What the chat says of one input line (and that it goes on)."""
    r, out = repl
    out.seek(0)
    out.truncate()
    assert r.handle(line)
    return out.getvalue()


@pytest.mark.parametrize("line", ["/quit '", '/reset "the pair', "/HELP 'x"])
def test_a_bare_command_with_an_open_quote_is_not_told_to_quote_a_path(repl, line):
    """``/quit '`` said "cannot read ' as words …: put a path holding a quote … in quotes of the other kind",
    of a command that takes no path."""
    cmd, rest = line.split(maxsplit=1)
    assert said(repl, line) == f"error: {cmd.lower()} takes nothing after it, got {rest}\n"


@pytest.mark.parametrize("typed, meant", [("/q", "/quit"), ("/g", "/geojson"), ("/vi", "/vis"), ("/im", "/image"),
                                          ("/RES", "/reset")])
def test_the_start_of_a_command_names_it(repl, typed, meant):
    """``/q`` was "unknown command /q; /help lists them", naming no /quit (too short for difflib)."""
    assert said(repl, typed) == f"unknown command {typed.lower()} (did you mean {meant}?); /help lists them\n"


def test_an_unknown_command_starting_no_command_names_none(repl):
    assert said(repl, "/x") == "unknown command /x; /help lists them\n"


@pytest.mark.parametrize("line", ["\\q", ":wq", ":q!", ":x", "Q"])
def test_other_tools_ways_out_are_not_asked_of_the_model(repl, line):
    """psql's ``\\q`` and vim's ``:wq`` were asked of the model as questions ("load an image first")."""
    assert said(repl, line) == f"(/quit or Ctrl-D leaves; {line!r} alone is not asked)\n"


def test_chat_s_options_given_to_predict_say_what_predict_does(geotiff, capsys):
    """``predict --temperature 0.5`` was "unrecognized arguments: --temperature 0.5" alone: the option is chat's."""
    err = usage_error(["predict", "--image", str(geotiff), "--task", "det", "--temperature", "0.5", "--history=2"],
                      capsys)
    assert "unrecognized arguments: --temperature 0.5 --history=2 (chat's options; predict decodes greedily; rsvlm " \
           "chat --temperature T samples; predict asks one question; rsvlm chat --history N shows" in err, err


def test_predict_s_tiling_given_to_chat_says_the_chat_answers_whole(geotiff, capsys):
    """``chat --tile 96`` was "unrecognized arguments: --tile 96" alone, naming no predict --tile."""
    err = usage_error(["chat", "--image", str(geotiff), "--tile", "96", "--overlap", "8"], capsys)
    assert "unrecognized arguments: --tile 96 --overlap 8 (predict's options; in the chat the image is answered " \
           "whole, read at most 2048 px a side; rsvlm predict --tile SIZE answers a large scene window by window)" \
           in err, err


REGCAP = "--task regcap --region X1,Y1,X2,Y2 (in the image's pixels) asks about a region"
TILED = "with --tile, write the region's <box> in --prompt"  # --tile refuses --region: it was offered there too


@pytest.mark.parametrize("given, way", [(["--prompt", "[vqa] What is in {box}?"], REGCAP),
                                        (["--task", "cap", "--prompt", "Describe {box}."], REGCAP),
                                        (["--prompt", "[vqa] What is in {box}?", "--tile", "32"], TILED)],
                         ids=["vqa", "cap", "tiled"])
def test_a_box_placeholder_without_region_is_refused(geotiff, tmp_path, given, way, capsys):
    """``--prompt '[vqa] What is in {box}?'`` without --region was asked with "{box}" as typed: an answer about
    nothing; refused before the model loads (the model folder here does not exist), naming the way to ask."""
    from rsvlm.cli import main

    assert main(["predict", "--model", str(tmp_path / "no-model"), "--image", str(geotiff), *given]) == 2
    err = capsys.readouterr().err
    assert f"rsvlm predict: --prompt holds {{box}}, the place --region's box is written in, and no --region is " \
           f"given: {way}" in err, err
    assert way != TILED or "--task regcap --region" not in err, err


def test_a_chat_with_its_output_closed_is_refused_before_the_model_loads(geotiff, tmp_path, monkeypatch, capsys):
    """``rsvlm chat >&-`` loaded the model, then ended in input()'s "lost sys.stdout" traceback."""
    from rsvlm.cli import main

    monkeypatch.setattr("sys.stdout", None)
    assert main(["chat", "--model", str(tmp_path / "no-model"), "--image", str(geotiff)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("rsvlm chat: standard output is closed: the chat writes its answers there"), err
    assert "loading model" not in err


def test_predict_out_dash_with_its_output_closed_is_refused(geotiff, tmp_path, monkeypatch, capsys):
    """``rsvlm predict --out - >&-`` answered, then ended in an AttributeError traceback writing the JSON."""
    from rsvlm.cli import main

    monkeypatch.setattr("sys.stdout", None)
    assert main(["predict", "--model", str(tmp_path / "no-model"), "--image", str(geotiff), "--task", "det",
                 "--out", "-"]) == 2
    assert capsys.readouterr().err == "rsvlm predict: --out -: standard output is closed; give it a file name\n"


def test_a_stream_closed_before_the_run_is_the_null_device_said_lost(monkeypatch, capsys):
    """``rsvlm predict --out o.json >&-``: sys.stdout is None, and the guard's first write of it was an
    AttributeError (… 'NoneType' object has no attribute 'write') ending the run before --out was written."""
    import sys

    from rsvlm.closed_pipes import readers_may_close

    monkeypatch.setattr("sys.stdout", None)
    with readers_may_close("rsvlm predict") as closed:
        print("the answer")  # dropped
        assert closed == {"stdout"}
    assert sys.stdout is None
    assert capsys.readouterr().err == ("rsvlm predict: standard output was closed before the run (>&-); the run "
                                       "went on to its end, and what it wrote there was not shown\n")
