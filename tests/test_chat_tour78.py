"""Tour 78 (chat, predict): a byte answer's control characters (a random model's ESC, BEL, CR) reached the terminal
raw, moving the cursor and ringing the bell; they are printed escaped, and --out keeps the raw text."""

from __future__ import annotations

import json

import pytest
from test_predict_edges import chat_repl, predict_det

from rsvlm.answer_shown import shown

RAW = "ship\x1b[2J\x07 at\rdock\x9b1m\x00\tend\nnext"


@pytest.mark.parametrize("text, escaped", [
    ("\x1b[31mred", "\\x1b[31mred"),
    ("bell\x07", "bell\\x07"),
    ("over\rwrite", "over\\x0dwrite"),
    ("c1\x9b2J", "c1\\x9b2J"),  # a C1 CSI
    ("del\x7f", "del\\x7f"),
    ("tab\tand\nline", "tab\tand\nline"),  # kept
    ("Ünïcode ✓ 船", "Ünïcode ✓ 船"),
])
def test_shown_escapes_control_characters_only(text, escaped):
    assert shown(text) == escaped


def test_a_chat_answer_with_control_characters_is_printed_escaped(ckpt, geotiff, monkeypatch):
    repl, out = chat_repl(ckpt)
    real = repl.session.ask

    def ask(text, images=None, on_token=None, **kw):
        real(text, images=images, **kw)  # the stats and cache of a real turn
        for piece in ("ship\x1b[2J", "\x07 at\rdock", "\x9b1m\x00\tend\nnext"):
            on_token(piece)
        return RAW

    monkeypatch.setattr(repl.session, "ask", ask)
    assert repl.load_image([str(geotiff), "optical"])
    assert repl.handle("[vqa] What is there?")
    text = out.getvalue()
    assert "ship\\x1b[2J\\x07 at\\x0ddock\\x9b1m\\x00\tend\nnext" in text, text
    assert not any(c in text for c in "\x1b\x07\r\x9b\x00"), repr(text)
    assert repl.last["answer"] == RAW  # the kept answer (/save, /geojson) is the model's own text


def test_a_predict_answer_is_printed_escaped_and_written_raw(ckpt, geotiff, tmp_path, monkeypatch, capsys):
    from rsvlm import predict

    def ask(*a, **kw):
        return RAW, []

    monkeypatch.setattr(predict, "ask", ask)
    out = tmp_path / "r.json"
    assert predict_det(ckpt, geotiff, "--out", str(out)) == 0
    cap = capsys.readouterr()
    assert shown(RAW) in cap.out and not any(c in cap.out + cap.err for c in "\x1b\x07\r\x9b\x00"), repr(cap.out)
    assert json.loads(out.read_text())["answer"] == RAW


@pytest.mark.parametrize("line, said", [
    ("\x1b[A[vqa] is there a ship?", "(\\x1b, character 1)"),  # an arrow key saved in a questions file
    ("[vqa] a ship?\x07", "(\\x07, character 14)"),
    ("/image a\x00.png", "(\\x00, character 9)"),
])
def test_a_line_with_a_control_character_is_refused_naming_it(ckpt, geotiff, line, said):
    """"\\x1b[A[vqa] …" was asked of the model as free text, its tag unread and the ESC sent to the terminal."""
    repl, out = chat_repl(ckpt)
    assert repl.load_image([str(geotiff), "optical"])
    assert repl.handle(line) and repl.failed
    assert f"error: the line holds a control character {said}: neither asked nor run" in out.getvalue(), out.getvalue()
    assert repl.session.asked == 0
    assert repl.handle("[vqa] a\tship?") and repl.session.asked == 1  # a tab is no control to refuse


def test_a_bare_command_with_words_after_it_names_them_as_typed(ckpt):
    """"/quit now please" said "got ['now', 'please']", a Python list."""
    repl, out = chat_repl(ckpt)
    assert repl.handle("/quit now please")
    assert "error: /quit takes nothing after it, got now please\n" in out.getvalue(), out.getvalue()


def test_the_history_rule_said_of_a_refused_question_is_said_again_before_the_first_answer(ckpt, geotiff):
    """A question past the LLM's context took the once-a-chat note on --history's rule with it: the first answered
    question after it came with no word of the rule."""
    repl, out = chat_repl(ckpt, history=0)
    assert repl.load_image([str(geotiff), "optical"]) and repl.handle("[vqa] a boat?")
    assert repl.handle("[vqa] " + "is there a ship near the harbour " * 400 + "?")
    assert repl.failed and repl.session.asked == 1 and "error: the conversation is" in out.getvalue()
    rule = "note: each question is asked afresh about the image"
    assert repl.handle("[vqa] a ship?") and repl.handle("[vqa] a car?")
    text = out.getvalue()
    assert text.count(rule) == 2 and text.rindex(rule) > text.index("error: the conversation is"), text
