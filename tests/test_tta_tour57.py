"""Tour 57: test-time augmentation's rough edges. A corner crop owes no shape to a ``[ground]``
question (the object may be outside it); predict says which view answers ran past the LLM's
context; chat counts the views it asks; a transpose keeps compound direction words English."""

from __future__ import annotations

import numpy as np
from test_grammar_wiring56 import NONE, scripted, tiny  # noqa: F401 (tiny: a fixture)

from rsvlm import answering, tta
from rsvlm import inference as inf
from rsvlm.model.processor import ImageInput

BOX = "<box><loc_400><loc_400><loc_599><loc_599></box>"  # centred: inside every crop


def _ground() -> list[dict]:
    return [{"role": "user", "content": "optical image: <image>\n[ground] the white ship"}]


def test_a_crop_owes_no_shape_to_a_ground_question():
    crop = tta.crop_messages(_ground(), (0, 0, 88, 88))
    assert answering.owes_shape(_ground()) and not answering.owes_shape(crop)
    assert crop[-1]["content"] == _ground()[-1]["content"] and "window" not in _ground()[-1]  # a copy, marked


def test_the_crops_of_a_ground_question_may_answer_without_a_box(tiny):  # noqa: F811
    """Each crop was held to a box, as the whole image's [ground] answer is: where the ship is outside the
    crop, a spurious vote (here: "None." and a box, text besides shapes, left out of the fusion with a note)."""
    model, proc = tiny
    answered = []

    def ask(messages, images):
        out = answering.answerer(model, proc, 30)(messages, images)
        answered.extend(a.text for a in out)
        return out

    image = [ImageInput(np.zeros((3, 32, 32), np.float32))]
    with scripted(model, NONE):
        (fused,) = tta.fused_answers(ask, [_ground()], [image], [inf.Answer(BOX, [0.9])], tta.FuseConfig(views="crops"))
    assert answered == ["None."] * 4  # no crop held to a box
    assert fused is not None and fused.note is None and fused.answer == BOX and fused.answers == 5
