"""Shared by the bench tests: a tiny checkpoint that knows the detection classes, and detection records for
bench/det_decoding.py (written twice before, in test_bench_tour70 and test_scripts_tour67)."""

from __future__ import annotations

import json
from pathlib import Path

from test_probe_pointer_cells import TINY, ground_records


def det_checkpoint(root: Path) -> Path:
    """The tiny model (seed 0) with ``prompt.det_classes=[ship,plane]``, saved to ROOT/ckpt."""
    import torch

    from rsvlm.config import load_config
    from rsvlm.model import VLMConfig, create_model

    torch.manual_seed(0)
    model, _ = create_model(load_config(VLMConfig, TINY, ["prompt.det_classes=[ship,plane]"]))
    model.save_pretrained(root / "ckpt")
    return root / "ckpt"


def det_records(root: Path, sizes: bool = True) -> Path:
    """``ground_records``' four records as ``[det] Detect every ship.`` records, each answer's box under a
    ``<ref>ship</ref>`` reference; ``sizes``: ``meta.width``/``meta.height`` from each image (without them
    ``eval.detection`` refuses every record)."""
    from PIL import Image

    data = ground_records(root)
    rows = [json.loads(line) for line in data.read_text().splitlines()]
    for rec in rows:
        rec["task"] = "det"
        rec["conversations"][0]["value"] = "<image>\n[det] Detect every ship."
        rec["conversations"][1]["value"] = "<ref>ship</ref>" + rec["conversations"][1]["value"]
        if sizes:
            w, h = Image.open(root / rec["images"][0]["path"]).size
            rec["meta"] = {**rec.get("meta", {}), "width": w, "height": h}
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return data
