"""`rsvlm predict` and `rsvlm eval` options used together, and the notes they print (second tour)."""

import json
from pathlib import Path

import numpy as np
import pytest

from rsvlm.cli import main

REPO = Path(__file__).resolve().parents[1]


def _predict(model, image, *extra):
    return main(["predict", "--model", str(model), "--image", str(image), "--max-new-tokens", "4",
                 "--device", "cpu", *extra])


@pytest.mark.parametrize("task, says, never", [
    ("cls", "the tiles' answers are tallied", "grounding box"),
    ("cap", "the tiles' answers are tallied", "counts"),
    ("count", "counts are tallied, not summed", "grounding box"),
    ("regcap", "read in each tile's pixels", "grounding box"),
    ("ground", "each tile gives its own box", "counts"),
])
def test_the_tiling_note_says_what_happens_to_each_task(geotiff, tmp_path, capsys, task, says, never):
    # the note comes before the model is looked for; it said "(a grounding box per tile; counts tallied,
    # not summed)" for every task
    assert _predict(tmp_path / "no-model", geotiff, "--task", task, "--tile", "32") == 2
    note = next(line for line in capsys.readouterr().err.splitlines() if "note: --tile" in line)
    assert says in note and never not in note and f"--task {task}" in note


def test_shape_tasks_need_no_tiling_note(geotiff, tmp_path, capsys):
    from rsvlm.predict import tile_note

    for task in ("det", "seg"):
        assert _predict(tmp_path / "no-model", geotiff, "--task", task, "--tile", "32") == 2
        assert "note: --tile" not in capsys.readouterr().err
        assert tile_note(task) is None


def test_one_tile_is_one_tile():
    from rsvlm.predict import tile_answers

    assert tile_answers([{"answer": "lake"}]) == "answers of 1 tile: 'lake' x1"
