"""Stop 73, final read (eval): under --tta a record whose ``"tta_note"`` says only that shapes were repaired on
decoding (``rsvlm.tta.repaired_note``) is not counted as having view answers left out; a predictions line over the
records' line cap (``records_shape.LINE_CAP``) is a bad line naming its file and line, not parsed."""

from __future__ import annotations

import json
import types

import numpy as np
from PIL import Image
from test_tta_lead73 import reversed_box

from eval.inputs import load_predictions
from rsvlm import evaluate, geometry
from rsvlm import inference as inf
from rsvlm.data import records_shape
from rsvlm.data.conversation import PromptConfig
from rsvlm.tta import MODES, FuseConfig

LEFT_OUT = "had view answers left out of their --tta fusion"


def det_record(rid: str) -> dict:
    return {"id": rid, "task": "det", "images": [{"path": "block.png", "modality": "optical"}],
            "meta": {"width": 64, "height": 64},
            "conversations": [{"from": "human", "value": "<image>\n[det] Detect every storage tank."},
                              {"from": "gpt", "value": "None."}]}


class BoxesTheBlock:
    """Stands in for the model: boxes the bright block each view shows; ``spoil(text)`` of the view where the block
    lies right of the centre (the h and hv views), where given."""

    def __init__(self, spoil):
        self.spoil = spoil

    def __call__(self, messages, images):
        out = []
        for ims in images:
            arr = ims[-1].array
            h, w = arr.shape[-2:]
            ys, xs = np.nonzero(arr.mean(0) > arr.mean())
            text = geometry.encode([{"kind": "box", "label": "storage tank", "coords": [
                float(xs.min()), float(ys.min()), float(xs.max() + 1), float(ys.max() + 1)]}], w, h)
            out.append(inf.Answer(self.spoil(text) if xs.mean() > w / 2 else text, [0.9]))
        return out


def run_tta(tmp_path, monkeypatch, spoil) -> list[dict]:
    a = np.zeros((64, 64, 3), np.uint8)
    a[10:20, 8:24] = 255  # left of the centre: the h view sees it on the right
    Image.fromarray(a).save(tmp_path / "block.png")
    monkeypatch.setattr(inf, "answerer", lambda *a, **k: BoxesTheBlock(spoil))
    processor = types.SimpleNamespace(prompt=PromptConfig(), band_notes=lambda im: [], image_sizes=None)
    data, out = tmp_path / "t.jsonl", tmp_path / "p.jsonl"
    data.write_text("".join(json.dumps(det_record(f"r{i}")) + "\n" for i in range(2)))
    evaluate.run(None, processor, data, out, batch_size=2, tta=FuseConfig(views=MODES["flip"]), progress=False)
    return [json.loads(line) for line in out.read_text().splitlines()]


def test_a_note_of_repaired_shapes_alone_is_not_counted_as_view_answers_left_out(tmp_path, monkeypatch, capsys):
    rows = run_tta(tmp_path, monkeypatch, reversed_box)
    for row in rows:  # the note is written, as predict and chat show it
        assert row["tta_note"].startswith("test-time augmentation: 2 shapes repaired on decoding, fused as repaired")
    assert LEFT_OUT not in capsys.readouterr().err  # was "2 records had view answers left out … (empty, unparseable…)"


def test_a_note_of_a_view_answer_left_out_and_a_repair_is_still_counted(tmp_path, monkeypatch, capsys):
    rows = run_tta(tmp_path, monkeypatch, lambda t: reversed_box(t) + "<box><loc_1></box>")
    assert all("could not be fused" in row["tta_note"] for row in rows)
    assert f"2 records {LEFT_OUT}" in capsys.readouterr().err


def test_a_predictions_line_over_the_line_cap_is_a_bad_line_naming_file_and_line(tmp_path, monkeypatch):
    monkeypatch.setattr(records_shape, "LINE_CAP", 2000)
    pred = tmp_path / "p.jsonl"
    pred.write_text(json.dumps({"id": "a", "answer": "yes"}) + "\n" + json.dumps({"id": "b", "answer": "x" * 3000})
                    + "\n" + json.dumps({"id": "c", "answer": "no"}) + "\n")
    got = load_predictions(pred)
    assert set(got.by_id) == {"a", "c"} and got.n_bad_lines == 1  # the lines after it read
    (said,) = got.bad_examples
    assert said.startswith(f"{pred}:2: a line of 3,02") and "over the 2,000" in said


def test_a_file_of_one_line_over_the_cap_is_not_parsed_whole(tmp_path, monkeypatch):
    monkeypatch.setattr(records_shape, "LINE_CAP", 2000)
    pred = tmp_path / "p.jsonl"
    pred.write_text(json.dumps({"id": "b", "answer": "x" * 3000}))  # one object, no line end
    got = load_predictions(pred)
    assert not got.by_id and got.n_bad_lines == 1 and got.bad_examples[0].startswith(f"{pred}:1: a line of ")
