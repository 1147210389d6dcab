"""Tour 75 (predict): ``--task count`` asks of a class, as every trained count question does, and says so; a
question's region under ``--tile`` is said not drawn; a pair's region is drawn labelled as read in the after image's
pixels; as root, a read-only ``--out`` is refused as chat's ``/vis`` refuses it."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from rsvlm import inference as inf
from rsvlm.cli import main

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "rsvlm" / "assets" / "samples" / "harbour_optical.png"
BOX = "<box><loc_100><loc_100><loc_500><loc_500></box>"
CLASSES = ["plane", "ship", "large vehicle", "small vehicle", "storage tank", "building", "swimming pool"]


def test_the_standard_count_question_names_a_class_as_every_trained_one_does():
    from data_gen.instructions.phrasings import COUNT

    # was "[count] How many objects are there?": no trained count question is of that form
    assert inf.DEFAULT_PROMPTS["count"] == "[count] " + COUNT[0].format(pl="ships")


def test_count_note_says_the_class_asked_and_warns_of_a_question_naming_none():
    from rsvlm.predict_question import count_note

    said = count_note(inf.DEFAULT_PROMPTS["count"], CLASSES, default=True)
    assert said.startswith("note: [count] asks how many of one class, as the model learnt it: asked "
                           "'[count] How many ships are there?'"), said
    assert "'[count] How many planes are there?'" in said and "storage tanks, buildings, swimming pools)" in said
    typed = count_note("[count] How many objects are there?", CLASSES, default=False)
    assert typed.startswith("warning: '[count] How many objects are there?' names none of the model's classes"), typed
    for named in ("[count] How many storage-tanks?", "[count] Count the large vehicles.", "[count] Is a plane here?"):
        assert count_note(named, CLASSES, default=False) is None, named  # names one: nothing to say
    assert count_note("[det] Detect every object.", CLASSES, default=True) is None  # no count question
    assert count_note("[count] How many objects?", [], default=False) is None  # a model listing no classes: no guess
    assert "none listed (prompt.det_classes" in count_note(inf.DEFAULT_PROMPTS["count"], [], default=True)


def test_predict_task_count_with_the_bundled_model_asks_of_a_class_and_says_so(tmp_path, capsys):
    out = tmp_path / "c.json"
    assert main(["predict", "--image", str(SAMPLE), "--task", "count", "--device", "cpu", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    result = json.loads(out.read_text())
    assert result["prompt"] == "[count] How many ships are there?"
    assert "note: [count] asks how many of one class" in err and "the model's classes: planes, ships," in err, err
    assert any(n.startswith("note: [count] asks how many of one class") for n in result["notes"])
    assert result["answer"].strip().isdigit(), result["answer"]  # a number, as the model learnt to answer


def test_tiled_vis_of_a_region_question_says_the_region_is_not_drawn(ckpt, geotiff, tmp_path, capsys):
    vis = tmp_path / "o.png"
    assert main(["predict", "--model", str(ckpt), "--image", str(geotiff), "--prompt", f"[regcap] What is in {BOX}?",
                 "--tile", "48", "--overlap", "0", "--device", "cpu", "--max-new-tokens", "3", "--vis", str(vis)]) == 0
    err = capsys.readouterr().err
    assert "note: --vis draws no region of the question: under --tile its <box> is read in each tile's own " \
           "pixels" in err, err  # was drawn nowhere, unsaid
    assert vis.is_file()


@pytest.mark.parametrize("pair", [False, True])
def test_vis_draws_the_region_asked_and_a_pairs_says_whose_pixels(ckpt, geotiff, tmp_path, monkeypatch, pair):
    import rsvlm.io as rio

    drawn = {}
    monkeypatch.setattr(rio, "draw_overlay", lambda img, objects, out, **kw: drawn.update(one=objects))
    monkeypatch.setattr(rio, "draw_pair_overlay", lambda a, b, objects, out, **kw: drawn.update(two=objects))
    task, images = ("change", [str(geotiff)] * 2) if pair else ("regcap", [str(geotiff)])
    assert main(["predict", "--model", str(ckpt), *[a for i in images for a in ("--image", i)],
                 "--prompt", f"[{task}] What is in {BOX}?", "--device", "cpu", "--max-new-tokens", "3",
                 "--vis", str(tmp_path / "o.png")]) == 0
    objects = drawn["two" if pair else "one"]
    region = [o for o in objects if o["label"].startswith("region asked")]
    assert len(region) == 1 and region[0]["coords"] == pytest.approx([9.648, 6.432, 48.048, 32.032])
    # a pair's region is read in the after image's pixels (--region is checked against it) and drawn on both; the
    # title says so (the label once did, running far past a small box)
    assert region[0]["label"] == "region asked"


@pytest.mark.parametrize("option", ["--out", "--geojson", "--vis"])
def test_predict_as_root_refuses_a_read_only_output_file_as_chat_does(ckpt, geotiff, tmp_path, monkeypatch, capsys,
                                                                      option):
    monkeypatch.setattr(os, "geteuid", lambda: 0, raising=False)  # root's case, whoever runs the tests
    target = tmp_path / ("o.png" if option == "--vis" else "o.json")
    target.write_text("kept")
    target.chmod(0o444)
    try:
        assert main(["predict", "--model", str(ckpt), "--image", str(geotiff), "--task", "cls", "--device", "cpu",
                     "--max-new-tokens", "2", option, str(target)]) == 2  # was 0, the file replaced
        err = capsys.readouterr().err
        assert f"rsvlm predict: {option} {target}: it is read-only (-r--r--r--)" in err, err
        assert "remove it or make it writable (chmod u+w)" in err and "loading model" not in err
        assert target.read_text() == "kept"
    finally:
        target.chmod(0o644)
