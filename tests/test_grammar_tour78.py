"""A [seg] answer is polygons or grid masks (tour 78): the grammar let it open any shape, so the default model
answered ``[seg] Segment the water.`` with ``<ref>large vehicle</ref><box>…</box>``, while DESIGN.md's task table
gives a [seg] answer as ``<ref>…</ref><poly>…`` or ``<mask>…`` and every synthetic [seg] record is one of those."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_grammar_tour56 import allowed_after, text_ids, tok  # noqa: F401  (tok: a fixture)
from test_grammar_wiring56 import scripted, tiny  # noqa: F401  (tiny: a fixture)

from rsvlm.model.grammar import NO_SHAPE, REGION, SEG_KINDS, shape_need
from rsvlm.tokens import TASKS

REPO = Path(__file__).resolve().parents[1]
SHAPES = ("box", "obb", "point", "poly", "mask")
BOX = ["<box>", "<loc_5>", "<loc_5>", "<loc_9>", "<loc_9>", "</box>"]


def opens(tok, ids: list[int], **kw) -> set[str]:  # noqa: F811
    """The shape tags the grammar lets follow ``ids``."""
    ok = allowed_after(tok, ids, **kw)
    return {k for k in SHAPES if ok[tok.convert_tokens_to_ids(f"<{k}>")]}


def test_only_seg_changes_what_its_answer_owes():
    want = {"ground": True, "cls": NO_SHAPE, "vqa": NO_SHAPE, "regcap": NO_SHAPE, "seg": REGION}
    assert {t: shape_need(t) for t in TASKS} == {t: want.get(t, False) for t in TASKS}
    assert shape_need(None) is False  # chat with no task tag: any shape, as before


def test_a_seg_answer_opens_polygons_and_masks_only(tok):  # noqa: F811
    label = [tok.convert_tokens_to_ids("<ref>"), *text_ids(tok, "ship"), tok.convert_tokens_to_ids("</ref>")]
    assert opens(tok, [], need_shape=REGION) == set(SEG_KINDS)
    assert opens(tok, label, need_shape=REGION) == set(SEG_KINDS)  # after its label too
    assert allowed_after(tok, [], need_shape=REGION)[tok.convert_tokens_to_ids("<ref>")]
    assert allowed_after(tok, text_ids(tok, "None."), need_shape=REGION)[tok.eos_token_id]  # nothing found: text
    # the other answers' shapes are as they were
    assert opens(tok, [], need_shape=False) == set(SHAPES) == opens(tok, label, need_shape=False)
    assert opens(tok, [], need_shape=True) == {"box", "obb"} == opens(tok, label, need_shape=True)
    assert opens(tok, [], need_shape=NO_SHAPE) == set()


def test_a_seg_answer_opens_no_shape_or_label_that_cannot_close_in_its_budget(tok):  # noqa: F811
    # a <poly> needs 8 tokens to close (6 locations), a <mask> 13; a label 3 more than the poly after it
    assert opens(tok, [], left=8, need_shape=REGION) == {"poly"}
    assert opens(tok, [], left=7, need_shape=REGION) == set()
    ref = tok.convert_tokens_to_ids("<ref>")
    assert allowed_after(tok, [], left=11, need_shape=REGION)[ref]
    assert not allowed_after(tok, [], left=10, need_shape=REGION)[ref]
    assert allowed_after(tok, [], left=7, need_shape=False)[ref]  # any shape: a <point> fits after it, as before


def test_a_seg_answer_that_wanted_a_box_is_no_box(tiny):  # noqa: F811
    from rsvlm import answering

    model, proc = tiny
    for task in ("seg", "det"):
        msgs = [[{"role": "user", "content": f"[{task}] Segment the ship."}]]
        with scripted(model, ["<ref>", "s", "h", "i", "p", "</ref>", *BOX]):
            got = answering.answerer(model, proc, 40)(msgs, [[]])[0].text
        if task == "seg":  # the box hidden, this random model writes text after the label (no shape is owed)
            assert got.startswith("<ref>ship</ref>") and "<box>" not in got, got
        else:  # a [det] answer still boxes
            assert got.startswith("<ref>ship</ref><box>"), got


@pytest.mark.parametrize("question", ["[seg] Segment the water.", "[seg] Segment the ship.", "[seg]"])
def test_the_default_model_answers_seg_with_polygons_or_masks(question):
    import numpy as np
    from PIL import Image

    from rsvlm import answering
    from rsvlm.loading import load_model

    model, proc = load_model(str(REPO / "rsvlm/assets/default_model"), device="cpu")
    img = Image.fromarray(np.random.default_rng(0).uniform(0, 255, (256, 256, 3)).astype("uint8"))
    got = answering.answerer(model, proc, 256)([[{"role": "user", "content": "<image>\n" + question}]], [[img]])[0].text
    # the water question drew "<ref>large vehicle</ref><box><loc_569><loc_473><loc_729><loc_608></box>" before
    assert not any(f"<{k}>" in got for k in ("box", "obb", "point")), got
    assert "<poly>" in got or "<mask>" in got, got
