"""Lead 66 (helper R): chat's /geojson of an answer with no shapes, and what a prompt past the context is told."""

from __future__ import annotations

import json
import re
from pathlib import Path

from test_predict_edges import chat_repl

REPO = Path(__file__).resolve().parents[1]


def test_geojson_of_an_answer_with_no_shapes_writes_an_empty_collection(ckpt, geotiff, tmp_path):
    """/geojson refused an answer with no shapes ("no geometry in the last answer") and wrote no file, where
    predict --geojson writes an empty FeatureCollection: a script's /geojson per image found a file missing."""
    repl, out = chat_repl(ckpt)
    repl.load_image([str(geotiff), "optical"])
    repl.last = {"question": "[det] Detect all ships.", "objects": []}
    assert repl.handle(f"/geojson {tmp_path / 'none.geojson'}")
    fc = json.loads((tmp_path / "none.geojson").read_text())
    assert fc["type"] == "FeatureCollection" and fc["features"] == [] and "crs" in fc
    assert f"wrote {tmp_path / 'none.geojson'} (0 features; no geometry in the last answer)" in out.getvalue()
    repl.last = {"question": "[det] Detect all ships.", "objects": [], "dropped": 2}  # --min-score took them all
    repl.min_score = 0.3
    assert repl.handle(f"/geojson {tmp_path / 'low.geojson'}")
    assert json.loads((tmp_path / "low.geojson").read_text())["features"] == []
    assert "(0 features; no geometry left in the last answer: its 2 objects all scored below --min-score 0.3)" \
        in out.getvalue()
    assert repl.handle(f"/vis {tmp_path / 'o.png'}")  # /vis draws the image alone (stop 68), and says why
    assert out.getvalue().endswith("(no geometry left in the last answer: its 2 objects all scored below "
                                   "--min-score 0.3)\n") and (tmp_path / "o.png").is_file()


def test_class_questions_past_the_context_are_not_told_to_use_a_shorter_text(geotiff, tmp_path):
    """--det-by-class: a long class name's question past the context was told "use a shorter text", of a
    3-word question that fit; the note now says what is asked as typed."""
    import torch

    from rsvlm.config import load_config
    from rsvlm.model import VLMConfig, create_model

    torch.manual_seed(0)
    model, _ = create_model(load_config(VLMConfig, REPO / "configs/model/tiny.yaml", [
        "llm.config.max_position_embeddings=192", "prompt.det_classes=[ship, " + "very long class name " * 3 + "]"]))
    model.save_pretrained(tmp_path)
    repl, out = chat_repl(tmp_path, by_class=True)
    repl.load_image([str(geotiff), "optical"])
    repl.ask("[det] Detect all.")
    said = out.getvalue()
    assert re.search(r"note: the class questions could not be asked \(the prompt is \d+ tokens \(16 of them for "
                     r"images\) but the LLM's context is 192 tokens \(max_position_embeddings\)\); the answer streamed "
                     r"above stands; a question naming its class \(\[det\] Detect all ships\.\) is asked as typed",
                     said), said
    assert "shorter text" not in said


def test_predict_output_problems_name_the_path_as_typed(tmp_path, monkeypatch):
    """--out results/. was refused as "--out results is a folder", a path the user never typed."""
    import types

    from rsvlm.predict_outputs import output_problem

    monkeypatch.chdir(tmp_path)
    (tmp_path / "results").mkdir()
    for option, typed in (("out", "results/."), ("geojson", "results/../results"), ("vis", "./results")):
        args = types.SimpleNamespace(**{"out": None, "geojson": None, "vis": None, option: typed})
        assert output_problem(args) == f"--{option} {typed} is a folder; give a file name"


def test_an_empty_path_is_said_to_be_one(ckpt, geotiff):
    """/geojson '' was "error: /geojson : a folder; give a file name" (the empty path read as the current folder)."""
    repl, out = chat_repl(ckpt)
    repl.load_image([str(geotiff), "optical"])
    repl.last = {"question": "[det] Detect all ships.", "objects": []}
    assert repl.handle("/geojson ''") and repl.handle('/vis " "')
    said = out.getvalue()
    assert "error: /geojson '': an empty path; give a file name (/geojson out.geojson)" in said, said
    assert "error: /vis ' ': an empty path; give a file name (/vis out.png [R,G,B])" in said, said
    assert "a folder" not in said
