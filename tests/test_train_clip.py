"""Contrastive encoder pretraining (objective clip): two processes against one, the LR schedule,
data.extra, bad samples and the keys it refuses. Tiny encoder and text tower on 32-px images."""

from __future__ import annotations

import dataclasses
import json
import math
import shutil
from pathlib import Path

import pytest
import torch
from test_train_utils import make_records, recipe, torchrun

from rsvlm.config import load_config
from rsvlm.train.config import TrainConfig
from rsvlm.train.inputs import NoImageFound
from rsvlm.train.loop import lr_lambda, train


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
    run = torchrun(_cfg_path(tmp_path, data, tmp_path / "two"), "batch_size=4", "ckpt.every=3", *COMMON)
    assert run.returncode == 0, run.stderr[-3000:]
    two = json.loads((tmp_path / "two" / "summary.json").read_text())
    step = tmp_path / "two" / "checkpoints" / "step_000003"  # each rank's own counts, for a resume to go on from
    assert [json.loads((step / f"trainer_state_rank{r}.json").read_text())["samples"] for r in (0, 1)] == [12, 12]
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


def test_accumulated_micro_batches_train_like_the_whole_batch(tmp_path, scenes):
    """grad_accum: 2 micro-batches of 4 pairs, and 4 of 2, give the losses and the encoder of one
    batch of 8 (the contrastive loss over all 8 each time, the dense loss a share-weighted mean,
    the logit scale's gradient counted once); two processes of 2 × 2 pairs do the same."""
    from safetensors.torch import load_file

    whole = train(_cfg(tmp_path, scenes, tmp_path / "whole", "batch_size=8", *COMMON))
    ref = load_file(whole["final"])
    runs = {"4x2": train(_cfg(tmp_path, scenes, tmp_path / "a", "batch_size=4", "grad_accum=2", *COMMON)),
            "2x4": train(_cfg(tmp_path, scenes, tmp_path / "b", "batch_size=2", "grad_accum=4", *COMMON))}
    two = torchrun(_cfg_path(tmp_path, scenes, tmp_path / "two"), "batch_size=2", "grad_accum=2", *COMMON)
    assert two.returncode == 0, two.stderr[-3000:]
    runs["2 processes x 2x2"] = json.loads((tmp_path / "two" / "summary.json").read_text())
    for name, run in runs.items():
        assert run["samples"] == whole["samples"] == 24, name
        for key in ("losses", "dense_losses"):
            torch.testing.assert_close(torch.tensor(run[key]), torch.tensor(whole[key]), rtol=1e-4, atol=1e-5,
                                       msg=lambda m, name=name, key=key: f"{name} {key}: {m}")
        got = load_file(run["final"])
        for k in ref:  # as in the two-process test: Adam amplifies float-order noise to ~1e-4
            torch.testing.assert_close(got[k], ref[k], rtol=1e-4, atol=1e-4, msg=lambda m, name=name: f"{name}: {m}")
    # without the cached features a micro-batch would contrast only its own pairs: another loss
    alone = train(_cfg(tmp_path, scenes, tmp_path / "alone", "batch_size=4", *COMMON))
    assert abs(alone["losses"][0] - whole["losses"][0]) > 0.1


