"""tta, second round of tour 62: the views a question is not asked in are said in the fused note."""

import numpy as np

from rsvlm.answering import Answer
from rsvlm.model.processor import ImageInput
from rsvlm.tta import FuseConfig, fused_answers


def _fused(question, mode, answer="3"):
    asked = []

    def generate(msgs, ims):
        asked.extend(m[-1]["content"] for m in msgs)
        return [Answer(answer, [])] * len(msgs)

    msgs = [{"role": "user", "content": f"<image>\n{question}"}]
    (fused,) = fused_answers(generate, [msgs], [[ImageInput(np.zeros((3, 96, 96), np.float32))]],
                             [Answer(answer, [])], FuseConfig(views=mode))
    return fused, asked


def test_views_a_word_rules_out_are_said():
    # --tta dihedral on "above": the 4 transposed views went unasked, the answer voted over 4 of 8 unsaid
    fused, asked = _fused("[count] How many ships are above the bridge?", "dihedral")
    assert len(asked) == 3 and fused.answers == 4
    assert "4 other views not asked, 3 asked ('t', 'th', 'tv', 'thv' not)" in fused.unasked
    assert "'above' under a transpose" in fused.unasked


def test_crops_a_question_is_not_for_are_said():
    fused, asked = _fused("[count] How many ships?", "dihedral+crops")
    assert len(asked) == 7 and "('c0', 'c1', 'c2', 'c3' not): crops are only for [det]/[ground]" in fused.unasked


def test_every_view_asked_says_nothing():
    fused, asked = _fused("[count] How many ships are on the left?", "dihedral")
    assert len(asked) == 7 and fused.unasked is None and fused.note is None and fused.answers == 8
