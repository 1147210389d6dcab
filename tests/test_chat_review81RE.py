"""Review 81 (RE) of the chat: a strict stdin's re-read after a bad byte on a terminal, whose reads are a line each
(none begins inside a line), and a ``--tta`` note of several parts said a line each by predict as by chat."""
from __future__ import annotations

import io
import sys

from test_chat_review80 import LinesRepl


class LineReads(io.RawIOBase):
    """A terminal's bytes: each read returns one line at most, as a tty in canonical mode does."""

    def __init__(self, data: bytes):
        self.lines = data.splitlines(keepends=True)

    def readable(self):
        return True

    def readinto(self, b):
        if not self.lines:
            return 0
        line = self.lines.pop(0)
        b[:len(line)] = line
        return len(line)


def test_a_terminals_bad_line_is_refused_for_its_byte_not_as_the_end_of_a_line(monkeypatch):
    """A terminal reads a line at a time: the bad byte's read begins its line. Its line was refused as "only the end
    of a line (its start … lost)", the byte unsaid, where a line had been read before it."""
    from rsvlm import chat_loop

    data = b"[vqa] one?\n[vqa] caf\xe9?\n[vqa] three?\n"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BufferedReader(LineReads(data), 8192), encoding="utf-8"))
    monkeypatch.setattr(sys, "stdout", io.StringIO())  # input()'s prompts
    repl = LinesRepl()
    assert chat_loop._lines(repl, False) == 0  # a terminal's user saw each error as it came
    said = repl.out.getvalue()
    assert repl.asked == ["[vqa] one?", "[vqa] three?"], said
    assert "end of a line" not in said and "0xe9" in said, said  # the byte is named, as for the stream's first line


def test_predict_says_each_part_of_a_fused_note_on_a_line_of_its_own(monkeypatch):
    """chat split a note of parts a line each (2a9129bb); predict's ``notes`` (stderr, --out's "notes") kept one line
    saying 'test-time augmentation:' again partway through."""
    import numpy as np

    from rsvlm import inference as inf
    from rsvlm import predict, tta
    from rsvlm.data.conversation import PromptConfig
    from rsvlm.fusion import Fused
    from rsvlm.inference import Answer
    from rsvlm.io.read import RSImage
    from rsvlm.tta_text import NONE_REPLACED, unfused_note

    parts = [f"{NONE_REPLACED} ('None.'), but the other views found some: 1 shape fused in its place",
             unfused_note([("h", "it is empty"), ("hv", "it is empty")], 3, True)]
    box = "<ref>ship</ref><box><loc_400><loc_400><loc_599><loc_599></box>"
    fused = Fused(box, [{"kind": "box", "label": "ship", "coords": [10.0, 10.0, 20.0, 20.0]}], answers=4,
                  note="; ".join(parts), left_out=2)
    monkeypatch.setattr(inf, "answerer", lambda *a, **k: lambda msgs, imgs: [Answer("None.", []) for _ in msgs])
    monkeypatch.setattr(tta, "fused_answers", lambda *a, **k: [fused])
    img = RSImage(data=np.zeros((3, 32, 32), np.float32), modality="optical", bands=["R", "G", "B"], path="a.png")
    notes: list[str] = []
    predict.ask(None, type("P", (), {"prompt": PromptConfig()})(), [img], "[det] Detect all ships.", 64,
                tta=tta.FuseConfig(), notes=notes)
    assert [n for n in notes if "test-time augmentation" in n] == parts, notes
