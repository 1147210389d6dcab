"""Rough edges of the decoding grammar (tour 58b): a ``[ground]`` answer that wrote text before its box, and a
stop string held at its end that the model then wrote mangled (``0% of.<|endend|>\\n<obb>…</obb>``)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from test_grammar_tour56 import STOP, allowed_after, run_scripted, text_ids
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


# ---------------------------------------------------------------- 2. no stop string begun where it may not end


def test_a_label_does_not_begin_a_stop_string_it_may_not_finish(tok):  # noqa: F811
    """Held from the end of "<|end|>" inside a label, a model that wanted to stop wrote its start and then
    went on: "<ref>sh<|end|</ref>", the default model's "<|endend|>". Where no text may end the answer, no
    text begins a stop string either; elsewhere it may, as before."""
    c = tok.convert_tokens_to_ids
    lt, label = text_ids(tok, "<")[0], [c("<ref>"), *text_ids(tok, "sh")]
    assert allowed_after(tok, label)[lt]  # no stop strings: as before
    assert not allowed_after(tok, label, stop_strings=STOP)[lt]
    assert allowed_after(tok, text_ids(tok, "ok"), stop_strings=STOP)[lt]  # text that may end: it may begin one
    assert allowed_after(tok, label, stop_strings=["。"])[lt]  # "<" starts no such stop string
    held = run_scripted(tok, ["<ref>", *"sh<|end|>"], 30, stop_strings=STOP)
    assert held.startswith("<ref>sh</ref>") and "<|" not in held and "end|" in held  # was "<ref>sh<|end|</ref>…"
    assert geometry.decode(held, 100, 100).problems == []


def test_the_default_tokenizers_stop_piece_is_not_begun_in_a_label():
    """The default model wrote "<|end|>" as ".<|" "end" "|>": held at "|>", it wrote "end" again."""
    from transformers import AutoTokenizer

    t = AutoTokenizer.from_pretrained(REPO / "rsvlm/assets/default_model/tokenizer")
    c = t.convert_tokens_to_ids
    opener, label = c(".<|"), [c("<ref>"), *t("ship", add_special_tokens=False)["input_ids"]]
    assert t.decode(label + c([".<|", "end", "|>"])).endswith(".<|end|>")
    assert allowed_after(t, label)[opener] and not allowed_after(t, label, stop_strings=STOP)[opener]
    said = t("0% of", add_special_tokens=False)["input_ids"]
    assert allowed_after(t, said, stop_strings=STOP)[opener]  # plain text may end there, so begin one
    assert not allowed_after(t, said, need_shape=True, stop_strings=STOP)[opener]


@pytest.mark.parametrize("stops", [STOP, [" ###"]])
def test_opening_pieces_are_those_ending_on_a_stop_strings_start(stops):
    from rsvlm.model.grammar_pieces import StopPieces

    """A piece ending on a stop string's start, but for one of white space alone (a space before a word)."""
    pieces = {0: "a<", 1: "<|e", 2: "x", 3: "<|end|>", 4: " #", 5: "##", 6: " ##x", 7: "a "}
    sp = StopPieces.of(pieces, stops)
    want = {0, 1} if stops == STOP else {4}
    assert set(sp.opening) == want and 3 not in sp.opening


def test_no_stop_string_is_begun_right_after_a_label(tok):  # noqa: F811
    """After ``</ref>`` the answer may end only after a word, so "<|end|>" there was held at its end and
    written "<ref>ship</ref><|end|" and on. No piece with no word before a stop string's start comes there now."""
    c = tok.convert_tokens_to_ids
    lt, labelled = text_ids(tok, "<")[0], [c("<ref>"), *text_ids(tok, "ship"), c("</ref>")]
    assert allowed_after(tok, labelled)[lt]  # no stop strings: as before
    assert not allowed_after(tok, labelled, stop_strings=STOP)[lt]
    assert allowed_after(tok, [*labelled, *text_ids(tok, "ok")], stop_strings=STOP)[lt]  # a word came: it may end
    held = run_scripted(tok, ["<ref>", *"ship", "</ref>", *"<|end|>"], 30, stop_strings=STOP)
    assert held.startswith("<ref>ship</ref><point><loc_5><loc_5></point>")  # was "<ref>ship</ref><|end|" …
    assert "<|" not in held and geometry.decode(held, 100, 100).problems == []
    from rsvlm.model.grammar_pieces import StopPieces

    sp = StopPieces.of({0: "<", 1: ".<|", 2: "ship<|", 3: "a"}, STOP)
    assert set(sp.opening) == {0, 1, 2} and set(sp.opening_wordless) == {0, 1}
