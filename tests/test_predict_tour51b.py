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
    ("ground", "each tile answers it of its own pixels", "counts"),
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


def _records(tmp_path, n, image="a.png"):
    from PIL import Image

    Image.fromarray(np.zeros((32, 32, 3), np.uint8)).save(tmp_path / image)
    data = tmp_path / "test.jsonl"
    data.write_text("".join(json.dumps({
        "id": f"r{i}", "task": "cls", "images": [{"path": image, "modality": "optical"}],
        "conversations": [{"from": "human", "value": "<image>\n[cls] What is it?"}, {"from": "gpt", "value": "lake"}]})
        + "\n" for i in range(n)))
    return data


def test_a_rank_that_does_not_merge_says_which_file_it_wrote(ckpt, tmp_path, capsys, monkeypatch):
    data, out = _records(tmp_path, 3), tmp_path / "p.jsonl"
    argv = ["eval", "--model", str(ckpt), "--data", str(data), "--out", str(out), "--max-new-tokens", "2",
            "--device", "cpu", "--limit", "2"]
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "0")
    assert main(argv) == 0
    said = capsys.readouterr().out  # was "wrote p.jsonl", a file that did not exist
    assert not out.exists() and f"wrote {out}.rank0 (rank 0's share)" in said and f"into {out}" in said
    monkeypatch.setenv("RANK", "1")
    assert main(argv) == 0
    assert capsys.readouterr().out.strip().endswith(f"wrote {out}")
    assert [json.loads(x)["id"] for x in out.read_text().splitlines()] == ["r0", "r1"]  # --limit over all ranks


def test_a_long_object_table_is_cut_with_a_count(ckpt, geotiff, tmp_path, capsys, monkeypatch):
    from rsvlm import geometry, predict, tables
    from rsvlm.tables import objects_table

    boxes = [{"kind": "box", "label": "ship", "coords": [i, i, i + 5, i + 5]} for i in range(7)]
    lines = objects_table(boxes, most=3).splitlines()
    assert len(lines) == 5 and lines[-1].startswith("… and 4 more objects, not shown")
    assert objects_table(boxes, most=7) == objects_table(boxes)
    monkeypatch.setattr(tables, "TABLE_ROWS", 2)  # a tiled scene's thousands of rows flooded the terminal
    answer = geometry.encode(boxes, 96, 64)
    monkeypatch.setattr(predict, "ask", lambda *a, **k: (answer, [0.9] * 7))
    out = tmp_path / "r.json"
    assert _predict(ckpt, geotiff, "--task", "det", "--out", str(out)) == 0
    printed = capsys.readouterr().out
    assert len(json.loads(out.read_text())["objects"]) == 7 and "… and 5 more objects, not shown" in printed
    assert len([line for line in printed.splitlines() if "  ship  " in line]) == 2


def test_min_score_on_an_answer_without_objects_says_so(ckpt, geotiff, capsys, monkeypatch):
    from rsvlm import predict

    monkeypatch.setattr(predict, "ask", lambda *a, **k: ("harbour", []))
    assert _predict(ckpt, geotiff, "--task", "cls", "--min-score", "0.5") == 0
    out, err = capsys.readouterr()
    assert "dropped" not in out  # was "0 object(s) scored below --min-score 0.5 dropped" under a word
    assert "--min-score 0.5 has nothing to drop: the answer has no objects" in err
