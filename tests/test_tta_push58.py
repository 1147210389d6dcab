"""``--min-objects`` pushes the plain answer only, not the TTA views, in eval and chat as in predict (stop 58)."""

from __future__ import annotations

import types

import numpy as np
import pytest
from PIL import Image

from rsvlm import inference as inf
from rsvlm import tta

BOX = "<ref>ship</ref><box><loc_400><loc_400><loc_599><loc_599></box>"  # centred: inside every crop


@pytest.fixture
def pushes(monkeypatch):
    """``inference.answerer`` standing in for the model; the list records each batch's ``min_objects``."""
    asked: list[int] = []

    def answerer(model, processor, max_new_tokens, constrain=True, min_objects=0, by_class=False):
        def generate(messages, images):
            asked.append(min_objects)
            return [inf.Answer(BOX, [0.9]) for _ in messages]

        return generate

    monkeypatch.setattr(inf, "answerer", answerer)
    return asked


def test_eval_pushes_the_plain_answer_not_the_views(pushes, tmp_path):
    from rsvlm.data.conversation import PromptConfig
    from rsvlm.evaluate import answer_batch

    Image.fromarray(np.zeros((96, 96, 3), np.uint8)).save(tmp_path / "a.png")
    record = {"id": "a", "task": "det", "images": [{"path": "a.png", "modality": "optical"}],
              "conversations": [{"from": "human", "value": "<image>\n[det] Detect every ship."},
                                {"from": "gpt", "value": BOX}]}
    processor = types.SimpleNamespace(prompt=PromptConfig(), band_notes=lambda im: [])
    rows = answer_batch(None, processor, [record], tmp_path, 64, tta=tta.FuseConfig(views="flip"), min_objects=5)
    assert rows[0]["answer"] and pushes == [5, 0, 0, 0], pushes  # each view pushed to 5 made objects up


def test_chats_views_are_asked_without_the_push(pushes):
    import io

    from rsvlm.chat import ChatREPL
    from rsvlm.io import RSImage

    repl = ChatREPL.__new__(ChatREPL)  # fused() needs the session's settings, the images and the conversation
    repl.session = types.SimpleNamespace(model=None, processor=None, gen={"max_new_tokens": 64}, constrain=True,
                                         min_objects=5, messages=[
                                             {"role": "user", "content": "<image>\n[det] Detect every ship."},
                                             {"role": "assistant", "content": BOX}])
    repl.by_class, repl.tta, repl.out = False, tta.FuseConfig(views="flip"), io.StringIO()
    repl.images = [RSImage(np.zeros((3, 96, 96), np.float32), "optical", ["R", "G", "B"], path="x.png")]
    got = repl.fused(BOX, [0.9])
    assert got.text == BOX and pushes == [0, 0, 0], pushes  # the streamed answer was pushed; its views are not
