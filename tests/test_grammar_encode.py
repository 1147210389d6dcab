"""What ``geometry.encode`` writes, the grammar constraint lets a model write: every token of any
encoded answer is allowed in turn, and the answer may end there. Training targets and
constrained decoding therefore speak one language; the answer also decodes cleanly and
re-encodes to itself (one spelling per shape)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rsvlm import geometry
from rsvlm.model.grammar import GrammarConstraint
from rsvlm.model.llm import byte_tokenizer
from rsvlm.tokens import add_special_tokens


@pytest.fixture(scope="module")
def tok():
    t = byte_tokenizer()
    add_special_tokens(t)
    return t


SIZES = st.sampled_from([(1, 1), (1, 9), (9, 1), (13, 7), (640, 480), (100000, 100000), (100000, 3)])
LABELS = st.sampled_from([None, "ship", "small vehicle", "bâtiment 🏠", "a<b", "two\nlines", "x </", "ref"])


@st.composite
def objects(draw):
    w, h = draw(SIZES)
    x, y = st.floats(-0.1 * w, 1.1 * w), st.floats(-0.1 * h, 1.1 * h)
    out = []
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["box", "obb", "point", "poly", "tiny poly", "mask"]))
        label = draw(LABELS)
        if kind == "box":
            c = [draw(x), draw(y), draw(x), draw(y)]
        elif kind == "point":
            c = [draw(x), draw(y)]
        elif kind == "obb":
            c = [[draw(x), draw(y)] for _ in range(4)]
        elif kind == "poly":
            c = [[draw(x), draw(y)] for _ in range(draw(st.integers(3, 7)))]
        elif kind == "tiny poly":  # smaller than a bin: collapses to 1 or 2 bins
            x0, y0 = draw(st.floats(0, w - 1)), draw(st.floats(0, h - 1))
            kind, c = "poly", [[x0, y0], [x0 + w / 3000, y0], [x0, y0 + h / 3000]]
        else:
            mw, mh = min(w, 24), min(h, 24)
            m = np.zeros((h, w), bool) if w * h <= 640 * 480 else None
            if m is None:
                continue
            m[:mh, :mw] = np.random.default_rng(draw(st.integers(0, 99))).random((mh, mw)) < 0.6
            if not m.any():
                continue
            out.append({"kind": "mask", "label": label, "mask": m, "form": draw(st.sampled_from(["poly", "grid"])),
                        "budget": draw(st.sampled_from([8, 32]))})
            continue
        out.append({"kind": kind, "label": label, "coords": c})
    return out, w, h


@settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(objects())
def test_every_encoded_answer_is_one_the_grammar_allows(tok, case):
    objs, w, h = case
    text = geometry.encode(objs, w, h)
    ids = tok(text, add_special_tokens=False).input_ids
    con = GrammarConstraint(tok, {tok.eos_token_id}, 1, len(ids) + 1)
    for k, t in enumerate(ids + [tok.eos_token_id]):
        allowed = con([ids[:k]], len(tok))[0]
        assert allowed[t], f"token {k} {tok.convert_ids_to_tokens(t)!r} of {text!r} is not allowed"
    dec = geometry.decode(text, w, h)
    assert dec.problems == []
    assert geometry.encode(dec.objects, w, h) == text  # one spelling per shape

