"""Stop 74 (E2): every record is trained each epoch (the last global batch of each modality filled from the front
of the epoch's order, as PyTorch's DistributedSampler pads), an older checkpoint's epoch resumed under the plan it
was saved with, and a SIGTERM in a run's first step that says nothing was trained."""

from __future__ import annotations

import json
import random
from collections import Counter

import pytest
from test_train_utils import make_records, recipe

from rsvlm.config import load_config
from rsvlm.processes import Terminated
from rsvlm.train import main as train_main
from rsvlm.train.config import TrainConfig


def drawn_in_full_batches(ranks: list, bs: int, grouped: bool, groups: list) -> Counter:
    """How often each record is drawn over ``ranks``' plans (one list of batches a rank), checking what every plan
    keeps: as many steps on every rank (ZeRO-3), full batches, one modality a step where ``grouped``."""
    assert len({len(r) for r in ranks}) == 1
    drawn = Counter()
    for step in zip(*ranks):
        assert all(len(b) == bs for b in step)
        if grouped:
            assert len({groups[i] for b in step for i in b}) == 1, step
        drawn.update(i for b in step for i in b)
    return drawn


def test_each_epoch_draws_every_record_in_full_batches_of_one_modality_alike_on_every_rank():
    """10 records at batch_size=4 trained 8 an epoch; the 2 past the last whole batch were never drawn that epoch.
    Now every record of a group of at least one global batch is drawn, every micro-batch is full and of one
    modality, every rank has as many; a group short of one batch is still never drawn (undrawn_groups says so)."""
    from rsvlm.train.data import epoch_batches

    rnd = random.Random(74)
    for _ in range(300):
        world, bs, grouped = rnd.randint(1, 3), rnd.randint(1, 4), rnd.random() < 0.7
        groups = [rnd.choice(["optical", "sar", "ir", "rgbn"][: rnd.randint(1, 4)]) for _ in range(rnd.randint(1, 40))]
        lengths = [rnd.randint(5, 50) for _ in groups]
        gbs, seed, epoch, factor = bs * world, rnd.randint(0, 9), rnd.randint(0, 3), rnd.randint(1, 4)
        ranks = [epoch_batches(lengths, bs, world, r, seed, epoch, grouped, factor, None, groups)
                 for r in range(world)]
        drawn = drawn_in_full_batches(ranks, bs, grouped, groups)
        counts = Counter(groups) if grouped else Counter({g: len(groups) for g in groups})
        want = {i for i, g in enumerate(groups) if counts[g] >= gbs} if grouped else (
            set(range(len(groups))) if len(groups) >= gbs else set())
        assert set(drawn) == want, (world, bs, grouped, groups)
        assert all(n <= 2 for n in drawn.values())  # a record is drawn twice at most
        assert sum(drawn.values()) == len(ranks[0]) * gbs


def test_the_old_plan_still_drops_the_tail_for_checkpoints_saved_under_it():
    """plan=1 is the plan older rsvlm drew (its batches pinned here), so a checkpoint saved by it resumes alike."""
    from rsvlm.train.data import epoch_batches

    assert epoch_batches(list(range(10)), 4, 1, 0, 0, 0, True, 16, None, ["o"] * 10, plan=1) == [
        [9, 7, 6, 5], [4, 3, 2, 0]]
    assert epoch_batches(list(range(10)), 4, 1, 0, 0, 0, True, 16, None, ["o"] * 10) == [
        [9, 7, 6, 5], [8, 6, 4, 1], [4, 3, 2, 0]]  # 8 and 1 were left out; 6 and 4 fill their batch


def _base(tmp_path, n: int = 10):
    data = make_records(tmp_path / "d", n=n, ir_every=0)
    return [f"data.train={data}", f"out_dir={tmp_path / 'run'}", "log.progress=false", "batch_size=4",
            "device=cpu", "ckpt.every=1"]


def _plans(monkeypatch):
    """Record the (epoch, plan) of each epoch_batches call the LM loop makes."""
    from rsvlm.train import data as D

    real, calls = D.epoch_batches, []

    def spy(*a, **k):
        if len(a) > 10:  # the loop's, which name the plan (check_batches asks for any batch at all)
            calls.append((a[5], a[10]))
        return real(*a, **k)

    monkeypatch.setattr(D, "epoch_batches", spy)
    return calls


def test_a_one_epoch_run_trains_every_record_and_saves_its_plan(tmp_path, monkeypatch):
    """10 records at batch_size=4: 3 steps are one epoch (were 2 steps, then a second epoch)."""
    from rsvlm.train import loop

    calls = _plans(monkeypatch)
    summary = loop.train(load_config(TrainConfig, recipe(tmp_path), [*_base(tmp_path), "max_steps=3"]))
    assert summary["epochs"] == 1 and summary["samples"] == 12, summary
    state = json.loads((tmp_path / "run/checkpoints/step_000003/trainer_state_rank0.json").read_text())
    assert state["batch_plan"] == 2 and state["micro_in_epoch"] == 3
    assert calls == [(0, 2)]


