from pathlib import Path

import numpy as np
import torch

from rsvlm.config import load_config
from rsvlm.model import ImageInput, VLMConfig, create_model

REPO = Path(__file__).resolve().parents[1]


def _grads(checkpointing: bool):
    torch.manual_seed(0)
    cfg = load_config(VLMConfig, REPO / "configs/model/tiny.yaml", ["trainable.encoder=full", "trainable.llm=full"])
    model, processor = create_model(cfg)
    model.train()
    if checkpointing:
        model.enable_gradient_checkpointing()
    saved = []  # elements autograd keeps for the backward pass

    def pack(t):
        saved.append(t.numel())
        return t

    img = ImageInput(np.random.default_rng(0).random((3, 32, 32), dtype=np.float32), "optical")
    batch = processor("<image>\n[cls] What scene? harbour", [img])
    labels = batch["input_ids"].clone()
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        out = model(**batch, labels=labels)
    kept = sum(saved)
    out.loss.backward()
    return out.loss.item(), {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}, kept


def test_checkpointing_recomputes_and_gives_the_same_gradients():
    loss_a, grads_a, kept_a = _grads(False)
    loss_b, grads_b, kept_b = _grads(True)
    assert kept_b < 0.6 * kept_a  # activations are recomputed in backward, not kept
    assert loss_a == loss_b and grads_a.keys() == grads_b.keys() and len(grads_a) > 10
    for k in grads_a:
        torch.testing.assert_close(grads_a[k], grads_b[k], rtol=1e-5, atol=1e-6, msg=k)
