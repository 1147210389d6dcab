"""Review of stop 79's chat round 2 (P7): the chat's loop lives in rsvlm.chat_loop, its names still rsvlm.chat's;
the empty-stdin note is a piped chat's alone (a terminal's Ctrl-D at once, or after questions, says nothing)."""
from __future__ import annotations


def test_the_loop_s_names_are_still_rsvlm_chat_s():
    from rsvlm import chat, chat_loop

    assert chat.cr_lines is chat_loop.cr_lines and chat.talk is chat_loop.talk


def test_the_empty_stdin_note_is_said_for_a_pipe_only(capsys):
    from rsvlm.chat_loop import _ended

    assert _ended(0, [], piped=False) == 0 and capsys.readouterr().err == ""  # a terminal's Ctrl-D at once
    assert _ended(3, [], piped=True) == 0 and capsys.readouterr().err == ""  # questions read, none failed
    assert _ended(0, [], piped=True) == 0
    assert "its standard input was empty: no line read" in capsys.readouterr().err
