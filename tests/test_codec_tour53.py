"""Rough edges of the geometry codec, the decoding grammar and sampling (tour 53)."""

from __future__ import annotations

import pytest
import torch

from rsvlm import geometry
from rsvlm.model.grammar import GrammarConstraint
from rsvlm.model.llm import byte_tokenizer
from rsvlm.tokens import add_special_tokens

BOX = "<box><loc_10><loc_10><loc_20><loc_20></box>"


@pytest.fixture(scope="module")
def tok():
    t = byte_tokenizer()
    add_special_tokens(t)
    return t


def allowed_after(tok, text: str, left: int = 1 << 20) -> torch.Tensor:
    """(V,) bool: what the grammar allows after ``text`` with ``left`` tokens to go."""
    ids = tok(text, add_special_tokens=False).input_ids
    return GrammarConstraint(tok, {tok.eos_token_id}, 1, len(ids) + left)([ids], len(tok))[0]


# ---------------------------------------------------------------- a label with no shape


def test_a_label_another_label_replaces_is_reported_and_stays_in_the_text():
    # was: no problem, "ship" silently lost as a label
    d = geometry.decode(f"there are <ref>ship</ref><ref>plane</ref>{BOX}", 100, 100)
    assert [o["label"] for o in d.objects] == ["plane"]
    assert len(d.problems) == 1 and "<ref>ship</ref> labels no shape" in d.problems[0]
    assert d.text == "there are ship plane"
    d = geometry.decode(f"<ref>ship</ref> , <ref></ref>{BOX}", 100, 100)  # no word between: still nothing labelled
    assert d.objects[0]["label"] is None and "<ref>ship</ref> labels no shape" in d.problems[0]
    assert "<ref></ref> labels no shape" in geometry.decode(f"<ref></ref><ref>a</ref>{BOX}", 9, 9).problems[0]


@pytest.mark.parametrize("text", [
    f"<ref>ship</ref>{BOX}{BOX}",  # one label, several shapes
    f"<ref>ship</ref> at {BOX} and {BOX}.",  # text between does not end the label
    "<ref>harbour</ref> None.",  # a label said of in words: the eval's empty reference
    f"<ref>ship</ref> none here. <ref>plane</ref>{BOX}",
    "[ground] where is <ref>the white ship</ref>",  # a question's referring phrase (GeoChat's [refer])
])
def test_labels_with_shapes_or_words_after_them_are_no_problem(text):
    assert geometry.decode(text, 100, 100).problems == []


def test_the_grammar_holds_a_closed_label_to_a_shape_or_a_word(tok):
    eos, ref = tok.eos_token_id, tok.convert_tokens_to_ids("<ref>")
    box, point = tok.convert_tokens_to_ids("<box>"), tok.convert_tokens_to_ids("<point>")
    ok = allowed_after(tok, "<ref>ship</ref>")
    assert not ok[eos] and not ok[ref] and ok[box] and ok[tok.convert_tokens_to_ids("Ġ")]  # was: EOS allowed
    ok = allowed_after(tok, "<ref>ship</ref> ")  # a space is no word
    assert not ok[eos] and not ok[ref]
    ok = allowed_after(tok, "<ref>harbour</ref> N")
    assert ok[eos] and ok[ref]
    ok = allowed_after(tok, f"<ref>ship</ref>{BOX}")
    assert ok[eos] and ok[ref]
    # with only a point's room left, nothing but the point may follow the label
    ok = allowed_after(tok, "<ref>s</ref>", left=4)
    assert ok.nonzero().flatten().tolist() == [point]


# ---------------------------------------------------------------- zero-padded locations


@pytest.mark.parametrize("loc", ["<loc_01>", "<loc_000>", "<loc_0999>"])
def test_a_zero_padded_location_is_no_token_and_is_reported(loc):
    # was: <loc_01> read as bin 1; the tokenizer has no such token, so the model never writes it
    d = geometry.decode(f"<ref>ship</ref><box>{loc}<loc_10><loc_20><loc_20></box>", 100, 100)
    assert d.objects == [] and any(loc in p and "not a location token" in p for p in d.problems)
    assert geometry.decode("<point><loc_0><loc_0></point>", 9, 9).problems == []  # <loc_0> itself is one


# ---------------------------------------------------------------- a "<" that is text


@pytest.mark.parametrize("text", ["the ship is smaller than <", "a < b", "a <", "<3 harbours", "a <b> tag"])
def test_a_lone_less_than_sign_is_text_not_a_cut_tag(text):
    d = geometry.decode(text, 10, 10)
    assert d.problems == [] and d.text == text  # was: "text ends inside a tag: '<'"


