"""Review of 5959e63a (RE): ``typed_eof`` caught no ``termios.error`` (not an OSError), which ``tcgetattr`` raises on
a terminal hung up between ``isatty`` and it; band files given three times were "given twice"."""
from __future__ import annotations

import os
import sys

import pytest

from rsvlm import chat_loop
from rsvlm.io.image import as_paths


def test_a_terminal_error_is_no_typed_end(monkeypatch):
    termios = pytest.importorskip("termios")
    pty = pytest.importorskip("pty")
    master, slave = pty.openpty()
    try:
        with open(slave, encoding="utf-8", closefd=False) as stdin:
            monkeypatch.setattr(sys, "stdin", stdin)

            def hung_up(fd):
                raise termios.error(5, "Input/output error")

            monkeypatch.setattr(termios, "tcgetattr", hung_up)
            assert chat_loop.typed_eof() is False  # raised termios.error out of the chat's read
    finally:
        os.close(slave)
        os.close(master)


def test_a_band_file_given_three_times_is_said_so(tmp_path):
    for n in ("B02.tif", "B04.tif"):
        (tmp_path / n).write_bytes(b"x")
    b02, b04 = tmp_path / "B02.tif", tmp_path / "B04.tif"
    with pytest.raises(ValueError, match=r"B02.tif: given 3 times among the band files"):
        as_paths([b02, b02, b04, b02])
    with pytest.raises(ValueError, match=r"B02.tif: given twice among"):
        as_paths([b02, b04, b02])
