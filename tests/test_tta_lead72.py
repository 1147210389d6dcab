"""Stop 72, round 2 (area T, tta): a fused answer says whether the token limit is known to have cut one of its
answers (``Fused.cut_known``), a bare "which row" is a transpose's "which column", a bare ordinal answer ("The
first.") to a question counting rows is turned back under a flip, "flow up or down the image" is a way in it, and the
wording of counts ("1 value", "2 shapes")."""

from __future__ import annotations

import pytest
from conftest import blank_image

from rsvlm import tta
from rsvlm.answering import Answer

VIEWS = ("h", "v", "hv", "t", "th", "tv", "thv")


@pytest.mark.parametrize("known", [True, False])
def test_a_fused_answer_says_whether_a_view_answer_was_known_to_be_cut(known):
    """A view answer the limit was known to cut (``Answer.cut_known``) was fused as only "cut": predict and chat could
    say no more than "may be cut" of it."""
    msgs = [[{"role": "user", "content": "<image>\n[vqa] What is the main land cover?"}]]

    def views(m, i):
        return [Answer("Forest.", [], cut=True, cut_known=known)] * len(m)

    (fused,) = tta.fused_answers(views, msgs, [blank_image()], [Answer("Forest.", [])], tta.FuseConfig(views="flip"))
    assert fused.cut and fused.cut_known is known
    assert fused.as_answer().cut_known is known
    (plain,) = tta.fused_answers(lambda m, i: [Answer("Forest.", [])] * len(m), msgs, [blank_image()],
                                 [Answer("Forest.", [], cut=True, cut_known=True)], tta.FuseConfig(views="flip"))
    assert plain.cut and plain.cut_known  # the plain answer's own flag carried too