@pytest.mark.parametrize("tail", ["<re", "</", "</bo", "<loc_", "<loc_1", "<loc_99", "<po", "<ro"])
def test_text_ending_on_the_start_of_a_real_tag_is_still_reported(tail):
    assert geometry.decode(f"one ship {tail}", 10, 10).problems == [f"text ends inside a tag: {tail!r}"]


@pytest.mark.parametrize("tail", ["<loc_1000", "<loc_01", "<locx"])
def test_a_tail_no_token_starts_with_is_text(tail):
    assert geometry.decode(f"one ship {tail}", 10, 10).problems == []


# ---------------------------------------------------------------- sampling with a generator


def test_sampling_runs_on_the_generators_device_and_returns_ids_on_the_logits(monkeypatch):
    """A CPU generator with a CUDA model failed in torch.multinomial (it wants both on one device);
    here a generator that says it lives on "meta" stands in for the other device."""
    from types import SimpleNamespace

    from rsvlm.model.generation import GenerationConfig, sample_next

    seen = []

    def multinomial(probs, n, generator=None):  # torch's own rule: probs and generator on one device
        if generator is not None and probs.device != generator.device:
            raise RuntimeError(f"generator on {generator.device}, probs on {probs.device}")
        seen.append(probs.device)
        return torch.ones(probs.shape[0], n, dtype=torch.long)

    monkeypatch.setattr(torch, "multinomial", multinomial)
    cfg = GenerationConfig(do_sample=True, top_p=0.9)
    ids = sample_next(torch.zeros(2, 5), cfg, SimpleNamespace(device=torch.device("meta")))
    assert seen == [torch.device("meta")] and ids.device == torch.device("cpu") and ids.tolist() == [1, 1]


def test_a_seeded_generator_samples_the_same_ids_again():
    from rsvlm.model.generation import GenerationConfig, sample_next

    cfg = GenerationConfig(do_sample=True, temperature=2.0)
    logits = torch.randn(3, 50, generator=torch.Generator().manual_seed(1))  # (B,V)
    runs = [sample_next(logits, cfg, torch.Generator().manual_seed(7)).tolist() for _ in range(2)]
    assert runs[0] == runs[1] and len(runs[0]) == 3


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device for logits off the generator's")
def test_a_cpu_generator_samples_cuda_logits():
    from rsvlm.model.generation import GenerationConfig, sample_next

    logits = torch.randn(2, 50, device="cuda")  # (B,V)
    ids = sample_next(logits, GenerationConfig(do_sample=True), torch.Generator().manual_seed(0))
    assert ids.device.type == "cuda" and ids.shape == (2,)


# ---------------------------------------------------------------- the budget's last tokens


def run_scripted(tok, prefs: list[dict[int, float]], budget: int):
    """generation.decode under the grammar with a fake LLM whose logits at step k are ``prefs[k]``
    (the last one from then on)."""
    from types import SimpleNamespace

    from rsvlm.model.generation import GenerationConfig, decode

    vocab, eos = len(tok), tok.eos_token_id

    def llm(inputs_embeds, **_):
        logits = torch.zeros(1, inputs_embeds.shape[1], vocab)  # (B,T,V); the prompt is 2 long
        for t, v in prefs[min(inputs_embeds.shape[1] - 2, len(prefs) - 1)].items():
            logits[..., t] = v
        return SimpleNamespace(logits=logits)

    con = GrammarConstraint(tok, {eos}, 1, budget)
    cfg = GenerationConfig(max_new_tokens=budget, use_cache=False, vocab=vocab)
    return decode(llm, lambda ids: torch.zeros(1, 1, 4), torch.zeros(1, 2, 4), torch.ones(1, 2, dtype=torch.long),
                  cfg, {eos}, constraint=con)


def test_a_shape_the_budget_hid_after_a_label_makes_the_answer_cut_though_it_ends_on_eos(tok):
    """rsvlm predict --max-new-tokens 10 answered '<ref>building</ref>ip', not cut: the model ranked
    <box> first after the label, the budget hid it, the model wrote a word and then EOS, and only
    the EOS step was checked. Every step is now."""
    i = tok.convert_tokens_to_ids
    ref, end_ref, box, eos = i("<ref>"), i("</ref>"), i("<box>"), tok.eos_token_id
    prefs = [{ref: 5}, {i("b"): 5}, {i("u"): 5}, {end_ref: 5}, {box: 5, i("i"): 3}, {eos: 5}]
    res = run_scripted(tok, prefs, 9)
    assert res.tokens[0] == [ref, i("b"), i("u"), end_ref, i("i"), eos] and res.finished == [False]
    res = run_scripted(tok, prefs, 30)  # room for the box: written, and finished
    assert tok.decode(res.tokens[0][:5]) == "<ref>bu</ref><box>" and res.finished == [True]


# ---------------------------------------------------------------- encoder input


