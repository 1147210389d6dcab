"""Shared by the bench tests: a tiny checkpoint that knows the detection classes, detection records for
bench/det_decoding.py (written twice before, in test_bench_tour70 and test_scripts_tour67), and an evaluation that
answers "x" to every record (test_bench_tour78 and 79)."""

from __future__ import annotations

import json
import time
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


def det_asked(data: Path, monkeypatch) -> None:
    """DATA (``ground_records``' file) rewritten in place as ``[det] Detect every ship.`` records sized 64x64, their
    answers left as they were (no ``<ref>``: unlike ``det_records``); rsvlm.inference's det-classes check is off."""
    from rsvlm import inference

    rows = [json.loads(line) for line in data.read_text().splitlines()]
    for r in rows:
        r["task"] = "det"
        r.setdefault("meta", {}).update(width=64, height=64)
        r["conversations"][0]["value"] = "<image>\n[det] Detect every ship."
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    monkeypatch.setattr(inference, "no_det_classes", lambda *a: None)


def answers_x(monkeypatch, wait_s: float = 0.0) -> None:
    """Stand in for ``rsvlm.evaluate.run``: "x" to every record (the bench's table, not the model, is tested);
    ``wait_s``: first wait that long of the clock on the plain pass alone (other jobs holding the cores: wall time,
    no CPU of this process)."""

    def run(model, processor, data, out, *a, **kw):
        plain = not kw.get("tta") and not kw.get("min_objects") and not kw.get("by_class") and kw.get("limit") is None
        if wait_s and plain:
            time.sleep(wait_s)
        rows = [json.loads(line) for line in data.read_text().splitlines()]
        out.write_text("".join(json.dumps({"id": r["id"], "task": r["task"], "answer": "x"}) + "\n" for r in rows))

    monkeypatch.setattr("rsvlm.evaluate.run", run)
