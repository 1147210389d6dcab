"""rsvlm eval on a record whose prompt is past the LLM's context: that record is answered empty with
the reason; the others of its batch are answered as usual."""
import json

import numpy as np
import torch
from PIL import Image

from rsvlm.cli import main
from rsvlm.config import load_config
from rsvlm.model import VLMConfig, create_model

from conftest import REPO


def test_a_record_past_the_context_is_an_error_row_not_a_failed_run(tmp_path, capsys):
    torch.manual_seed(0)
    model, _ = create_model(load_config(VLMConfig, REPO / "configs/model/tiny.yaml",
                                        ["llm.config.max_position_embeddings=256"]))
    model.save_pretrained(tmp_path / "m")
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (32, 32, 3), dtype=np.uint8)).save(tmp_path / "a.png")

    def rec(i, question):
        return {"id": f"r{i}", "task": "cls", "images": [{"path": "a.png", "modality": "optical"}],
                "conversations": [{"from": "human", "value": f"<image>\n[cls] {question}"},
                                  {"from": "gpt", "value": "lake"}]}

    recs = [rec(0, "What is it?"), rec(1, "What is it? " + "Look closely. " * 40), rec(2, "Which scene?")]
    data = tmp_path / "test.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in recs))
    out = tmp_path / "p.jsonl"
    # one batch of three: the long prompt used to fail the batch, and the run, with a traceback
    assert main(["eval", "--model", str(tmp_path / "m"), "--data", str(data), "--out", str(out),
                 "--batch-size", "3", "--max-new-tokens", "2", "--device", "cpu"]) == 0
    rows = {r["id"]: r for r in map(json.loads, out.read_text().splitlines())}
    assert list(rows) == ["r0", "r1", "r2"]
    assert "context is 256 tokens" in rows["r1"]["error"] and rows["r1"]["answer"] == ""
    assert "error" not in rows["r0"] and "error" not in rows["r2"]
    assert "1 record(s) with unreadable images, bands the model cannot take or a prompt past the LLM's context" \
        in capsys.readouterr().err
