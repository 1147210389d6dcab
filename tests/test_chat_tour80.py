"""Stop 80, chat: a byte not of stdin's encoding is named with that encoding and its offset, the lines a strict stdin
lost with it are read again, and Ctrl-C that ends a chat says how far it got (status 130)."""
from __future__ import annotations

import pytest
from test_chat_tour54 import chat_main
from test_predict_edges import chat_repl


def test_a_surrogate_escaped_byte_is_named_with_the_sources_encoding_and_offset():
    """It said "not UTF-8" whatever stdin's encoding was, and not where in the line the byte was."""
    from rsvlm.tokens import tagged

    with pytest.raises(ValueError, match=r"not UTF-8 text \(byte 0xe9 at byte 9\)"):
        tagged("[vqa] caf\udce9?")
    with pytest.raises(ValueError, match=r"not UTF-8 text \(byte 0xe9 at byte 10\)"):
        tagged("[vqa] \u00e7af\udce9?")  # ç is two bytes of UTF-8
    with pytest.raises(ValueError, match=r"not ASCII text \(byte 0xe9 at byte 3\): set the terminal to ASCII.*"
                                         r"iconv -f latin1 -t ascii q.txt > q-ascii.txt"):
        tagged("caf\udce9", "ascii")
    with pytest.raises(ValueError, match=r"not SHIFT_JIS text \(byte 0x80 at byte 2\)"):
        tagged("\u3042\udc80", "shift_jis")  # あ is two bytes of Shift JIS


def test_the_chat_names_its_stdins_encoding(ckpt, geotiff, monkeypatch):
    repl, out = chat_repl(ckpt)
    repl.load_image([str(geotiff), "optical"])
    repl.encoding = "cp1252"
    assert repl.handle("[cls] caf\udc81?")  # 0x81 is no cp1252 character
    assert "error: the question is not CP1252 text (byte 0x81 at byte 9): set the terminal to CP1252" in out.getvalue()
    assert not repl.session.stats


def test_lines_read_with_a_bad_byte_from_a_strict_stdin_are_still_answered(ckpt, geotiff, monkeypatch, capsys):
    """A stdin reconfigure cannot change (a replaced input()): the decode error lost its read's lines, the ones
    before the bad one too, each unsaid; now each is read from the error's bytes, the bad one alone refused."""
    chunk = b"[cls] first?\n[vqa] caf\xe9?\n[cls] third?\n"
    strict = UnicodeDecodeError("utf-8", chunk, chunk.index(b"\xe9"), chunk.index(b"\xe9") + 1, "invalid byte")
    assert chat_main(["--model", str(ckpt), "--image", str(geotiff), "--max-new-tokens", "2"],
                     [strict, "[cls] fourth?"], monkeypatch) == 1
    said = capsys.readouterr()
    for q in ("[cls] first?", "[cls] third?"):  # the stub input() writes no prompt: the chat writes those it reads
        assert f">>> {q}\n" in said.out, said.out
    assert "\n[cls] fourth?\n" in said.out
    assert ">>> [vqa] caf\\xe9?\nerror: the question is not UTF-8 text (byte 0xe9 at byte 9)" in said.out, said.out
    assert "rsvlm chat: 1 of 4 lines read failed: line 2 ([vqa] caf\\xe9?)" in said.err, said.err
    assert said.out.count("error:") == 1


def test_bytes_of_an_unknown_encoding_are_said_lost_with_the_bad_bytes_offset(ckpt, geotiff, monkeypatch, capsys):
    """Where the read's bytes cannot be decoded again (an encoding Python does not know), the loss is said."""
    strict = UnicodeDecodeError("x-mystery", b"[cls] a?\nb\xe9\n", 10, 11, "invalid byte")
    assert chat_main(["--model", str(ckpt), "--image", str(geotiff), "--max-new-tokens", "2"],
                     [strict, "[cls] next?"], monkeypatch) == 1
    said = capsys.readouterr()
    assert "error: the line is not x-mystery text (byte 0xe9 at byte 1); the lines read with it are lost" in said.out
    assert "\n[cls] next?\n" in said.out


def test_ctrl_c_at_a_piped_chats_read_ends_it_saying_how_far_it_got(ckpt, geotiff, monkeypatch, capsys):
    """It said "(Ctrl-D or /quit to leave)" to a pipe, which no one types Ctrl-D into, and read on."""
    assert chat_main(["--model", str(ckpt), "--image", str(geotiff), "--max-new-tokens", "2"],
                     ["[cls] first?", "/help", KeyboardInterrupt(), "[cls] never?"], monkeypatch) == 130
    said = capsys.readouterr()
    assert "Ctrl-D or /quit" not in said.out and "never" not in said.out, said.out
    assert said.err.splitlines()[-1] == ("rsvlm chat: interrupted (Ctrl-C); 1 question answered of 2 lines read; "
                                         "the lines after it were not read"), said.err


def test_ctrl_c_where_no_step_catches_it_is_one_line_and_status_130(ckpt, geotiff, monkeypatch, capsys):
    """A Ctrl-C while the chat ends (its count of failed lines) was cli's bare 'stopped (Ctrl-C)'."""
    from rsvlm import chat_loop

    def stopped(*a):
        raise KeyboardInterrupt

    monkeypatch.setattr(chat_loop, "_ended", stopped)
    assert chat_main(["--model", str(ckpt), "--image", str(geotiff), "--max-new-tokens", "2"],
                     ["[cls] first?", "[cls] second?"], monkeypatch) == 130
    assert capsys.readouterr().err.splitlines()[-1] == "rsvlm chat: interrupted (Ctrl-C); 2 questions answered"


def test_a_terminals_ctrl_c_at_the_prompt_still_says_how_to_leave(ckpt, geotiff, monkeypatch, capsys):
    import sys

    monkeypatch.setattr(sys.stdin, "isatty", lambda: True, raising=False)
    assert chat_main(["--model", str(ckpt), "--image", str(geotiff), "--max-new-tokens", "2"],
                     [KeyboardInterrupt(), "[cls] after?"], monkeypatch) == 0
    said = capsys.readouterr().out
    assert "(Ctrl-D or /quit to leave)" in said and "interrupted" not in said
