"""Review of stop 80's chat loop: a strict stdin's lines read again after a decode error, through a real
TextIOWrapper's 8 KiB reads (a replaced input() stood in for it before): a character cut at a read's end is not
refused as a bad byte, and a decoder stuck at the stream's end ends the chat instead of refusing it for ever."""
from __future__ import annotations

import io
import sys

import pytest

from rsvlm import chat_loop


class LinesRepl:
    """What ``chat_loop._lines`` uses of a ChatREPL: each line handled is kept, or refused where ``tagged`` does
    (test_chat_tour81e and test_chat_review81RE use it too)."""

    def __init__(self):
        self.out, self.failed, self.encoding, self.asked, self.said = io.StringIO(), False, None, [], 0

    def say(self, text=""):
        self.said += 1
        if self.said > 200:  # a loop that never ends: fail the test instead of hanging it
            raise RuntimeError("the chat said 200 lines: it reads for ever")
        self.out.write(f"{text}\n")

    def handle(self, line):
        from rsvlm.tokens import tagged

        try:
            self.asked.append(tagged(line, self.encoding))
        except ValueError as e:
            self.failed = True
            self.say(f"error: {e}")
        return True


def piped_chat(data: bytes, monkeypatch) -> tuple[int, LinesRepl]:
    """A piped chat's loop over ``data`` read by a strict UTF-8 stdin (one reconfigure could not change)."""
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BufferedReader(io.BytesIO(data)), encoding="utf-8"))
    monkeypatch.setattr(sys, "stdout", io.StringIO())  # input()'s prompts
    repl = LinesRepl()
    return chat_loop._lines(repl, True), repl


LONG = b"[vqa] " + b"a" * 9000  # longer than a read (8 KiB)


def test_a_character_cut_at_the_end_of_a_read_holding_a_bad_byte_is_not_refused(monkeypatch, capsys):
    """The bad line's 8 KiB read ended inside an é: its line was refused naming 0xc3, its rest naming 0xa9."""
    bad = b"[vqa] bad\xff?\n"
    data = bad + LONG[:8191 - len(bad)] + "é?\n[vqa] next?\n".encode()
    assert data.index("é".encode()) == 8191
    status, repl = piped_chat(data, monkeypatch)
    assert status == 1
    assert repl.asked == [(LONG[:8191 - len(bad)] + "é?".encode()).decode(), "[vqa] next?"], repl.out.getvalue()
    assert repl.out.getvalue().count("error:") == 1 and "(byte 0xff at byte 9)" in repl.out.getvalue()
    assert "1 of 3 lines read failed: line 1 ([vqa] bad\\xff?)" in capsys.readouterr().err


def test_a_stream_ending_after_a_bad_read_that_began_inside_a_character_ends(monkeypatch, capsys):
    """The read before the bad one ended inside an é: the decoder kept its first byte, and at the stream's end
    raised on it at each read, refused for ever (``0xc3 at byte 0``), the chat never ending."""
    data = LONG[:8191] + "é?\n[vqa] second?\n".encode() + b"[vqa] bad\xff?\n[vqa] fourth?\n"
    status, repl = piped_chat(data, monkeypatch)
    assert status == 1
    assert repl.asked[1:] == ["[vqa] second?", "[vqa] fourth?"], repl.out.getvalue()
    assert repl.out.getvalue().count("error:") == 1 and "0xc3" not in repl.out.getvalue()
    assert "1 of 4 lines read failed" in capsys.readouterr().err


def test_a_bad_reads_last_line_with_no_line_end_is_still_read(monkeypatch):
    status, repl = piped_chat(b"[vqa] one?\n[vqa] caf\xe9?\n[vqa] last?", monkeypatch)
    assert status == 1 and repl.asked == ["[vqa] one?", "[vqa] last?"], repl.out.getvalue()


@pytest.mark.parametrize("end", [b"", b"\n"])
def test_a_stream_ending_inside_a_character_is_refused_once(monkeypatch, capsys, end):
    status, repl = piped_chat(b"[vqa] one?\n" + end + b"[vqa] x\xc3", monkeypatch)
    assert status == 1 and repl.asked[0] == "[vqa] one?"
    assert repl.out.getvalue().count("error:") == 1, repl.out.getvalue()


@pytest.mark.parametrize("line", [b"[vqa] caf\xe9?", b"[vqa] caf\xe9?\n"])
def test_a_bad_line_shorter_than_a_read_is_refused_whole_with_no_blank_line_after(line):
    """A decode error holding less than a read (a terminal's line, a replaced input()'s) keeps none of it for the
    next read to end; a full read keeps its last line, no line end after it."""
    e = UnicodeDecodeError("utf-8", line, 9, 10, "invalid byte")
    assert chat_loop.undecoded_lines(e) == (["[vqa] caf\udce9?"], b"")
    e = UnicodeDecodeError("utf-8", b"[vqa] a?\n" + line, 18, 19, "invalid byte")
    assert chat_loop.undecoded_lines(e, full=True) == ((["[vqa] a?", "[vqa] caf\udce9?"], b"") if line.endswith(b"\n")
                                                       else (["[vqa] a?"], line))


def test_a_bad_bytes_offset_is_counted_in_the_line_as_typed(ckpt, geotiff):
    """An indented question's offset was counted in the line stripped: 'at byte 9' of a byte at byte 12."""
    from test_predict_edges import chat_repl

    repl, out = chat_repl(ckpt)
    repl.load_image([str(geotiff), "optical"])
    assert repl.handle("   [cls] caf\udce9?\r") and repl.failed
    assert "error: the question is not UTF-8 text (byte 0xe9 at byte 12)" in out.getvalue(), out.getvalue()
    repl.encoding = "cp1252"
    assert repl.handle("\ufeff[cls] \u00e7af\udc81?")  # a BOM left: not counted; ç is one byte of cp1252
    assert "(byte 0x81 at byte 9)" in out.getvalue(), out.getvalue()
    assert not repl.session.stats


def test_a_folder_of_many_images_offers_one_that_opens_as_its_example(tmp_path):
    """Past MANY_BANDS files none is opened: a text file named a_broken.png sorted first was offered (9442e976
    chose one that opens only up to 24); the first of a few that opens is, the hint still quick."""
    import time

    from test_chat_tour79 import png_file

    from rsvlm.io.checks import check_image_path

    d = tmp_path / "photos"
    for i in range(30):
        png_file(d / f"img{i}.png", 8, 8 + i % 2)
    (d / "a_broken.png").write_text("not an image")
    start = time.perf_counter()
    with pytest.raises(FileNotFoundError) as e:
        check_image_path(d)
    said = str(e.value)
    assert time.perf_counter() - start < 1, said
    assert f"give one of its images, e.g. {d / 'img0.png'}; they are 31 separate images (more than 24)" in said, said
