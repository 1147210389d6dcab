"""Stop 67, lead: the loc pointer goes to the model's device with the vision side."""
from pathlib import Path

import torch

from rsvlm.config import load_config
from rsvlm.model import VLMConfig, create_model
from rsvlm.model.vlm import place_vision_side

TINY = Path(__file__).resolve().parents[1] / "configs" / "model" / "tiny.yaml"


def test_the_loc_pointer_is_placed_on_the_device_with_the_vision_side_in_float32():
    """load_pretrained and create_model moved encoders, stems and projectors to the device and left the loc
    pointer on the CPU: a CUDA model with a pointer failed at its first answer (its q, k on the CPU). Shown on
    the meta device here, as CUDA is not on every machine; its weights stay float32 (log_prior's maths)."""
    model, _ = create_model(load_config(VLMConfig, TINY, ["loc_pointer.enabled=true"]))
    place_vision_side(model, "meta", torch.bfloat16)
    placed = dict(model.loc_pointer.named_parameters())
    assert placed and all(p.device.type == "meta" and p.dtype == torch.float32 for p in placed.values()), placed
    assert all(p.device.type == "meta" and p.dtype == torch.bfloat16 for p in model.projectors.parameters())
