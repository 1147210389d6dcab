"""Answers the token limit cut short, said by predict and eval as chat says them; a TTA view the
model refuses; chat's object table cut at 50 rows."""

from __future__ import annotations

import io

from rsvlm import inference as inf


def test_chat_prints_50_rows_of_a_long_answer_and_counts_the_rest(ckpt, geotiff, monkeypatch):
    from rsvlm.chat import ChatREPL

    model, processor = inf.load_model(str(ckpt), "cpu")
    out = io.StringIO()
    repl = ChatREPL(model, processor, out=out, max_new_tokens=2)
    repl.load_image([str(geotiff), "optical"])
    many = [{"kind": "box", "label": "car", "coords": [i, 1.0, i + 2.0, 3.0]} for i in range(120)]
    monkeypatch.setattr(inf, "locate", lambda *a, **k: {"answer": "", "text": "", "objects": many, "problems": []})
    assert repl.ask("[det] cars") is not None
    said = out.getvalue()
    assert len([line for line in said.splitlines() if "  car  " in line]) == 50
    assert "… and 70 more object(s), not shown (/geojson writes them all)" in said
    assert len(repl.last["objects"]) == 120  # /geojson still writes them all
