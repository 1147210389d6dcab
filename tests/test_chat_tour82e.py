"""Tour 82 (E): a Ctrl-D typed on the terminal while an answer was written ends the chat after the whole answer
(readline's raw mode dropped it: the chat sat at its prompt); a strict stdin's re-read that begins at a line end
names the line lost whole, not "line 2 ()"; a bracketed pair read as a decimal comma is said to be coordinates."""
from __future__ import annotations

import io
import os
import sys

import pytest
from test_chat_review80 import LinesRepl, piped_chat

from rsvlm import chat_loop
from rsvlm.answer_text import no_count_why, parse_count


@pytest.fixture
def terminal(monkeypatch):
    """A pseudo-terminal as stdin (canonical mode, as between readline's reads): its writing end, to type at."""
    pty = pytest.importorskip("pty")
    master, slave = pty.openpty()
    stdin = open(slave, encoding="utf-8", closefd=False)  # noqa: SIM115
    monkeypatch.setattr(sys, "stdin", stdin)
    yield master
    stdin.close()
    os.close(slave)
    os.close(master)


def test_a_ctrl_d_waiting_alone_on_the_terminal_is_read_as_the_end(terminal):
    assert not chat_loop.typed_eof()  # nothing typed
    os.write(terminal, b"\x04")
    assert chat_loop.typed_eof()
    assert not chat_loop.typed_eof()  # read: gone


def test_a_line_typed_ahead_is_left_for_input(terminal):
    os.write(terminal, b"[vqa] next?\n")
    assert not chat_loop.typed_eof()
    assert sys.stdin.readline() == "[vqa] next?\n"
    os.write(terminal, b"half typed\x04")  # Ctrl-D after words sends them, no end: not the end either
    assert not chat_loop.typed_eof()


def test_ctrl_d_typed_during_an_answer_ends_the_chat_after_it(terminal, monkeypatch):
    """The answer is handled whole, then the chat ends (status 0) without asking readline, which drops the Ctrl-D."""
    dropped = []

    def readline_input(prompt):  # as readline reads: in raw mode, where the terminal's Ctrl-D is gone
        sys.stdout.write(prompt)
        if not (line := sys.stdin.readline()):
            dropped.append(prompt)  # readline would sit at its prompt here
            raise EOFError
        return line.rstrip("\n")

    class Answering(LinesRepl):
        def handle(self, line):
            super().handle(line)
            os.write(terminal, b"\x04")  # typed while the answer is written
            self.out.write("the whole answer\n")
            return True

    monkeypatch.setattr("builtins.input", readline_input)
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    os.write(terminal, b"[vqa] one?\n")
    repl = Answering()
    assert chat_loop._lines(repl, False) == 0
    assert repl.asked == ["[vqa] one?"] and repl.out.getvalue().endswith("the whole answer\n>>> \n")
    assert not dropped


def test_a_reread_beginning_at_a_line_end_names_the_line_lost(monkeypatch, capsys):
    """The 8 KiB read ended just before a line's end and the next held a bad byte: the line read up to there was
    lost whole, and the chat said 'line 2 ()'."""
    first = b"[vqa] one?\n"
    data = first + b"[vqa] " + b"a" * (8192 - len(first) - 6) + b"\n[vqa] caf\xe9?\n[vqa] last?\n"
    assert data[8192:8193] == b"\n"
    status, repl = piped_chat(data, monkeypatch)
    err = capsys.readouterr().err
    assert status == 1 and repl.asked == ["[vqa] one?", "[vqa] last?"]
    assert "line 2 (maybe lost whole with a failed read), line 3 ([vqa] caf\\xe9?)" in err and "()" not in err, err
    assert "error: a line may be lost whole here" in repl.out.getvalue()


@pytest.mark.parametrize("answer", ["(12,34)", "[1,5]", "( 12,34 )", "At (3,25) there are ships."])
def test_a_bracketed_pair_read_as_a_decimal_comma_is_said_to_be_coordinates(answer):
    assert parse_count(answer) is None
    assert no_count_why(answer) == "holds a coordinate-like pair ((x,y)), not a count"


@pytest.mark.parametrize("answer, why", [("12,34", "decimal comma"), ("1,5 ships (3,4)", "decimal comma")])
def test_a_decimal_comma_outside_brackets_is_still_said_so(answer, why):
    assert parse_count(answer) is None and why in no_count_why(answer)
