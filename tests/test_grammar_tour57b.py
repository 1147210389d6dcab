"""Rough edges of the decoding grammar (tour 57b): the word a label needs before a stop string, however
long the text after ``</ref>``; stop strings holding a SentencePiece space."""

from __future__ import annotations

import pytest
from test_grammar_tour56 import STOP, allowed_after, padded_tok, text_ids
from test_grammar_tour57 import ids


@pytest.fixture(scope="module")
def tok():
    return padded_tok(0)


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


# ---------------------------------------------------------------- 2. stop strings with a SentencePiece space


@pytest.fixture(scope="module")
def sp_tok():
    """A SentencePiece-like (Metaspace) tokenizer, as the bundled model's: a piece's "▁" is a space, but
    at the start of a decode, which drops it ("▁###" alone decodes to "###")."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    from rsvlm.tokens import add_special_tokens

    vocab = {"<unk>": 0, "<s>": 1, "</s>": 2, "▁": 3}
    for c in "abcdefghijklmnopqrstuvwxyz<>|#/.":
        vocab.setdefault(c, len(vocab))
        vocab.setdefault("▁" + c, len(vocab))
    for p in ["▁###", "###", "##", "▁##", "ship", "▁ship", "see", "bo", "▁<"]:
        vocab.setdefault(p, len(vocab))
    t = Tokenizer(models.BPE(vocab=vocab, merges=[], unk_token="<unk>"))
    t.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="first", split=False)
    t.decoder = decoders.Sequence([decoders.Replace("▁", " "), decoders.Fuse(), decoders.Strip(" ", 1, 0)])
    tok = PreTrainedTokenizerFast(tokenizer_object=t, unk_token="<unk>", bos_token="<s>", eos_token="</s>")
    add_special_tokens(tok)
    return tok


SPACED = [" ###"]  # a stop string that starts with a space ("\n### Human" and the like hold one too)


def test_a_stop_string_begun_by_a_sentencepiece_space_is_held(sp_tok):
    """Each piece's text was read alone, where a SentencePiece decoder drops its "▁": "▁###" read "###",
    not the stop string " ###" it makes in an answer, so it ended a label with nothing after it, or
    one still open; and a stop string begun by a lone "▁" went unseen."""
    t = sp_tok
    c = t.convert_tokens_to_ids
    after_label = c(["<ref>", "ship", "</ref>"])
    assert t.decode(after_label + c(["▁###"])).endswith("</ref> ###")  # what generate cuts at " ###"
    assert allowed_after(t, after_label)[c("▁###")]  # no stop strings: as it was
    assert not allowed_after(t, after_label, stop_strings=SPACED)[c("▁###")]  # a bare label
    assert not allowed_after(t, after_label + c(["▁", "##"]), stop_strings=SPACED)[c("#")]
    assert not allowed_after(t, c(["<ref>", "ship"]), stop_strings=SPACED)[c("▁###")]  # an open label
    words = after_label + c(["▁ship"])
    assert allowed_after(t, words, stop_strings=SPACED)[c("▁###")]  # a word came first: it may end there
    assert allowed_after(t, c(["ship"]), stop_strings=SPACED)[c("▁###")]
    spaced, bare = c(["<ref>", "▁##"]), c(["▁##"])  # " ##" in a label; "##" at the answer's start
    assert not allowed_after(t, spaced, stop_strings=SPACED)[c("#")]
    assert t.decode(bare + c(["#"])) == "###"  # no stop string there: a box still owed may follow it
    assert allowed_after(t, bare, stop_strings=SPACED)[c("#")]
    assert not allowed_after(t, bare, need_shape=True, stop_strings=SPACED)[c("#")]  # no text before a box (58b)


def test_eos_after_a_stop_strings_spaced_start_on_a_cut_tag_is_held(sp_tok):
    """"see <bo ##" then EOS: generate drops the stop string's start " ##", and the answer ends on "<bo",
    a cut tag. The quick test read the pieces' texts without their spaces ("see<bo##") and let EOS come."""
    t = sp_tok
    c, eos = t.convert_tokens_to_ids, t.eos_token_id
    cut = c(["see", "▁<", "bo", "▁##"])
    assert t.decode(cut) == "see <bo ##"
    assert allowed_after(t, cut)[eos]  # no stop strings: " ##" is text and "<bo ##" no tag
    assert not allowed_after(t, cut, stop_strings=SPACED)[eos]
    assert allowed_after(t, c(["see", "▁##"]), stop_strings=SPACED)[eos]  # "see" may end the answer
