"""Rough edges of the geometry codec and the decoding grammar (tour 55)."""

from __future__ import annotations

import numpy as np
import pytest

from rsvlm import geometry

# ---------------------------------------------------------------- mask budgets


@pytest.mark.parametrize("budget", ["32", None, float("nan"), 32.7, True])
@pytest.mark.parametrize("form", ["poly", "grid"])
def test_a_mask_budget_that_is_no_whole_number_is_refused_naming_the_object(form, budget):
    """{"budget": "32"} was a bare TypeError from ``budget // 2`` (or ``"32" * n`` for a grid), NaN and
    32.7 were used as they came."""
    m = np.zeros((10, 12), bool)
    m[2:5, 3:7] = True
    with pytest.raises(ValueError, match=r"object 0: mask budget must be a whole number"):
        geometry.encode([{"kind": "mask", "mask": m, "form": form, "budget": budget}], 12, 10)
    assert geometry.encode([{"kind": "mask", "mask": m, "form": form, "budget": 32.0}], 12, 10).count("<loc_") > 0


# ---------------------------------------------------------------- tags spelled in text


@pytest.fixture(scope="module")
def tok():
    from rsvlm.model.llm import byte_tokenizer
    from rsvlm.tokens import add_special_tokens

    t = byte_tokenizer()
    add_special_tokens(t)
    return t


def text_ids(tok, text: str) -> list[int]:
    """``text`` as one byte token per character (never rsvlm's own tokens: a model may spell them)."""
    return tok.convert_tokens_to_ids(["Ġ" if c == " " else c for c in text])


def allowed_after(tok, ids: list[int], left: int = 1 << 20):
    from rsvlm.model.grammar import GrammarConstraint

    return GrammarConstraint(tok, {tok.eos_token_id}, 1, len(ids) + left)([ids], len(tok))[0]


@pytest.mark.parametrize("before, ok", [
    ("see <box", False), ("see </poly", False), ("<loc_12", False), ("<loc_0012", False), ("<ref>a <grid", False),
    ("see <b", True), ("a <3", True), ("x <loc_", True), ("<loc_5 ", True), ("a <box ", True),
])
def test_text_cannot_spell_a_tag_the_codec_would_read(tok, before, ok):
    """Text pieces ``<`` ``b`` ``o`` ``x`` ``>`` are text to the grammar but ``<box>`` to ``geometry.decode``:
    a shape or a stray location the grammar never held to anything."""
    ids = text_ids(tok, before[5:]) if before.startswith("<ref>") else text_ids(tok, before)
    if before.startswith("<ref>"):
        ids = tok.convert_tokens_to_ids(["<ref>"]) + ids
    assert bool(allowed_after(tok, ids)[text_ids(tok, ">")[0]]) is ok


@pytest.mark.parametrize("before, ok", [("see <bo", False), ("</ref", False), ("<loc_9", False),
                                        ("a < b", True), ("a <3", True), ("<b>", True), ("a <", True)])
def test_an_answer_cannot_end_inside_a_spelled_tag(tok, before, ok):
    assert bool(allowed_after(tok, text_ids(tok, before))[tok.eos_token_id]) is ok


def test_a_model_that_spells_tags_in_text_still_writes_an_answer_that_decodes_cleanly(tok):
    """It ranks the bytes of "<loc_5>" and "<box>…" first as text: before, the answer read as a stray
    location and a box the grammar never checked (4 locations, x1 > x2 allowed); now the grammar
    refuses each ">" that would close one, and the model's second choice stands."""
    from types import SimpleNamespace

    import torch

    from rsvlm.model.generation import GenerationConfig, decode
    from rsvlm.model.grammar import GrammarConstraint

    vocab, eos = len(tok), tok.eos_token_id
    want = text_ids(tok, "at <loc_5> the <box>") + tok.convert_tokens_to_ids(["<loc_9>", "<loc_1>"]) + [eos]
    second = text_ids(tok, "]")[0]

    def llm(inputs_embeds, **_):
        step = inputs_embeds.shape[1] - 2  # the prompt is 2 long
        logits = torch.zeros(1, inputs_embeds.shape[1], vocab)  # (B,T,V)
        logits[..., want[min(step, len(want) - 1)]] = 5.0
        logits[..., second] = 4.0
        logits[..., eos] = 3.0
        return SimpleNamespace(logits=logits)

    con = GrammarConstraint(tok, {eos}, 1, 40)
    cfg = GenerationConfig(max_new_tokens=40, use_cache=False, vocab=vocab)
    res = decode(llm, lambda ids: torch.zeros(1, 1, 4), torch.zeros(1, 2, 4), torch.ones(1, 2, dtype=torch.long),
                 cfg, {eos}, constraint=con)
    text = tok.decode(res.tokens[0], skip_special_tokens=True)
    assert text.startswith("at <loc_5] the <box]"), text
    parsed = geometry.decode(text, 100, 100)
    assert parsed.problems == [] and parsed.objects == []


# ---------------------------------------------------------------- grid masks past their rows


def test_a_mask_whose_runs_pass_its_rows_many_times_decodes_without_building_them_all():
    """A free-decoded ``<run><loc_999>`` repeated made 999 row lists per token before all but R were
    cut: 1000 of them built a million rows (2.4 s, ~100 MB) to keep 999. The count is still said."""
    import tracemalloc

    head = "<mask><grid><loc_0><loc_0><loc_999><loc_999><loc_999><loc_999></grid><row><loc_0><loc_5><loc_3><loc_7>"
    text = head + "<run><loc_999>" * 1000 + "</mask>"
    tracemalloc.start()
    try:
        parsed = geometry.decode(text, 1000, 1000)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert parsed.problems == ["<mask> has 999001 rows, header says 999; cut"]
    assert peak < 10_000_000, peak
    rows = parsed.objects[0]["coords"]["rows"]
    assert len(rows) == 999 and all(r == [0, 5, 3, 7] for r in rows)
    exact = geometry.decode(head + "<run><loc_998></mask>", 1000, 1000)  # the same mask, its 999 rows as written
    assert exact.problems == [] and exact.objects == parsed.objects


