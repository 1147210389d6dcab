"""Tour 77 (chat, predict): --history's rule is said before the answer it first shapes (it came after the second
answer, reading as a note on it), worded for a [change] pair ("the image pair", was "the image"); an overlay's title
names an oriented box and a polygon in words (was the kind's tag: "obb", "poly")."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from test_predict_edges import chat_repl, predict_det

from rsvlm.predict_question import pixel_question

IMG = SimpleNamespace(window=None, scene_size=(1000, 1000), width=1000, height=1000)  # scene_wh's fields


@pytest.mark.parametrize("history, said", [
    (0, "note: each question is asked afresh about the image, as this model answers best"),
    (1, "note: the model is shown the exchange that brought the image alone with each question"),
    (2, "note: the model is shown the exchange that brought the image and the last one after it")])
def test_the_history_rule_comes_before_the_answer_it_shapes(ckpt, geotiff, history, said):
    repl, out = chat_repl(ckpt, history=history)
    assert repl.load_image([str(geotiff), "optical"])
    questions = ("[cls] scene?", "[vqa] a?", "[vqa] b?", "[vqa] c?")
    starts = []
    for q in questions:
        starts.append(len(out.getvalue()))
        assert repl.handle(q)
    drops = [s["dropped_turns"] > 0 for s in repl.session.stats]
    first = drops.index(True)  # the first question asked without every earlier exchange
    text = out.getvalue()
    assert text.count(said) == 1, text
    assert text.index(said) == starts[first] + 2, text[starts[first]:]  # the first thing said of that question


def test_the_history_rule_names_a_pair_as_a_pair(ckpt, geotiff):
    for history, said in ((0, "each question is asked afresh about the image pair,"),
                          (1, "the exchange that brought the image pair alone")):
        repl, out = chat_repl(ckpt, history=history)
        assert repl.load_image([str(geotiff)]) and repl.load_image([str(geotiff)])  # a [change] pair
        for q in ("[change] What changed?", "[change] Any new buildings?", "[change] Any roads?"):
            assert repl.handle(q)
        assert out.getvalue().count(said) == 1, out.getvalue()


@pytest.mark.parametrize("shape, words", [
    ("<obb><loc_100><loc_100><loc_300><loc_100><loc_300><loc_200><loc_100><loc_200></obb>", "oriented box (100,100)"),
    ("<poly><loc_100><loc_100><loc_300><loc_100><loc_200><loc_300></poly>", "polygon (100,100)"),
    ("<box><loc_100><loc_100><loc_300><loc_200></box>", "box 100,100,300,200 px"),
])
def test_an_overlay_title_names_each_kind_in_words(shape, words):
    title = pixel_question(f"[regcap] What is in {shape}?", IMG)
    assert words in title and "obb" not in title and "poly " not in title, title


def test_band_names_for_a_one_band_image_are_refused_without_a_contradiction():
    """An 8-bit SAR chip loads as one band "b1" that the model takes as VV: "/vis o.png VV,VV,VV" said "has no band
    'VV'; its bands are b1", against the load note; and an ir image's refusal told chat's /vis "leave /vis o.png out"."""
    from rsvlm.output_options import rgb_bands_problem

    sar = SimpleNamespace(modality="sar", bands=["b1"])
    said = rgb_bands_problem(sar, ["VV", "VV", "VV"], "chip.jpg", "/vis o.png")
    assert said == ("/vis o.png VV,VV,VV: chip.jpg (sar) has one band, b1 (the file's own name for it, whatever "
                    "the model read it as), drawn grey: give no band names"), said
    assert rgb_bands_problem(sar, ["b1", "b1", "b1"], "chip.jpg", "/vis o.png") is None
    ir = rgb_bands_problem(SimpleNamespace(modality="ir", bands=["B10"]), ["R", "G", "B"], "t.tif", "/vis o.png")
    assert ir.endswith("drawn through a colour map; give no band names") and "out" not in ir.split(";")[-1], ir


def test_two_modalities_to_image_are_named_as_such(ckpt, geotiff):
    """"/image a.tif optical sar" was refused as "1 band name ['sar'] given; the image has 3 bands": sar is no band."""
    repl, out = chat_repl(ckpt)
    assert repl.handle(f"/image {geotiff} optical SAR")
    said = out.getvalue()
    assert f"error: /image: two modalities given (optical, sar): an image is read as one; give one (/image {geotiff} " \
           f"optical or /image {geotiff} sar), band names after it (R,G,B)" in said, said
    assert "band name" not in said.split("R,G,B)")[-1] and not repl.images


@pytest.mark.parametrize("fused_text, said", [("<ref>ship</ref><box><loc_10><loc_10><loc_500><loc_500></box>", 1),
                                              (None, 0)])
def test_predict_says_its_answer_is_fused_where_it_differs(ckpt, geotiff, monkeypatch, capsys, fused_text, said):
    """predict --tta printed the fused answer (10 boxes where --tta none gave 2) with no word that it was fused;
    chat says "fused over 8 views:". A fused answer the same as the plain one is not said."""
    from rsvlm import tta
    from rsvlm.fusion import Fused

    def fused_answers(ask, messages, inputs, answers, cfg, refused=None, on_views=None):
        text = answers[0][0] if fused_text is None else fused_text
        return [Fused(text, None, answers=8)]

    monkeypatch.setattr(tta, "fused_answers", fused_answers)
    assert predict_det(ckpt, geotiff, "--tta", "dihedral") == 0
    err = capsys.readouterr().err
    note = "note: the answer is fused over 8 --tta views; the plain view's own answer differs ("  # a plain answer of
    assert err.count(note) == said, err  # words quoted in it since stop 79 (predict.fused_note): the head pinned
