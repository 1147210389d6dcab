"""Review 78 of chat: 6d72af0c refuses a line holding a control character; what a questions file holds by
accident (Windows line ends, a last line's lone CR, a tab, a UTF-8 byte order mark) must still be asked, and the
refused line's character must not reach the terminal in the failed-lines summary either."""

from __future__ import annotations

import pytest
from setup_helpers import chat_piped


@pytest.mark.parametrize("data", [
    b"[cls] scene?\r\n[vqa] a ship?\r\n/help\r\n",  # Windows line ends
    b"[cls] scene?\r\n[vqa] a ship?\r",  # the last line's CR with no newline after it
    b"[cls] scene?\n[vqa] a\tship?\n\t[count] ships?\t\n",  # tabs inside and around
    b"\xef\xbb\xbf[cls] scene?\r\n[vqa] a ship?\n",  # saved "UTF-8 with BOM" (and Windows line ends)
    b"\xef\xbb\xbf/help\r\n",  # a BOM before a command
])
def test_what_a_questions_file_holds_by_accident_is_no_control_character(ckpt, geotiff, monkeypatch, capsys, data):
    assert chat_piped(ckpt, geotiff, monkeypatch, data) == 0
    cap = capsys.readouterr()
    assert "control character" not in cap.out + cap.err and "\r" not in cap.out and "read failed" not in cap.err, cap


def test_a_refused_control_character_is_written_escaped_in_the_failed_lines_summary(ckpt, geotiff, monkeypatch,
                                                                                   capsys):
    """The summary of a piped chat's failed lines quoted the refused line raw: its ESC [ A moved the cursor."""
    assert chat_piped(ckpt, geotiff, monkeypatch, b"\x1b[A[vqa] a ship?\n[cls] scene?\n") == 1
    cap = capsys.readouterr()
    assert "error: the line holds a control character (\\x1b, character 1)" in cap.out
    assert "1 of 2 lines read failed: line 1 (\\x1b[A[vqa] a ship?)" in cap.err, cap.err
    assert "\x1b" not in cap.out + cap.err


def test_streamed_pieces_split_mid_escape_print_as_the_whole_answer_does():
    """shown() is applied to each streamed piece: an ESC sequence split over pieces, or a character the tokenizer
    gave in two pieces, prints as the whole answer escaped at once (each control is one character)."""
    from rsvlm.answer_shown import shown

    text = "ship\x1b[2J\x07 at 船\x9b1m\u00e9\rx"
    for cut in range(len(text) + 1):
        assert shown(text[:cut]) + shown(text[cut:]) == shown(text)


def test_where_a_control_character_is_counted_as_the_line_was_typed(ckpt, geotiff):
    """6d72af0c counted the character's place in the line stripped of its leading spaces ("character 1" of a line
    whose ESC was its third)."""
    from test_predict_edges import chat_repl

    repl, out = chat_repl(ckpt)
    assert repl.handle("  \x1b[A[vqa] a ship?\r") and repl.failed
    assert repl.handle("\ufeff[vqa] a\x07 ship?") and repl.failed
    said = out.getvalue()
    assert "(\\x1b, character 3)" in said and "(\\x07, character 8)" in said, said
    assert repl.handle("[vqa] a ship?\x0c") and "(\\x0c" not in out.getvalue()  # stripped at an end, as before
