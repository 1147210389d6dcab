"""Tour 56 of test-time fusion: a fused answer becomes an ``inference.Answer`` one way in chat,
predict and eval (``tta.Fused.as_answer``); a point's reach scales with the image; fused polygons
are smoothed out of their pixel staircases (stand-in answerers, no model)."""

from __future__ import annotations

import io
import math
import types

import numpy as np
import pytest
from test_tta_tour55b import _image

from rsvlm import fusion, geometry, tta
from rsvlm import inference as inf
from rsvlm.data.conversation import PromptConfig

CLS = [{"role": "user", "content": "<image>\n[cls] What scene is this?"}]


class _ViewsSay:
    """An answerer standing in for the model: ``first`` to the first batch it is asked (the plain
    prompts), with a stray score as a text answer's plain scores could hold, ``rest`` to every later one."""

    def __init__(self, first: str, rest: str, calls: int = 0):
        self.first, self.rest, self.calls = first, rest, calls

    def __call__(self, messages, images):
        text, scores = (self.first, [0.7]) if self.calls == 0 else (self.rest, [])
        self.calls += 1
        return [inf.Answer(text, scores, cut=self.calls == 3) for _ in messages]


def test_fused_as_answer_carries_its_text_shapes_scores_and_flags():
    box = {"kind": "box", "label": "ship", "coords": [10, 10, 20, 20], "score": 0.8}
    shapes = tta.Fused("<ref>ship</ref>…", [box], cut=True, note="n").as_answer()
    assert (shapes.text, shapes.scores, shapes.cut, shapes.past_context) == ("<ref>ship</ref>…", [0.8], True, False)
    text = tta.Fused("harbour", past_context=True).as_answer()
    assert isinstance(text, inf.Answer) and (text.text, text.scores, text.past_context) == ("harbour", [], True)


def test_chat_predict_and_eval_make_the_same_answer_of_a_voted_text(monkeypatch, tmp_path):
    # was: chat kept the plain answer's scores under a voted text (another view's words), predict did not
    from PIL import Image

    from rsvlm import evaluate, predict
    from rsvlm.chat import ChatREPL

    processor = types.SimpleNamespace(prompt=PromptConfig(), band_notes=lambda im: [], image_sizes=None)
    monkeypatch.setattr(inf, "answerer", lambda *a, **k: _ViewsSay("beach", "harbour"))
    said = predict.ask(None, processor, [_image()], "[cls] What scene is this?", 64, tta=tta.FuseConfig())

    repl = ChatREPL.__new__(ChatREPL)  # no session needed: fused asks through the stand-in answerer
    repl.out, repl.tta, repl.images = io.StringIO(), tta.FuseConfig(), [_image()]
    repl.session = types.SimpleNamespace(messages=[*CLS, {"role": "assistant", "content": "beach"}],
                                         gen={"max_new_tokens": 8}, model=None)
    monkeypatch.setattr(ChatREPL, "answerer", lambda self: _ViewsSay("beach", "harbour", calls=1))
    chatted = repl.fused("beach", [0.7])

    Image.fromarray(np.zeros((32, 32, 3), np.uint8)).save(tmp_path / "a.png")
    record = {"id": "r0", "task": "cls", "images": [{"path": "a.png", "modality": "optical"}],
              "conversations": [{"from": "human", "value": CLS[0]["content"]}, {"from": "gpt", "value": "harbour"}]}
    row = evaluate.answer_batch(None, processor, [record], tmp_path, 64, tta=tta.FuseConfig())[0]

    assert (said.text, said.scores, said.cut) == ("harbour", [], True)  # the second view's answer was cut
    assert (chatted.text, chatted.scores, chatted.cut) == (said.text, said.scores, said.cut)
    assert (row["answer"], row.get("cut")) == (said.text, True) and "objects" not in row
