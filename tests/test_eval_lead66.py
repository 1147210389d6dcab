"""rsvlm eval holds --max-new-tokens to the LLM's context, as predict and chat do (answering.context_cap)."""
import numpy as np
from conftest import write_jsonl
from PIL import Image

from rsvlm.cli import main as cli

CLS = {"id": "a", "task": "cls", "images": [{"path": "a.png", "modality": "optical"}],
       "conversations": [{"from": "human", "value": "<image>\n[cls] What is it?"}, {"from": "gpt", "value": "lake"}]}


def test_a_token_limit_past_the_context_is_taken_as_the_context(ckpt, tmp_path, capsys, monkeypatch):
    """--max-new-tokens 100000 on a 512-token LLM generated on for minutes a record; predict and chat took the
    context since 337684c6, eval did not."""
    from rsvlm import evaluate

    Image.fromarray(np.zeros((32, 32, 3), np.uint8)).save(tmp_path / "a.png")
    data = write_jsonl(tmp_path / "test.jsonl", [CLS])
    asked, real = [], evaluate.answer_batch

    def answer_batch(model, processor, batch, root, max_new_tokens, *a, **k):
        asked.append(max_new_tokens)
        return real(model, processor, batch, root, 2, *a, **k)  # the answers themselves kept short

    monkeypatch.setattr(evaluate, "answer_batch", answer_batch)
    assert cli(["eval", "--model", str(ckpt), "--data", data, "--out", str(tmp_path / "p.jsonl"),
                "--max-new-tokens", "100000", "--device", "cpu"]) == 0
    ctx = 512  # configs/model/tiny.yaml's LLM
    assert asked == [ctx]
    assert f"rsvlm eval: note: --max-new-tokens 100000 is more than the LLM's whole context ({ctx} tokens)" \
           in capsys.readouterr().err
