"""Review 74 of predict: a ``--tile --tta`` tile stores how many answers its fusion left out (``"tta_left_out"``,
``Fused.left_out``) beside its ``"tta_note"``, and the closing note counts by it, not by the note's wording."""

from __future__ import annotations

import types

import numpy as np


def test_a_tile_stores_its_fusion_s_left_out_count_and_the_note_counts_by_it(monkeypatch):
    from rsvlm import inference as inf
    from rsvlm import tta
    from rsvlm.answering import Answer
    from rsvlm.data.conversation import PromptConfig
    from rsvlm.fusion import Fused
    from rsvlm.io.read import RSImage
    from rsvlm.predict_tiles import tile_predictor, tile_run_notes
    from rsvlm.tta_text import repaired_note

    box = "<ref>ship</ref><box><loc_400><loc_400><loc_599><loc_599></box>"
    obj = [{"kind": "box", "label": "ship", "coords": [10.0, 10.0, 20.0, 20.0], "score": 0.9}]
    repaired = repaired_note([("view h", "<obb> [1, 2, 3, 4, 5, 6, 7, 8] has crossing edges; swapped")])
    fused = [Fused(box, obj, note=repaired, left_out=0),  # only repairs: nothing left out
             Fused(box, obj, note=repaired, left_out=1),  # its wording reads as repairs, its count says one left out
             Fused(box, obj)]  # no note: no field
    monkeypatch.setattr(inf, "answerer", lambda *a, **k: lambda msgs, imgs: [Answer(box, [0.9]) for _ in msgs])
    monkeypatch.setattr(tta, "fused_answers", lambda *a, **k: fused)
    img = RSImage(data=np.zeros((3, 32, 32), np.float32), modality="optical", bands=["R", "G", "B"], path="a.png")
    tiles: list = []
    tile_predictor(None, types.SimpleNamespace(prompt=PromptConfig()), "[det] Detect ships.", 64, tiles,
                   tta=tta.FuseConfig())([img] * 3)
    assert [t.get("tta_left_out") for t in tiles] == [0, 1, None]  # was never stored: --out's tiles lacked it
    said: list[str] = []
    tile_run_notes(tiles, types.SimpleNamespace(max_new_tokens=64, out=None), None, lambda s, *a: said.append(s))
    left = [s for s in said if "fused without some view answers" in s]
    # by the wording alone neither tile was counted; by the count, the second is
    assert len(left) == 1 and left[0].startswith("note: 1 of 3 tiles fused without some view answers"), said


def test_a_regcap_region_asked_of_a_scene_read_shrunk_is_drawn_where_it_lies(ckpt, tmp_path, monkeypatch, capsys):
    """The overlay's "region asked" is in the scene's pixels, as the answer's objects are, and shrunk with them by
    ``object_scale`` onto a scene read shrunk (3000 px wide, read at 2048): not at its pixel numbers in the read."""
    import rasterio

    import rsvlm.io
    from rsvlm import inference as inf
    from rsvlm.answering import Answer
    from rsvlm.cli import main

    path = tmp_path / "wide.tif"
    with rasterio.open(path, "w", driver="GTiff", width=3000, height=600, count=3, dtype="uint8") as ds:
        ds.write(np.full((3, 600, 3000), 90, np.uint8))
    drawn = []
    monkeypatch.setattr(inf, "answerer", lambda *a, **k: lambda msgs, imgs: [Answer("a lake", []) for _ in msgs])
    monkeypatch.setattr(rsvlm.io, "draw_overlay", lambda img, objects, out, **kw: drawn.append((img, objects, kw)))
    assert main(["predict", "--model", str(ckpt), "--image", str(path), "--device", "cpu", "--region",
                 "2400,300,2700,500", "--vis", str(tmp_path / "o.png")]) == 0, capsys.readouterr().err
    (img, objects, kw), = drawn
    assert (img.width, img.scene_size) == (2048, (3000, 600))  # read shrunk
    (region,) = [o for o in objects if o["label"] == "region asked"]
    sx, sy = kw["object_scale"]
    x1, y1, x2, y2 = region["coords"]  # the scene's pixels, at the codec's thousandths of 3000 x 600
    assert abs(x1 - 2400) <= 3 and abs(y1 - 300) <= 1 and abs(x2 - 2700) <= 3 and abs(y2 - 500) <= 1
    assert abs(x2 * sx - 2700 * 2048 / 3000) <= 3 and x2 * sx <= img.width  # within the read, where it lies


def test_a_region_given_by_both_prompt_and_region_is_refused_naming_the_prompts():
    """``--prompt "[regcap] What is in <box>…</box>?" --region …`` was asked with both boxes in the question."""
    import pytest

    from rsvlm.io import RSImage
    from rsvlm.predict import Said, asked_question

    box = "<box><loc_100><loc_100><loc_300><loc_300></box>"
    args = types.SimpleNamespace(task="regcap", prompt=f"[regcap] What is in {box}?", region=[10, 10, 50, 50],
                                 tile=None, min_objects=0, det_by_class=False)
    img = RSImage(np.zeros((3, 96, 96), np.float32), "optical", ["R", "G", "B"], path="x.png")
    with pytest.raises(ValueError, match="names a region of its own") as e:
        asked_question(args, img, Said())
    assert box in str(e.value) and "write {box} in --prompt" in str(e.value)
    args.prompt = "[regcap] Describe {box} briefly."  # its place for --region: asked, one box
    assert asked_question(args, img, Said()).count("<box>") == 1
