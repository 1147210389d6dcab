"""Tour 57 of the scoring scripts: predictions' own ``objects`` with reversed boxes or masks of another
size, boxes narrower than one bin, answers whose coordinates no reader reads, compressed predictions."""

from __future__ import annotations

import json

import numpy as np
import pytest

from rsvlm import geometry

SHIP = {"kind": "box", "label": "ship", "coords": [10.0, 10.0, 50.0, 50.0]}


def record(rid, task, objects, prompt="the ship", w=100, h=100):
    return {"id": rid, "task": task, "images": [{"path": f"{rid}.png", "modality": "optical"}],
            "conversations": [{"from": "human", "value": f"<image>\n[{task}] {prompt}"},
                              {"from": "gpt", "value": geometry.encode(objects, w, h) if objects else "None."}],
            "meta": {"width": w, "height": h}}


def write(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return str(path)


def run(tmp_path, script, records, preds, *extra):
    import importlib

    gt = write(tmp_path / "gt.jsonl", records)
    pred = write(tmp_path / "pred.jsonl", preds)
    return importlib.import_module(f"eval.{script}").main(["--gt", gt, "--pred", pred, *extra])


@pytest.mark.parametrize("script,task,key", [("detection", "det", "mAP50"), ("grounding", "ground", "mIoU"),
                                             ("segmentation", "seg", "mIoU")])
@pytest.mark.parametrize("coords", [[50, 50, 10, 10], [50, 10, 10, 50]])
def test_a_reversed_box_in_objects_is_put_in_order_in_every_script(tmp_path, script, task, key, coords):
    """It was a hit in detection (its enclosing box) and IoU 0 in grounding and segmentation, unsaid."""
    got = run(tmp_path, script, [record("a", task, [SHIP])],
              [{"id": "a", "answer": "", "objects": [{**SHIP, "coords": coords}]}])
    assert got[key] > 0.98 and got["n_partially_parsed"] == 1 and got["n_unparseable"] == 0


def test_a_mask_array_of_another_size_is_unparseable_and_says_the_sizes(tmp_path):
    """A half-resolution mask was scored as if it lay in the top-left quarter of the image."""
    half = np.zeros((50, 50), bool)
    half[:25, :25] = True  # the reference's 0..50 square at half resolution
    got = run(tmp_path, "segmentation", [record("a", "seg", [SHIP | {"coords": [0, 0, 50, 50]}])],
              [{"id": "a", "answer": "", "objects": [{"kind": "mask", "mask": half.tolist()}]}])
    assert got["n_unparseable"] == 1
    assert any("50x50 pixels, the image 100x100" in n for n in got["notes"])


def test_a_mask_crop_with_an_offset_is_placed_there(tmp_path):
    crop = np.ones((40, 40), bool)
    got = run(tmp_path, "segmentation", [record("a", "seg", [SHIP])],
              [{"id": "a", "answer": "", "objects": [{"kind": "mask", "mask": crop.tolist(), "offset": [10, 10]}]}])
    assert got["n_unparseable"] == 0 and got["mIoU"] > 0.9
