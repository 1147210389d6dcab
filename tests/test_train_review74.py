"""Review of stop 74's training work: the epoch-tail note said once, by rank 0, with grad_accum and the world
counted; a resumed run's Ctrl-C counting this run's steps; the launcher's batch line as a product."""

from __future__ import annotations

import pytest
from test_train_utils import make_records, recipe

from rsvlm.config import load_config
from rsvlm.train.config import TrainConfig

TAIL = "[rsvlm.train] note: each epoch draws"


def test_the_epoch_tail_note_is_rank_0s_once_and_counts_micro_batches_with_grad_accum(tmp_path, capsys):
    """10 records at batch_size=4: 2 drawn twice each epoch to fill its third batch, said by rank 0 alone and once
    (read_train_data runs once a run); 3 batches an epoch reach its end at max_steps=2 with grad_accum=2, not with
    grad_accum=1."""
    from rsvlm.train.sft_index import read_train_data, tail_note

    data = make_records(tmp_path / "d", n=10, ir_every=0)
    cfg = load_config(TrainConfig, recipe(tmp_path, data={"train": str(data)}), ["batch_size=4", "max_steps=3"])
    read_train_data(cfg, 1, 1)
    assert TAIL not in capsys.readouterr().err  # rank 1 (of a run whose rank 0 says it)
    read_train_data(cfg, 0, 1)
    err = capsys.readouterr().err
    assert err.count(TAIL) == 1 and f"{TAIL} 2 records of 10 twice, to fill each modality's last global batch of 4" in err, err
    two_steps = load_config(TrainConfig, recipe(tmp_path), ["batch_size=4", "max_steps=2"])
    assert tail_note(["optical"] * 10, two_steps, 1) is None  # step 2 reads batch 2 of 3: no epoch ends
    accum = load_config(TrainConfig, recipe(tmp_path), ["batch_size=4", "max_steps=2", "grad_accum=2"])
    assert tail_note(["optical"] * 10, accum, 1).startswith("each epoch draws 2 records of 10 twice")
    two = tail_note(["optical"] * 9, cfg, 2)  # 2 processes: 2 global batches of 8, the second filled with 7
    assert two.startswith("each epoch draws 7 records of 9 twice, to fill each modality's last global batch of 8 "
                          "(batch_size=4 × 2 processes;"), two


def test_the_launchers_batch_line_multiplies_processes_micro_batch_and_grad_accum(monkeypatch, capsys):
    """It read '# world 8 = micro-batch 4 × grad_accum 4 → global batch 128': the world size as the product."""
    from script_loader import REPO, load_script

    launch = load_script("launch", monkeypatch)
    recipe = str(REPO / "configs/train/recipes/qwen2.5-1.5b-sft.yaml")
    assert launch.main([recipe, "--gpus-per-node", "8", "--dry-run", "batch_size=4"]) == 0
    assert "# 8 processes × micro-batch 4 × grad_accum 4 = global batch 128\n" in capsys.readouterr().err


def test_a_resumed_runs_ctrl_c_counts_the_steps_this_run_trained_not_the_checkpoints(tmp_path, monkeypatch, capsys):
    """Resumed at step 2: a Ctrl-C in its first micro-batch trained 0 steps (rsvlm train then names step_000002 to
    continue from), one in its second micro-batch trained 1 (step 3, unsaved)."""
    from rsvlm.train import loop

    data = make_records(tmp_path / "d", n=8, ir_every=0)
    out = tmp_path / "run"
    base = [f"data.train={data}", f"out_dir={out}", "log.progress=false", "batch_size=2", "device=cpu",
            "ckpt.every=2"]
    loop.train(load_config(TrainConfig, recipe(tmp_path), [*base, "max_steps=2"]))
    real, calls = loop.check_micro_batch, []
    for stop_at, trained in ((1, 0), (2, 1)):
        def ctrl_c(*a, stop_at=stop_at, **k):
            calls.append(1)
            if len(calls) == stop_at:
                raise KeyboardInterrupt
            return real(*a, **k)

        calls.clear()
        monkeypatch.setattr(loop, "check_micro_batch", ctrl_c)
        capsys.readouterr()
        with pytest.raises(KeyboardInterrupt) as e:
            loop.train(load_config(TrainConfig, recipe(tmp_path), [*base, "max_steps=4", "ckpt.resume=auto"]))
        assert e.value.trained_steps == trained, (stop_at, e.value.trained_steps)
        err = capsys.readouterr().err
        assert ("Ctrl-C after step 3: Ctrl-C saves no step folder, step 3 is not saved" in err) == (trained == 1), err
