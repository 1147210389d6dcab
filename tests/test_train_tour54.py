"""Training, tour 54: image files whose records leave the modality out are inferred (rsvlm.data.modality)
and their count by modality is kept in summary.json, beside the malformed-record counts."""

from __future__ import annotations

import json
from pathlib import Path

from test_train_utils import make_records, recipe

from rsvlm.train import main as train_main


def unnamed(path):
    """``path`` (records) with every image's modality left out."""
    recs = [json.loads(line) for line in path.read_text().splitlines()]
    for r in recs:
        for im in r["images"]:
            im.pop("modality")
    path.write_text("".join(json.dumps(r) + "\n" for r in recs))
    return path


def test_contrastive_training_counts_the_modalities_it_inferred_in_summary_json(tmp_path, capsys):
    data = unnamed(make_records(tmp_path / "d", n=12, ir_every=4))  # 4 caption records (the only ones read): 3 RGB PNGs, 1 grey (ir)
    out = tmp_path / "clip"
    argv = ["--config", str(recipe(tmp_path, "pretrain_encoder_tiny.yaml")), f"data.train={data}", f"out_dir={out}",
            "log.progress=false", "batch_size=4", "max_steps=1"]
    assert train_main(argv) == 0
    assert "modality inferred for 4 image files" in capsys.readouterr().err
    summary = json.loads((out / "summary.json").read_text())
    assert summary["inferred_modalities"] == {"optical": 3, "ir": 1}, summary["inferred_modalities"]


def test_lm_training_infers_modalities_under_data_root_and_counts_them(tmp_path, capsys):
    """The index looked for the images beside the JSONL, not under data.root: every record whose images
    name no modality was skipped as unopenable and the run stopped with no usable record."""
    data = unnamed(make_records(tmp_path / "d", n=8, ir_every=4))  # images under d/images; 6 RGB, 2 grey
    moved = tmp_path / "elsewhere" / "train.jsonl"
    moved.parent.mkdir()
    data.rename(moved)
    out = tmp_path / "lm"
    argv = ["--config", str(recipe(tmp_path)), f"data.train={moved}", f"data.root={tmp_path / 'd'}",
            f"out_dir={out}", "log.progress=false", "batch_size=2", "max_steps=1"]
    assert train_main(argv) == 0
    assert "measuring samples" not in capsys.readouterr().err  # datasets' map drew its bar with log.progress=false
    summary = json.loads((out / "summary.json").read_text())
    assert summary["inferred_modalities"] == {"optical": 6, "ir": 2} and summary["malformed_records"] == 0, summary


def test_pruned_and_replaced_step_folders_are_set_aside_before_they_are_deleted(tmp_path, monkeypatch):
    """A kill mid-rmtree left a half-deleted step_N, which ckpt.resume=auto picked and then refused."""
    import shutil

    from rsvlm.train import checkpoint as ckpt

    root = tmp_path / "checkpoints"
    for n in (1, 2):
        (root / f"step_00000{n}").mkdir(parents=True)
        (root / f"step_00000{n}" / "model.safetensors").write_text("x")
    (root / "step_000000.old").mkdir()  # a killed run's leftover
    deleted = []

    def killed_mid_delete(p, ignore_errors=False):  # what a kill leaves: the folder there, its name kept
        deleted.append(Path(p).name)

    monkeypatch.setattr(shutil, "rmtree", killed_mid_delete)
    final = root / "step_000003"
    ckpt.prepare_tmp(final)
    ckpt.commit(final, keep=1)
    assert ckpt.latest_checkpoint(root) == final  # never a half-deleted step_000002
    assert sorted(p.name for p in root.iterdir()) == ["step_000000.old", "step_000001.old", "step_000002.old",
                                                      "step_000003"]
    assert set(deleted) == {"step_000000.old", "step_000001.old", "step_000002.old"}
