"""Tour 81 (E) of the chat: a strict stdin's re-read after a bad byte, where the read holding it began inside a line
(the line's start, read before, is lost with that read: its end alone was asked as a question)."""
from __future__ import annotations

from test_chat_review80 import piped_chat

FIRST = b"[vqa] " + b"a" * 8170 + b"\n"  # the first 8 KiB read ends inside the next line


def test_a_line_cut_by_the_read_before_a_bad_byte_is_refused_not_asked_by_its_end(monkeypatch, capsys):
    data = FIRST + b"[det] Detect every ship.\n[vqa] caf\xe9?\n[vqa] last?\n"
    assert len(FIRST) < 8192 < data.index(b"ship")  # the read holding the bad byte begins inside line 2
    status, repl = piped_chat(data, monkeypatch)
    said = repl.out.getvalue()
    assert status == 1
    assert repl.asked == [FIRST[:-1].decode(), "[vqa] last?"], said  # "ery ship." was asked as a question
    assert "this may be only the end of a line" in said and said.count("error:") == 2
    err = capsys.readouterr().err
    assert "2 of 4 lines read failed" in err and "line 2 (ery ship.)" in err and "line 3 ([vqa] caf\\xe9?)" in err


def test_a_read_starting_at_a_line_start_after_a_re_read_keeps_its_first_line(monkeypatch):
    """After a re-read the next read begins where it ended (its cut line carried): nothing refused for a lost start."""
    data = b"[vqa] caf\xe9?\n" + b"[vqa] " + b"b" * 8200 + b"\n[vqa] x\xff?\n[vqa] end?\n"
    status, repl = piped_chat(data, monkeypatch)
    said = repl.out.getvalue()
    assert status == 1 and "end of a line" not in said, said
    assert repl.asked == [(b"[vqa] " + b"b" * 8200).decode(), "[vqa] end?"]


def test_the_streams_first_read_holding_a_bad_byte_refuses_that_line_alone(monkeypatch):
    status, repl = piped_chat(b"[vqa] one?\n[vqa] caf\xe9?\n[vqa] three?\n", monkeypatch)
    assert status == 1 and repl.asked == ["[vqa] one?", "[vqa] three?"]
    assert "end of a line" not in repl.out.getvalue()


def test_a_fused_note_of_several_parts_is_said_a_line_each(ckpt, geotiff, monkeypatch):
    """A plain "None." outvoted and a view left out: one note line ran on, 'test-time augmentation:' said twice in it."""
    from conftest import Terminal

    from rsvlm import inference as inf
    from rsvlm import tta
    from rsvlm.chat import ChatREPL
    from rsvlm.fusion import Fused
    from rsvlm.tta_text import NONE_REPLACED, unfused_note

    parts = [f"{NONE_REPLACED} ('None.'), but the other views found some: 1 shape fused in its place",
             unfused_note([("h", "it is empty")], 3, True)]

    def fused_answers(ask, messages, inputs, answers, cfg, refused=None, on_views=None):
        if on_views is not None:
            on_views(cfg.views[1:])
        return [Fused("<ref>ship</ref><box><loc_10><loc_10><loc_500><loc_500></box>", None, answers=4,
                      note="; ".join(parts), left_out=1)]

    monkeypatch.setattr(tta, "fused_answers", fused_answers)
    model, processor = inf.load_model(str(ckpt), "cpu")
    repl = ChatREPL(model, processor, out=Terminal(), max_new_tokens=8, tta=tta.FuseConfig(views=tta.MODES["flip"]))
    repl.load_image([str(geotiff), "optical"])
    assert repl.handle("[det] Detect all ships.")
    lines = repl.out.getvalue().splitlines()
    assert [line for line in lines if "test-time augmentation" in line] == [f"  note: {p}" for p in parts], lines
