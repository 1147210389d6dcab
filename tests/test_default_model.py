"""The bundled default model (rsvlm/assets/default_model) and its sample scenes (rsvlm/assets/samples).

These check behaviour, not scores (the scores are in docs/default-model.md): the shipped files
load offline through ``load_model(None)``, answers to the bundled samples have the form their
task promises, and ``rsvlm predict`` works without ``--model``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rsvlm import geometry
from rsvlm import inference as inf

ASSETS = Path(inf.__file__).resolve().parent / "assets"
SAMPLES = ASSETS / "samples"
SCENE_CLASSES = ("airport", "harbour", "parking lot", "residential", "industrial", "farmland", "forest",
                 "river", "lake", "bare land")
OBJECT_CLASSES = ("plane", "ship", "large vehicle", "small vehicle", "storage tank", "building", "swimming pool")


@pytest.fixture(scope="module")
def default_model():
    return inf.load_model(None, device="cpu")


def ask(model, processor, sample: str, question: str, modality: str | None = None, max_new_tokens: int = 96):
    from rsvlm.predict import ask as predict_ask

    img = inf.read_spec(inf.ImageSpec([str(SAMPLES / sample)], modality))
    return predict_ask(model, processor, [img], question, max_new_tokens), img


def test_bundled_files_are_small_safetensors_only():
    root = inf.resolve_model_dir(None)
    assert root == ASSETS / "default_model"
    files = [p for p in root.rglob("*") if p.is_file()]
    size = sum(p.stat().st_size for p in files)
    assert size <= 50 * 2**20, f"bundled model is {size / 2**20:.1f} MB"
    weights = [p for p in files if p.suffix in (".safetensors", ".bin", ".pt", ".pth", ".ckpt", ".pkl")]
    assert weights and all(p.suffix == ".safetensors" for p in weights), weights
    assert not (root / "adapter").exists(), "the shipped LLM must be merged (no base path needed)"
    card = (root / "README.md").read_text()
    assert "synthetic" in card.lower() and "| Task" in card  # says what it was trained on, has the scores table


def test_samples_match_their_ground_truth():
    gt = json.loads((SAMPLES / "ground_truth.json").read_text())["samples"]
    assert set(gt) == {p.name for p in SAMPLES.iterdir() if p.suffix in (".png", ".tif")}
    for name, info in gt.items():
        img = inf.read_spec(inf.ImageSpec([str(SAMPLES / name)], info["modality"]))
        assert (img.width, img.height) == (info["width"], info["height"])
        assert info["scene_class"] in SCENE_CLASSES
        assert all(o["class"] in OBJECT_CLASSES for o in info["objects"])


def test_cls_answer_is_a_scene_class(default_model):
    model, processor = default_model
    for sample, modality in (("harbour_optical.png", None), ("harbour_sar.tif", "sar"), ("airport_optical.png", None)):
        answer, _ = ask(model, processor, sample, inf.DEFAULT_PROMPTS["cls"], modality)
        assert answer in SCENE_CLASSES, (sample, answer)


def test_det_and_ground_answers_decode_to_boxes_in_the_image(default_model):
    model, processor = default_model
    questions = {"det": "[det] Detect every ship.", "ground": "[ground] Where is the largest ship?"}
    for task, question in questions.items():
        answer, img = ask(model, processor, "harbour_optical.png", question)
        parsed = geometry.decode(answer, width=img.width, height=img.height)
        assert parsed.problems == [], (task, answer, parsed.problems)
        assert parsed.objects, (task, answer)
        for o in parsed.objects:
            assert o["kind"] in ("box", "obb"), (task, answer)
            xs = [o["coords"][0], o["coords"][2]] if o["kind"] == "box" else [p[0] for p in o["coords"]]
            assert all(0 <= x <= img.width for x in xs), (task, answer)
            if task == "det":
                assert o["label"] in OBJECT_CLASSES, answer


def test_predict_cli_without_model_writes_answer_and_overlay(tmp_path):
    from PIL import Image

    from rsvlm.cli import main

    out, vis = tmp_path / "result.json", tmp_path / "overlay.png"
    rc = main(["predict", "--image", str(SAMPLES / "harbour_optical.png"), "--task", "det",
               "--out", str(out), "--vis", str(vis), "--device", "cpu"])
    assert rc == 0
    result = json.loads(out.read_text())
    assert result["answer"] and result["problems"] == [], result
    assert result["objects"] and all(o["label"] in OBJECT_CLASSES for o in result["objects"])
    with Image.open(vis) as im:
        assert im.size[0] >= 96 and im.size[1] >= 96
