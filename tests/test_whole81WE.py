"""Whole-stop review 81 (WE): a piped chat written a line at a time (a program driving it) whose bad byte's line was
refused as maybe only the end of a line, its byte unsaid; and ``no_count_why`` reading an answer its own way, not as
``parse_count`` did (a label's '<ref>3 or 4</ref>' said as two counts offered, '2.5 or 3' as no count stated)."""
from __future__ import annotations

import io
import itertools
import sys

import pytest
from test_chat_review80 import LinesRepl
from test_chat_review81RE import LineReads


def test_a_pipe_written_a_line_at_a_time_names_the_bad_byte_of_a_line_it_may_have_torn(monkeypatch):
    """Each read is a line (a driving program writes one and waits for the answer), yet piped: the read after the
    first may begin inside a line, so its first line is refused as maybe the end of one; where that line holds the bad
    byte, the byte and its offset are said too (they were not: the line was whole, and nothing said why it failed)."""
    from rsvlm import chat_loop

    data = b"[vqa] one?\n[vqa] caf\xe9?\n[vqa] three?\n"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BufferedReader(LineReads(data), 8192), encoding="utf-8"))
    monkeypatch.setattr(sys, "stdout", io.StringIO())  # input()'s prompts
    repl = LinesRepl()
    assert chat_loop._lines(repl, True) == 1
    said = repl.out.getvalue()
    assert repl.asked == ["[vqa] one?", "[vqa] three?"], said
    (error,) = [line for line in said.splitlines() if line.startswith("error:")]
    assert "may be only the end of a line" in error and "not UTF-8 text (byte 0xe9 at byte 9)" in error, error


def test_a_torn_line_with_no_bad_byte_names_no_byte(monkeypatch):
    from test_chat_review80 import piped_chat

    data = b"[vqa] " + b"a" * 8170 + b"\n[det] Detect every ship.\n[vqa] caf\xe9?\n[vqa] last?\n"
    _, repl = piped_chat(data, monkeypatch)
    (torn,) = [line for line in repl.out.getvalue().splitlines() if "end of a line" in line]
    assert "byte 0x" not in torn, torn


@pytest.mark.parametrize(("answer", "count", "why"), [
    ("<ref>3 or 4</ref>", None, "states no count"),  # the label is no count: was "offers two counts"
    ("2.5 or 3", None, "offers two counts"),  # was "states no count"
    ("about 3 or 4.5 ships", None, "offers two counts"),
    ("3 or 4 ships, 2,5 km away", None, "offers two counts"),  # the first number's reading: was "decimal comma"
    ("-3 ships, 1,5 km", None, "states no count"),  # a negative count, not the later decimal comma
    ("1,5", None, "decimal comma"), ("three or four", None, "offers two counts"), ("ships", None, "states no count"),
])
def test_no_count_why_says_what_parse_count_read(answer, count, why):
    from rsvlm.answer_text import no_count_why, parse_count

    assert parse_count(answer) == count and why in no_count_why(answer), no_count_why(answer)


def test_no_count_why_agrees_with_parse_count_on_generated_answers():
    """Every answer of a few words: where ``parse_count`` reads no count for two counts or a decimal comma, the note
    says so, and where it reads none for neither, the note says none stated (an oracle from the answer's first
    number, not ``no_count_why``'s own reading)."""
    from rsvlm.answer_text import no_count_why, parse_count

    words = ["3", "2.5", "1,5", "1 000", "or", "4", "ships", "<ref>3 or 4</ref>", "-3", "none", "about"]
    seen = set()
    for n in (1, 2, 3, 4):
        for parts in itertools.product(words, repeat=n):
            answer = " ".join(parts)
            if parse_count(answer) is not None:
                continue
            why = no_count_why(answer)
            plain = [w for w in parts if w not in ("<ref>3 or 4</ref>", "ships", "about")]  # those hold no count
            first = next((i for i, w in enumerate(plain) if w[0].isdigit() or w == "-3"), None)
            if first is not None and plain[first] == "1,5":
                want = "decimal comma"
            elif first is not None and plain[first] != "-3" and plain[first + 1:first + 2] == ["or"] \
                    and plain[first + 2:first + 3] and plain[first + 2].lstrip("-")[0].isdigit():  # "3 or -3": two
                want = "offers two counts"
            else:
                want = "states no count"
            assert want in why, (answer, why)
            seen.add(want)
    assert len(seen) == 3
