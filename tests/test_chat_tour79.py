"""Tour 79 of chat and predict: a questions file with an old Mac's line ends (lone CRs)."""

from __future__ import annotations

import io


def _chat(ckpt, geotiff, monkeypatch, data: bytes) -> int:
    from rsvlm.cli import main

    # as Linux's sys.stdin reads a pipe: no newline translation, a CR stays on its line
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", newline="\n"))
    return main(["chat", "--model", str(ckpt), "--image", str(geotiff), "--max-new-tokens", "2"])


def test_a_questions_file_with_lone_cr_line_ends_is_read_as_lines(ckpt, geotiff, monkeypatch, capsys):
    """It arrived as one line and was refused naming its \\x0d: no question asked, status 1."""
    assert _chat(ckpt, geotiff, monkeypatch, b"[cls] scene?\r/help\r\r[vqa] a ship?\r") == 0
    cap = capsys.readouterr()
    assert "control character" not in cap.out and "\\x0d" not in cap.out and "\r" not in cap.out, cap.out
    assert "(note: the line read holds 4 lines ended by a lone CR, an old Mac's line ends: each is read as a line)" \
        in cap.out, cap.out
    assert ">>> [cls] scene?\n" in cap.out and ">>> /help\n" in cap.out and ">>> [vqa] a ship?\n" in cap.out, cap.out
    assert "/image" in cap.out.split(">>> /help\n", 1)[1]  # /help ran: its command list follows
    assert "read failed" not in cap.err, cap.err


def test_a_failed_line_among_lone_cr_lines_is_counted_by_its_own_number(ckpt, geotiff, monkeypatch, capsys):
    assert _chat(ckpt, geotiff, monkeypatch, b"/help\r/nosuchcommand\r[cls] scene?") == 1
    cap = capsys.readouterr()
    assert "1 of 3 lines read failed: line 2 (/nosuchcommand)" in cap.err, cap.err


def test_windows_line_ends_are_not_taken_for_lone_crs():
    from rsvlm.chat import cr_lines

    assert cr_lines("[cls] scene?\r") == ["[cls] scene?\r"]
    assert cr_lines("[cls] scene?\r\r") == ["[cls] scene?\r\r"]
    assert cr_lines("a\rb\r") == ["a", "b"]
    assert cr_lines("a\r\rb") == ["a", "", "b"]
