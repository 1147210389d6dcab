"""Batch plans, mixture weights, DeepSpeed "auto" filling, and the contrastive pretraining stage."""

from __future__ import annotations

import json

import numpy as np
import pytest
from test_train_utils import make_records, recipe

from rsvlm.config import load_config
from rsvlm.train.config import TrainConfig
from rsvlm.train.data import epoch_batches, mixture_weights
from rsvlm.train.deepspeed_config import fill_auto


def _pad_fraction(batches, lengths):
    real = sum(sum(lengths[i] for i in b) for b in batches)
    return real / sum(len(b) * max(lengths[i] for i in b) for b in batches)


def test_plans_are_deterministic_disjoint_across_ranks_and_grouped_by_modality():
    rng = np.random.default_rng(0)
    lengths = rng.integers(10, 400, 200).tolist()
    groups = ["optical" if i % 3 else "sar" for i in range(200)]
    r0 = epoch_batches(lengths, 4, 2, 0, seed=1, epoch=3, groups=groups)
    r1 = epoch_batches(lengths, 4, 2, 1, seed=1, epoch=3, groups=groups)
    assert r0 == epoch_batches(lengths, 4, 2, 0, seed=1, epoch=3, groups=groups)
    assert r0 != epoch_batches(lengths, 4, 2, 0, seed=1, epoch=4, groups=groups)
    assert len(r0) == len(r1) and all(len(b) == 4 for b in r0 + r1)
    seen = [i for b in r0 + r1 for i in b]
    assert set(seen) == set(range(200)) and len(seen) == 208  # every sample; 5 of 67 sar, 3 of 133 optical twice
    for b0, b1 in zip(r0, r1):  # both ranks use the same modality in a step
        assert len({groups[i] for i in b0 + b1}) == 1
    naive = epoch_batches(lengths, 4, 2, 0, seed=1, epoch=3, grouped=False)
    assert _pad_fraction(r0, lengths) > _pad_fraction(naive, lengths) + 0.1
    assert max(lengths[i] for i in r0[0]) == max(lengths[i] for b in r0 + r1 for i in b) or \
        max(lengths[i] for i in r1[0]) == max(lengths[i] for b in r0 + r1 for i in b)  # longest batch first


def test_temperature_flattens_the_task_mixture():
    tasks = ["det"] * 90 + ["vqa"] * 10
    mods = ["optical"] * 100
    assert mixture_weights(tasks, mods) is None
    w = mixture_weights(tasks, mods, task_temperature=1e6)  # T → ∞: uniform over tasks
    assert w[:90].sum() == pytest.approx(0.5, abs=1e-4) and w[90:].sum() == pytest.approx(0.5, abs=1e-4)
    w2 = mixture_weights(tasks, mods, task_temperature=2.0)  # ∝ sqrt(n)
    assert w2[90:].sum() == pytest.approx(np.sqrt(10) / (np.sqrt(10) + np.sqrt(90)))
    w3 = mixture_weights(tasks, mods, task_weights={"vqa": 9.0})
    assert w3[90:].sum() == pytest.approx(0.5)
    with pytest.raises(ValueError, match="cls"):
        mixture_weights(tasks, mods, task_weights={"cls": 2.0})
    assert mixture_weights(tasks, mods, sample_weights=[1.0] * 100) is None  # all files at weight 1
    w4 = mixture_weights(tasks, mods, task_weights={"vqa": 9.0}, sample_weights=[1.0] * 80 + [0.5] * 20)
    # per sample ∝ (task share / task size) × file weight: det 1/180, vqa 9/180; the last 20 halved
    mass = {"det": 80 / 180, "det_half": 10 * 0.5 / 180, "vqa_half": 10 * 0.5 * 9 / 180}
    assert w4[80:90].sum() == pytest.approx(mass["det_half"] / sum(mass.values()))
    assert w4[90:].sum() == pytest.approx(mass["vqa_half"] / sum(mass.values()))
    with pytest.raises(ValueError, match="3 sample weights for 100"):
        mixture_weights(tasks, mods, sample_weights=[1.0] * 3)
    plan = epoch_batches([5] * 100, 10, 1, 0, seed=0, epoch=0, weights=w)
    drawn = [i for b in plan for i in b]
    assert 25 <= sum(i >= 90 for i in drawn) <= 75  # vqa now about half the draws, not a tenth


def test_deepspeed_auto_fields_come_from_the_training_config(tmp_path):
    cfg = load_config(TrainConfig, recipe(tmp_path), ["batch_size=3", "grad_accum=2", "optim.max_grad_norm=0.5",
                                                      "precision=bf16"])
    ds = json.loads((recipe.__globals__["REPO"] / "configs" / "deepspeed" / "zero3_offload.json").read_text())
    out = fill_auto(ds, cfg, world_size=4)
    assert out["train_batch_size"] == 24 and out["train_micro_batch_size_per_gpu"] == 3
    assert out["gradient_accumulation_steps"] == 2 and out["gradient_clipping"] == 0.5
    assert out["bf16"]["enabled"] is True and out["zero_optimization"]["stage"] == 3
    assert "auto" not in json.dumps(out)
    with pytest.raises(ValueError, match="zero_optimization.reduce_bucket_size"):
        fill_auto({**ds, "zero_optimization": {"reduce_bucket_size": "auto"}}, cfg, 1)
    with pytest.raises(ValueError, match="train_batch_size"):
        fill_auto({**ds, "train_batch_size": 7}, cfg, 1)


