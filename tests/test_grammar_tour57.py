"""Rough edges of the decoding grammar (tour 57): the owed shape of a ``[ground]`` answer is a box."""

from __future__ import annotations

import random

import pytest
from test_grammar_tour56 import allowed_after, padded_tok, text_ids

from rsvlm import geometry


@pytest.fixture(scope="module")
def tok():
    return padded_tok(0)


def ids(tok, *words: str) -> list[int]:
    """rsvlm's tokens (``<box>``, ``<loc_5>``) as they are, other words one byte token per character."""
    special = tok.get_added_vocab()
    return [i for w in words for i in ([special[w]] if w in special else text_ids(tok, w))]


# ---------------------------------------------------------------- 2. the owed shape is a box


def test_a_ground_answer_writes_boxes_only(tok):
    """DESIGN.md: a [ground] answer is one or more boxes (``<box>``, or ``<obb>`` where the question asks
    for oriented boxes); the owed shape could be a point, a polygon or a mask."""
    kinds = {k: tok.convert_tokens_to_ids(f"<{k}>") for k in ("ref", "box", "obb", "point", "poly", "mask")}

    def opens(prefix, **kw):
        ok = allowed_after(tok, prefix, **kw)
        return sorted(k for k, i in kinds.items() if ok[i])

    box = ids(tok, "<box>", "<loc_1>", "<loc_2>", "<loc_3>", "<loc_4>", "</box>")
    assert opens([]) == sorted(kinds)  # not asked: as it was
    assert opens([], need_shape=True) == ["box", "obb", "ref"]
    assert opens(box, need_shape=True) == ["box", "obb", "ref"]  # after the first box too: DESIGN says boxes
    assert opens(ids(tok, "<ref>", "ship", "</ref>"), need_shape=True) == ["box", "obb"]
    assert opens(text_ids(tok, "It"), left=9, need_shape=True) == ["box", "ref"]  # no room for an obb
    assert opens(text_ids(tok, "It"), left=8, need_shape=True) == ["box"]  # a label then a box: 9 tokens
    label = ids(tok, "<ref>", "sh")
    close = tok.convert_tokens_to_ids("</ref>")
    assert allowed_after(tok, label, left=8, need_shape=True).nonzero().flatten().tolist() != [close]
    assert allowed_after(tok, label, left=7, need_shape=True).nonzero().flatten().tolist() == [close]


def test_random_walks_of_a_ground_answer_decode_to_boxes(tok):
    """Any path the grammar allows a ``need_shape`` answer, at any budget a box fits in, decodes without
    a problem to boxes, at least one."""
    from rsvlm.model.grammar import GrammarConstraint

    eos, rng = tok.eos_token_id, random.Random(57)
    for walk in range(24):
        budget = rng.randint(6, 24)
        con, out = GrammarConstraint(tok, {eos}, 1, budget, need_shape=True), []
        for _ in range(budget):
            ok = con([out], len(tok))[0].nonzero().flatten().tolist()
            t = rng.choice(ok)
            if t == eos:
                break
            out.append(t)
        parsed = geometry.decode(tok.decode(out), 1000, 1000)
        assert parsed.problems == [], (walk, tok.decode(out))
        assert parsed.objects and {o["kind"] for o in parsed.objects} <= {"box", "obb"}, tok.decode(out)
