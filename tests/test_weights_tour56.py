"""rsvlm.model.weights: identical checkpoints holding NaN compare as the same; averaging shows its bar
off a terminal too (stop 56)."""
from pathlib import Path

import torch
from safetensors.torch import save_file

from rsvlm.model.weights import average_checkpoints, compare_weights


def _file(path: Path, **tensors) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(path))
    return path


def test_identical_tensors_with_nan_are_the_same(tmp_path):
    w = torch.tensor([1.0, float("nan"), -0.0])
    a = _file(tmp_path / "a.safetensors", w=w.clone())
    b = _file(tmp_path / "b.safetensors", w=w.clone())
    (row,) = compare_weights(a, b)
    assert row["status"] == "same"
    c = _file(tmp_path / "c.safetensors", w=torch.tensor([2.0, float("nan"), 0.0]))
    (row,) = compare_weights(a, c)
    assert row["status"] == "differs"


def test_signed_zero_is_the_same_value(tmp_path):
    a = _file(tmp_path / "a.safetensors", w=torch.tensor([0.0, 1.0]))
    b = _file(tmp_path / "b.safetensors", w=torch.tensor([-0.0, 1.0]))
    assert compare_weights(a, b)[0]["status"] == "same"


def _ckpt(root: Path, value: float) -> Path:
    root.mkdir(parents=True)
    (root / "config.yaml").write_text("model: x\n")
    _file(root / "llm.safetensors", w=torch.full((3,), value))
    return root


def test_average_progress_shows_off_a_terminal(tmp_path, capsys):
    a, b = _ckpt(tmp_path / "a", 1.0), _ckpt(tmp_path / "b", 3.0)
    average_checkpoints([a, b], tmp_path / "avg")
    assert "averaging llm.safetensors" in capsys.readouterr().err
    average_checkpoints([a, b], tmp_path / "avg2", progress=False)
    assert "averaging" not in capsys.readouterr().err
