"""Rough edges of the decoding grammar (tour 57): an owed box's score and the model's wish to stop,
the owed shape of a ``[ground]`` answer is a box, stop strings after a half-written tag or a ``</ref>``."""

from __future__ import annotations

import math
import random
from types import SimpleNamespace

import pytest
import torch
from test_grammar_tour56 import STOP, allowed_after, padded_tok, text_ids

from rsvlm import geometry


@pytest.fixture(scope="module")
def tok():
    return padded_tok(0)


def ids(tok, *words: str) -> list[int]:
    """rsvlm's tokens (``<box>``, ``<loc_5>``) as they are, other words one byte token per character."""
    special = tok.get_added_vocab()
    return [i for w in words for i in ([special[w]] if w in special else text_ids(tok, w))]


def fixed_decode(tok, bias: dict[str, float], budget: int, **kw):
    """``generation.decode`` under the grammar with a fake LLM whose logits are ``bias`` (token → logit,
    the rest 0) at every step: (the DecodeResult, the logits (V,))."""
    from rsvlm.model.generation import GenerationConfig, decode
    from rsvlm.model.grammar import GrammarConstraint

    vocab, eos = len(tok), tok.eos_token_id
    row = torch.zeros(vocab)  # (V,)
    for t, v in bias.items():
        row[eos if t == "EOS" else tok.convert_tokens_to_ids(t)] = v

    def llm(inputs_embeds, **_):
        return SimpleNamespace(logits=row.expand(1, inputs_embeds.shape[1], vocab).clone())  # (B,T,V)

    con = GrammarConstraint(tok, {eos}, 1, budget, **kw)
    cfg = GenerationConfig(max_new_tokens=budget, use_cache=False, vocab=vocab)
    out = decode(llm, lambda i: torch.zeros(1, 1, 4), torch.zeros(1, 2, 4), torch.ones(1, 2, dtype=torch.long),
                 cfg, {eos}, constraint=con)
    return out, row


# ---------------------------------------------------------------- 1. an owed box's score


def test_an_owed_boxs_score_holds_the_models_wish_to_stop(tok):
    """The first token of an owed box was scored among the tokens the grammar allowed, EOS not among
    them: a model that wanted to stop ("the unicorn": nothing there) scored its forced box as high as
    one it chose (0.033-0.047 against 0.047-0.069 for "storage tank" on the DOTA sample, now
    0.013-0.020). The owed box's tokens are now scored as if no box were owed, EOS counted."""
    from rsvlm.model.grammar import shape_scores

    eos = tok.eos_token_id
    bias = {"EOS": 6.0, "<box>": 2.0, "<loc_5>": 3.0, "</box>": 1.0}
    out, row = fixed_decode(tok, bias, 30, need_shape=True)
    pieces = tok.convert_ids_to_tokens(out.tokens[0])
    assert pieces == ["<box>", "<loc_5>", "<loc_5>", "<loc_5>", "<loc_5>", "</box>", tok.eos_token]
    allowed = allowed_after(tok, [], need_shape=True)  # (V,) the first step's, EOS not in it
    assert not allowed[eos]
    among = row.masked_fill(~allowed, -math.inf)
    with_eos = among.clone()
    with_eos[eos] = row[eos]
    box = tok.convert_tokens_to_ids("<box>")
    want, old = torch.log_softmax(with_eos, -1)[box].item(), torch.log_softmax(among, -1)[box].item()
    assert out.logprobs[0][0] == pytest.approx(want, abs=1e-5) and want < old - 0.5  # the wish to stop counts
    end = row.masked_fill(~allowed_after(tok, out.tokens[0][:6], need_shape=True), -math.inf)
    assert out.logprobs[0][6] == pytest.approx(torch.log_softmax(end, -1)[eos].item(), abs=1e-5)  # nothing owed
    (score,) = shape_scores(pieces, out.logprobs[0])
    assert score == pytest.approx(math.exp((want + sum(out.logprobs[0][1:6])) / 6), rel=1e-5)


def test_only_the_owed_boxs_tokens_count_eos(tok):
    """Once the box is written nothing is owed: the second box is scored among what the grammar allows."""
    from rsvlm.model.grammar import GrammarConstraint

    bias = {"EOS": -9.0, "<box>": 2.0, "<loc_5>": 3.0, "</box>": 1.0}
    out, row = fixed_decode(tok, bias, 12, need_shape=True)
    first = out.tokens[0][:6]
    assert tok.decode(out.tokens[0]) == tok.decode(first) * 2  # two boxes, the budget left room for no third
    after = row.masked_fill(~allowed_after(tok, first, left=6, need_shape=True), -math.inf)
    assert out.logprobs[0][6] == pytest.approx(torch.log_softmax(after, -1)[first[0]].item(), abs=1e-6)
    con = GrammarConstraint(tok, {tok.eos_token_id}, 2, 30, need_shape=[True, False])
    con([[], []], len(tok))
    widened = con.also_scored()  # (2,V): the owed row only, and in it EOS, not the other shapes' tags
    assert widened[0, tok.eos_token_id] and not widened[0, tok.convert_tokens_to_ids("<point>")]
    assert not widened[1].any()
    con([first, []], len(tok))
    assert con.also_scored() is None


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


