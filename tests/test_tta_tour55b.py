"""Follow-ups of tour 55: a fused answer (``tta.Fused``) is ``past_context`` where the plain answer
or any view's ran past the LLM's context, and eval, predict (untiled and tiled) and chat say so; a
view answer past the context was fused without a word (stand-in answerers, no model)."""

from __future__ import annotations

import io
import types

import numpy as np
import pytest

from rsvlm import inference as inf
from rsvlm import tta
from rsvlm.data.conversation import PromptConfig

BOX = "<ref>ship</ref><box><loc_400><loc_400><loc_599><loc_599></box>"  # centred: the same in every view
DET = [{"role": "user", "content": "<image>\n[det] Detect every ship."}]
CLS = [{"role": "user", "content": "<image>\n[cls] What scene is this?"}]


class _PastOnView:
    """An answerer standing in for the model: ``text`` to every prompt; the answers of call number
    ``past`` (0: the plain prompts, 1: the first other view, ...) ran past the LLM's context."""

    def __init__(self, text: str, past: int | None):
        self.text, self.past, self.calls = text, past, 0

    def __call__(self, messages, images):
        past = self.calls == self.past
        self.calls += 1
        return [inf.Answer(self.text, [0.9] if "<box>" in self.text else [], past_context=past) for _ in messages]


def image(w=32, h=32):
    """An RSImage stand-in (what predict and chat hold)."""
    return types.SimpleNamespace(data=np.zeros((3, h, w), np.float32), modality="optical", bands=("R", "G", "B"),
                                 path="a.png", width=w, height=h, window=None)


@pytest.mark.parametrize("text,msgs", [(BOX, DET), ("harbor", CLS)], ids=["shapes", "text"])
@pytest.mark.parametrize("past", [None, 0, 2])
def test_a_fused_answer_is_past_the_context_where_the_plain_or_any_view_answer_was(text, msgs, past):
    # was: Fused carried cut but not past_context, so a view answer past the context was fused unsaid
    ask = _PastOnView(text, past)
    first = ask([msgs], [[inf.model_input(image())]])
    fused = tta.fused_answers(ask, [msgs], [[inf.model_input(image())]], first, tta.FuseConfig())[0]
    assert ask.calls == 4 and fused is not None and fused.answer == text
    assert fused.past_context is (past is not None) and fused.cut is False


def test_eval_marks_a_record_whose_view_answer_ran_past_the_context(tmp_path, monkeypatch):
    from test_eval_tour55 import big_scene, det_record, stand_in

    from rsvlm import evaluate

    big_scene(tmp_path)
    rows = {}
    for past in (None, 1):
        processor = stand_in(monkeypatch, _PastOnView(BOX, past))
        rows[past] = evaluate.answer_batch(None, processor, [det_record()], tmp_path, 64, tta=tta.FuseConfig())[0]
    assert "past_context" not in rows[None]
    assert rows[1]["past_context"] is True and rows[1]["answer"] == BOX  # the plain answer was inside


def test_predict_ask_keeps_a_view_answers_past_context_flag(monkeypatch):
    from rsvlm import predict

    processor = types.SimpleNamespace(prompt=PromptConfig())
    for past, want in ((None, False), (3, True)):
        monkeypatch.setattr(inf, "answerer", lambda *a, past=past, **k: _PastOnView(BOX, past))
        answer = predict.ask(None, processor, [image()], "[det] Detect every ship.", 64, tta=tta.FuseConfig())
        assert answer.text == BOX and answer.past_context is want


@pytest.mark.parametrize("text,question", [(BOX, "[det] Detect every ship."), ("harbor", "[cls] What scene?")],
                         ids=["shapes", "text"])
def test_a_tile_whose_view_answer_ran_past_the_context_is_marked(monkeypatch, text, question):
    from rsvlm import predict

    processor = types.SimpleNamespace(prompt=PromptConfig())
    monkeypatch.setattr(inf, "answerer", lambda *a, **k: _PastOnView(text, 2))
    answers: list = []
    predict.tile_predictor(None, processor, question, 64, answers, tta=tta.FuseConfig())([image(), image()])
    assert [a.get("past_context") for a in answers] == [True, True] and [a["answer"] for a in answers] == [text] * 2


def _chat(monkeypatch, ask):
    from rsvlm.chat import ChatREPL

    out = io.StringIO()
    repl = ChatREPL.__new__(ChatREPL)  # no session needed: fused asks through the stand-in answerer
    repl.out, repl.tta, repl.images = out, tta.FuseConfig(), [image()]
    repl.session = types.SimpleNamespace(messages=[*DET, {"role": "assistant", "content": BOX}],
                                         gen={"max_new_tokens": 8}, model=None, min_objects=0)
    monkeypatch.setattr(ChatREPL, "answerer", lambda self: ask)
    return repl, out


def test_chat_says_a_view_answer_ran_past_the_context(monkeypatch):
    repl, out = _chat(monkeypatch, _PastOnView(BOX, 1))
    assert repl.fused(BOX, [0.9]).past_context is True
    said = [line for line in out.getvalue().splitlines() if "past the LLM's context" in line]
    assert said == ["  note: a view answer ran past the LLM's context: its end is unreliable; "
                    "a shorter question or a lower --max-new-tokens keeps it inside"]
    # a plain (class-by-class) answer past the context was said already: not again for the fusion
    repl, out = _chat(monkeypatch, _PastOnView(BOX, None))
    assert repl.fused(BOX, [0.9], past_context=True).past_context is True
    assert "past the LLM's context" not in out.getvalue()
