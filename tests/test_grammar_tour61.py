"""A text task's answer holds no shape under the grammar (stop 61): DESIGN.md gives a [cls] answer as a
class name, yet the grammar let it write boxes (the bundled model did)."""

from __future__ import annotations

import pytest
from test_grammar_tour56 import allowed_after, text_ids, tok  # noqa: F401  (tok: a fixture)
from test_grammar_wiring56 import kinds, scripted, tiny  # noqa: F401  (tiny: a fixture)

from rsvlm.model.grammar import NO_SHAPE, REGION, SHAPE_KINDS, shape_need

BOX = ["<box>", "<loc_5>", "<loc_5>", "<loc_9>", "<loc_9>", "</box>"]  # what the model wants to answer


def test_shape_need_follows_design_md():
    assert shape_need("ground") is True
    assert [shape_need(t) for t in ("cls", "vqa", "regcap")] == [NO_SHAPE] * 3
    assert shape_need("seg") == REGION  # polygons and grid masks only (tour 78: a box answered "Segment the water.")
    assert [shape_need(t) for t in ("det", "cap", "count", "change", None)] == [False] * 5


@pytest.mark.parametrize("before", ["", "a ", "<ref>harbour</ref>"])
def test_no_shape_opens_none(tok, before):  # noqa: F811
    ids = tok.convert_tokens_to_ids(["<ref>"]) + text_ids(tok, "harbour") + tok.convert_tokens_to_ids(["</ref>"]) \
        if before.startswith("<ref>") else text_ids(tok, before)
    free, text = allowed_after(tok, ids), allowed_after(tok, ids, need_shape=NO_SHAPE)
    opens = tok.convert_tokens_to_ids([f"<{k}>" for k in SHAPE_KINDS])
    assert free[opens].all() and not text[opens].any()
    letter = tok.convert_tokens_to_ids("h")
    # EOS only after a word: none before any ("" was an empty answer, tour 62), nor right after a label
    assert text[letter] and bool(text[tok.eos_token_id]) is (before == "a ")


def test_no_shape_opens_a_label_only_with_room_for_a_word_after_it(tok):  # noqa: F811
    ref, close = tok.convert_tokens_to_ids(["<ref>", "</ref>"])
    assert allowed_after(tok, [], 4, need_shape=NO_SHAPE)[ref]
    assert not allowed_after(tok, [], 3, need_shape=NO_SHAPE)[ref]
    inside = [ref, *text_ids(tok, "ha")]
    short = allowed_after(tok, inside, 2, need_shape=NO_SHAPE)
    assert short[close] and not short[tok.convert_tokens_to_ids("r")]  # </ref>, then a word
    last = allowed_after(tok, inside + [close], 1, need_shape=NO_SHAPE)
    assert last[tok.convert_tokens_to_ids("r")] and not last[tok.eos_token_id]  # a word, never nothing


def test_a_bad_need_shape_is_named(tok):  # noqa: F811
    with pytest.raises(ValueError, match="'text'"):
        allowed_after(tok, [], need_shape="text")


def test_cls_answers_hold_no_shape_in_predict_and_eval(tiny):  # noqa: F811
    """The [cls] answer the model wanted was a box; a [det] question's stays one (only text tasks change).
    predict, eval and TTA's views ask through ``answering.answerer``."""
    from rsvlm import answering

    model, proc = tiny
    msgs = [[{"role": "user", "content": "[cls] what scene is this?"}], [{"role": "user", "content": "[det] ships"}],
            [{"role": "user", "content": "[vqa] where is the ship?"}]]
    assert [answering.shape_need(m) for m in msgs] == [NO_SHAPE, False, NO_SHAPE]
    with scripted(model, BOX):
        got = answering.answerer(model, proc, 30)(msgs, [[], [], []])
        free = answering.answerer(model, proc, 30, constrain=False)(msgs, [[], [], []])
    assert kinds(free[0].text) == ["box"] and kinds(got[1].text) == ["box"]
    for a in (got[0], got[2]):
        assert kinds(a.text) == [] and "<box>" not in a.text and a.scores == []
