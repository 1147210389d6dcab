"""Tokenizer tour 59: odd training corpora, every special token and <loc_N> through encode/decode,
a stable chat template."""

from __future__ import annotations

import json

import pytest

from rsvlm.tokenizer import load_tokenizer, train_tokenizer
from rsvlm.tokens import NUM_BINS, all_special_tokens, loc_token

CORPUS = ["There are three small vehicles in the parking lot.", "A harbour with two ships."] * 50


@pytest.fixture(scope="module")
def tok(tmp_path_factory):
    d = tmp_path_factory.mktemp("tok59")
    train_tokenizer(CORPUS, d, vocab_size=300)
    return load_tokenizer(d)


def test_every_special_and_loc_token_is_one_id_and_decodes_back(tok):
    specials = all_special_tokens()
    assert len(specials) == len(set(specials)) and sum(t.startswith("<loc_") for t in specials) == NUM_BINS
    ids = tok(specials, add_special_tokens=False)["input_ids"]
    assert all(len(i) == 1 for i in ids), [t for t, i in zip(specials, ids) if len(i) != 1][:5]
    assert [tok.decode(i) for i in ids] == specials
    joined = "".join(specials)  # all of them back to back: no piece merges across two of them
    assert tok.decode(tok(joined, add_special_tokens=False)["input_ids"]) == joined
    locs = tok.convert_tokens_to_ids([loc_token(i) for i in range(NUM_BINS)])
    assert locs == list(range(locs[0], locs[0] + NUM_BINS))


@pytest.mark.parametrize("text", ["a <loc_5> b", "a<loc_5>b", "a  <loc_5>  b", "x\n<loc_999>\n y", "<ref> ship </ref>",
                                  "<image>\n[det] a", "a\tb <box>\t<loc_1>", "end ", "\x00 日本 🛰️ \r\n"])
def test_text_around_special_tokens_round_trips(tok, text):
    assert tok.decode(tok(text, add_special_tokens=False)["input_ids"]) == text


def test_loc_lookalikes_are_not_loc_tokens(tok):
    for s in ("<loc_1000>", "<loc_01>", "<loc_-1>", "<loc_ 5>", "<LOC_5>"):
        ids = tok(s, add_special_tokens=False)["input_ids"]
        assert len(ids) > 1 and tok.decode(ids) == s, s


def test_chat_template_is_stable(tok):
    msgs = [{"role": "user", "content": "<image>\n[det] ships"},
            {"role": "assistant", "content": "<ref>ship</ref><box><loc_1><loc_2><loc_3><loc_4></box>"}]
    full = tok.apply_chat_template(msgs, tokenize=False)
    assert full == tok.apply_chat_template(msgs, tokenize=False)
    assert full == ("<s>USER: <image>\n[det] ships\nASSISTANT: <ref>ship</ref><box><loc_1><loc_2><loc_3><loc_4></box></s>\n")
    prompt = tok.apply_chat_template(msgs[:1], tokenize=False, add_generation_prompt=True)
    assert prompt == "<s>USER: <image>\n[det] ships\nASSISTANT:" and full.startswith(prompt)


@pytest.mark.parametrize("texts", [[], ["", "  ", "\n"], ["<loc_5><box><image>[det]"]])
def test_a_corpus_with_nothing_to_learn_is_a_clear_error(tmp_path, texts):
    with pytest.raises(ValueError, match="no non-empty texts to train on"):
        train_tokenizer(texts, tmp_path, vocab_size=300)


def test_a_tiny_corpus_names_the_vocab_size_that_fits(tmp_path):
    with pytest.raises(ValueError, match=r"vocab_size 400: Vocabulary size too high \(400\). Please set it to a value <= \d+"):
        train_tokenizer(["a ship in the harbour"], tmp_path, vocab_size=400)


@pytest.mark.parametrize("texts,vocab", [(["a"], 262), (["日本語のテキスト", "🛰️🚢🌊", "Ελληνικά"], 300), (["\x00\x00abc\r\n"], 265)])
def test_one_line_unicode_only_and_nul_corpora_train(tmp_path, texts, vocab):
    tok = train_tokenizer(texts, tmp_path, vocab_size=vocab)
    s = "Zürich 東京 <loc_7> \x00"
    assert tok.decode(tok(s, add_special_tokens=False)["input_ids"]) == s


def test_a_lone_surrogate_names_its_text(tmp_path):
    texts = ["a ship", json.loads('"a broken \\ud83d escape"')]  # what json gives for a cut emoji escape
    with pytest.raises(ValueError, match=r"text 1 holds '\\ud83d' at character 9, a lone surrogate"):
        train_tokenizer(texts, tmp_path, vocab_size=262)  # was a bare UnicodeEncodeError naming no text
