"""Training, review 77 (P6): the caption-length pass skips tokenizing for the exact byte tokenizer only; every
other tokenizer (merges, a prefix space, a normalizer, words looked up whole) is run, and its counts are the
tokenizer's, added tokens in the text included."""
import json
from pathlib import Path

import pytest


def _variant(edit, size: int = 300):
    """``byte_tokenizer(size)`` with its JSON changed by ``edit``."""
    from tokenizers import Tokenizer
    from transformers import PreTrainedTokenizerFast

    from rsvlm.model.llm import byte_tokenizer

    spec = json.loads(byte_tokenizer(size).backend_tokenizer.to_str())
    edit(spec)
    return PreTrainedTokenizerFast(tokenizer_object=Tokenizer.from_str(json.dumps(spec)), unk_token="<unk>",
                                   bos_token="<s>", eos_token="</s>", pad_token="<pad>")


def _merges(spec):
    spec["model"]["merges"] = [["a", "a"]]
    spec["model"]["vocab"]["aa"] = len(spec["model"]["vocab"])


EDITS = {
    "merges": _merges,
    "prefix_space": lambda s: s["pre_tokenizer"].update(add_prefix_space=True),
    "normalizer": lambda s: s.update(normalizer={"type": "NFKC"}),  # "ﬁ" (3 bytes) is "fi" (2)
    "ignore_merges": lambda s: s["model"].update(ignore_merges=True),  # a padded vocabulary's entry: one token
    "pre_tokenizer_sequence": lambda s: s.update(pre_tokenizer={"type": "Sequence", "pretokenizers": [
        s["pre_tokenizer"]]}),  # counts as the byte tokenizer does, but is not recognised as one: run
}
CAPTIONS = ["<unused_265>", "a <unused_265>", "aa road", "ﬁeld near the river", " é中文", "", "<s>x"]


@pytest.mark.parametrize("kind", sorted(EDITS))
def test_a_tokenizer_that_is_not_the_byte_tokenizer_is_run(kind):
    """Each of these counts some caption otherwise than its UTF-8 length; ignore_merges was taken for the byte
    tokenizer, so '<unused_265>' counted 12 where the tokenizer gives 1."""
    from rsvlm.train.clip_data import byte_lengths, pool_cuts

    tok = _variant(EDITS[kind])
    real = [len(t) for t in tok(CAPTIONS, add_special_tokens=False)["input_ids"]]
    if kind != "pre_tokenizer_sequence":  # the shortcut would be wrong
        assert real != [len(c.encode()) if c != "<s>x" else 2 for c in CAPTIONS], kind
    assert byte_lengths(tok) is None
    pairs = [({"id": f"r{i}"}, c, Path()) for i, c in enumerate(CAPTIONS)]
    counts, _ = pool_cuts(pairs, tok, 4, chunk=3)
    assert counts == {"cut_caption_pairs": sum(n > 3 for n in real), "longest_caption_tokens": max(real)}


def test_added_tokens_overlapping_caption_text_count_as_the_tokenizer_counts():
    """Added tokens whose text runs into the caption's (one inside another, one swallowing spaces beside it)."""
    from tokenizers import AddedToken

    from rsvlm.model.llm import byte_tokenizer
    from rsvlm.train.clip_data import byte_lengths, token_counts

    tok = byte_tokenizer()
    tok.add_tokens([AddedToken("ab", normalized=False), AddedToken("abab", normalized=False),
                    AddedToken("<m>", lstrip=True, rstrip=True, normalized=False)])
    caps = ["xaby", "aabab", "ababab", "a <m> b", "<m>", "a  <m>", "<s><m></s>", "ba", "a b", "<", "m>"]
    added = byte_lengths(tok)
    assert added is not None
    real = [len(t) for t in tok(caps, add_special_tokens=False)["input_ids"]]
    assert token_counts(tok, caps, added) == real and real[:2] == [3, 2]


def test_the_tokenizing_path_counts_as_the_byte_path_does(monkeypatch):
    """pool_cuts' general path (every unit test of it used the byte tokenizer, which no longer runs it): the same
    counts and note with the byte tokenizer run, and the bundled tokenizer's counts are its own."""
    from transformers import AutoTokenizer

    from rsvlm.model.llm import byte_tokenizer
    from rsvlm.train import clip_data

    pairs = [({"id": f"r{i}"}, c, Path()) for i, c in enumerate(["x" * 10, "é" * 20, "a <s> b", "中文" * 9, ""])]
    tok = byte_tokenizer()
    short = clip_data.pool_cuts(pairs, tok, 32, chunk=2)
    monkeypatch.setattr(clip_data, "byte_lengths", lambda tok: None)
    assert clip_data.pool_cuts(pairs, tok, 32, chunk=2) == short
    assert short[0] == {"cut_caption_pairs": 2, "longest_caption_tokens": 54} and "of r1 is 40" in short[1]
    bundled = AutoTokenizer.from_pretrained(Path(__file__).parents[1] / "rsvlm/assets/default_model/tokenizer")
    real = [len(t) for t in bundled([c for _, c, _ in pairs], add_special_tokens=False)["input_ids"]]
    assert clip_data.pool_cuts(pairs, bundled, 8, chunk=2)[0] == {
        "cut_caption_pairs": sum(n > 7 for n in real), "longest_caption_tokens": max(real)}
