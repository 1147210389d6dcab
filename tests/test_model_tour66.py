"""Model and checkpoints, tour 66: compare_checkpoints says in words when only a LoRA adapter's factors differ."""

from __future__ import annotations

import pytest
import torch
from safetensors.torch import save_file
from script_loader import load_script

LORA = "base_model.model.model.layers.0.self_attn.q_proj"


def _ckpt(root, name, a, b, base=0.0, adapter=True):
    d = root / name
    (d / "adapter").mkdir(parents=True)
    if adapter:
        save_file({f"{LORA}.lora_A.weight": a, f"{LORA}.lora_B.weight": b},
                  str(d / "adapter" / "adapter_model.safetensors"))
    save_file({"v": torch.full((2, 3), base)}, str(d / "vision.safetensors"))
    return str(d)


@pytest.mark.parametrize("case, said", [
    ("trained", "differ by their unmerged adapters alone"),
    ("untrained", "untrained adapters, which add nothing"),
    ("a_only", "only lora_A differs, every lora_B and every other weight the same"),
    ("one_side", "held by A alone"),
    ("base_too", None),
])
def test_compare_says_when_only_lora_factors_differ(tmp_path, monkeypatch, capsys, case, said):
    cmp = load_script("compare_checkpoints", monkeypatch)
    g = torch.Generator().manual_seed(0)
    a1, a2, b1, b2 = (torch.randn(4, 16, generator=g) for _ in range(4))
    zero = torch.zeros(4, 16)
    sides = {"trained": ((a1, b1), (a2, b2)), "untrained": ((a1, zero), (a2, zero)), "a_only": ((a1, b1), (a2, b1)),
             "one_side": ((a1, b1), (a1, b1)), "base_too": ((a1, b1), (a2, b2))}[case]
    x = _ckpt(tmp_path, "x", *sides[0])
    y = _ckpt(tmp_path, "y", *sides[1], base=0.5 if case == "base_too" else 0.0, adapter=case != "one_side")
    assert cmp.main([x, y]) == 1
    notes = [line for line in capsys.readouterr().out.splitlines() if line.startswith("note:")]
    if said is None:  # a base weight moved too: the adapter is not the whole story, no note
        assert notes == []
    else:
        assert len(notes) == 1 and said in notes[0], notes
