"""Inference on a CUDA device: skipped without one (CI has none); bench/gpu_smoke.sh runs these paths
and training on a lent GPU. The first run there (docs/benchmarks.md, "GPU checks") found
``rsvlm eval``/``predict --device cuda`` failing on CPU prompt ids: ``RSVLM.generate`` moves them now."""
import json
from pathlib import Path

import pytest
import torch

from rsvlm.cli import main

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU (bench/gpu_smoke.sh runs it on one)")
SAMPLES = Path(__file__).resolve().parents[1] / "rsvlm" / "assets" / "samples"


def test_bundled_model_answers_the_same_on_cuda_as_on_cpu(tmp_path, capsys):
    image = sorted(SAMPLES.glob("*.png"))[0]
    answers = {}
    for device in ("cpu", "cuda"):
        out = tmp_path / f"{device}.json"
        assert main(["predict", "--image", str(image), "--task", "cls", "--device", device, "--out", str(out)]) == 0
        answers[device] = json.loads(out.read_text())["answer"]
    assert answers["cuda"] == answers["cpu"]
    capsys.readouterr()


def test_eval_batches_on_cuda(tmp_path):
    image = sorted(SAMPLES.glob("*.png"))[0]
    recs = [{"id": str(i), "task": "cls", "images": [{"path": str(image), "modality": "optical"}],
             "conversations": [{"from": "human", "value": "<image>\n[cls] What kind of scene is this?"},
                               {"from": "gpt", "value": "x"}]} for i in range(3)]
    data = tmp_path / "t.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in recs))
    assert main(["eval", "--data", str(data), "--out", str(tmp_path / "p.jsonl"), "--device", "cuda",
                 "--batch-size", "2"]) == 0
    rows = [json.loads(x) for x in (tmp_path / "p.jsonl").read_text().splitlines()]
    assert len(rows) == 3 and all(r.get("answer") for r in rows)
