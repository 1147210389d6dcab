"""Model text as a terminal is shown it: a random or half-trained model's byte tokens decode to control characters
(ESC moved the cursor and recoloured the terminal, BEL rang it, a CR overwrote the line), printed raw by ``rsvlm
chat`` and ``rsvlm predict``. ``shown`` writes each C0 and C1 control character (and DEL) but the newline and the
tab as its ``\\xNN`` escape, as it does a byte read that is not UTF-8 (Python's surrogate escape, U+DCFF, which
a strict stdout refused: ``rsvlm chat``'s echo of such a line ended it); what is written to files (``--out``,
JSONL, GeoJSON) keeps the raw text.

Limits: other invisible characters (bidirectional overrides, zero-width spaces) are printed as they are.
"""
from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SHOWN = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\udc80-\udcff]")  # and a byte not UTF-8, surrogate-escaped


def shown(text: str) -> str:
    """``text`` with every control character but ``\\n`` and ``\\t`` written as ``\\xNN`` (``"\\x1b[2J"`` →
    ``"\\\\x1b[2J"``, four characters and ``[2J``), as is a byte not UTF-8 (``"\\udcff"`` → ``"\\\\xff"``); other
    text as it is."""
    return _SHOWN.sub(lambda m: f"\\x{ord(m.group(0)) & 0xff:02x}", text)


def first_control(text: str) -> tuple[int, str] | None:
    """Where the first control character of ``text`` but ``\\t`` (and ``\\n``) is, and it as ``shown`` writes it
    ((0, "\\\\x1b")), or None: a line piped in holding one (a terminal's key sequence, ESC [ A, saved into a questions
    file) is no question."""
    m = _CONTROL.search(text)
    return (m.start(), shown(m.group(0))) if m else None
