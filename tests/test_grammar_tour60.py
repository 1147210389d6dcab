"""Stop strings of multi-byte characters with rsvlm's own tokenizer (tour 60): a sentencepiece tokenizer from
``rsvlm.tokenizer.train_tokenizer`` writes a character it never saw in byte-fallback pieces, each "\\ufffd" alone."""

from __future__ import annotations

import pytest
from test_grammar_tour56 import allowed_after

STOPS = [("。", "、"), ("→", "↑"), ("🛑", "🛒")]  # a stop string and a character sharing all but its last byte


@pytest.fixture(scope="module")
def sp_tok(tmp_path_factory):
    from rsvlm.tokenizer import train_tokenizer

    corpus = ["A harbour with two ships.", "What is in the harbour? ships"] * 40  # no "。", "→" or emoji in it
    return train_tokenizer(corpus, tmp_path_factory.mktemp("tok"), vocab_size=300)


def _bytes(tok, char: str) -> list[int]:
    """The byte pieces of ``char`` (without a leading "▁")."""
    ids = [i for i in tok(char, add_special_tokens=False).input_ids if tok.convert_ids_to_tokens(i) != "▁"]
    assert len(ids) == len(char.encode()) and all(tok.decode([i]) == "\ufffd" for i in ids), ids
    return ids


@pytest.mark.parametrize("stop", [s for s, _ in STOPS] + ["<|終|>"])
def test_a_stop_string_in_byte_pieces_ends_the_answer_where_it_starts(sp_tok, stop):
    """``TextStreamer`` stops at the stop string's last byte piece, not before; the answer and the streamed text
    end where it starts. With the token limit inside it, the character's first bytes (each read "\\ufffd")
    stayed in the answer: "ships\\ufffd\\ufffd" in predict's output, a chat's history and its stream."""
    from rsvlm.model.vlm import TextStreamer

    tok = sp_tok
    head = tok("ships", add_special_tokens=False).input_ids
    ids = head + tok(stop + "more", add_special_tokens=False).input_ids[1:]  # no "▁" between
    assert tok.decode(ids) == "ships" + stop + "more"
    whole = len(head) + len(tok(stop, add_special_tokens=False).input_ids[1:])  # tokens up to the stop's end
    pieces = []
    streamer = TextStreamer(tok, {tok.eos_token_id}, [stop], on_token=pieces.append)
    stopped = [streamer.step([ids[:k]])[0] for k in range(1, len(ids) + 1)]
    assert stopped.index(True) == whole - 1  # at the last byte of the stop string, not before
    streamer.flush(ids[:whole])
    assert "".join(pieces) == "ships" and streamer.answer(ids[:whole]) == "ships"
    inside = [cut for cut in range(len(head) + 1, whole) if tok.decode(ids[:cut]).endswith("\ufffd")]
    assert len(inside) == len(stop.encode()) - len(stop.encode("ascii", "ignore")) - 1
    for cut in inside:  # the limit came inside the stop string's character
        pieces = []
        streamer = TextStreamer(tok, {tok.eos_token_id}, [stop], on_token=pieces.append)
        for k in range(1, cut + 1):
            streamer.step([ids[:k]])
        streamer.flush(ids[:cut])
        assert streamer.answer(ids[:cut]) == "ships", tok.convert_ids_to_tokens(ids[:cut])  # was "ships\ufffd\ufffd"
        assert "".join(pieces) == "ships"
        assert streamer.answer(ids[:cut] + [tok.eos_token_id]) == "ships"  # EOS inside a character


def test_a_character_cut_by_the_limit_leaves_no_replacement_character(sp_tok):
    """Not only a stop string's: "harbour é" cut inside "é" is "harbour ", not "harbour \\ufffd"; a whole "é" stays."""
    from rsvlm.model.vlm import TextStreamer

    tok = sp_tok
    ids = tok("harbour é", add_special_tokens=False).input_ids
    streamer = TextStreamer(tok, {tok.eos_token_id}, ["<|end|>"])
    assert streamer.answer(ids) == "harbour é"
    assert streamer.answer(ids[:-1]) == "harbour "


@pytest.mark.parametrize("stop, other", STOPS)
def test_the_grammar_holds_a_byte_piece_stop_string_with_rsvlms_tokenizer(sp_tok, stop, other):
    """The grammar's hold on a stop string written in bytes (tour 58, shown with a byte-level BPE) holds with
    sentencepiece's byte fallback too, whose pieces of a partial character read one "\\ufffd" each: inside a label
    and before an owed box the last byte that would finish it is refused, that of another character is not."""
    tok = sp_tok
    ref = tok.convert_tokens_to_ids("<ref>")
    dot, near = _bytes(tok, stop), _bytes(tok, other)
    assert dot[:-1] == near[:-1] and dot[-1] != near[-1]
    label = [ref, *tok("sh", add_special_tokens=False).input_ids, *dot[:-1]]
    assert allowed_after(tok, label)[dot[-1]]  # no stop strings: text as any
    assert not allowed_after(tok, label, stop_strings=[stop])[dot[-1]]  # "<ref>sh" would be cut there
    assert allowed_after(tok, label, stop_strings=[stop])[near[-1]]
    said = [*tok("ok", add_special_tokens=False).input_ids, *dot[:-1]]
    assert allowed_after(tok, said, stop_strings=[stop])[dot[-1]]  # plain text may end there
    assert not allowed_after(tok, said, need_shape=True, stop_strings=[stop])[dot[-1]]  # not before an owed box
