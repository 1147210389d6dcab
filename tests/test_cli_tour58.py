"""Tour 58: ``rsvlm predict`` and the CLI front as a demanding user meets them: ``--min-objects`` pushes
the plain answer only, not the TTA views (a corner crop with none of the objects made some up)."""

from __future__ import annotations

import types

import pytest

from rsvlm import inference as inf
from rsvlm import tta

BOX = "<ref>ship</ref><box><loc_400><loc_400><loc_599><loc_599></box>"  # centred: inside every crop


@pytest.fixture
def pushes(monkeypatch):
    """``inference.answerer`` standing in for the model: a box to every prompt; the list records the
    ``min_objects`` of each batch asked."""
    asked: list[int] = []

    def answerer(model, processor, max_new_tokens, constrain=True, min_objects=0, by_class=False):
        def generate(messages, images):
            asked.append(min_objects)
            return [inf.Answer(BOX, [0.9]) for _ in messages]

        return generate

    monkeypatch.setattr(inf, "answerer", answerer)
    return asked


def _image():
    import numpy as np

    from rsvlm.io import RSImage

    return RSImage(np.zeros((3, 96, 96), np.float32), "optical", ["R", "G", "B"], path="x.png")


@pytest.mark.parametrize("mode", ["crops", "flip"])
def test_min_objects_pushes_the_plain_answer_not_the_tta_views(pushes, mode):
    from rsvlm.data.conversation import PromptConfig
    from rsvlm.predict import ask, tile_predictor

    processor = types.SimpleNamespace(prompt=PromptConfig())
    ask(None, processor, [_image()], "[det] Detect every ship.", 64, tta=tta.FuseConfig(views=mode), min_objects=5)
    assert pushes == [5, 0, 0, 0, 0] if mode == "crops" else [5, 0, 0, 0], pushes
    pushes.clear()
    im = _image()
    tile_predictor(None, processor, "[det] Detect every ship.", 64, [], tta=tta.FuseConfig(views=mode),
                   min_objects=5)([im, im])
    assert pushes[0] == 5 and set(pushes[1:]) == {0}, pushes