def test_contrastive_encoder_pretraining_loss_falls_and_loads_into_the_model(tmp_path):
    import torch

    from rsvlm.model.vision import build_encoder
    from rsvlm.train.loop import train

    data = make_records(tmp_path / "d", n=12, ir_every=0)
    cfg = load_config(TrainConfig, recipe(tmp_path, "pretrain_encoder_tiny.yaml"), [
        f"data.train={data}", f"out_dir={tmp_path / 'clip'}", "max_steps=50", "batch_size=8", "optim.lr=2e-3",
        "log.progress=false"])
    summary = train(cfg)
    first, last = np.mean(summary["losses"][:5]), np.mean(summary["losses"][-5:])
    assert last < first - 0.2, summary["losses"]
    enc_cfg = cfg.model.encoders["default"]
    enc_cfg.pretrained = summary["final"]
    enc = build_encoder(enc_cfg)  # loads visual.* and raises on missing keys
    from safetensors.torch import load_file

    saved = load_file(summary["final"])
    assert torch.equal(enc.visual.conv1.weight, saved["visual.conv1.weight"])


def test_collated_images_are_pinned_by_the_loaders_pin_path(monkeypatch):
    """``DataLoader(pin_memory=True)`` (on CUDA) pins only tensors and objects with a
    ``pin_memory`` method; the images inside a batch must be pinned too, not passed over. The
    real pin needs a GPU, so the tensor method is replaced by a marker here."""
    import torch
    from torch.utils.data._utils.pin_memory import pin_memory

    from rsvlm.model.processor import Pixels

    pinned = []
    monkeypatch.setattr(torch.Tensor, "pin_memory", lambda self, *a: pinned.append(self.shape) or self.clone())
    batch = {"input_ids": torch.zeros(2, 5, dtype=torch.long),
             "images": [[Pixels(torch.ones(3, 8, 8), "optical")], [Pixels(torch.ones(2, 8, 8), "sar")]]}
    out = pin_memory(batch)
    assert isinstance(out["images"][1][0], Pixels) and out["images"][1][0].modality == "sar"
    assert sorted(pinned) == sorted([torch.Size([2, 5]), torch.Size([3, 8, 8]), torch.Size([2, 8, 8])])


def test_band_dropout_drops_and_refills_bands_the_same_way_every_time(tmp_path):
    """data.band_dropout: a SAR sample keeps one polarisation, the other refilled as predict's copy
    fill does (so both planes are equal after normalisation); deterministic per (seed, item)."""
    import subprocess
    import sys
    from pathlib import Path

    import torch

    from rsvlm.config import load_config
    from rsvlm.data.records import ReadReport
    from rsvlm.model import VLMConfig, create_model
    from rsvlm.train import data as D

    subprocess.run([sys.executable, "-m", "data_gen", "synth", "--out", str(tmp_path), "--n", "8", "--seed", "5",
                    "--modalities", "sar,msi", "--size", "32"], check=True, capture_output=True)
    path = tmp_path / "train.jsonl"
    repo = Path(__file__).resolve().parents[1]
    _, processor = create_model(load_config(VLMConfig, repo / "configs/model/tiny.yaml"))
    index = D.build_index(path, processor.tokenizer, dict(processor.n_tokens), ReadReport(str(path)))
    sar = [i for i in range(len(index)) if index[i]["modality"] == "sar"][:4]
    msi = [i for i in range(len(index)) if index[i]["modality"] == "msi"][:8]
    assert sar and msi

    def planes(ds, i):
        return ds[i]["images"][0].tensor  # (C,S,S)

    plain = D.SFTDataset(index, path.parent, processor, processor.prompt, 512)
    always = D.SFTDataset(index, path.parent, processor, processor.prompt, 512, band_dropout={"sar": 1.0}, seed=3)
    for i in sar:
        x = planes(always, i)
        assert torch.allclose(x[0], x[1], atol=1e-5) and not torch.allclose(planes(plain, i)[0], planes(plain, i)[1])
        assert torch.equal(x, planes(always, i))  # the same draw on every read
    for i in msi:  # another modality: untouched
        assert torch.equal(planes(always, i), planes(plain, i))
    half = D.SFTDataset(index, path.parent, processor, processor.prompt, 512, band_dropout={"msi": 0.5}, seed=3)
    changed = [not torch.equal(planes(half, i), planes(plain, i)) for i in msi]
    assert 0 < sum(changed) < len(msi) == 8  # about half, as p says


def test_records_of_a_modality_the_model_has_no_stem_for_are_skipped_and_counted_at_index_time(tmp_path):
    from test_train_utils import make_records

    from rsvlm.data.records import ReadReport
    from rsvlm.train import data as D

    def words(texts, add_special_tokens=False):  # a tokenizer stand-in: one id per word
        return {"input_ids": [t.split() for t in texts]}

    path = make_records(tmp_path, n=8, ir_every=4)  # records 0 and 4 are ir
    report = ReadReport(str(path))
    index = D.build_index(path, words, {"optical": 16}, report)
    assert len(index) == 6 and set(index["modality"]) == {"optical"} and report.n_ok == 6
    assert report.skipped == {"modality the model has no stem for: ir": 2}  # was: a bad sample every epoch
    assert "no stem for modality 'ir'; the model has ['optical']" in report.examples[0]
    assert len(D.build_index(path, words, {"optical": 16, "ir": 16}, ReadReport(str(path)))) == 8
