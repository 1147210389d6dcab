"""A text task's answer is never empty under the grammar (tour 62): a [cls] answer whose model ranked
``<box>`` first (a shape tag the grammar forbids there) ended at once on EOS, empty, and no caller marked it."""

from __future__ import annotations

from test_grammar_tour56 import allowed_after, text_ids, tok  # noqa: F401  (tok: a fixture)
from test_grammar_wiring56 import scripted, tiny  # noqa: F401  (tiny: a fixture)

from rsvlm.model.grammar import NO_SHAPE

BOX = ["<box>", "<loc_5>", "<loc_5>", "<loc_9>", "<loc_9>", "</box>"]  # what the model wants to answer


def test_a_text_answer_takes_no_eos_or_stop_before_a_word(tok):  # noqa: F811
    start = allowed_after(tok, [], need_shape=NO_SHAPE)
    assert not start[tok.eos_token_id] and start[tok.convert_tokens_to_ids("h")]
    assert start[tok.convert_tokens_to_ids("<ref>")]  # a label may still open it, with room for a word after
    assert not allowed_after(tok, text_ids(tok, " ."), need_shape=NO_SHAPE)[tok.eos_token_id]  # no word yet
    assert allowed_after(tok, text_ids(tok, "port"), need_shape=NO_SHAPE)[tok.eos_token_id]
    assert allowed_after(tok, [], need_shape=False)[tok.eos_token_id]  # other tasks: as they were


def test_a_cls_answer_that_wanted_a_box_is_not_empty(tiny):  # noqa: F811
    from rsvlm import answering

    model, proc = tiny
    msgs = [[{"role": "user", "content": "[cls] what scene is this?"}]]
    with scripted(model, BOX):
        got = answering.answerer(model, proc, 30)(msgs, [[]])[0]
    assert got.text.strip() and "<" not in got.text, got.text