@pytest.mark.parametrize("obj", [
    {"kind": "box", "coords": "1234"},  # was: the box [1, 2, 3, 4]
    {"kind": "point", "coords": "12"},
    {"kind": "obb", "coords": ["12", "34", "56", "78"]},  # was: four [x, y] corners, one digit each
    {"kind": "poly", "coords": ["12", "34", "56"]},
    {"kind": "poly", "coords": b"123456"},
])
def test_coordinates_given_as_a_string_are_refused_naming_the_object(obj):
    with pytest.raises(ValueError, match=r"object 0( ring 0)?: expected"):
        geometry.encode([obj], 100, 100)


def test_a_traced_mask_outline_has_no_vertices_along_straight_edges():
    """The union of row runs kept a vertex at every pixel row of a straight side: a 7-pixel column
    cost 16 vertices (32 location tokens) where its 4 corners are exact."""
    import numpy as np

    col = np.zeros((7, 3), bool)
    col[:, 1] = True
    (obj,) = geometry.mask_to_objects(col, "mast", "poly", 64)
    assert len(obj["coords"]) == 4 and "rings" not in obj
    ring = np.zeros((6, 6), bool)
    ring[1:5, 1:5], ring[2:4, 2:4] = True, False
    (obj,) = geometry.mask_to_objects(ring, "pond", "poly", 64)
    assert [len(r) for r in obj["rings"]] == [4, 4]
    assert (geometry.objects_to_mask([obj], 6, 6) == ring).all()


@pytest.mark.parametrize("loc", ["<loc_١٢>", "<loc_５>", "<loc_𝟗>"])
def test_a_location_in_other_digits_is_no_token(loc):
    # was: "<loc_١٢>" (Arabic-Indic digits, which regex \d matches) read as bin 12
    d = geometry.decode(f"<point>{loc}<loc_5></point>", 100, 100)
    assert d.objects == [] and any(loc in p for p in d.problems)


GRID = {"box": [0, 0, 10, 10], "size": [2, 2], "rows": [[0, 1], [0, 1]]}


@pytest.mark.parametrize("change, why", [
    ({"size": [2.5, 2]}, "grid size must be a whole number, got 2.5"),  # was: a 2-column grid
    ({"rows": [[0, True], [0, 1]]}, "run length must be a whole number, got True"),
    ({"rows": [[0, 1.7], [0, 1]]}, "run length must be a whole number, got 1.7"),  # was: "slice indices must be integers"
    ({"box": [10, 10, 0, 0]}, "empty, inverted or narrower than a bin"),  # was: a header decode reports
    ({"box": [5, 5, 5.001, 5.001]}, "empty, inverted or narrower than a bin"),
    ({"box": "0,0,10,10"}, "4 finite numbers"),
    ({"box": None}, "4 finite numbers"),
])
def test_bad_grid_coords_are_refused_saying_what_is_wrong(change, why):
    with pytest.raises(ValueError, match=rf"object 0: bad grid coords: .*{why}"):
        geometry.encode([{"kind": "mask", "coords": {**GRID, **change}}], 10, 10)


def test_grid_coords_without_a_box_name_the_missing_key():
    with pytest.raises(ValueError, match="'box' is missing"):  # was: "bad grid coords: 'box'"
        geometry.encode([{"kind": "mask", "coords": {"size": [2, 2], "rows": [[0, 1], [0, 1]]}}], 10, 10)
    text = geometry.encode([{"kind": "mask", "coords": {**GRID, "size": [2.0, 2]}}], 10, 10)  # whole floats (JSON)
    assert geometry.decode(text, 10, 10).problems == []


@pytest.mark.parametrize("obj", [
    {"kind": "box", "coords": [float("nan"), 0, 5, 5]},  # was: nothing drawn, no word
    {"kind": "obb", "coords": [[0, 0], [float("nan"), 0], [5, 5], [0, 5]]},  # was: 50 pixels of garbage
    {"kind": "poly", "coords": [[0, 0], [9, 0], [9, 9]], "rings": [[[0, 0], [9, 0], [9, 9]], [[1, float("inf")], [2, 2], [1, 2]]]},
])
def test_rasterising_non_finite_coordinates_is_refused_naming_the_object(obj):
    with pytest.raises(ValueError, match=rf"object 0 \({obj['kind']}\): cannot rasterise: non-finite"):
        geometry.objects_to_mask([obj], 10, 10)


def test_a_word_after_a_label_counts_when_its_bytes_come_one_token_at_a_time(tok):
    # byte tokens of "无" each decode to "\ufffd" alone; decoded together they are a word
    eos = tok.eos_token_id
    ok = allowed_after(tok, "<ref>船</ref> 无")
    assert ok[eos] and geometry.decode("<ref>船</ref> 无", 9, 9).problems == []
    assert not allowed_after(tok, "<ref>船</ref> ")[eos]
