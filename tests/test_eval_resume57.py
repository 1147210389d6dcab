"""A resumed rsvlm eval says how many answers it keeps (it said only "wrote OUT")."""
import json

import numpy as np
from PIL import Image

from rsvlm.cli import main

RECORD = {"id": "a", "images": [{"path": "a.png", "modality": "optical"}], "task": "cls",
          "conversations": [{"from": "human", "value": "<image>\n[cls] What is it?"}, {"from": "gpt", "value": "lake"}]}


def test_a_resumed_run_says_how_many_answers_it_keeps(ckpt, tmp_path, capsys):
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (32, 32, 3), dtype=np.uint8)).save(tmp_path / "a.png")
    data = tmp_path / "test.jsonl"
    data.write_text("".join(json.dumps({**RECORD, "id": i}) + "\n" for i in "abc"))
    out = tmp_path / "p.jsonl"
    argv = ["eval", "--data", str(data), "--out", str(out), "--max-new-tokens", "2", "--model", str(ckpt)]
    assert main([*argv, "--limit", "2"]) == 0
    assert "resuming" not in capsys.readouterr().err  # a first run keeps nothing
    assert main(argv) == 0
    assert (f"rsvlm eval: resuming {out}: 2 of the 3 records were answered by an earlier run and are kept; "
            "1 to answer") in capsys.readouterr().err
    assert [json.loads(line)["id"] for line in out.read_text().splitlines()] == ["a", "b", "c"]
