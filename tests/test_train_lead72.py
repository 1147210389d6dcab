"""Training lead 72: the launcher names a missing dist.deepspeed with the other missing paths and a lone missing
model path up front; a converter's --out named like a records file is refused; the build's tiny-budget warm-up
and its batch checks right after the data stage."""

from __future__ import annotations

from pathlib import Path

import pytest
from script_loader import load_script

REPO = Path(__file__).resolve().parents[1]
SFT = REPO / "configs" / "train" / "sft_tiny.yaml"


def launch_err(monkeypatch, capsys, tmp_path, *over: str) -> str:
    """scripts/launch.py's refusal (exit 2) of sft_tiny on one torchrun process with ``over``."""
    launch = load_script("launch", monkeypatch)
    monkeypatch.chdir(REPO)
    (tmp_path / "train.jsonl").write_text('{"id": "a"}\n')  # there: the paths checked come first
    code = launch.main([str(SFT), "--gpus-per-node", "1", "--launcher", "torchrun", f"out_dir={tmp_path}/run",
                        f"data.train={tmp_path}/train.jsonl", *over])
    err = capsys.readouterr().err
    assert code == 2, err
    return err


def test_a_missing_deepspeed_file_is_named_with_the_other_missing_paths(tmp_path, monkeypatch, capsys):
    """A missing dist.deepspeed was refused alone, before the other paths were looked at: one fix, one more run."""
    err = launch_err(monkeypatch, capsys, tmp_path, f"data.train={tmp_path}/none.jsonl",
                     "dist.deepspeed=configs/deepspeed/zero9.json")
    assert "2 paths the config names are not there (fix them all, then run again):" in err, err
    assert "dist.deepspeed: configs/deepspeed/zero9.json not found" in err, err
    assert f"data.train: records file not found: {tmp_path}/none.jsonl" in err, err


def test_a_lone_missing_deepspeed_file_is_said_as_before(tmp_path, monkeypatch, capsys):
    err = launch_err(monkeypatch, capsys, tmp_path, "dist.deepspeed=configs/deepspeed/zero9.json")
    assert f"{SFT}: dist.deepspeed: DeepSpeed config not found: configs/deepspeed/zero9.json" in err, err
    assert "configs/deepspeed holds zero2.json" in err, err


@pytest.mark.parametrize("key", ["pretrained", "init_from"])
def test_a_lone_missing_model_path_is_named_by_the_launcher(tmp_path, monkeypatch, capsys, key):
    """Under the launcher a single missing model path was left to the ranks (each said it, then 'no step folder')."""
    over = (f"model.encoders.default.pretrained={tmp_path}/clip.safetensors" if key == "pretrained" else
            f"init_from={tmp_path}/align")
    err = launch_err(monkeypatch, capsys, tmp_path, over)
    said = (f"{tmp_path}/clip.safetensors not found (model.encoders.default.pretrained" if key == "pretrained" else
            f"init_from: no {tmp_path}/align/vision.safetensors")
    assert said in err, err
    assert "paths the config names" not in err, err


@pytest.mark.parametrize("name", ["dota.jsonl", "out.JSON"])
def test_a_converters_out_named_like_a_records_file_is_refused(tmp_path, name):
    """``convert dota --out dota.jsonl`` made a folder named dota.jsonl, unsaid."""
    from data_gen.convert import convert
    from data_gen.convert.common import ConversionError

    with pytest.raises(ConversionError, match=r"--out is a folder \(its records go in .*/records\.jsonl") as e:
        convert(["dota", "--src", str(tmp_path), "--out", str(tmp_path / name)])
    assert str(tmp_path / name) in str(e.value)
    assert not (tmp_path / name).exists()


def test_an_existing_folder_named_like_a_records_file_is_still_an_out(tmp_path):
    from data_gen.convert.common import Output

    (tmp_path / "old.jsonl").mkdir()
    Output(tmp_path / "old.jsonl", source="dota").close()
