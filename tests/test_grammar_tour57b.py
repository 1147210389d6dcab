"""Rough edges of the decoding grammar (tour 57b): the word a label needs before a stop string, however
long the text after ``</ref>``."""

from __future__ import annotations

import pytest
from test_grammar_tour56 import STOP, allowed_after, padded_tok, text_ids


@pytest.fixture(scope="module")
def tok():
    return padded_tok(0)


def ids(tok, *words: str) -> list[int]:
    """rsvlm's tokens (``<ref>``) as they are, other words one byte token per character."""
    special = tok.get_added_vocab()
    return [i for w in words for i in ([special[w]] if w in special else text_ids(tok, w))]


# ---------------------------------------------------------------- 1. a word after </ref>, at any length


@pytest.mark.parametrize("after, held", [
    (" ." * 40 + " <|end|", True),  # 80 text tokens and no word: a bare label
    (" No" + " ." * 40 + " <|end|", False),  # its word came first, 80 tokens before the stop string
    (" ." * 40 + " ok <|end|", False),  # ... or last
    (" ." * 10 + " <|end|", True),  # short: as it was
])
def test_a_stop_string_needs_a_word_after_a_label_however_long_the_text_before_it(tok, after, held):
    """After ``</ref>`` a word or a shape must come before the answer ends. Whether a word had come was
    read from the last 64 text tokens only: past them the stop string's own "end" counted as one, and
    ``<ref>ship</ref>`` and 80 tokens of dots ended the answer on a bare label."""
    gt, eos = text_ids(tok, ">")[0], tok.eos_token_id
    prefix = ids(tok, "<ref>", "ship", "</ref>", after)
    assert allowed_after(tok, prefix)[gt]  # no stop strings given: nothing to hold
    ok = allowed_after(tok, prefix, stop_strings=STOP)
    assert bool(ok[gt]) is not held
    assert bool(ok[eos]) is not held  # EOS after the stop string's start: generate cuts it there too


def test_a_long_label_then_a_stop_string_is_held(tok):
    """A label longer than the window, then the stop string right after ``</ref>``."""
    gt = text_ids(tok, ">")[0]
    prefix = ids(tok, "<ref>", "storage tank " * 6, "</ref>", "<|end|")
    assert not allowed_after(tok, prefix, stop_strings=STOP)[gt]
    assert allowed_after(tok, ids(tok, "<ref>", "storage tank " * 6, "</ref>", " x" * 40, "<|end|"),
                         stop_strings=STOP)[gt]
