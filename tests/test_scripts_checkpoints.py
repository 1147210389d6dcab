"""scripts/average_checkpoints.py and compare_checkpoints.py on bad numbers and failed averages."""

from __future__ import annotations

import pytest
import torch
from safetensors.torch import save_file
from script_loader import load_script


def fake_ckpt(root, vision_shape=(2, 3)):
    """A folder shaped like a merged checkpoint: config.yaml, llm/ weights, vision.safetensors."""
    (root / "llm").mkdir(parents=True)
    (root / "config.yaml").write_text("encoders: {}\n")
    save_file({"w": torch.ones(4)}, str(root / "llm" / "model.safetensors"))
    save_file({"v": torch.ones(vision_shape)}, str(root / "vision.safetensors"))
    return root


@pytest.mark.parametrize("weights", [["nan", "1"], ["inf", "1"]])
def test_average_refuses_weights_that_are_not_finite(tmp_path, monkeypatch, capsys, weights):
    avg = load_script("average_checkpoints", monkeypatch)
    a, b = fake_ckpt(tmp_path / "a"), fake_ckpt(tmp_path / "b")
    with pytest.raises(SystemExit) as e:  # was: 'wrote' a checkpoint of NaN tensors
        avg.main([str(a), str(b), "--out", str(tmp_path / "avg"), "--weights", *weights])
    assert e.value.code == 2 and "give finite numbers" in capsys.readouterr().err
    assert not (tmp_path / "avg").exists()


def test_a_failed_average_leaves_no_half_written_output(tmp_path, monkeypatch, capsys):
    avg = load_script("average_checkpoints", monkeypatch)
    a, b = fake_ckpt(tmp_path / "a"), fake_ckpt(tmp_path / "b", vision_shape=(3, 3))
    out = tmp_path / "avg"
    assert avg.main([str(a), str(b), "--out", str(out)]) == 2
    assert "differs in shape" in capsys.readouterr().err
    assert not out.exists()  # was: config.yaml and llm/ without vision.safetensors, and a rerun refused
    (tmp_path / "b" / "vision.safetensors").unlink()
    save_file({"v": torch.zeros(2, 3)}, str(tmp_path / "b" / "vision.safetensors"))
    assert avg.main([str(a), str(b), "--out", str(out)]) == 0


def test_compare_refuses_a_negative_show(tmp_path, monkeypatch, capsys):
    cmp = load_script("compare_checkpoints", monkeypatch)
    a = fake_ckpt(tmp_path / "a")
    with pytest.raises(SystemExit) as e:  # was: bad[:-1], every differing tensor but one
        cmp.main([str(a), str(a), "--show", "-1"])
    assert e.value.code == 2 and "--show -1: give 0 or more" in capsys.readouterr().err


def test_compare_of_folders_with_no_weight_file_in_common_is_an_error(tmp_path, monkeypatch, capsys):
    cmp = load_script("compare_checkpoints", monkeypatch)
    run = fake_ckpt(tmp_path / "runs" / "x" / "final")
    other = fake_ckpt(tmp_path / "y")
    # runs/x against y/: every tensor was listed as 'only in A' / 'only in B', exit 1, as if they differed
    assert cmp.main([str(tmp_path / "runs"), str(other)]) == 2
    err = capsys.readouterr().err
    assert "no .safetensors file in common (A has x/final/llm/model.safetensors, x/final/vision.safetensors" in err
    assert "compare folders at the same level" in err
    (tmp_path / "empty").mkdir()
    assert cmp.main([str(tmp_path / "empty"), str(other)]) == 2
    assert "A has none" in capsys.readouterr().err
    assert cmp.main([str(run), str(other)]) == 0 and "identical" in capsys.readouterr().out


@pytest.mark.parametrize("args, says", [
    (["{a}", "{b}", "--out", "{a}/avg"], "--out {a}/avg: inside the input {a}"),  # was: written into a
    (["{a}", "{b}", "--out", "{a}"], "--out {a}: inside the input {a}"),
    (["{a}", "{a}/", "--out", "{tmp}/avg"], "{a}/: given twice (as {a})"),  # was: a copy of a, 'wrote' as a soup
    (["{a}", "{b}", "--out", "{tmp}/avg", "--weights", "1"], "--weights: 1 weight for 2 models"),
])
def test_average_refuses_an_output_inside_an_input_and_a_model_given_twice(tmp_path, monkeypatch, capsys, args,
                                                                          says):
    avg = load_script("average_checkpoints", monkeypatch)
    a, b = fake_ckpt(tmp_path / "a"), fake_ckpt(tmp_path / "b")
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    with pytest.raises(SystemExit) as e:
        avg.main([x.format(a=a, b=b, tmp=tmp_path) for x in args])
    assert e.value.code == 2 and says.format(a=a, tmp=tmp_path) in capsys.readouterr().err
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before  # nothing written
