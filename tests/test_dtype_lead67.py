"""Stop 67, lead: chat and predict load the model in the --dtype given (it was parsed, then not passed on)."""
import io

import pytest
import torch

import rsvlm.inference as inf
from rsvlm.cli import main

SAMPLE = str(inf.bundled_model_dir().parents[0] / "samples" / "harbour_optical.png")


class Loaded(Exception):
    pass


@pytest.mark.parametrize("command", [["predict", "--image", SAMPLE, "--task", "cls"], ["chat", "--image", SAMPLE]])
def test_chat_and_predict_load_the_model_in_the_dtype_given(command, monkeypatch):
    seen = []

    def load(model, device=None, load_4bit=False, load_8bit=False, dtype=None):
        seen.append(dtype)
        raise Loaded

    monkeypatch.setattr(inf, "load_model", load)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    with pytest.raises(Loaded):
        main([*command, "--dtype", "bf16", "--device", "cpu"])
    assert seen and seen[0] in ("bfloat16", torch.bfloat16), seen
