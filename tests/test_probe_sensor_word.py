"""scripts/probe_sensor_word.py: the prompt-word swap of the sensor-question probe, on a tiny model."""

from __future__ import annotations

import json
import math
from pathlib import Path

from script_loader import load_script
from test_train_utils import make_records

REPO = Path(__file__).resolve().parents[1]


def _probe(monkeypatch):
    return load_script("probe_sensor_word", monkeypatch)


def test_every_word_and_answer_is_scored_with_the_image_unchanged(tmp_path, monkeypatch):
    import torch

    from rsvlm.config import load_config
    from rsvlm.model import VLMConfig, create_model

    probe = _probe(monkeypatch)
    data = make_records(tmp_path, n=2, ir_every=0)
    rec = json.loads(data.read_text().splitlines()[0])
    rec.update(task="vqa", meta={"qtype": "modality"},
               conversations=[{"from": "human", "value": "<image>\n[vqa] What sensor took this image?"},
                              {"from": "gpt", "value": "optical"}])
    rows = probe.variants([rec])
    assert len(rows) == 16 and len({r["id"] for r in rows}) == 16
    sar_infrared = next(r for r in rows if r["id"].endswith("|sar|ir"))
    assert sar_infrared["conversations"][0]["value"].startswith("SAR image: <image>\n[vqa]")
    assert sar_infrared["conversations"][1]["value"] == "infrared"
    assert sar_infrared["images"] == rec["images"]  # the optical image stays
    after = next(r for r in probe.variants([rec], after=True) if r["id"].endswith("|ir|sar"))
    assert after["conversations"][0]["value"].startswith("infrared image: <image> (infrared)\n[vqa]")

    torch.manual_seed(0)
    model, processor = create_model(load_config(VLMConfig, REPO / "configs/model/tiny.yaml"))
    scores = probe.answer_logprobs(model.eval(), processor, rows, tmp_path, batch_size=5)
    assert set(scores) == {r["id"] for r in rows}
    assert all(math.isfinite(v) and v < 0 for v in scores.values())
    # the same answer under the same word scores the same whatever the batch it lands in
    again = probe.answer_logprobs(model, processor, rows[::-1], tmp_path, batch_size=3)
    assert all(abs(again[k] - v) < 1e-3 for k, v in scores.items())
