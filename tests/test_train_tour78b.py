"""Stop 78 (E), training on two CPU processes (gloo, DeepSpeed ZeRO-2) under ``scripts/launch.py``: Ctrl-C ends
with one line on where to continue, and DeepSpeed's per-rank build lines stay off the terminal."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_train_utils import make_records
from torchrun_helpers import free_port

REPO = Path(__file__).resolve().parents[1]


def test_ctrl_c_on_two_ranks_ends_with_where_to_continue(tmp_path):
    """Ctrl-C (SIGINT to the terminal's process group) during a 2-process run: a rank ended below its resume line
    in "terminate called without an active exception" (gloo's threads at the interpreter's exit), and the last
    line was the launcher's "waiting for torchrun to stop"; now the launcher's resume line is the last, with no
    traceback. DeepSpeed's "… built successfully" (once per rank, every start) is in out_dir/setup.log alone."""
    pytest.importorskip("deepspeed")
    out = tmp_path / "run"
    env = {**os.environ, "OMP_NUM_THREADS": "1",
           "TORCH_EXTENSIONS_DIR": os.environ.get("TORCH_EXTENSIONS_DIR",
                                                  str(Path.home() / ".cache" / "rsvlm" / "torch_extensions"))}
    cmd = [sys.executable, str(REPO / "scripts" / "launch.py"), str(REPO / "configs" / "train" / "sft_tiny.yaml"),
           "--gpus-per-node", "2", "--launcher", "torchrun", "--master-port", str(free_port()), "batch_size=2",
           f"data.train={make_records(tmp_path / 'd', n=16)}", f"dist.deepspeed={REPO / 'configs/deepspeed/zero2.json'}",
           f"out_dir={out}", "max_steps=100000", "ckpt.every=1", "ckpt.keep=1", "log.progress=false"]
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True,  # its own process group: the SIGINT a terminal sends
                            # a suite run as a background job inherits SIGINT ignored
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        deadline = time.monotonic() + 240
        while not list((out / "checkpoints").glob("step_*[0-9]")) and time.monotonic() < deadline:
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.1)
        os.killpg(proc.pid, signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130, stderr
    last = sorted(p for p in (out / "checkpoints").glob("step_*") if not p.name.endswith(".tmp"))[-1]
    lines = [ln for ln in stderr.splitlines() if ln.strip()]
    assert lines[-1] == f"launch: interrupted; continue from {last} with ckpt.resume=auto", stderr
    assert "Traceback" not in stderr and "terminate called" not in stderr, stderr
    assert "nothing is lost" not in stderr and stderr.count("Ctrl-C after step") <= 1, stderr
    assert stderr.count("continue from") == 1, stderr  # the launcher's line alone (rank 0 said it too)
    assert "built successfully" not in stdout + stderr
    import deepspeed.ops

    if deepspeed.ops.__compatible_ops__.get("deepspeed_shm_comm", False):  # the op DeepSpeed builds on CPU
        said = (out / "setup.log").read_text()
        assert "[rank 0] DeepSpeed" in said and "[rank 1] DeepSpeed" in said, said
