"""Contrastive encoder pretraining (objective clip): two processes against one, the LR schedule,
data.extra, bad samples and the keys it refuses. Tiny encoder and text tower on 32-px images."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pytest
import torch
from test_train_utils import make_records, recipe, torchrun

from rsvlm.config import load_config
from rsvlm.train.config import TrainConfig
from rsvlm.train.loop import TooManyBadSamples, lr_lambda, train


def _cfg_path(tmp_path: Path, data: Path, out: Path) -> Path:
    return recipe(tmp_path, "pretrain_encoder_tiny.yaml", out_dir=str(out), data={"train": str(data)})


def _cfg(tmp_path: Path, data: Path, out: Path, *overrides: str) -> TrainConfig:
    return load_config(TrainConfig, _cfg_path(tmp_path, data, out), ["log.progress=false", *overrides])


COMMON = ("max_steps=3", "clip.dense_weight=1.0", "clip.dense_target=presence", "clip.dense_subgrid=2",
          "optim.lr=5e-3", "optim.warmup_steps=1", "seed=3")


@pytest.fixture(scope="module")
def scenes(tmp_path_factory) -> Path:
    """Synthetic scenes with semantic masks (the dense objective's targets), optical and SAR."""
    from data_gen.synth.config import SynthConfig
    from data_gen.synth.run import synthesize
    from rsvlm.config import from_dict

    out = tmp_path_factory.mktemp("scenes")
    cfg = from_dict(SynthConfig, {"modalities": ["optical", "sar"], "scene": {"size": 32, "max_objects": 3},
                                  "split": {"val": 0.0, "test": 0.0},
                                  "instructions": {"records_per_image": 2, "task_weights": {"cap": 1}}})
    synthesize(out, 10, 5, cfg, workers=1, progress=False)
    return out / "train.jsonl"


def test_two_processes_train_like_one_process_on_the_whole_batch(tmp_path, scenes):
    """Two gloo processes of 4 pairs each = one process of 8: the features are gathered with their
    gradients and the dense loss is a per-rank mean of equal shares, so the losses and the saved
    encoder agree (up to float summation order)."""
    from safetensors.torch import load_file

    data = scenes
    one = train(_cfg(tmp_path, data, tmp_path / "one", "batch_size=8", *COMMON))
    run = torchrun(_cfg_path(tmp_path, data, tmp_path / "two"), "batch_size=4", *COMMON)
    assert run.returncode == 0, run.stderr[-3000:]
    two = json.loads((tmp_path / "two" / "summary.json").read_text())
    assert two["processes"] == 2 and one["processes"] == 1
    assert two["samples"] == one["samples"] == 24 and two["bad_samples"] == 0
    torch.testing.assert_close(torch.tensor(two["losses"]), torch.tensor(one["losses"]), rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(torch.tensor(two["dense_losses"]), torch.tensor(one["dense_losses"]),
                               rtol=1e-4, atol=1e-5)
    a, b = load_file(one["final"]), load_file(two["final"])
    assert a.keys() == b.keys()
    for k in a:  # Adam turns float-order noise in near-zero gradients into up to ~1 % of a step (5e-3)
        torch.testing.assert_close(b[k], a[k], rtol=1e-4, atol=1e-4)
    # training moved the encoder far past that tolerance, so agreeing means something
    start = load_file(train(_cfg(tmp_path, data, tmp_path / "start", "batch_size=8", *COMMON[1:], "max_steps=1",
                                 "optim.lr=1e-12"))["final"])
    moved = max(float((a[k] - start[k]).abs().max()) for k in a)
    assert moved > 5e-3, moved


def test_the_optimizer_schedule_is_followed(tmp_path):
    data = make_records(tmp_path / "d", n=24)
    cfg = _cfg(tmp_path, data, tmp_path / "run", "batch_size=4", "max_steps=6", "optim.warmup_steps=2",
               "optim.schedule=cosine", "optim.min_lr_ratio=0.1", "optim.lr=1e-3", "log.every=1")
    train(cfg)
    lines = [json.loads(x) for x in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert [x["step"] for x in lines] == [1, 2, 3, 4, 5, 6]
    f = lr_lambda(cfg)
    for x in lines:  # the LR the next step will use, as the LM loop logs it
        assert math.isclose(x["lr"], 1e-3 * f(x["step"]), rel_tol=1e-9), x
    assert lines[-1]["lr"] < lines[2]["lr"] < 1e-3
    assert all(x["loss"] > 0 and "dense" not in x for x in lines)


def test_extra_files_are_read_from_their_own_root_and_drawn_by_weight(tmp_path):
    from rsvlm.train.clip import caption_pool

    data = make_records(tmp_path / "a", n=12)
    extra = make_records(tmp_path / "b", n=24, seed=1)
    records = [json.loads(line) for line in extra.read_text().splitlines()]
    extra.write_text("".join(json.dumps({**r, "id": f"b-{r['id']}"}) + "\n" for r in records))
    moved = tmp_path / "elsewhere"
    shutil.move(tmp_path / "b" / "images", moved / "images")
    common = ["batch_size=4", "max_steps=4", f"data.extra=[{{path: {extra}, root: {moved}, weight: 3.0}}]"]
    pairs, weights, report = caption_pool(_cfg(tmp_path, data, tmp_path / "x", *common))
    assert len(pairs) == 4 + 8 and report.n_ok == 36
    assert weights.tolist() == [1.0] * 4 + [3.0] * 8
    assert {p[2] for p in pairs} == {tmp_path / "a", moved}
    summary = train(_cfg(tmp_path, data, tmp_path / "ok", *common))
    assert summary["bad_samples"] == 0 and summary["samples"] == 16
    # the extra file's images are not beside it: its root is needed, and the misses are counted
    no_root = ["batch_size=4", "max_steps=6", f"data.extra=[{{path: {extra}}}]"]
    with pytest.raises(TooManyBadSamples, match=r"samples could not be used"):
        train(_cfg(tmp_path, data, tmp_path / "bad", *no_root))
    lenient = train(_cfg(tmp_path, data, tmp_path / "lenient", *no_root, "data.max_bad_fraction=1.0"))
    assert 0 < lenient["bad_samples"] < lenient["samples"]
    assert all(i.startswith("b-") for i in lenient["bad_ids"])  # only the extra file's images are missed


def test_extra_file_without_captions_and_refused_keys(tmp_path):
    data = make_records(tmp_path / "a", n=12)
    pair = json.loads(data.read_text().splitlines()[1])  # a caption record, given a second image
    pair["images"] *= 2
    pair["conversations"][0]["value"] = "<image>\n" + pair["conversations"][0]["value"]
    empty = tmp_path / "a" / "pairs.jsonl"
    empty.write_text(json.dumps(pair) + "\n")
    with pytest.raises(ValueError, match="pairs.jsonl: no single-image caption pair"):
        train(_cfg(tmp_path, data, tmp_path / "x", f"data.extra=[{{path: {empty}}}]"))
    with pytest.raises(ValueError, match="dist.deepspeed"):
        train(_cfg(tmp_path, data, tmp_path / "x", "dist.deepspeed=configs/deepspeed/zero2.json"))
    with pytest.raises(ValueError, match="grad_accum"):
        train(_cfg(tmp_path, data, tmp_path / "x", "grad_accum=2"))
