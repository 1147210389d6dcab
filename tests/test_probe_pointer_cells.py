"""scripts/probe_pointer_cells.py: per-coordinate probability on the true cell, on tiny models."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from script_loader import load_script
from test_train_utils import make_records

REPO = Path(__file__).resolve().parents[1]
TINY = REPO / "configs" / "model" / "tiny.yaml"


def _probe(monkeypatch):
    return load_script("probe_pointer_cells", monkeypatch)


def ground_records(tmp_path: Path) -> Path:
    data = make_records(tmp_path, n=4, ir_every=0)
    rows = []
    for i, line in enumerate(data.read_text().splitlines()):
        rec = json.loads(line)
        box = "".join(f"<loc_{v}>" for v in (100 + 200 * i, 50, 300 + 200 * i, 900))
        rec.update(task="ground", conversations=[{"from": "human", "value": "<image>\n[ground] the field"},
                                                 {"from": "gpt", "value": f"<box>{box}</box>"}])
        rows.append(json.dumps(rec))
    data.write_text("\n".join(rows) + "\n")
    return data


def model(overrides=()):
    from rsvlm.config import load_config
    from rsvlm.model import VLMConfig, create_model

    torch.manual_seed(0)
    m, proc = create_model(load_config(VLMConfig, TINY, list(overrides)))
    return m.eval(), proc


def test_a_model_without_a_pointer_has_only_the_llms_share(tmp_path, monkeypatch):
    probe = _probe(monkeypatch)
    data = ground_records(tmp_path)
    res = probe.cell_stats(*model(), data)
    assert res["n"] == 16  # four records, four coordinates each
    assert res["both"] == res["llm"]
    assert res["pointer"]["mass"] == pytest.approx(0.25, abs=1e-3)  # a flat term: a cell's width, 1/4 of 1000 bins
    assert 0 < res["llm"]["mass"] < 1


def test_a_pointer_sure_of_one_cell_scores_the_coordinates_in_it(tmp_path, monkeypatch):
    """A pointer term that puts everything on the first cell (bins 0-249 of the tiny model's 4 × 4
    grid): of the 16 coordinates, x1 of the first record and every y1 (bin 50) lie there, so the
    pointer's mass and hit rate on the true cell are 5/16, and the combined choice hits the same."""
    probe = _probe(monkeypatch)
    data = ground_records(tmp_path)
    m, proc = model(["loc_pointer.enabled=true"])

    def first_cell(h, vis, axes):
        p = torch.full((len(h), 1000), 1e-12)
        p[:, :250] = 1.0 / 250
        return p.log()

    monkeypatch.setattr(m.loc_pointer, "log_prior", first_cell)
    res = probe.cell_stats(m, proc, data)
    assert res["pointer"]["mass"] == pytest.approx(5 / 16, abs=1e-4)
    assert res["pointer"]["argmax_in_cell"] == pytest.approx(5 / 16)
    assert res["both"]["argmax_in_cell"] == pytest.approx(5 / 16)
    assert res["llm"] != res["both"]
    out = tmp_path / "cells.json"
    assert probe.main(["--data", str(data), "--limit", "2", "--out", str(out)]) == 0  # the bundled model
    assert json.loads(out.read_text())["n"] == 8
