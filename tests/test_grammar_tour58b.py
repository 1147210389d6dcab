"""Rough edges of the decoding grammar (tour 58b): a ``[ground]`` answer that wrote text before its box, and a
stop string held at its end that the model then wrote mangled (``0% of.<|endend|>\\n<obb>…</obb>``)."""

from __future__ import annotations

import math
from pathlib import Path

from test_grammar_tour56 import allowed_after, run_scripted, text_ids
from test_grammar_tour57 import fixed_decode, tok  # noqa: F401  (tok: the module's fixture)

from rsvlm import geometry

REPO = Path(__file__).resolve().parents[1]

# ---------------------------------------------------------------- 1. no text before an owed box


def test_a_ground_answer_writes_no_text_before_its_box(tok):  # noqa: F811
    """DESIGN.md: a [ground] answer is one or more boxes (training's are a box alone). The grammar let text
    come first while a box still fitted after it: the default model answered "0% of." before its box."""
    c = tok.convert_tokens_to_ids
    zero, box, ref = text_ids(tok, "0")[0], c("<box>"), c("<ref>")
    assert allowed_after(tok, [])[zero]  # not asked for a box: text as before
    owed = allowed_after(tok, [], need_shape=True)
    assert not owed[zero] and owed[box] and owed[c("<obb>")] and owed[ref] and not owed[c("<point>")]
    assert not owed[tok.eos_token_id]
    labelled = allowed_after(tok, [ref, *text_ids(tok, "ship"), c("</ref>")], need_shape=True)
    assert labelled.nonzero().flatten().tolist() == sorted([box, c("<obb>")])  # a label's box comes at once
    done = [box, *c(["<loc_1>", "<loc_2>", "<loc_3>", "<loc_4>"]), c("</box>")]
    assert allowed_after(tok, done, need_shape=True)[zero]  # once a box is closed the answer is free
    said = run_scripted(tok, list("0% of."), 30, need_shape=True)
    assert said == "<box><loc_5><loc_5><loc_5><loc_5></box>"  # was "0% of.<box>…"
    assert geometry.decode(said, 100, 100).problems == []


def test_an_owed_boxs_score_counts_the_wish_to_stop_not_the_wish_to_write(tok):  # noqa: F811
    """With text no longer allowed before an owed box, the text the model ranked high must not count as a wish
    to end the answer: only EOS (and text that would finish a stop string) scores the box down."""
    from rsvlm.model.grammar import shape_scores

    bias = {"EOS": -9.0, "a": 12.0, "<box>": 2.0, "<loc_5>": 3.0, "</box>": 1.0}
    out, _ = fixed_decode(tok, bias, 30, need_shape=True)
    pieces = tok.convert_ids_to_tokens(out.tokens[0])
    assert pieces[:6] == ["<box>", "<loc_5>", "<loc_5>", "<loc_5>", "<loc_5>", "</box>"]
    assert out.held[0][0] > -1e-3  # the model barely wanted to stop: nothing held (text would make it -10)
    (score,) = shape_scores(pieces[:6], out.logprobs[0][:6], out.held[0][:6])
    stops, _ = fixed_decode(tok, {**bias, "EOS": 12.0}, 30, need_shape=True)  # it wanted to stop: held
    assert stops.held[0][0] < -5 and math.isfinite(score)
