"""Review 77 (chat): --history's rule, now said before the question it first shapes (stop 77), is said exactly at the
question the session first leaves an exchange out of, after /image and /reset started the conversation anew and for
a [change] pair too (the prediction, ``session.asked > history``, against the session's own ``dropped_turns``)."""

from __future__ import annotations

import pytest
from test_predict_edges import chat_repl


@pytest.mark.parametrize("history", [0, 1, 3])
@pytest.mark.parametrize("start", ["image", "reset", "pair"])
def test_the_history_note_is_said_at_the_first_question_with_an_exchange_left_out(ckpt, geotiff, history, start):
    repl, out = chat_repl(ckpt, history=history)
    assert repl.load_image([str(geotiff), "optical"])
    assert repl.handle("[vqa] a?")  # one exchange, then a new conversation
    assert repl.handle(f"/image {geotiff}" if start != "reset" else "/reset")
    if start == "pair":
        assert repl.handle(f"/image {geotiff}")
    q = "[change] What changed?" if start == "pair" else "[vqa] b?"
    said_at, dropped_at = [], []
    for i in range(history + 3):
        before = len(out.getvalue())
        assert repl.handle(q)
        if any(w in out.getvalue()[before:] for w in ("note: each question is asked afresh", "note: the model is shown")):
            said_at.append(i)
        if repl.session.stats[-1]["dropped_turns"]:
            dropped_at.append(i)
    assert dropped_at and said_at == dropped_at[:1], (said_at, dropped_at, out.getvalue())
    assert ("image pair" in out.getvalue()) == (start == "pair")


LONG = "<ref>" + "a harbour crane beside a long pier " * 9 + "</ref><box><loc_1><loc_1><loc_9><loc_9></box>"


class _Cut:
    """Stands in for RSVLM.generate: every answer is ``text``, unfinished, the budget (or a label's bound) hiding
    what the model wanted (``budget_cut``): known cut."""

    def __init__(self, text: str):
        self.text = text

    def generate(self, input_ids, attention_mask, images, **kw):
        from rsvlm.model.vlm import GenerateOutput

        n = len(input_ids)
        out = GenerateOutput(tokens=[[] for _ in range(n)], text=[self.text] * n, scores=[[0.9]] * n,
                             finished=[False] * n)
        out.budget_cut = [True] * n
        return out


@pytest.mark.parametrize("text, label", [(LONG, True), ("<ref>ship</ref><box><loc_1><loc_1><loc_9><loc_9></box>", False)])
def test_a_known_cut_with_a_label_past_its_bound_names_the_bound(ckpt, geotiff, monkeypatch, capsys, text, label):
    """A <ref> label stops at grammar.MAX_LABEL_TOKENS (stop 77), the answer reported cut: the note said only "cut
    short by the token limit", whose --max-new-tokens advice cannot lengthen such a label."""
    from rsvlm import inference as inf
    from rsvlm.cli import main

    processor = inf.load_model(str(ckpt), "cpu")[1]
    monkeypatch.setattr(inf, "load_model", lambda *a, **k: (_Cut(text), processor))
    assert main(["predict", "--model", str(ckpt), "--image", str(geotiff), "--task", "det", "--device", "cpu",
                 "--max-new-tokens", "400"]) == 0
    err = capsys.readouterr().err
    assert "note: the answer was cut short by the token limit (400 tokens)" in err, err
    said = "or by a <ref> label's bound (256 tokens; its longest label is 315 characters)"
    assert (said in err and "(a label stays within its bound)" in err) == label, err


def test_the_cut_note_names_a_label_bound_only_where_known():
    from rsvlm.answering import cut_note

    assert "label" not in cut_note(400, text=LONG)  # ran to the limit: "may be cut", the limit's alone
    assert "label's bound" in cut_note(400, "a class answer", known=True, text=LONG)
