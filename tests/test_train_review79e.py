"""Review of stop 79 (E), training: the rendezvous on a helper thread (``run.meet``) and the exit at once
around it (``run.exit_if_meeting``)."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest
import torch


class _Stop(Exception):
    """What the test's SIGINT handler raises (a late one fails the test, not the session, as Ctrl-C's would)."""


def test_a_stop_ending_the_helper_too_still_exits_at_once(monkeypatch):
    """Rank 0 (the store's host): the helper's wait ended as SIGTERM came, so exit_if_meeting, asking only whether
    the helper was alive, found it gone and left the process to Python's exit (4 s to 6 s more, 6 s to 8 s in all
    under load). The stop raised while meeting is marked, and exits at once whatever the helper does."""
    from rsvlm.train import run

    ended = threading.Event()

    def on_sigint(*_):
        ended.set()  # the helper's wait ends as the stop comes, as rank 0's did
        raise _Stop

    exits: list[int] = []
    monkeypatch.setattr(os, "_exit", exits.append)
    old = signal.signal(signal.SIGINT, on_sigint)
    timer = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT))
    try:
        timer.start()
        t0 = time.monotonic()
        with pytest.raises(_Stop) as stopped:
            run.meet(lambda: ended.wait(30))
        assert time.monotonic() - t0 < 10.0  # taken at the next 0.2 s wait, not when the helper gave up (30 s)
    finally:
        timer.cancel()
        signal.signal(signal.SIGINT, old)
    for t in threading.enumerate():
        if t.name == "rsvlm-rendezvous":
            t.join(10)
    assert not any(t.name == "rsvlm-rendezvous" and t.is_alive() for t in threading.enumerate())
    assert stopped.value.in_rendezvous
    try:
        raise stopped.value
    except _Stop:
        run.exit_if_meeting(130)
    assert exits == [130]
    # a stop elsewhere (no helper, not marked) returns, for the caller's own exit
    try:
        raise _Stop
    except _Stop:
        run.exit_if_meeting(143)
    assert exits == [130]
    # an error of the rendezvous itself is not a stop: raised on the caller's thread, unmarked
    with pytest.raises(ZeroDivisionError) as failed:
        run.meet(lambda: 1 / 0)
    assert not getattr(failed.value, "in_rendezvous", False)


def test_the_helper_waits_on_the_ranks_gpu_not_gpu_0(monkeypatch):
    """The current GPU is each thread's own (GPU 0 on a new one): setup_distributed set the rank's on the main
    thread only, so NCCL's set-up on the helper read GPU 0 on every rank. The helper sets it too (not on CPU)."""
    from rsvlm.train import run

    calls: list[tuple[str, torch.device]] = []
    monkeypatch.setattr(torch.cuda, "set_device", lambda d: calls.append((threading.current_thread().name, d)))
    seen: list[str] = []
    run.meet(lambda: seen.append(threading.current_thread().name), torch.device("cuda", 1))
    assert calls == [("rsvlm-rendezvous", torch.device("cuda", 1))] and seen == ["rsvlm-rendezvous"]
    run.meet(lambda: None, torch.device("cpu"))
    run.meet(lambda: None)
    assert len(calls) == 1


def test_resuming_on_fewer_records_after_an_epochs_end_begins_the_next_epoch(tmp_path, capsys):
    """Stop 78's case beside 32a8e7dd's (more records): 16 records saved at step 8, the epoch's end, resumed on 12
    (6 micro-batches an epoch). Epoch 2 begins at step 9 from its first batch, not epoch 1 again (past_end_note
    stays quiet: the position had ended its epoch), said by the note of more records."""
    import json

    from test_train_utils import make_records, recipe

    from rsvlm.train import main as train_main

    data = make_records(tmp_path / "d", n=16, ir_every=0)
    lines = data.read_text().splitlines()
    out = tmp_path / "run"
    args = ["--config", str(recipe(tmp_path)), f"data.train={data}", f"out_dir={out}", "log.progress=false",
            "batch_size=2", "ckpt.every=8", "optim.warmup_steps=0", "log.every=1"]
    assert train_main([*args, "max_steps=8"]) == 0
    data.write_text("\n".join(lines[:12]) + "\n")
    capsys.readouterr()
    assert train_main([*args, "max_steps=9", "ckpt.resume=auto"]) == 0
    err = capsys.readouterr().err
    assert ("note: ckpt.resume: the data position (8 micro-batches) had ended epoch 1: epoch 2 begins from the "
            "first batch of these records") in err, err
    assert "begins again" not in err, err
    metrics = [json.loads(ln) for ln in (out / "metrics.jsonl").read_text().splitlines()]
    assert [ln["epoch"] for ln in metrics if ln.get("step") in (8, 9) and "epoch" in ln] == [1, 2], metrics
    state = json.loads((out / "checkpoints" / "step_000009" / "trainer_state_rank0.json").read_text())
    assert (state["epoch"], state["micro_in_epoch"], state["epoch_micro_batches"]) == (1, 1, 6)


def test_meet_without_pthread_sigmask_still_meets(monkeypatch):
    """Windows' signal module has no pthread_sigmask: the helper's AttributeError was raised as the rendezvous's."""
    from rsvlm.train import run

    monkeypatch.delattr(signal, "pthread_sigmask")
    seen: list[int] = []
    run.meet(lambda: seen.append(1))
    assert seen == [1]
