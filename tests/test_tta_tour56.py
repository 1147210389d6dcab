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


def _pt(x, y, label=None):
    return {"kind": "point", "label": label, "coords": [x, y]}


def test_points_agree_within_a_share_of_the_image_not_a_fixed_four_pixels():
    # was: 4 px at every size, so a 960 px scene's views, a few location bins apart, never agreed
    big = [[_pt(100, 100)], [_pt(120, 100)], [_pt(110, 115)], [_pt(500, 500)]]
    (out,) = fusion.fuse(big, 960, 960)
    assert out["coords"] == pytest.approx([110, 105])  # the three near ones averaged, the stray left out
    small = [[_pt(x / 10, y / 10) for x, y in (o["coords"] for o in v)] for v in big]
    assert fusion.fuse(small, 96, 96)[0]["coords"] == pytest.approx([11, 10.5])  # the same at 96 px
    found = fusion.fuse([[_pt(100, 100, "car")], [_pt(110, 100, "car")]], 960, 960, many=True)
    assert [o["coords"] for o in found] == [pytest.approx([105, 100])]  # one car seen twice, not two
    # at the default model's 96 px the reach is 4 px, as it was; across a non-square image, a share of each side
    reach = fusion._reach(tta.FuseConfig(), (96, 96))
    for d in (0.0, 1.0, 2.8, 3.9, 4.0, 7.0):
        assert fusion._iou(_pt(10, 10), _pt(10 + d, 10), reach) == pytest.approx(max(0.0, 1 - d / 4))
    wide = fusion._reach(tta.FuseConfig(), (960, 480))
    assert fusion._iou(_pt(0, 0), _pt(20, 0), wide) == pytest.approx(0.5) == fusion._iou(_pt(0, 0), _pt(0, 10), wide)


def test_a_fuse_config_refuses_a_point_reach_out_of_range():
    with pytest.raises(ValueError, match="point_reach 0 out of range"):
        tta.FuseConfig(point_reach=0)
