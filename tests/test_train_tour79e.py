"""Stop 79 (E), training: a resume on more records from a step folder saved at an epoch's end begins the next
epoch (it went on at the old position inside a longer plan of other batches)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from test_train_utils import make_records, recipe
from torchrun_helpers import free_port

REPO = Path(__file__).resolve().parents[1]


def test_resuming_on_more_records_after_an_epochs_end_begins_the_next_epoch(tmp_path, capsys):
    """16 records (8 micro-batches an epoch) saved at step 8, the epoch's end; 8 records added (12 an epoch):
    the resume read batches 9 to 12 of the new plan as epoch 1, so epoch 1 trained 4 micro-batches more of other
    batches and epoch 2 came late. Now epoch 2 begins at step 9 from its first batch, a note saying so."""
    from rsvlm.train import main as train_main
    from rsvlm.train.batch_plan import ended_epoch_note

    data = make_records(tmp_path / "d", n=24, ir_every=0)
    lines = data.read_text().splitlines()
    data.write_text("\n".join(lines[:16]) + "\n")
    out = tmp_path / "run"
    args = ["--config", str(recipe(tmp_path)), f"data.train={data}", f"out_dir={out}", "log.progress=false",
            "batch_size=2", "ckpt.every=8", "optim.warmup_steps=0", "log.every=1"]
    assert train_main([*args, "max_steps=8"]) == 0
    state = json.loads((out / "checkpoints" / "step_000008" / "trainer_state_rank0.json").read_text())
    assert (state["epoch"], state["micro_in_epoch"], state["epoch_micro_batches"]) == (0, 8, 8)
    data.write_text("\n".join(lines) + "\n")
    capsys.readouterr()
    assert train_main([*args, "max_steps=10", "ckpt.resume=auto"]) == 0
    err = capsys.readouterr().err
    assert ("note: ckpt.resume: the data position (8 micro-batches) had ended epoch 1: epoch 2 begins from the "
            "first batch of these records") in err, err
    metrics = [json.loads(ln) for ln in (out / "metrics.jsonl").read_text().splitlines()]
    epochs = {ln["step"]: ln["epoch"] for ln in metrics if "epoch" in ln}
    assert [epochs[s] for s in (8, 9, 10)] == [1, 2, 2], epochs
    state = json.loads((out / "checkpoints" / "step_000010" / "trainer_state_rank0.json").read_text())
    assert (state["epoch"], state["micro_in_epoch"], state["epoch_micro_batches"]) == (1, 2, 12)
    # the same records, a position inside its epoch, or a state without the epoch's length: nothing is said
    assert ended_epoch_note({"epoch": 0, "micro_in_epoch": 8, "epoch_micro_batches": 8}, moved=False) is None
    assert ended_epoch_note({"epoch": 0, "micro_in_epoch": 5, "epoch_micro_batches": 8}, moved=True) is None
    assert ended_epoch_note({"epoch": 0, "micro_in_epoch": 8}, moved=True) is None


def test_a_sigterm_reaches_a_rank_waiting_in_the_rendezvous_for_a_store_never_started():
    """rank 1 of 2 whose rank 0 (the store) never starts waits in torch's C++ connect: SIGTERM was taken only
    when it gave up (4 min at dist.timeout_s=120). ``meet`` waits on a helper thread: it is taken at once."""
    import signal
    import threading
    import time
    from datetime import timedelta

    import pytest
    import torch

    from rsvlm.processes import StopOnTerm, Terminated
    from rsvlm.train.run import meet

    port = free_port()
    timer = threading.Timer(1.0, os.kill, (os.getpid(), signal.SIGTERM))
    t0 = time.monotonic()
    try:
        with StopOnTerm(), pytest.raises(Terminated):
            timer.start()
            meet(lambda: torch.distributed.TCPStore("127.0.0.1", port, 2, False, timeout=timedelta(seconds=8)))
    finally:
        timer.cancel()  # a wait that ended first: no SIGTERM after StopOnTerm, which would end the test session
    assert time.monotonic() - t0 < 6.0  # about 1.2 s; the C++ wait alone ends at 8 s (slack for a loaded CI)
    for t in threading.enumerate():  # its store gives up by itself (no later test finds it waiting)
        if t.name == "rsvlm-rendezvous":
            t.join(60)
    # an error of the rendezvous is raised on the caller's thread, as before
    with pytest.raises(ZeroDivisionError):
        meet(lambda: 1 / 0)


def test_rank_0_of_a_launch_whose_rank_1_never_starts_stops_on_sigterm_within_seconds(tmp_path):
    """Rank 0 alone at the rendezvous (it hosts the store; rank 1 was never started) took SIGTERM after 12 s
    (torch's wait, then 6 s of teardown). Now it exits 143 within seconds, with its one line."""
    import subprocess
    import sys
    import time

    import pytest

    psutil = pytest.importorskip("psutil", reason="psutil tells when rank 0 listens at MASTER_PORT")
    data = make_records(tmp_path / "d", n=8, ir_every=0)
    port = free_port()
    env = {**os.environ, "RANK": "0", "LOCAL_RANK": "0", "WORLD_SIZE": "2", "LOCAL_WORLD_SIZE": "2",
           "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port), "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "rsvlm.train", "--config", str(recipe(tmp_path)), f"data.train={data}",
         f"out_dir={tmp_path / 'run'}", "dist.deepspeed=configs/deepspeed/zero2.json", "batch_size=2",
         "dist.timeout_s=120", "log.progress=false"],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 240
        while not any(c.laddr and c.laddr.port == port and c.status == psutil.CONN_LISTEN
                      for c in psutil.Process(proc.pid).net_connections("tcp")):
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.2)
        time.sleep(1.0)  # in the store's wait for rank 1
        t0 = time.monotonic()
        proc.terminate()
        _, err = proc.communicate(timeout=60)
        took = time.monotonic() - t0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 143, err
    # 0.3 s here under a load of 8 on 2 cores (6 s to 8 s while exit_if_meeting asked the helper only); was 12 s to 18 s
    assert took < 10.0, (took, err)
    assert "rsvlm train: stopped by SIGTERM; before its first step" in err, err