# ---------------------------------------------------------------- rings as arrays


def test_a_polygon_whose_rings_are_one_array_encodes_and_rasterises_as_the_list_does():
    """``{"rings": np.array([exterior, hole])}`` (rings of equal length read from a file) raised numpy's
    "truth value of an array … is ambiguous", from ``rings or [coords]``, in encode and objects_to_mask."""
    ext, hole = [[10, 10], [90, 10], [90, 90], [10, 90]], [[30, 30], [60, 30], [60, 60], [30, 60]]
    as_list = {"kind": "poly", "label": "field", "rings": [ext, hole]}
    as_array = {**as_list, "rings": np.array([ext, hole], dtype=np.float32)}
    text = geometry.encode([as_list], 100, 100)
    assert geometry.encode([as_array], 100, 100) == text and text.count("<poly>") == 2
    drawn = geometry.objects_to_mask([as_list], 100, 100)
    assert drawn.sum() == 80 * 80 - 30 * 30
    assert (geometry.objects_to_mask([as_array], 100, 100) == drawn).all()
    with pytest.raises(ValueError, match=r"object 0: rings must be a list of rings, got str"):
        geometry.encode([{**as_list, "rings": "abc"}], 100, 100)


# ---------------------------------------------------------------- one grid per instance


def test_a_grid_per_instance_costs_per_instance_not_per_instance_times_image():
    """Each instance took a fresh (H, W) array and a search of all of it: 900 specks took 4 s on a
    1500 px image against 0.08 s on a 60 px one. The same specks cost about the same now."""
    import time

    big = np.zeros((1500, 1500), bool)
    big[5::50, 5::50] = True  # 900 specks
    small = np.zeros((60, 60), bool)
    small[1::2, 1::2] = True  # 900 specks

    def seconds(m: np.ndarray) -> float:
        best = float("inf")
        for _ in range(2):
            t = time.perf_counter()
            objs = geometry.mask_to_objects(m, "x", "grid", 32, per_instance=True)
            best = min(best, time.perf_counter() - t)
        assert len(objs) == 900
        return best

    assert seconds(big) < 15 * seconds(small)
    objs = geometry.mask_to_objects(small, "x", "grid", 32, per_instance=True)
    assert (geometry.objects_to_mask(objs, 60, 60) == small).all()


# ---------------------------------------------------------------- coordinates in training answers


def test_the_coordinate_walk_goes_past_a_mask_whose_run_has_no_count(tok):
    """``<run></mask>`` (a hand-converted answer in training data) was a TypeError (None + int) in the
    loc pointer's teacher-forced pass; ``coordinate_axes`` takes any sequence. The shapes after it
    are found, and a shape left open ends at the next opening tag, as ``geometry.decode`` reads it
    (``<point>`` was taken for the open box's close, and its coordinates for text)."""
    from rsvlm.model.grammar import GrammarIds, coordinate_axes

    text = ("<mask><grid><loc_1><loc_2><loc_3><loc_4><loc_2><loc_2></grid><row><loc_0><loc_2><run></mask>"
            "<box><loc_5><loc_6><loc_7><loc_8></box><box><loc_9><loc_9><point><loc_3><loc_4></point>")
    ids = tok(text, add_special_tokens=False).input_ids
    loc0 = tok.convert_tokens_to_ids("<loc_0>")
    found = [(ids[p] - loc0, axis) for p, axis in coordinate_axes(ids, GrammarIds.of(tok))]
    assert found == [(1, 0), (2, 1), (3, 0), (4, 1), (5, 0), (6, 1), (7, 0), (8, 1), (9, 0), (9, 1), (3, 0), (4, 1)]


def test_array_rings_are_read_as_a_list_is_in_overlays_georef_and_tta_views(tmp_path):
    """``obj.get("rings") or [coords]`` raised numpy's ambiguous truth value for a ``rings`` array in
    ``draw_overlay``, ``object_geometry`` and ``tta.to_view``; they read rings through ``poly_rings``."""
    from PIL import Image

    from rsvlm import tta
    from rsvlm.io import RSImage, draw_overlay
    from rsvlm.io.georef import object_geometry

    ext, hole = [[10, 10], [90, 10], [90, 90], [10, 90]], [[30, 30], [60, 30], [60, 60], [30, 60]]
    as_list = {"kind": "poly", "label": "field", "coords": ext, "rings": [ext, hole]}
    as_array = {**as_list, "rings": np.array([ext, hole], dtype=np.float32)}

    img = RSImage(data=np.zeros((3, 100, 100), np.float32), modality="optical", bands=["R", "G", "B"], path="synthetic")
    drawn = [np.asarray(Image.open(draw_overlay(img, [o], tmp_path / f"{k}.png", min_side=100)))
             for k, o in enumerate([as_list, as_array])]
    assert (drawn[0] == drawn[1]).all()

    pytest.importorskip("shapely")
    geom = object_geometry(as_array)
    assert geom.equals(object_geometry(as_list)) and geom.area == 80 * 80 - 30 * 30

    moved = tta.to_view([as_array], "h", 100, 100)[0]
    assert moved["rings"] == tta.to_view([as_list], "h", 100, 100)[0]["rings"]
    assert moved["rings"][1][0] == [70, 30]