@pytest.mark.parametrize("accum", [2, 3])
def test_accumulate_gives_the_whole_batch_gradients(tmp_path, accum):
    """Every parameter's gradient, the logit scale's included (Adam would hide a scale counted
    twice), is the whole batch's; micro-batches of unequal size (7 = 3 + 2 + 2) as well."""
    from contextlib import nullcontext

    from open_clip.loss import ClipLoss

    from rsvlm.train.clip import ClipModel, _tokenizer, accumulate

    data = make_records(tmp_path / "d", n=4)
    cfg = _cfg(tmp_path, data, tmp_path / "x", "clip.box_weight=0.5", "clip.dense_weight=1.0",
               "clip.dense_subgrid=2", "clip.dense_target=presence", "clip.center_weight=0.7")
    tok = _tokenizer(cfg)
    torch.manual_seed(0)
    model = ClipModel(cfg, len(tok), tok.pad_token_id, tok.eos_token_id)
    n, size = 7, model.encoder.image_size
    grid = size // model.encoder.patch_size
    pixels, text = torch.randn(n, 3, size, size), torch.randint(3, len(tok), (n, cfg.clip.context_length))
    dense_t = (torch.rand(n, grid * grid, 4, cfg.clip.dense_classes) > 0.7).float()
    box_t = torch.rand(n, grid * grid, 5)
    center_t = (torch.rand(n, grid * grid, 4, cfg.clip.dense_classes) > 0.9).float()
    targets = {"dense": dense_t, "box": box_t, "center": center_t}
    loss_fn = ClipLoss()

    def grads(k: int) -> tuple[list[float], dict[str, torch.Tensor]]:
        model.zero_grad(set_to_none=True)
        logged = accumulate(model, model, loss_fn, dataclasses.replace(cfg, grad_accum=k), nullcontext(),
                            pixels, text, targets, world=1)
        return logged, {k_: p.grad.clone() for k_, p in model.named_parameters() if p.grad is not None}

    (l1, g1), (lk, gk) = grads(1), grads(accum)
    torch.testing.assert_close(torch.tensor(lk), torch.tensor(l1), rtol=1e-5, atol=1e-6)
    assert g1.keys() == gk.keys() and "logit_scale" in g1
    assert {"dense_head.weight", "box_head.weight", "center_head.weight"} <= g1.keys()
    assert len(l1) == 4 and all(x > 0 for x in l1)  # total, then each head's loss
    for k in g1:
        torch.testing.assert_close(gk[k], g1[k], rtol=1e-4, atol=1e-6, msg=lambda m, k=k: f"{k}: {m}")
    assert float(g1["logit_scale"].abs()) > 1e-4  # it does get a gradient, so counting it once matters


def test_the_optimizer_schedule_is_followed(tmp_path):
    data = make_records(tmp_path / "d", n=24)
    cfg = _cfg(tmp_path, data, tmp_path / "run", "batch_size=4", "max_steps=6", "optim.warmup_steps=2",
               "optim.schedule=cosine", "optim.min_lr_ratio=0.1", "optim.lr=1e-3", "log.every=1")
    train(cfg)
    lines = [json.loads(x) for x in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert [x["step"] for x in lines] == [1, 2, 3, 4, 5, 6]
    f = lr_lambda(cfg)
    for x in lines:  # the LR the logged step used (it was the next step's), as the LM loop logs it
        assert math.isclose(x["lr"], 1e-3 * f(x["step"] - 1), rel_tol=1e-9), x
    assert lines[0]["lr"] < lines[1]["lr"] < lines[2]["lr"] == 1e-3 > lines[3]["lr"] > lines[-1]["lr"]
    assert all(x["loss"] > 0 and "dense" not in x for x in lines)


def test_extra_files_are_read_from_their_own_root_and_drawn_by_weight(tmp_path):
    from rsvlm.train.clip_data import caption_pool

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
    # the extra file's images are not beside it: its root is needed, refused up front (lead 70b), as the LM loop's
    no_root = ["batch_size=4", "max_steps=6", f"data.extra=[{{path: {extra}}}]"]
    for lenient in ((), ("data.max_bad_fraction=1.0",)):
        with pytest.raises(NoImageFound, match=r"of data.extra\[0\].path; .*set data.extra\[0\].root to"):
            train(_cfg(tmp_path, data, tmp_path / "bad", *no_root, *lenient))
    assert not (tmp_path / "bad").exists()


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


@pytest.mark.parametrize("decay_1d", [False, True])
def test_weight_decay_reaches_1d_parameters_only_with_decay_1d(decay_1d):
    """The shipped encoder was trained with decay on every parameter; optim.decay_1d brings that back."""
    from rsvlm.train.loop import build_optimizer

    model = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.LayerNorm(4))
    cfg = load_config(TrainConfig, None, ["optim.lr=0.1", "optim.weight_decay=0.5", "optim.schedule=constant",
                                          f"optim.decay_1d={decay_1d}"])
    opt, _ = build_optimizer(model, cfg)
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    for p in model.parameters():
        p.grad = torch.zeros_like(p)  # so only the decay moves a parameter
    opt.step()
    for n, p in model.named_parameters():
        decayed = p.ndim >= 2 or decay_1d
        expect = before[n] * (1 - 0.1 * 0.5) if decayed else before[n]
        assert torch.allclose(p.detach(), expect), n