# ---------------------------------------------------------------- 3. stop strings


@pytest.mark.parametrize("before, held", [
    ("<bo", True),  # the answer would end "<bo": a cut tag (decode: "text ends inside a tag")
    ("</", True),
    ("ab", False), ("a <", False), ("<b>", False),  # text that may end: as it was
])
def test_a_stop_string_after_a_half_written_tag_is_held(tok, before, held):
    """A stop string's own "<" hid the half-written tag before it from the rule that keeps EOS from
    ending text on the start of a tag: ``<bo<|end|>`` ended the answer on "<bo"."""
    gt = text_ids(tok, ">")[0]
    prefix = text_ids(tok, before + "<|end|")
    assert allowed_after(tok, prefix)[gt]  # no stop strings given: nothing to hold
    assert bool(allowed_after(tok, prefix, stop_strings=STOP)[gt]) is not held


@pytest.mark.parametrize("after, held", [("", True), (" ", True), (" No", False), ("<box", True)])
def test_a_stop_strings_own_word_does_not_say_of_a_label(tok, after, held):
    """After ``</ref>`` a shape or a word must come before the end; the "end" of "<|end|>" counted as that
    word, so ``<ref>ship</ref><|end|>`` ended the answer on a label with nothing after it."""
    gt = text_ids(tok, ">")[0]
    prefix = ids(tok, "<ref>", "ship", "</ref>") + text_ids(tok, after + "<|end|")
    assert bool(allowed_after(tok, prefix, stop_strings=STOP)[gt]) is not held


def test_decoding_with_a_model_that_wants_the_stop_string_keeps_the_answer_well_formed(tok):
    from test_grammar_tour56 import run_scripted

    label = ["<ref>", *"ship", "</ref>", *"<|end|>"]
    assert cut_stops_text(run_scripted(tok, label, 30)) == "<ref>ship</ref>"  # what generate made of it
    held = cut_stops_text(run_scripted(tok, label, 30, stop_strings=STOP))
    assert [o["label"] for o in geometry.decode(held, 100, 100).objects] == ["ship"], held
    tag = [*"see <bo<|end|>"]
    assert geometry.decode(cut_stops_text(run_scripted(tok, tag, 30)), 100, 100).problems  # "text ends inside a tag"
    held = cut_stops_text(run_scripted(tok, tag, 30, stop_strings=STOP))
    assert held.startswith("see <bo") and geometry.decode(held, 100, 100).problems == [], held


def cut_stops_text(text: str) -> str:
    """The answer ``generate`` makes of the text: cut at its first stop string."""
    from rsvlm.model.vlm import cut_stops

    return cut_stops(text, STOP, shortest=2)


def test_the_pieces_holding_a_whole_stop_string_are_sorted_by_the_text_before_it():
    """A piece holding a whole stop string ends the answer on its text before it (its head)."""
    from rsvlm.model.grammar_pieces import StopPieces

    sp = StopPieces.of({1: "<|end|>", 2: "a<|end|>", 3: "<bo<|end|>", 4: "\n<|end|>", 5: "x>", 6: "|>"}, STOP)
    assert sorted(sp.within) == [1, 2, 3, 4] and sp.begin["|>"] == [6]
    assert sp.ending_badly(False, "") == [3]  # its own head ends on a tag's start
    assert sorted(sp.ending_badly(True, "")) == [1, 3, 4]  # after </ref>: those that bring no word
    assert sorted(sp.ending_badly(False, "<bo")) == [1, 3]  # "<bo" + "" is still a cut tag; "<boa" is text
    assert sp.start(STOP, "ab<|end|>", 3) == 2 and sp.start(STOP, "<|end|>ab", 8) is None


def test_the_default_tokenizers_stop_string_after_a_label_is_held():
    """The default model's tokenizer writes "<|end|>" as "▁<|" "end" "|>": its "end" is a word."""
    from pathlib import Path

    from transformers import AutoTokenizer

    t = AutoTokenizer.from_pretrained(Path(__file__).resolve().parents[1] / "rsvlm" / "assets" / "default_model" / "tokenizer")
    end = t.convert_tokens_to_ids("|>")
    label = t.convert_tokens_to_ids(["<ref>"]) + t("ship", add_special_tokens=False)["input_ids"] + \
        t.convert_tokens_to_ids(["</ref>", "▁<|", "end"])
    assert t.decode(label + [end]).endswith("<|end|>")
    assert allowed_after(t, label)[end] and not allowed_after(t, label, stop_strings=STOP)[end]
    word = label[:-2] + t(" None", add_special_tokens=False)["input_ids"] + label[-2:]
    assert allowed_after(t, word, stop_strings=STOP)[end]  # a word came first: it may end there
