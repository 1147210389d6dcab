"""Tour 66 (helper C): chat's piped input and output."""

from __future__ import annotations

import io
import sys

import pytest
from conftest import ClosedPipe

from rsvlm.cli import main


def _chat(ckpt, geotiff, lines, monkeypatch) -> int:
    """``rsvlm chat`` on ``geotiff`` with ``lines`` piped in (then the end of input)."""
    typed = iter(lines)

    def reading(prompt=""):
        sys.stdout.write(prompt)  # as input() writes its prompt to a piped stdout
        line = next(typed, None)
        if line is None:
            raise EOFError
        return line

    monkeypatch.setattr("builtins.input", reading)
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))  # not a terminal: the lines are echoed
    return main(["chat", "--model", str(ckpt), "--image", str(geotiff), "--max-new-tokens", "2", "--device", "cpu"])


def test_a_piped_byte_order_mark_is_not_echoed(ckpt, geotiff, monkeypatch, capsys):
    """printf '\\xef\\xbb\\xbfhello' | rsvlm chat: the echo after the prompt began with the BOM."""
    assert _chat(ckpt, geotiff, ["\ufeff[cls] What scene?"], monkeypatch) == 0
    out = capsys.readouterr().out
    assert ">>> [cls] What scene?\n" in out and "\ufeff" not in out


def test_a_reader_gone_ends_the_chat_with_status_1_and_says_so(ckpt, geotiff, monkeypatch, capsys):
    """rsvlm chat < questions.txt | head -2 ended with status 0, as if every question had been answered (predict's
    --out - cut short is status 1)."""
    monkeypatch.setattr(sys, "stdout", ClosedPipe())
    assert _chat(ckpt, geotiff, ["[cls] What scene?", "/quit"], monkeypatch) == 1
    err = capsys.readouterr().err
    assert "rsvlm chat: standard output was closed by its reader; the chat ended there" in err


def test_a_bare_quit_is_not_asked_of_the_model(ckpt, geotiff, monkeypatch, capsys):
    """"exit" typed as in a Python REPL was answered by the model, and the chat went on without a word."""
    assert _chat(ckpt, geotiff, ["exit", "Quit"], monkeypatch) == 0
    out = capsys.readouterr().out
    assert "(/quit or Ctrl-D leaves; 'exit' alone is not asked)" in out
    assert "(/quit or Ctrl-D leaves; 'Quit' alone is not asked)" in out


def test_a_token_limit_past_the_context_is_taken_as_the_context(ckpt, geotiff, monkeypatch, capsys):
    """chat --max-new-tokens 100000: the streamed answer stops at the context, but --tta's view answers and
    --det-by-class's class answers were asked with 100000 and ran on far past it."""
    from rsvlm import chat

    made = []

    class Made(Exception):
        """The REPL is not needed: the limit it is made with is."""

    def making(self, *a, **k):
        made.append(k["max_new_tokens"])
        raise Made

    monkeypatch.setattr(chat.ChatREPL, "__init__", making)
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    with pytest.raises(Made):
        main(["chat", "--model", str(ckpt), "--image", str(geotiff), "--max-new-tokens", "100000", "--device", "cpu"])
    assert made == [512]  # configs/model/tiny.yaml's LLM context
    assert "--max-new-tokens 100000 is more than the LLM's whole context (512 tokens)" in capsys.readouterr().err


def test_a_reader_gone_while_the_model_loads_ends_the_chat_with_status_1(ckpt, geotiff, monkeypatch):
    """rsvlm chat < questions.txt 2>&1 | head -1: the loading line's reader went away before the chat's own catch,
    and cli's fallback ended it with status 0 (a reader gone later: status 1)."""
    monkeypatch.setattr(sys, "stderr", ClosedPipe())
    assert _chat(ckpt, geotiff, ["[cls] What scene?"], monkeypatch) == 1


def test_a_write_command_to_stdout_is_refused_not_a_file_named_dash(ckpt, geotiff, tmp_path, monkeypatch):
    """/geojson - wrote a file named '-' in the current folder, said 'wrote -'; /vis - 'unknown image extension'."""
    from test_predict_edges import chat_repl

    repl, out = chat_repl(ckpt)
    repl.load_image([str(geotiff), "optical"])
    repl.last = {"question": "[det] ships", "objects": [{"kind": "box", "label": "ship", "coords": [1, 2, 9, 8]}],
                 "problems": []}
    monkeypatch.chdir(tmp_path)
    assert repl.handle("/geojson -") and repl.handle("/vis -")
    said = out.getvalue()
    assert "error: /geojson -: the chat writes it to a file (/geojson out.geojson)" in said, said
    assert "error: /vis -: the chat writes it to a file (/vis out.png [R,G,B])" in said, said
    assert list(tmp_path.iterdir()) == []
