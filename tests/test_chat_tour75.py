"""Tour 75 (chat): ``/reset`` then ``/image`` starts on the new image alone (it made a pair with the kept one), a
``[count]`` question is asked of a class and one naming none is warned of, and ``/vis`` draws the region a
``[regcap]`` question asked about, as ``predict --vis`` does."""

from __future__ import annotations

import io
import sys

import pytest
from test_predict_edges import chat_repl

BOX = "<box><loc_100><loc_100><loc_500><loc_500></box>"


def test_reset_then_image_starts_on_the_new_image_alone(ckpt, geotiff, tmp_path):
    import shutil

    other = tmp_path / "other.tif"
    shutil.copy(geotiff, other)
    repl, out = chat_repl(ckpt)
    repl.load_image([str(geotiff)])
    assert repl.handle("[cls] scene?") and repl.handle("/reset")
    assert repl.handle(f"/image {other}")
    assert [im.path for im in repl.images] == [str(other)] and len(repl.unsent) == 1  # was a pair of both
    said = out.getvalue()
    assert "(new image: scene.tif, kept by /reset, dropped; a second /image before asking makes a pair)" in said
    assert "(a pair:" not in said
    assert repl.handle(f"/image {geotiff}") and len(repl.images) == 2  # a pair is still made as the help says
    assert "(a pair: other.tif before, scene.tif after" in out.getvalue()


def test_reset_of_an_unasked_image_then_image_is_a_fresh_start_too(ckpt, geotiff, tmp_path):
    repl, out = chat_repl(ckpt)
    repl.load_image([str(geotiff)])
    assert repl.handle("/reset") and repl.handle(f"/image {geotiff}")
    assert len(repl.images) == 1 and "kept by /reset, dropped" in out.getvalue()


def test_a_piped_chat_reset_then_image_answers_about_the_new_image_alone(ckpt, geotiff, monkeypatch, capsys):
    from rsvlm.cli import main

    monkeypatch.setattr(sys, "stdin", io.StringIO(f"[cls] scene?\n/reset\n/image {geotiff}\n[cls] and now?\n"))
    assert main(["chat", "--model", str(ckpt), "--image", str(geotiff), "--device", "cpu",
                 "--max-new-tokens", "2"]) == 0
    said = capsys.readouterr()
    assert "(a pair:" not in said.out and "about the pair" not in said.out, said.out


def test_a_count_question_is_asked_of_a_class_and_one_naming_none_is_warned_of(ckpt, geotiff):
    repl, out = chat_repl(ckpt)  # the tiny checkpoint lists no classes: each case set here (was one branch, unrun)
    repl.load_image([str(geotiff)])
    assert repl.handle("[count]")
    said = out.getvalue()
    assert "note: a tag alone asks the task's standard question: [count] How many ships are there?" in said
    assert "none listed (prompt.det_classes in its config.yaml)" in said, said
    repl.session.processor.prompt.det_classes = ["plane", "ship", "small vehicle"]
    assert repl.handle("[count]") and "the model's classes: planes, ships, small vehicles" in out.getvalue()
    assert repl.handle("[count] How many objects are there?")
    assert "warning: '[count] How many objects are there?' names none of the model's classes" in out.getvalue()


def test_vis_draws_the_region_a_regcap_question_asked_about(ckpt, geotiff, tmp_path, monkeypatch):
    import rsvlm.io as rio

    drawn = {}
    monkeypatch.setattr(rio, "draw_overlay", lambda img, objects, out, **kw: drawn.update(one=objects))
    monkeypatch.setattr(rio, "draw_pair_overlay", lambda a, b, objects, out, **kw: drawn.update(two=objects))
    repl, out = chat_repl(ckpt)
    repl.load_image([str(geotiff)])
    assert repl.handle(f"[regcap] What is in {BOX}?") and repl.handle(f"/vis {tmp_path / 'o.png'}")
    region = [o for o in drawn["one"] if o["label"] == "region asked"]  # was drawn nowhere
    assert len(region) == 1 and region[0]["coords"] == pytest.approx([9.648, 6.432, 48.048, 32.032])
    repl.load_image([str(geotiff)])  # a new conversation on a pair: the region is read in the after image's pixels
    repl.load_image([str(geotiff)])
    assert repl.handle(f"[change] What changed in {BOX}?") and repl.handle(f"/vis {tmp_path / 'p.png'}")
    assert [o["label"] for o in drawn["two"] if o["label"].startswith("region")] == [
        "region asked"]
