"""Tour 66 (helper N): --tta's "None." in place of a plain answer's shapes (``Fused.voted_out``) said by tiled
predict and written by eval."""

from __future__ import annotations

import json

import numpy as np
from conftest import eval_record, write_jsonl
from PIL import Image

from rsvlm.cli import main


def _stub_answers(monkeypatch, answer):
    from rsvlm import inference as inf

    calls = []

    def answerer(*a, **k):
        def generate(messages, images):
            calls.append(1)
            return [inf.Answer(answer(len(calls)), []) for _ in messages]
        return generate

    monkeypatch.setattr(inf, "answerer", answerer)


POLY = "<ref>ship</ref><poly><loc_100><loc_100><loc_500><loc_100><loc_500><loc_500></poly>"
VOTED = "test-time augmentation: \"None.\" in place of the plain answer's 1 shape(s), voted out: "


def test_tiled_tta_says_the_tiles_whose_shapes_were_voted_out(ckpt, geotiff, tmp_path, capsys, monkeypatch):
    """--tile --tta: "None." in place of each tile's outline said nothing of why (untiled predict did)."""
    _stub_answers(monkeypatch, lambda n: POLY if n == 1 else "None.")  # the first batch's plain answers: ships
    out = tmp_path / "r.json"
    assert main(["predict", "--model", str(ckpt), "--image", str(geotiff), "--max-new-tokens", "4", "--device",
                 "cpu", "--task", "seg", "--tta", "flip", "--tile", "48", "--overlap", "0", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    result = json.loads(out.read_text())
    n = len(result["tiles"])
    assert n == 4 and all(t["tta_voted_out"].startswith(VOTED) for t in result["tiles"])
    lines = [ln for ln in err.splitlines() if "tta_voted_out" in ln]
    assert len(lines) == 1 and f"note: {n} of {n} tile(s) answered \"None.\"" in lines[0], err
    assert f"first: {VOTED}" in lines[0] and any("tta_voted_out" in x for x in result["notes"])


def test_eval_writes_why_tta_voted_a_plain_answer_out(ckpt, tmp_path, capsys, monkeypatch):
    Image.fromarray(np.full((32, 32, 3), 90, np.uint8)).save(tmp_path / "a.png")
    data = write_jsonl(tmp_path / "t.jsonl", [eval_record("a", "seg", "[seg] the ships", POLY, width=32, height=32)])
    _stub_answers(monkeypatch, lambda n: POLY if n == 1 else "None.")
    out = tmp_path / "p.jsonl"
    assert main(["eval", "--model", str(ckpt), "--data", data, "--out", str(out), "--max-new-tokens", "8",
                 "--device", "cpu", "--tta", "flip"]) == 0
    (row,) = [json.loads(line) for line in out.read_text().splitlines()]
    assert row["answer"] == "None." and row["tta_voted_out"].startswith(VOTED), row
    assert "tta_note" not in row
    assert "left out of their --tta fusion" not in capsys.readouterr().err  # not counted as views left out
