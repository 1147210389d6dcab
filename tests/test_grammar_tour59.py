"""Rough edges of the decoding grammar (tour 59): an object ``min_shapes`` pushes counts the model's wish to
stop once, in full; a stop string's start spread over two pieces is not begun in a label."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest
import torch
from test_grammar_tour56 import allowed_after, text_ids
from test_grammar_tour57 import tok  # noqa: F401  (tok: the module's fixture)

# ---------------------------------------------------------------- 1. a pushed object's wish to stop


def pushed_decode(tok, after: dict[str, float], budget: int, **kw):  # noqa: F811
    """``decode`` under the grammar and its push with a fake LLM that writes one box at location 5, then
    ranks ``after`` (token → logit, the rest 0): the DecodeResult and the tokens as strings."""
    from rsvlm.model.generation import GenerationConfig, decode
    from rsvlm.model.grammar import GrammarConstraint

    c, eos, vocab = tok.convert_tokens_to_ids, tok.eos_token_id, len(tok)
    first = c(["<box>", "<loc_5>", "<loc_5>", "<loc_5>", "<loc_5>", "</box>"])

    def llm(inputs_embeds, **_):
        k = inputs_embeds.shape[1] - 2  # tokens generated so far
        logits = torch.zeros(1, inputs_embeds.shape[1], vocab)  # (B,T,V)
        if k < len(first):
            logits[0, -1, first[k]] = 20.0
        else:
            for t, v in after.items():
                logits[0, -1, eos if t == "EOS" else c(t)] = v
        return SimpleNamespace(logits=logits)

    con = GrammarConstraint(tok, {eos}, 1, budget, **kw)
    cfg = GenerationConfig(max_new_tokens=budget, use_cache=False, vocab=vocab)
    out = decode(llm, lambda ids: torch.zeros(1, 1, 4), torch.zeros(1, 2, 4), torch.ones(1, 2, dtype=torch.long),
                 cfg, {eos}, constraint=con, push=con.push)
    return out, tok.convert_ids_to_tokens(out.tokens[0])


def test_a_pushed_box_counts_the_wish_to_stop_once_in_full(tok):  # noqa: F811
    """``min_shapes`` pushed a box where the model would end: its "<box>" was scored among all the tokens the
    grammar allowed and averaged over the box's six tokens (a sixth root), so a box the model wanted e^6
    times less than its end scored about e^-2 of one it chose. Now the wish to stop counts in full, as an owed
    ``[ground]`` box's does; the text the push hid (ranked first here) is no wish to stop and counts not."""
    from rsvlm.model.grammar import shape_scores

    after = {"EOS": 6.0, "a": 12.0, "<box>": 0.0, "<loc_5>": 20.0, "</box>": 1.0}
    out, pieces = pushed_decode(tok, after, 12, min_shapes=2)
    box = ["<box>", "<loc_5>", "<loc_5>", "<loc_5>", "<loc_5>", "</box>"]
    assert pieces[:12] == box + box  # pushed: the second box where the model ranked text, then EOS, first
    want = -math.log1p(math.exp(6.0))  # log p(<box>) among <box> and EOS, the text left out
    assert out.held[0][6] == pytest.approx(want, abs=1e-4) and out.held[0][:6] == [0.0] * 6
    scores = shape_scores(pieces[:12], out.logprobs[0][:12], out.held[0][:12])
    assert scores[0] == pytest.approx(1.0, abs=1e-3)  # chosen, not pushed: as before
    assert scores[1] == pytest.approx(math.exp(want), rel=1e-2)  # was exp(log p(<box>) / 6): 0.13
    free, _ = pushed_decode(tok, {**after, "EOS": -9.0, "a": -9.0}, 12, min_shapes=2)
    assert free.held[0][6] > -1e-3  # a model that wanted the box anyway: nothing held


# ---------------------------------------------------------------- 2. finished rows are not read again


def test_on_step_reads_only_the_rows_still_going():
    """``on_step`` (the TextStreamer, which decodes each row's text for its stop strings) got every row at
    every step, those that had ended too: a batch of 16 decoded its finished answers again at each step of
    its longest one. A row finished at an earlier step now comes empty; its answer is the same."""
    from rsvlm.model.generation import GenerationConfig, decode

    vocab, eos = 5, 4

    def llm(inputs_embeds, **k):  # row 0 writes EOS at its second step, row 1 never does
        b, t, _ = inputs_embeds.shape
        logits = torch.zeros(b, t, vocab)
        logits[:, -1, 3] = 1.0
        if t == 4:
            logits[0, -1, eos] = 2.0
        return SimpleNamespace(logits=logits, past_key_values=k.get("past_key_values"))

    seen = []

    def on_step(tokens):
        seen.append([list(t) for t in tokens])
        return [False] * len(tokens)

    res = decode(llm, lambda ids: torch.zeros(*ids.shape, 4), torch.zeros(2, 3, 4), torch.ones(2, 3, dtype=torch.long),
                 GenerationConfig(max_new_tokens=4, use_cache=False), {eos}, on_step=on_step)
    assert res.tokens == [[3, eos], [3, 3, 3, 3]] and res.finished == [True, False]
    assert [s[0] for s in seen] == [[3], [3, eos], [], []]  # read the step it ended, then no more
    assert [s[1] for s in seen] == [[3] * k for k in range(1, 5)]


# ---------------------------------------------------------------- 3. a stop string's start over two pieces


@pytest.mark.parametrize("stops", [[" ###"], ["\n\nUser"]])
def test_a_label_does_not_go_on_with_a_stop_strings_start_begun_over_pieces(tok, stops):  # noqa: F811
    """In a label no piece ending on a stop string's start came, but one of white space alone stays allowed (a
    space before a word), and the piece after it was read alone: "<ref>sh " then "#" began " ###" in the label,
    which the model could then only write mangled. It is now read in context."""
    c = tok.convert_tokens_to_ids

    def ids(text: str) -> list[int]:  # one byte piece each
        return tok(text, add_special_tokens=False)["input_ids"]

    lead, (nxt,) = (" ", ids("#")) if stops == [" ###"] else ("\n\n", ids("U"))
    label = [c("<ref>"), *ids("sh"), *ids(lead)]
    assert allowed_after(tok, label)[nxt]  # no stop strings: as before
    held = allowed_after(tok, label, stop_strings=stops)
    assert not held[nxt] and held[ids("a")[0]]  # a word after the white space still comes
    labelled = [*label[:-len(lead)], c("</ref>"), *ids(lead)]  # right after </ref>, no word yet
    assert not allowed_after(tok, labelled, stop_strings=stops)[nxt]
    said = [*ids("ok"), *ids(lead)]  # text that may end the answer: it may begin one
    assert allowed_after(tok, said, stop_strings=stops)[nxt]


def test_a_label_does_not_finish_a_stop_strings_first_character_in_byte_pieces(tok):  # noqa: F811
    """"。" in three byte pieces: each alone reads "\\ufffd", so the last, which makes the label end on the start
    of "。x", was never refused."""
    third = tok.convert_tokens_to_ids(["ãĢĤ"[0], "ãĢĤ"[1], "ãĢĤ"[2]])  # the byte-level pieces of "。"
    assert tok.decode(third) == "。"
    label = [tok.convert_tokens_to_ids("<ref>"), *text_ids(tok, "sh"), *third[:2]]
    assert allowed_after(tok, label)[third[2]]
    assert not allowed_after(tok, label, stop_strings=["。x"])[third[2]]
