"""Rough edges of the decoding grammar (tour 58): an owed box's wish to stop counted once in its score."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch
from test_grammar_tour56 import allowed_after, text_ids
from test_grammar_tour57 import fixed_decode, tok  # noqa: F401  (tok: the module's fixture)

# ---------------------------------------------------------------- 1. the owed box's score


def test_an_owed_boxs_wish_to_stop_counts_once_in_its_score(tok):  # noqa: F811
    """The EOS share that scores an owed box entered the geometric mean as one token's probability, so
    over a box's six tokens a model 99% sure it should stop lost only its sixth root (0.46), its forced
    box ranked near boxes it chose. ``decode`` now gives each token's held share, which
    ``shape_scores`` multiplies in once, in full."""
    from rsvlm.model.grammar import shape_scores

    eos = tok.eos_token_id
    bias = {"EOS": 10.0, "<box>": 2.0, "<loc_5>": 3.0, "</box>": 1.0}
    out, row = fixed_decode(tok, bias, 30, need_shape=True)
    pieces = tok.convert_ids_to_tokens(out.tokens[0])
    assert pieces[:6] == ["<box>", "<loc_5>", "<loc_5>", "<loc_5>", "<loc_5>", "</box>"]
    allowed = allowed_after(tok, [], need_shape=True)  # (V,) the first step's: no EOS
    with_eos = row.masked_fill(~allowed, -math.inf)
    with_eos[eos] = row[eos]
    share = (torch.logsumexp(row.masked_fill(~allowed, -math.inf), -1) - torch.logsumexp(with_eos, -1)).item()
    assert out.held[0][0] == pytest.approx(share, abs=1e-5) and share < -3  # the model wanted to stop
    assert out.held[0][1:] == [0.0] * (len(pieces) - 1)  # nothing held once the box is open, nor after it
    lp = out.logprobs[0]
    (score,) = shape_scores(pieces, lp, out.held[0])
    assert score == pytest.approx(math.exp((sum(lp[:6]) - share) / 6 + share), rel=1e-6)
    (diluted,) = shape_scores(pieces, lp)  # without held, as before: the share averaged over six tokens
    assert score == pytest.approx(diluted * math.exp(share * 5 / 6), rel=1e-6) and score < 0.05 * diluted


def test_a_box_nothing_held_scores_as_before(tok):  # noqa: F811
    from rsvlm.model.grammar import shape_scores

    out, _ = fixed_decode(tok, {"EOS": -9.0, "<box>": 2.0, "<loc_5>": 3.0, "</box>": 1.0}, 12)
    pieces = tok.convert_ids_to_tokens(out.tokens[0])
    assert out.held[0] == [0.0] * len(pieces)
    assert shape_scores(pieces, out.logprobs[0], out.held[0]) == shape_scores(pieces, out.logprobs[0])


# ---------------------------------------------------------------- 2. a stop string written in bytes


def test_a_stop_string_written_in_byte_pieces_is_held(tok):  # noqa: F811
    """A byte-level tokenizer writes "。" in three pieces, each "\\ufffd" alone: no piece's text began or held
    the stop string, so it ended a label (``<ref>sh``) or an answer still owing its box wherever it came."""
    ref = tok.convert_tokens_to_ids("<ref>")
    dot, comma = (tok("。", add_special_tokens=False)["input_ids"], tok("、", add_special_tokens=False)["input_ids"])
    assert len(dot) == 3 and dot[:2] == comma[:2] and dot[2] != comma[2]  # E3 80 82 and E3 80 81
    label = [ref, *text_ids(tok, "sh"), *dot[:2]]
    assert allowed_after(tok, label)[dot[2]]  # no stop strings given: as it was
    assert not allowed_after(tok, label, stop_strings=["。"])[dot[2]]  # was allowed: "<ref>sh" cut there
    assert allowed_after(tok, label, stop_strings=["。"])[comma[2]]  # another character of the same first bytes
    said = [*text_ids(tok, "ok"), *dot[:2]]
    assert allowed_after(tok, said, stop_strings=["。"])[dot[2]]  # plain text may end there
    assert not allowed_after(tok, said, need_shape=True, stop_strings=["。"])[dot[2]]  # not before an owed box
    assert allowed_after(tok, label[:-1], stop_strings=["。"])[dot[1]]  # its middle byte is no end (58b: in a label;
    assert not allowed_after(tok, said[:-1], need_shape=True, stop_strings=["。"])[dot[1]]  # no text before a box)


# ---------------------------------------------------------------- 3. a stop string starting with a space


def test_a_spaced_piece_at_the_answers_start_is_refused_only_where_it_finishes_a_stop_string():
    """SentencePiece's "▁the" reads " the" after text, "the" at the answer's start (its decode drops the space).
    A stop string " the" made every piece holding it after a tag refused before an owed box, so "▁the" could
    not open a [ground] answer, where it finishes no stop string."""
    from transformers import AutoTokenizer

    t = AutoTokenizer.from_pretrained(Path(__file__).resolve().parents[1] / "rsvlm/assets/default_model/tokenizer")
    the, stop = t.convert_tokens_to_ids("▁the"), [" the"]
    assert t.decode([the]) == "the" and t.decode([*t("ok", add_special_tokens=False)["input_ids"], the]) == "ok the"
    assert allowed_after(t, [], stop_strings=stop)[the]  # at the start: "the", no stop string
    # tour 58b: a [ground] answer has no text before its box, stop string or not
    assert not allowed_after(t, [], need_shape=True, stop_strings=stop)[the]
    ref = t.convert_tokens_to_ids("<ref>")
    assert not allowed_after(t, [ref], stop_strings=stop)[the]  # in a label, after a tag: " the" there
    assert not allowed_after(t, [], need_shape=True, stop_strings=["the"])[the]  # "the" is finished at the start too
