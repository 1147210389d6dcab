"""Rough edges of the decoding grammar and the codec's polygon holes (tour 56)."""

from __future__ import annotations

import pytest

from rsvlm import geometry

# ---------------------------------------------------------------- holes

CW = "<poly><loc_100><loc_100><loc_900><loc_100><loc_900><loc_900><loc_100><loc_900></poly>"
CCW = "<poly><loc_300><loc_300><loc_300><loc_600><loc_600><loc_600><loc_600><loc_300></poly>"


@pytest.mark.parametrize("between", [" and ", ", ", "\nAnother: "])
def test_a_counter_clockwise_polygon_after_words_is_an_object_not_a_hole(between):
    """DESIGN.md: a polygon's rings follow each other. Words between two polygons made the second,
    written counter-clockwise, a hole of the first: one object where the answer listed two."""
    parsed = geometry.decode("<ref>pond</ref>" + CW + between + CCW, 1000, 1000)
    assert parsed.problems == []
    assert [len(o.get("rings", [o["coords"]])) for o in parsed.objects] == [1, 1]
    assert [o["label"] for o in parsed.objects] == ["pond", "pond"]


@pytest.mark.parametrize("between", ["", " ", "\n"])
def test_a_counter_clockwise_polygon_right_after_another_is_still_its_hole(between):
    parsed = geometry.decode(CW + between + CCW, 1000, 1000)
    assert parsed.problems == [] and len(parsed.objects) == 1 and len(parsed.objects[0]["rings"]) == 2


# ---------------------------------------------------------------- tags spelled in text, per step


def padded_tok(size: int):
    from rsvlm.model.llm import byte_tokenizer
    from rsvlm.tokens import add_special_tokens

    t = byte_tokenizer(size)  # <unused_N> pieces: each holds a "<" and a ">", as code pieces of a large vocabulary do
    add_special_tokens(t)
    return t


def test_the_work_per_step_on_a_spelled_tag_does_not_grow_with_the_vocabulary(monkeypatch):
    """While text ended on a tag's start (``see <box``) each step tested every piece holding ">": 8 ms a
    step at a 152k Qwen-like vocabulary, 0.5 s with a padded one. The pieces that could finish the tag
    are now looked up by their text up to ">"."""
    from rsvlm.geometry.codec import spells_tag
    from rsvlm.model import grammar

    calls = []
    monkeypatch.setattr(grammar, "spells_tag", lambda text: calls.append(text) or spells_tag(text))
    counts = {}
    for size in (300, 2000):
        tok = padded_tok(size)
        ids = tok.convert_tokens_to_ids(list("seeĠ<box"))
        con = grammar.GrammarConstraint(tok, {tok.eos_token_id}, 1, 1 << 20)
        con([ids[:-1]], len(tok))  # the vocabulary scan, once per tokenizer
        calls.clear()
        ok = con([ids], len(tok))[0]  # one step on "see <box"
        counts[size] = len(calls)
        assert not ok[tok.convert_tokens_to_ids(">")] and ok[tok.convert_tokens_to_ids("Ġ")]  # "<box>" is still refused
    assert counts[300] == counts[2000] < 10, counts


# ---------------------------------------------------------------- a shape owed, stop strings held


@pytest.fixture(scope="module")
def tok():
    return padded_tok(0)


def allowed_after(tok, ids: list[int], left: int = 1 << 20, **kw):
    from rsvlm.model.grammar import GrammarConstraint

    return GrammarConstraint(tok, {tok.eos_token_id}, 1, len(ids) + left, **kw)([ids], len(tok))[0]


def text_ids(tok, text: str) -> list[int]:
    """``text`` one byte token per character (a model may spell anything so)."""
    return tok.convert_tokens_to_ids(["Ġ" if c == " " else c for c in text])


def run_scripted(tok, want: list[str], budget: int, **kw) -> str:
    """``generation.decode`` under the grammar with a fake LLM that ranks the tokens of ``want`` (rsvlm
    tokens or one character each) first at its steps, EOS then, and else ``</ref>``, a point (or, where
    no point may come, a box) at location 5: the answer's text."""
    from types import SimpleNamespace

    import torch

    from rsvlm.model.generation import GenerationConfig, decode
    from rsvlm.model.grammar import GrammarConstraint

    eos, vocab = tok.eos_token_id, len(tok)
    fallback = {eos: 9.0, tok.convert_tokens_to_ids("</ref>"): 8.0, tok.convert_tokens_to_ids("<point>"): 7.0,
                tok.convert_tokens_to_ids("<box>"): 6.5, tok.convert_tokens_to_ids("<loc_5>"): 6.0,
                tok.convert_tokens_to_ids("</point>"): 5.0, tok.convert_tokens_to_ids("</box>"): 5.0}
    steps = [tok.convert_tokens_to_ids(w) if w.startswith("<") and len(w) > 1 else text_ids(tok, w)[0] for w in want]

    def llm(inputs_embeds, **_):
        k = inputs_embeds.shape[1] - 2  # tokens generated so far
        logits = torch.zeros(1, inputs_embeds.shape[1], vocab)  # (B,T,V)
        for i, v in fallback.items():
            logits[0, -1, i] = v
        if k < len(steps):
            logits[0, -1, steps[k]] = 20.0
        return SimpleNamespace(logits=logits)

    con = GrammarConstraint(tok, {eos}, 1, budget, **kw)
    cfg = GenerationConfig(max_new_tokens=budget, use_cache=False, vocab=vocab)
    out = decode(llm, lambda ids: torch.zeros(1, 1, 4), torch.zeros(1, 2, 4), torch.ones(1, 2, dtype=torch.long),
                 cfg, {eos}, constraint=con)
    return tok.decode([t for t in out.tokens[0] if t != eos])


