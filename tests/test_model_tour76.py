"""Stop 76, model loading/saving and weight comparison (A): compare_weights' NaN/inf places, ..."""

from __future__ import annotations

import math

import torch
from safetensors.torch import save_file

NAN, INF = float("nan"), float("inf")


def _compare(tmp_path, a: dict, b: dict) -> dict:
    from rsvlm.model.weights import compare_weights

    save_file(a, str(tmp_path / "a.safetensors"))
    save_file(b, str(tmp_path / "b.safetensors"))
    return {r["name"]: r for r in compare_weights(tmp_path / "a.safetensors", tmp_path / "b.safetensors")}


def test_nan_and_inf_at_the_same_places_on_both_sides_are_equal_and_said(tmp_path):
    """A NaN of another payload (``-nan``), or an inf in a bf16 copy, at the same place: the row said |Δ| nan."""
    nan_other_bits = torch.tensor([NAN]).view(torch.int32) ^ (1 << 31)  # the sign bit flipped: other bytes, still NaN
    rows = _compare(tmp_path, {"eq": torch.tensor([INF, 1.0, NAN]), "dt": torch.tensor([INF, 1.5]),
                               "moved": torch.tensor([-INF, 4.0])},
                    {"eq": torch.cat([torch.tensor([INF, 1.0]), nan_other_bits.view(torch.float32)]),
                     "dt": torch.tensor([INF, 1.5]).bfloat16(), "moved": torch.tensor([-INF, 5.0])})
    assert rows["eq"] == {"file": "a.safetensors", "name": "eq", "status": "same", "max_abs": 0.0,
                          "note": "non-finite values at 2 places on both sides"}
    assert rows["dt"]["status"] == "dtype" and rows["dt"]["max_abs"] == 0.0  # the same values in another dtype
    assert rows["moved"]["status"] == "differs" and rows["moved"]["max_abs"] == 1.0  # the finite values' gap
    assert rows["moved"]["note"] == "non-finite values at 1 place on both sides"


def test_nan_or_inf_at_other_places_is_a_real_difference(tmp_path):
    rows = _compare(tmp_path, {"one": torch.ones(3), "sign": torch.tensor([INF, 0.0]), "i": torch.tensor([1, 2])},
                    {"one": torch.tensor([1.0, NAN, 1.0]), "sign": torch.tensor([-INF, 0.0]), "i": torch.tensor([1, 3])})
    assert rows["one"]["status"] == "differs" and rows["one"]["max_abs"] == math.inf  # was nan
    assert rows["one"]["note"] == "non-finite values at 0 places in A and 1 in B, 1 not matched on the other side"
    assert rows["sign"]["status"] == "differs" and rows["sign"]["max_abs"] == math.inf  # inf against -inf
    assert rows["i"] == {"file": "a.safetensors", "name": "i", "status": "differs", "max_abs": 0.0}  # integers: no |Δ|


def test_identical_bits_holding_nan_are_the_same_with_the_places_counted(tmp_path):
    w = torch.tensor([NAN, 2.0, INF])
    assert _compare(tmp_path, {"w": w}, {"w": w.clone()})["w"] == {
        "file": "a.safetensors", "name": "w", "status": "same", "max_abs": 0.0,
        "note": "non-finite values at 2 places on both sides"}
    assert "note" not in _compare(tmp_path, {"w": torch.ones(2)}, {"w": torch.ones(2)})["w"]
