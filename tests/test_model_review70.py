"""Stop 70 review, model area: adding rsvlm's tokens to a tokenizer that has them (every load) without transformers
rebuilding its list of them once per token, and size_note's advice for an image of a pair (which --tile refuses)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]


def test_adding_rsvlm_tokens_to_a_tokenizer_that_has_them_reads_its_list_a_few_times_not_once_per_token(monkeypatch):
    """transformers 5's add_special_tokens (replace_extra_special_tokens=False) looks each token up in
    ``extra_special_tokens``, a list it builds anew at each read: 1026 lists of 1026 for a saved tokenizer, about
    0.1-0.25 s of every load. Those it lists already are left out of the call now."""
    from transformers import AutoTokenizer

    from rsvlm.tokens import add_special_tokens, all_special_tokens

    tok = AutoTokenizer.from_pretrained(REPO / "rsvlm/assets/default_model/tokenizer")
    before = (len(tok), list(tok.extra_special_tokens))
    reads, read = [], type(tok).__getattr__

    def counted(self, key):
        if key == "extra_special_tokens":
            reads.append(key)
        return read(self, key)

    monkeypatch.setattr(type(tok), "__getattr__", counted)
    ids = add_special_tokens(tok)
    assert 0 < len(reads) < 10
    monkeypatch.undo()
    assert (len(tok), list(tok.extra_special_tokens)) == before  # nothing added twice
    assert ids.added == tok.convert_tokens_to_ids(all_special_tokens())


def test_a_tokenizer_listing_some_of_rsvlm_tokens_gets_the_others_once_in_order():
    """The tokens left out of the call are those the tokenizer lists already: the others are added after its own,
    in rsvlm's order, each one token."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    from rsvlm.tokens import add_special_tokens, all_special_tokens

    base = Tokenizer(models.WordLevel({"[UNK]": 0, "a": 1, "ship": 2}, unk_token="[UNK]"))
    base.pre_tokenizer = pre_tokenizers.Whitespace()
    tok = PreTrainedTokenizerFast(tokenizer_object=base, unk_token="[UNK]", extra_special_tokens=["<x>", "[det]"])
    ids = add_special_tokens(tok)
    assert list(tok.extra_special_tokens) == ["<x>", "[det]"] + [t for t in all_special_tokens() if t != "[det]"]
    assert len(tok("[det] <loc_7> ship", add_special_tokens=False)["input_ids"]) == 3
    assert ids.loc_id(7) == tok.convert_tokens_to_ids("<loc_7>")


def _img(w, h):
    from rsvlm.io.read import RSImage

    return RSImage(np.zeros((3, h, w), np.float32), "optical", ["R", "G", "B"], f"{w}x{h}.png")


def test_size_note_of_an_image_that_cannot_be_tiled_says_crop_not_tile():
    """``rsvlm predict --tile 96 looks at it window by window`` was said of each large image of a change pair,
    which --tile refuses ('--tile takes exactly one --image'); ``tiling=False`` says to crop it instead."""
    from rsvlm import inference as inf

    single = inf.size_note(_img(500, 400), 96)
    assert "shrunk whole" in single and "rsvlm predict --tile 96 looks at it window by window" in single
    paired = inf.size_note(_img(500, 400), 96, tiling=False)
    assert "shrunk whole" in paired and "--tile" not in paired and "crop it" in paired
    assert inf.size_note(_img(2, 10), 96, tiling=False) == inf.size_note(_img(2, 10), 96)  # only the large note
