"""rsvlm.flops.train_flops (the MFU numerator of bench/gpu_train.py) against torch's own
FlopCounterMode on a real forward + backward of the tiny model, for each trainability."""
import numpy as np
import pytest
import torch
from test_model import TINY
from torch.utils.flop_counter import FlopCounterMode

from rsvlm.config import load_config
from rsvlm.flops import train_flops
from rsvlm.model import ImageInput, VLMConfig, create_model
from rsvlm.tokens import IMAGE_TOKEN

EAGER = ["llm.config.attn_implementation=eager"]  # attention as matmuls, which the CPU counter sees


def _encoder_attention(model) -> int:
    """Forward + backward FLOPs of the encoder's attention for one image (CPU SDPA is not counted)."""
    enc = model.encoders["default"]
    n = (enc.image_size // enc.patch_size) ** 2 + 1
    grads = any(p.requires_grad for p in [*model.stems["optical"].parameters(), *enc.parameters()])
    return 4 * enc.n_blocks * n * n * enc.width * (3 if grads else 1)


@pytest.mark.parametrize("trainable", [
    [],                                                               # tiny default: stem full, LLM LoRA
    ["trainable.llm=full"],
    ["trainable.stem=frozen"],
    ["trainable.stem=frozen", "trainable.projector=frozen"],
    ["trainable.stem=frozen", "trainable.encoder=full", "trainable.llm=full"],
])
def test_train_flops_equal_the_counted_flops_of_a_training_step(trainable):
    torch.manual_seed(0)
    model, proc = create_model(load_config(VLMConfig, TINY, EAGER + trainable))
    image = ImageInput(np.random.default_rng(0).random((3, 32, 32), dtype=np.float32), "optical")
    batch = proc([IMAGE_TOKEN + "[cls] " + "abc " * 10] * 2, [[image], [image]], padding_side="right")
    seq, keep = batch["input_ids"].shape[1], 12
    with FlopCounterMode(display=False) as counter:
        out = model(**batch, logits_to_keep=keep)
        out.logits.float().square().mean().backward()
    est = train_flops(model, seq, keep)
    assert est["total"] == sum(v for k, v in est.items() if k != "total")
    expected = 2 * (est["total"] - _encoder_attention(model))
    stem_bmm = 3 * 2 * 3 * 3 * 32 * 32 * 2  # the stem's 3×3 band mix per pixel: fwd + input and weight grads
    assert counter.get_total_flops() == pytest.approx(expected, rel=0.01, abs=stem_bmm)


def test_train_flops_grow_with_what_is_trained():
    def flops(*ov):
        torch.manual_seed(0)
        return train_flops(create_model(load_config(VLMConfig, TINY, list(ov)))[0], 64, 16)

    lora, full = flops("trainable.llm=lora"), flops("trainable.llm=full")
    assert full["llm"] > lora["llm"] and full["vision"] == lora["vision"]
    frozen_enc = flops("trainable.stem=frozen")
    assert frozen_enc["vision"] < lora["vision"]  # no gradient into the encoder: forward only
