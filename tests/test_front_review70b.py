"""Review of stop 70's front round 2: a tiled run whose --min-score drops nothing still says so (its count line
names no --min-score then), a path to a file named '-' is not taken for standard input, and a chat's third large
/image (a new start, not a pair) is advised --tile again."""

from __future__ import annotations

import json

from test_predict_edges import chat_repl

from rsvlm.cli import main


def _boxes_scored(monkeypatch, score: float) -> None:
    """predict's tile_predictor replaced: each tile answers one box, scored ``score``."""
    import rsvlm.predict as predict

    def predictor(model, processor, question, max_new_tokens, answers, *a, **k):
        def run(tiles):
            for t in tiles:
                answers.append({"window": list(t.window), "answer": "<box>", "problems": []})
            return [[{"kind": "box", "label": "ship", "coords": [4.0, 4.0, 12.0, 12.0], "score": score}]
                    for _ in tiles]
        return run

    monkeypatch.setattr(predict, "tile_predictor", predictor)


def test_a_tiled_min_score_that_drops_nothing_still_says_so(ckpt, geotiff, tmp_path, monkeypatch, capsys):
    """Saying --min-score's count once (6f666913) left it unsaid where it dropped nothing: the count line
    "6 object(s) from 6 tiles" names no --min-score then, and the "0 of 6 … dropped" line after it was gone."""
    _boxes_scored(monkeypatch, 0.9)
    out = tmp_path / "t.json"
    assert main(["predict", "--model", str(ckpt), "--image", str(geotiff), "--task", "det", "--device", "cpu",
                 "--tile", "32", "--overlap", "0", "--min-score", "0.5", "--out", str(out)]) == 0
    lines = capsys.readouterr().out.splitlines()
    said = "0 of 6 objects scored below --min-score 0.5 dropped"
    assert lines[:2] == ["6 objects from 6 tiles", said], lines
    assert said in json.loads(out.read_text())["notes"]


def test_a_path_to_a_file_named_dash_is_not_standard_input(ckpt, tmp_path, monkeypatch, capsys):
    """``./-`` is the way out the message names: neither ``--image`` nor ``/image`` refuses it as standard input."""
    from rsvlm.cli_values import stdin_image

    assert stdin_image("./-", ["./-"]) is None and stdin_image("a,-", ["a,-"]) is None  # a file named 'a,-'
    monkeypatch.chdir(tmp_path)
    repl, out = chat_repl(ckpt)
    repl.handle("/image ./-")
    assert "standard input" not in out.getvalue() and "not found" in out.getvalue(), out.getvalue()


def test_a_chats_third_large_image_starts_anew_and_is_advised_tile(ckpt, tmp_path):
    """A third /image drops the pair and is an image alone again: --tile's advice, not "a pair is not tiled"."""
    import numpy as np
    from PIL import Image

    repl, out = chat_repl(ckpt)
    for name in ("a.png", "b.png", "c.png"):
        Image.fromarray(np.full((600, 600, 3), 90, np.uint8)).save(tmp_path / name)  # (H, W, C)
        assert repl.load_image([str(tmp_path / name)])
    third = out.getvalue().split("loaded c.png")[1]
    assert "looks at it window by window" in third and "a pair is not tiled" not in third, third
