"""`rsvlm predict`'s cut objects table names only the outputs that can hold the rest (stop 76, Z)."""

import json

import numpy as np
import pytest

from rsvlm.cli import main


def _predict(model, image, *extra):
    return main(["predict", "--model", str(model), "--image", str(image), "--max-new-tokens", "4",
                 "--device", "cpu", "--task", "det", *extra])


def _answer(monkeypatch, n=7):
    from rsvlm import geometry, predict, tables

    boxes = [{"kind": "box", "label": "ship", "coords": [i, i, i + 5, i + 5]} for i in range(n)]
    monkeypatch.setattr(tables, "TABLE_ROWS", 2)
    monkeypatch.setattr(predict, "ask", lambda *a, **k: (geometry.encode(boxes, 96, 64), [0.9] * n))


@pytest.fixture
def png(tmp_path):
    from PIL import Image

    path = tmp_path / "scene.png"  # no CRS, no transform: --geojson is refused for it
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 96, 3), np.uint8)).save(path)
    return path


def test_an_unreferenced_image_is_not_told_geojson_writes_the_rest(ckpt, png, tmp_path, capsys, monkeypatch):
    _answer(monkeypatch)
    out = tmp_path / "r.json"
    assert _predict(ckpt, png, "--out", str(out)) == 0
    printed = capsys.readouterr().out
    # was "(--out and --geojson write them all)", though --geojson is refused for this image
    assert "… and 5 more objects, not shown (--out writes them all)" in printed
    assert "--geojson" not in printed
    assert len(json.loads(out.read_text())["objects"]) == 7
    assert _predict(ckpt, png, "--geojson", str(tmp_path / "a.geojson")) == 2  # the refusal the note agrees with
    assert "is not georeferenced" in capsys.readouterr().err


def test_a_georeferenced_image_is_told_both(ckpt, geotiff, capsys, monkeypatch):
    _answer(monkeypatch)
    assert _predict(ckpt, geotiff) == 0
    assert "… and 5 more objects, not shown (--out and --geojson write them all)" in capsys.readouterr().out


def test_a_tiled_unreferenced_scene_alike(ckpt, png, capsys, monkeypatch):
    from rsvlm import predict, tables

    def predictor(model, processor, question, max_new_tokens, answers, *a, **k):
        def run(tiles):  # each window: 7 small boxes down its left edge
            for t in tiles:
                answers.append({"window": list(t.window), "answer": "<box>", "problems": []})
            return [[{"kind": "box", "label": "ship", "coords": [1.0, 8.0 * i, 5.0, 8.0 * i + 4], "score": 0.9}
                     for i in range(7)] for _ in tiles]
        return run

    monkeypatch.setattr(predict, "tile_predictor", predictor)
    monkeypatch.setattr(tables, "TABLE_ROWS", 2)
    assert _predict(ckpt, png, "--tile", "64") == 0
    printed = capsys.readouterr().out
    assert "more objects, not shown (--out writes them all)" in printed and "--geojson" not in printed
