"""Front door review 72 (round 2): the --tta past-context warning numbers its view answers."""

import types

import numpy as np
import pytest

BOX = "<ref>ship</ref><box><loc_400><loc_400><loc_599><loc_599></box>"


@pytest.mark.parametrize("views, said", [(("", "h"), "1 of the 1 view answer fused into it ('h';"),
                                         (("", "h", "v", "hv"), "3 of the 3 view answers fused into it ('h', 'v', 'hv';")])
def test_the_view_answers_past_the_context_are_numbered(monkeypatch, views, said):
    """predict's warning said "N of the M view answer(s) fused into it", where the tta notes say "1 view answer" /
    "N view answers"."""
    from rsvlm import inference as inf
    from rsvlm import predict
    from rsvlm.answering import Answer
    from rsvlm.data.conversation import PromptConfig
    from rsvlm.io.read import RSImage
    from rsvlm.tta import FuseConfig

    asked = []

    def answerer(*a, **k):  # the plain answer within the context, every view's past it
        return lambda msgs, imgs: [asked.append(1) or Answer(BOX, [0.9], past_context=len(asked) > 1) for _ in msgs]

    monkeypatch.setattr(inf, "answerer", answerer)
    img = RSImage(data=np.zeros((3, 32, 32), np.float32), modality="optical", bands=["R", "G", "B"], path="a.png")
    notes: list = []
    predict.ask(None, types.SimpleNamespace(prompt=PromptConfig()), [img], "[det] Detect every ship.", 64,
                tta=FuseConfig(views=views), notes=notes)
    warned = [n for n in notes if "ran past the LLM's context" in n]
    assert len(warned) == 1 and warned[0].startswith(f"warning: {said} not the answer itself) ran past"), notes
    assert "answer(s)" not in warned[0]