def test_a_ground_answer_needs_a_shape_before_it_ends(tok):
    """DESIGN.md: a [ground] answer is one or more boxes. The grammar let it end on none ("None.");
    with ``need_shape`` it writes one, and keeps the room for it."""
    eos, open_box = tok.eos_token_id, tok.convert_tokens_to_ids("<box>")
    box = [tok.convert_tokens_to_ids(t) for t in ["<box>", "<loc_1>", "<loc_2>", "<loc_3>", "<loc_4>", "</box>"]]
    assert allowed_after(tok, [])[eos] and allowed_after(tok, text_ids(tok, "None."))[eos]
    assert not allowed_after(tok, [], need_shape=True)[eos]
    assert not allowed_after(tok, text_ids(tok, "None."), need_shape=True)[eos]
    assert allowed_after(tok, box, need_shape=True)[eos]  # one shape closed: it may end
    near = allowed_after(tok, text_ids(tok, "It is"), left=6, need_shape=True)
    assert near.nonzero().flatten().tolist() == [open_box]  # the last room left is the box's (tour 57: a box)
    assert allowed_after(tok, [], left=5, need_shape=True)[eos]  # no box fits at all: as it was
    assert run_scripted(tok, list("None."), 30) == "None."
    held = run_scripted(tok, list("None."), 30, need_shape=True)
    assert held == "<box><loc_5><loc_5><loc_5><loc_5></box>"  # no text before the box (tour 58b)
    assert [o["kind"] for o in geometry.decode(held, 100, 100).objects] == ["box"]
    assert run_scripted(tok, list("None."), 30, need_shape=[False]) == "None."
    with pytest.raises(ValueError, match="need_shape has 2 entries for a batch of 1"):
        allowed_after(tok, [], need_shape=[True, False])


STOP = ["<|end|>"]


def test_a_stop_string_cannot_cut_a_label(tok):
    """A model writing the chat template's stop string inside ``<ref>`` ended the answer there:
    ``<ref>sh``, an unclosed label. A stop string ends an answer as EOS does, so it cannot come
    where EOS cannot."""
    ref, gt = tok.convert_tokens_to_ids("<ref>"), text_ids(tok, ">")[0]
    label = [ref] + text_ids(tok, "sh<|end|")
    assert allowed_after(tok, label)[gt]  # no stop strings given: as it was
    assert not allowed_after(tok, label, stop_strings=STOP)[gt]
    assert allowed_after(tok, label[1:], stop_strings=STOP)[gt]  # in plain text EOS may come, and so may it
    assert allowed_after(tok, label + text_ids(tok, "|"), stop_strings=STOP)[gt]  # "<|end||>" is no stop string
    assert not allowed_after(tok, label[1:], need_shape=True, stop_strings=STOP)[gt]  # nor before a shape owed
    free = run_scripted(tok, ["<ref>", *"sh<|end|>"], 30)
    assert free.startswith("<ref>sh<|end|>")  # what generate cut to "<ref>sh"
    held = run_scripted(tok, ["<ref>", *"sh<|end|>"], 30, stop_strings=STOP)
    assert "<|end|>" not in held and geometry.decode(held, 100, 100).problems == []
    assert held.startswith("<ref>sh</ref>") and "<|" not in held  # the stop string is not begun (tour 58b)


def test_a_stop_string_split_over_sentencepiece_pieces_is_held_in_a_label_too():
    """The default model's tokenizer writes "<|end|>" as "▁<|" "end" "|>" (its EOS is "<|")."""
    from pathlib import Path

    from transformers import AutoTokenizer

    t = AutoTokenizer.from_pretrained(Path(__file__).resolve().parents[1] / "rsvlm" / "assets" / "default_model" / "tokenizer")
    ref, end = t.convert_tokens_to_ids("<ref>"), t.convert_tokens_to_ids("|>")
    label = [ref] + t.convert_tokens_to_ids(["▁ship", "▁<|", "end"]) if "▁ship" in t.get_vocab() else \
        [ref] + t("ship", add_special_tokens=False)["input_ids"] + t.convert_tokens_to_ids(["▁<|", "end"])
    assert t.decode(label + [end]).endswith("<|end|>")
    assert allowed_after(t, label)[end] and not allowed_after(t, label, stop_strings=STOP)[end]
