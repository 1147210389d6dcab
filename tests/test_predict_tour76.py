"""Tour 76 (predict): an overlay's title writes the question's shapes in pixels (``--region`` as typed), not
``<box><loc_…>`` tokens; a pair's region is labelled short, its whose-pixels said in the title; a count question
naming a class by another word ("cars") is told the model's nearest class; a ``[change]`` question holding a region
is said to be no trained phrasing."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from rsvlm.cli import main
from rsvlm.predict_question import change_region_note, count_note, pixel_question

CLASSES = ["plane", "ship", "large vehicle", "small vehicle", "storage tank", "building", "swimming pool"]
IMG = SimpleNamespace(window=None, scene_size=(712, 557), width=712, height=557)  # scene_wh's fields
BOX = "<box><loc_140><loc_89><loc_421><loc_359></box>"  # 100,50,300,200 in a 712x557 image


@pytest.mark.parametrize("question, classes, said, ask", [
    ("[count] How many cars are there?", CLASSES, "'cars' is nearest its small vehicles", "small vehicles"),
    ("[count] How many airplanes can you see?", CLASSES, "'airplanes' is nearest its planes", "planes"),
    ("[count] Count the boats.", CLASSES, "'boats' is nearest its ships", "ships"),
    ("[count] How many planes are there?", ["Airplane", "ship"], "'planes' is nearest its airplanes", "airplanes"),
    ("[count] How many storage tnks are there?", CLASSES, "'storage tnks' is nearest its storage tanks", "storage tanks"),
    ("[count] How many trucks are there?", ["ship", "large-vehicle"], "'trucks' is nearest its large vehicles",
     "large vehicles"),
])
def test_a_count_of_another_word_for_a_class_names_that_class(question, classes, said, ask):
    note = count_note(question, classes, default=False)
    assert note.startswith(f"warning: {question!r} names none of the model's classes"), note
    assert said in note and f"ask '[count] How many {ask} are there?'" in note, note  # was its first class: planes


def test_a_count_of_nothing_near_a_class_names_none_as_nearest():
    note = count_note("[count] How many trees are there?", CLASSES, default=False)
    assert "nearest" not in note and "ask one, e.g. '[count] How many planes are there?'" in note, note
    assert count_note("[count] How many cars are there?", ["ship"], default=False).count("nearest") == 0  # no car class
    assert count_note("[count] How many small vehicles are there?", CLASSES, default=False) is None


def test_the_title_writes_the_question_shapes_in_pixels():
    assert pixel_question(f"[regcap] What is in {BOX}?", IMG) == "[regcap] What is in box 100,50,300,200 px?"
    assert pixel_question(f"[regcap] What is in {BOX}?", IMG, [100, 50, 300, 200.5]) == \
        "[regcap] What is in box 100,50,300,200.5 px?"  # --region as typed
    pair = pixel_question("[change] In <point><loc_140><loc_89></point>?", IMG, pair=True)
    assert pair == "[change] In point (100,50) px? (in the after image's pixels, drawn on both)"
    assert pixel_question("[cap] Describe the image.", IMG, pair=True) == "[cap] Describe the image."
    assert pixel_question("[vqa] In <box><loc_1></box>?", IMG) == "[vqa] In <box><loc_1></box>?"  # no box: as typed


def test_a_change_question_with_a_region_is_said_untrained():
    assert "no phrasing the model learnt" in change_region_note(f"[change] What changed in {BOX}?")
    assert change_region_note("[change] What changed between the two images?") is None
    assert change_region_note(f"[regcap] What is in {BOX}?") is None


def _drawn(monkeypatch):
    import rsvlm.io as rio

    drawn = {}
    monkeypatch.setattr(rio, "draw_overlay", lambda img, objects, out, **kw: drawn.update(objects=objects, **kw))
    monkeypatch.setattr(rio, "draw_pair_overlay", lambda a, b, objects, out, **kw: drawn.update(objects=objects, **kw))
    return drawn


def test_predict_region_vis_titles_the_pixels_typed(ckpt, geotiff, tmp_path, monkeypatch):
    drawn = _drawn(monkeypatch)
    assert main(["predict", "--model", str(ckpt), "--image", str(geotiff), "--task", "regcap", "--region",
                 "10,20,60.5,50", "--device", "cpu", "--max-new-tokens", "3", "--vis", str(tmp_path / "o.png")]) == 0
    title = drawn["title"].splitlines()[0]
    assert title == "[regcap] What is in box 10,20,60.5,50 px?", title  # was <box><loc_104>… tokens
    assert [o["label"] for o in drawn["objects"] if o["label"].startswith("region")] == ["region asked"]


def test_predict_pair_region_is_labelled_short_and_said_untrained(ckpt, geotiff, tmp_path, monkeypatch, capsys):
    drawn = _drawn(monkeypatch)
    assert main(["predict", "--model", str(ckpt), "--image", str(geotiff), "--image", str(geotiff), "--prompt",
                 f"[change] What changed in {BOX}?", "--device", "cpu", "--max-new-tokens", "3",
                 "--vis", str(tmp_path / "o.png")]) == 0
    assert [o["label"] for o in drawn["objects"] if o["label"].startswith("region")] == ["region asked"]  # was a
    assert "(in the after image's pixels, drawn on both)" in drawn["title"]  # sentence over a small box
    assert "<box>" not in drawn["title"]
    assert capsys.readouterr().err.count("note: [change] with a region is no phrasing the model learnt") == 1
