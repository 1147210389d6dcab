"""Review of tour 75's compare_checkpoints scale lines: values NaN or infinite on one side are counted, not sized
by the row's NaN/inf |Δ| (an inf in B read 'all zero in A, |Δ| inf'; a NaN on both sides, 'NaN on one side')."""

from __future__ import annotations

from script_loader import load_script


def test_compare_scale_lines_count_nan_and_inf_and_size_the_finite_values(tmp_path, monkeypatch, capsys):
    import torch
    from safetensors.torch import save_file

    cmp = load_script("compare_checkpoints", monkeypatch)
    a, b = tmp_path / "a.safetensors", tmp_path / "b.safetensors"
    nan, inf = float("nan"), float("inf")
    save_file({"w": torch.tensor([1.0, 2.0]), "n": torch.tensor([1.0, 2.0, 3.0]),
               "both_nan": torch.tensor([nan, 1.0]), "both_inf": torch.tensor([inf, 4.0])}, str(a))
    save_file({"w": torch.tensor([1.0, inf]), "n": torch.tensor([1.0, nan, 3.0]),
               "both_nan": torch.tensor([nan, 3.0]), "both_inf": torch.tensor([inf, 5.0])}, str(b))
    assert cmp.main([str(a), str(b)]) == 1
    out = capsys.readouterr().out.splitlines()
    said = dict(line.strip().split("  ", 1) for line in out[out.index("4 of 4 tensors differ") + 2:])
    assert said == {"a.safetensors: w": "inf on one side in 1 value, 1 of 2 values",
                    "a.safetensors: n": "NaN on one side in 1 value, 1 of 3 values",
                    "a.safetensors: both_nan": "200% of 1, 1 of 2 values",
                    "a.safetensors: both_inf": "25% of 4, 1 of 2 values"}
