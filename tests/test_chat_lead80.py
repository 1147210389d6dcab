"""Stop 80 (lead): a strict cp1252 stdin's decode error names its codec "charmap"; the lines read with it are
decoded, and the bad byte named, with stdin's own encoding."""
from __future__ import annotations

import io
import sys

from test_chat_tour54 import chat_main


def test_a_charmap_codecs_bad_byte_is_named_with_stdins_encoding(ckpt, geotiff, monkeypatch, capsys):
    """cp1252's UnicodeDecodeError says encoding 'charmap', which decodes every byte (0x81 -> U+0081): the bad line
    was asked with a control character in it, and a message named "CHARMAP"."""
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b""), encoding="cp1252"))
    chunk = b"[cls] first?\n[vqa] caf\x81?\n"
    at = chunk.index(b"\x81")
    strict = UnicodeDecodeError("charmap", chunk, at, at + 1, "character maps to <undefined>")
    assert chat_main(["--model", str(ckpt), "--image", str(geotiff), "--max-new-tokens", "2"],
                     [strict, "[cls] third?"], monkeypatch) == 1
    said = capsys.readouterr()
    assert ">>> [cls] first?\n" in said.out, said.out
    assert "error: the question is not CP1252 text (byte 0x81 at byte 9)" in said.out, said.out
    assert "CHARMAP" not in said.out + said.err
