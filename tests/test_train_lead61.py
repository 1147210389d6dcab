"""A training config's ~ paths, and a zstd records file: what a user of a shell expects of them."""

import json
from pathlib import Path

import pytest

from rsvlm.config import load_config
from rsvlm.train.config import TrainConfig
from rsvlm.train.inputs import binary_found
from rsvlm.train.run import preflight

REPO = Path(__file__).resolve().parents[1]


def test_a_config_s_tilde_paths_are_the_home_folder(tmp_path, monkeypatch):
    """(``data.root=~`` is YAML's null: ``~/``.) ``data.train: ~/train.jsonl`` was 'records file not found' of a file that is there, and
    ``out_dir: ~/runs/x`` would have made a folder named '~' in the working folder."""
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    record = {"id": "a", "images": [{"path": "a.png", "modality": "optical"}],
              "conversations": [{"from": "human", "value": "<image>\n[cls] What is it?"}, {"from": "gpt", "value": "a"}]}
    (tmp_path / "train.jsonl").write_text(json.dumps(record) + "\n")
    cfg = load_config(TrainConfig, REPO / "configs/train/sft_tiny.yaml",
                      ["data.train=~/train.jsonl", "data.root=~/", "out_dir=~/runs/x"])
    preflight(cfg)
    assert (cfg.data.train, cfg.data.root, cfg.out_dir) == (
        str(tmp_path / "train.jsonl"), f"{tmp_path}/", str(tmp_path / "runs/x"))
    assert not (tmp_path / "~").exists()


def test_a_zstd_records_file_is_named_as_one(tmp_path):
    """A Hugging Face ``.jsonl.zst`` was 'binary data' with its first bytes, where bzip2 and xz were named."""
    p = tmp_path / "train.jsonl.zst"
    p.write_bytes(b"\x28\xb5\x2f\xfd" + bytes(range(60)))
    assert "a zstd archive" in binary_found(p)


def test_a_missing_tilde_path_is_still_refused_naming_it(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    cfg = load_config(TrainConfig, REPO / "configs/train/sft_tiny.yaml", ["data.train=~/none.jsonl"])
    with pytest.raises(FileNotFoundError, match=str(tmp_path / "none.jsonl")):
        preflight(cfg)
