"""Rough edges of the decoding grammar and the codec's polygon holes (tour 56)."""

from __future__ import annotations

import pytest

from rsvlm import geometry

# ---------------------------------------------------------------- holes

CW = "<poly><loc_100><loc_100><loc_900><loc_100><loc_900><loc_900><loc_100><loc_900></poly>"
CCW = "<poly><loc_300><loc_300><loc_300><loc_600><loc_600><loc_600><loc_600><loc_300></poly>"


@pytest.mark.parametrize("between", [" and ", ", ", "\nAnother: "])
def test_a_counter_clockwise_polygon_after_words_is_an_object_not_a_hole(between):
    """DESIGN.md: a polygon's rings follow each other. Words between two polygons made the second,
    written counter-clockwise, a hole of the first: one object where the answer listed two."""
    parsed = geometry.decode("<ref>pond</ref>" + CW + between + CCW, 1000, 1000)
    assert parsed.problems == []
    assert [len(o.get("rings", [o["coords"]])) for o in parsed.objects] == [1, 1]
    assert [o["label"] for o in parsed.objects] == ["pond", "pond"]


@pytest.mark.parametrize("between", ["", " ", "\n"])
def test_a_counter_clockwise_polygon_right_after_another_is_still_its_hole(between):
    parsed = geometry.decode(CW + between + CCW, 1000, 1000)
    assert parsed.problems == [] and len(parsed.objects) == 1 and len(parsed.objects[0]["rings"]) == 2


# ---------------------------------------------------------------- tags spelled in text, per step


def padded_tok(size: int):
    from rsvlm.model.llm import byte_tokenizer
    from rsvlm.tokens import add_special_tokens

    t = byte_tokenizer(size)  # <unused_N> pieces: each holds a "<" and a ">", as code pieces of a large vocabulary do
    add_special_tokens(t)
    return t


def test_the_work_per_step_on_a_spelled_tag_does_not_grow_with_the_vocabulary(monkeypatch):
    """While text ended on a tag's start (``see <box``) each step tested every piece holding ">": 8 ms a
    step at a 152k Qwen-like vocabulary, 0.5 s with a padded one. The pieces that could finish the tag
    are now looked up by their text up to ">"."""
    from rsvlm.geometry.codec import spells_tag
    from rsvlm.model import grammar

    calls = []
    monkeypatch.setattr(grammar, "spells_tag", lambda text: calls.append(text) or spells_tag(text))
    counts = {}
    for size in (300, 4000):
        tok = padded_tok(size)
        ids = tok.convert_tokens_to_ids(list("seeĠ<box"))
        con = grammar.GrammarConstraint(tok, {tok.eos_token_id}, 1, 1 << 20)
        con([ids[:-1]], len(tok))  # the vocabulary scan, once per tokenizer
        calls.clear()
        ok = con([ids], len(tok))[0]  # one step on "see <box"
        counts[size] = len(calls)
        assert not ok[tok.convert_tokens_to_ids(">")] and ok[tok.convert_tokens_to_ids("Ġ")]  # "<box>" is still refused
    assert counts[300] == counts[4000] < 10, counts