@pytest.mark.parametrize("old", [True, False])
def test_an_older_checkpoint_ends_its_epoch_under_its_own_plan_then_trains_every_record(tmp_path, monkeypatch,
                                                                                      capsys, old):
    """A checkpoint with no batch_plan (saved before it) at step 1 of an epoch: the rest of that epoch draws the
    batches it would have (2 steps an epoch, not 3), said once; the next epoch and its checkpoints are plan 2."""
    from rsvlm.train import loop

    base = _base(tmp_path)
    loop.train(load_config(TrainConfig, recipe(tmp_path), [*base, "max_steps=1"]))
    state_file = tmp_path / "run/checkpoints/step_000001/trainer_state_rank0.json"
    if old:
        state = json.loads(state_file.read_text())
        del state["batch_plan"]
        state_file.write_text(json.dumps(state))
    capsys.readouterr()
    calls = _plans(monkeypatch)
    loop.train(load_config(TrainConfig, recipe(tmp_path), [*base, "max_steps=3", "ckpt.resume=auto"]))
    err = capsys.readouterr().err
    note = "was saved by an older rsvlm, whose batches left out the records past each modality's last whole global"
    assert (note in err) == old and err.count("epoch 1 ends with the batches it would have drawn") == int(old), err
    assert calls == ([(0, 1), (1, 2)] if old else [(0, 2)])
    third = json.loads((tmp_path / "run/checkpoints/step_000003/trainer_state_rank0.json").read_text())
    assert (third["epoch"], third["micro_in_epoch"], third["batch_plan"]) == ((1, 1, 2) if old else (0, 3, 2))


def test_a_sigterm_in_the_first_step_says_nothing_was_trained_not_ckpt_every(tmp_path, monkeypatch, capsys):
    """A second SIGTERM during the first step (no step folder) said 'no step folder was saved … (ckpt.every sets
    how often)', as if more frequent saves would have kept something; now, as Ctrl-C there, nothing was trained."""
    from rsvlm.train import loop

    def term(*a, **k):
        raise Terminated()

    monkeypatch.setattr(loop, "check_micro_batch", term)
    data = make_records(tmp_path / "d", n=8, ir_every=0)
    argv = ["--config", str(recipe(tmp_path)), f"data.train={data}", f"out_dir={tmp_path / 'run'}",
            "log.progress=false", "max_steps=2", "batch_size=2", "device=cpu"]
    assert train_main(argv) == 143
    err = capsys.readouterr().err
    assert err.strip().endswith("rsvlm train: stopped by SIGTERM; during its first step: nothing was trained or "
                                "saved; run the same command again to start it"), err
    assert "ckpt.every" not in err and "Ctrl-C" not in err


def test_the_clip_loop_counts_the_steps_a_sigterm_left_trained(tmp_path, monkeypatch):
    from rsvlm.train import clip, loop

    def term(*a, **k):
        raise Terminated()

    monkeypatch.setattr(clip, "pair_pixels", term)
    data = make_records(tmp_path / "d", n=8, ir_every=0)
    cfg = load_config(TrainConfig, recipe(tmp_path, "pretrain_encoder_tiny.yaml", out_dir=str(tmp_path / "run"),
                                          data={"train": str(data)}),
                      ["log.progress=false", "max_steps=2", "batch_size=2"])
    with pytest.raises(Terminated) as e:
        loop.train(cfg)
    assert e.value.trained_steps == 0


def test_two_processes_train_every_record_of_each_modality_in_one_epoch(tmp_path):
    """7 optical and 7 ir records, batch_size=2 on 2 processes (global batch 4): 2 batches of each modality an
    epoch, the second filled with one record drawn twice, so 4 steps are one epoch (were 2 steps, 3 of 7 each left
    out). Both ranks draw the same plan (a rank's other batch count or modality would hang or abort gloo)."""
    from test_train_utils import torchrun

    pytest.importorskip("deepspeed")
    data = make_records(tmp_path / "d", n=14, ir_every=2)
    out = tmp_path / "run"
    cfg = recipe(tmp_path, out_dir=str(out), data={"train": str(data)})
    run = torchrun(cfg, "batch_size=2", "max_steps=4", "ckpt.every=4",
                   "dist.deepspeed=configs/deepspeed/zero2.json")
    assert run.returncode == 0, run.stderr[-3000:]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["steps"] == 4 and summary["epochs"] == 1, summary
    assert "each epoch draws 2 records of 14 twice, to fill each modality's last global batch of 4" in run.stderr
    for rank in (0, 1):
        state = json.loads((out / f"checkpoints/step_000004/trainer_state_rank{rank}.json").read_text())
        assert (state["epoch"], state["micro_in_epoch"], state["batch_plan"]) == (0, 4, 2)
