"""Stop 69, model area: a checkpoint's vision side is not built at random before its weights replace it.

A tensor the file lacks is named (not left on meta): test_model_checkpoint's test_missing_vision_keys_are_reported."""

from __future__ import annotations

import warnings

import pytest
import torch
from safetensors.torch import load_file, save_file
from torch.overrides import TorchFunctionMode

from rsvlm.model import load_pretrained

RANDOM_FILLS = {"uniform_", "normal_", "trunc_normal_", "bernoulli_", "random_", "exponential_"}


class InitCalls(TorchFunctionMode):
    """The random fills (``uniform_``, ``normal_``, ...: nn.init's) run on tensors that hold values."""

    def __init__(self):
        super().__init__()
        self.calls: list[str] = []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        name = getattr(func, "__name__", "")
        if name in RANDOM_FILLS and args and isinstance(args[0], torch.Tensor) and not args[0].is_meta:
            self.calls.append(name)
        return func(*args, **(kwargs or {}))


def test_load_initialises_no_weight_at_random(ckpt):
    """Loading built the encoders, stems and projectors at random (for a CLIP-L tower 3.3× the CPU time and 1158 MiB
    more peak RSS), then replaced every weight with vision.safetensors'; their parameters are now made on meta and the
    file's assigned."""
    with InitCalls() as mode:
        load_pretrained(ckpt)
    assert mode.calls == []


def test_loaded_weights_are_the_files_and_in_the_dtype_asked(ckpt):
    model, _ = load_pretrained(ckpt)
    saved = load_file(str(ckpt / "vision.safetensors"))
    state = model.state_dict()
    assert all(torch.equal(state[k], v) for k, v in saved.items())
    assert not [n for n, t in [*model.named_parameters(), *model.named_buffers()] if t.is_meta]
    half, _ = load_pretrained(ckpt, dtype=torch.bfloat16)
    assert half.encoders["default"].visual.conv1.weight.dtype == torch.bfloat16
    assert torch.equal(half.encoders["default"].visual.conv1.weight, saved["encoders.default.visual.conv1.weight"].bfloat16())


def test_a_bf16_file_loads_into_float32_weights(ckpt, tmp_path):
    """As copying into float32 weights cast it: without ``dtype`` the vision side is float32 whatever the file's."""
    import shutil

    shutil.copytree(ckpt, tmp_path / "c")
    saved = load_file(str(ckpt / "vision.safetensors"))
    save_file({k: v.bfloat16() if v.is_floating_point() else v for k, v in saved.items()},
              str(tmp_path / "c" / "vision.safetensors"))
    model, _ = load_pretrained(tmp_path / "c")
    w = model.projectors["default"].state_dict()
    assert {t.dtype for t in w.values()} == {torch.float32}


@pytest.fixture(scope="module")
def hf_ckpt(tmp_path_factory):
    """A tiny checkpoint of an hf_clip tower (CLIP's non-persistent ``position_ids`` buffer: in no file)."""
    from conftest import REPO

    from rsvlm.config import load_config
    from rsvlm.model import VLMConfig, create_model

    cfg = load_config(VLMConfig, REPO / "configs/model/tiny.yaml")
    for enc in cfg.encoders.values():
        enc.type, enc.pos_embed = "hf_clip", "learned"
    torch.manual_seed(0)
    model, _ = create_model(cfg)
    out = tmp_path_factory.mktemp("hf")
    model.save_pretrained(out)
    return out, model


def test_hf_clip_round_trip_keeps_every_buffer(hf_ckpt):
    """``position_ids`` is not saved (transformers makes it non-persistent); it is made, not left on meta."""
    out, model = hf_ckpt
    assert not any("position_ids" in k for k in load_file(str(out / "vision.safetensors")))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        loaded, processor = load_pretrained(out)
    # the loader's own (unexpected / missing / left-on-meta keys) name the checkpoint; a library's deprecation does not
    assert not [str(w.message) for w in caught if str(out) in str(w.message) or "position_ids" in str(w.message)]
    want = {n: b for n, b in model.named_buffers() if not n.startswith("llm.")}
    got = {n: b for n, b in loaded.named_buffers() if not n.startswith("llm.")}
    assert want and set(got) == set(want)
    assert all(torch.equal(got[n], want[n]) for n in want)
    pix = torch.rand(1, 3, 32, 32)
    with torch.no_grad():
        assert torch.allclose(loaded.encoders["default"](pix), model.eval().encoders["default"](pix))
