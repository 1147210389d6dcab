"""Helpers for the training tests (no tests here): tiny data in tmp_path and tiny recipes."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import yaml

REPO = Path(__file__).resolve().parents[1]
COLOURS = {"red": (220, 30, 30), "green": (30, 200, 40), "blue": (30, 40, 220)}


def make_records(root: Path, n: int = 24, seed: int = 0, corrupt: int = 0, ir_every: int = 4) -> Path:
    """``root/train.jsonl`` with n records over PNG images (optical RGB; every ir_every-th a 1-band ir).

    Tasks cls / cap / vqa with answers the image decides, so the loss can fall. The first
    ``corrupt`` records point at truncated PNG files.
    """
    from PIL import Image

    rng = np.random.default_rng(seed)
    (root / "images").mkdir(parents=True, exist_ok=True)
    lines = []
    for i in range(n):
        name = list(COLOURS)[i % 3]
        ir = ir_every and i % ir_every == ir_every - 1
        arr = np.clip(np.array(COLOURS[name])[None, None] + rng.normal(0, 10, (32, 32, 3)), 0, 255).astype(np.uint8)
        path = root / "images" / f"im{i}.png"
        if ir:
            Image.fromarray(arr[..., 0]).save(path)
        else:
            Image.fromarray(arr).save(path)
        if i < corrupt:
            data = path.read_bytes()
            path.write_bytes(data[: len(data) // 3])
        task = ("cls", "cap", "vqa")[i % 3]
        q = {"cls": "[cls] What scene is this?", "cap": "[cap] Describe the image.",
             "vqa": "[vqa] What colour dominates?"}[task]
        a = {"cls": f"{name} field", "cap": f"A {name} area " + "seen from above. " * (i % 4),
             "vqa": name}[task]
        lines.append({"id": f"rec{i}", "images": [{"path": f"images/im{i}.png", **({"modality": "ir", "bands": ["TIR"]} if ir else {"modality": "optical"})}],
                      "conversations": [{"from": "human", "value": "<image>\n" + q}, {"from": "gpt", "value": a}],
                      "task": task})
    out = root / "train.jsonl"
    out.write_text("".join(json.dumps(r) + "\n" for r in lines))
    return out


def recipe(tmp: Path, name: str = "sft_tiny.yaml", **top) -> Path:
    """A copy of configs/train/NAME with top-level keys replaced (nested dicts merge one level)."""
    data = yaml.safe_load((REPO / "configs" / "train" / name).read_text())
    for k, v in top.items():
        if isinstance(v, dict) and isinstance(data.get(k), dict):
            data[k] = {**data[k], **v}
        else:
            data[k] = v
    path = tmp / f"cfg_{name}"
    path.write_text(yaml.safe_dump(data))
    return path


def torchrun(cfg_path: Path, *overrides: str) -> subprocess.CompletedProcess:
    """``rsvlm.train`` on two CPU processes (gloo, one thread each) under torchrun, as users launch it."""
    env = {**os.environ, "OMP_NUM_THREADS": "1",
           "TORCH_EXTENSIONS_DIR": os.environ.get("TORCH_EXTENSIONS_DIR",
                                                  str(Path.home() / ".cache" / "rsvlm" / "torch_extensions"))}
    with socket.socket() as sock:  # a free port (torchrun's port 0 does not reach the workers)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    args = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_addr", "127.0.0.1",
            "--master_port", str(port),
            "-m", "rsvlm.train", "--config", str(cfg_path), "log.progress=false", *overrides]
    return subprocess.run(args, cwd=REPO, env=env, capture_output=True, text=True, timeout=900)


def two_ranks(fn, tmp_path: Path, timeout_s: float = 180) -> None:
    """Run ``fn(rank, 2, store, results)`` on two forked processes (a file store under ``tmp_path``,
    results written under it); fail the test, killing both, if they have not finished in ``timeout_s``."""
    import time

    import pytest
    import torch.multiprocessing as mp

    procs = mp.start_processes(fn, args=(2, str(tmp_path / "store"), str(tmp_path)), nprocs=2, join=False,
                               start_method="fork")
    deadline = time.monotonic() + timeout_s
    while not procs.join(timeout=1):
        if time.monotonic() > deadline:
            for proc in procs.processes:
                proc.kill()
            pytest.fail(f"the two processes did not finish within {timeout_s:g} s")


@contextlib.contextmanager
def sigterm_once(path: Path, timeout_s: float = 300):
    """``with sigterm_once(path):`` this process gets SIGTERM, from a thread, once ``path`` exists (a run's first
    metrics line), or after ``timeout_s`` (a run that hangs: 60 s was short for a loaded machine's first step);
    never after the block: a run that ended without it (a failure) must not stop a later test (the default
    handler would end the whole session). One sent just as the run ended, after its handler was put back, is
    taken by a no-op handler this block holds, not the default; the test's own asserts say the run missed it."""
    import signal
    import threading
    import time

    done, lock = threading.Event(), threading.Lock()
    previous = signal.signal(signal.SIGTERM, lambda *_: None)  # the run's own handler stands in front while it runs

    def scheduler():
        deadline = time.monotonic() + timeout_s
        while not path.is_file() and not done.is_set() and time.monotonic() < deadline:
            time.sleep(0.01)
        with lock:
            if not done.is_set():
                os.kill(os.getpid(), signal.SIGTERM)

    thread = threading.Thread(target=scheduler, daemon=True)
    thread.start()
    try:
        yield
    finally:
        with lock:  # a kill already sent lands here, in this test, at the latest
            done.set()
        thread.join()
        signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)  # None: set outside Python


def sigterm_to_launch(tmp_path: Path, torchrun_script: str, out_dir: Path, wait_s: float = 120) -> tuple[int, str]:
    """(status, stderr) of scripts/launch.py run through a stand-in ``torchrun`` (``torchrun_script``, a shell
    script that writes ``tmp_path/up`` once it runs, then loops), sent SIGTERM alone (as ``scancel --batch`` or
    ``kill PID`` sends it) once ``up`` is there; AssertionError with its stderr where ``up`` is not there in
    ``wait_s`` seconds or launch.py ends first. The whole session is killed after: a launch.py the SIGTERM
    ended left the stand-in looping for ever."""
    import signal
    import time

    fake = tmp_path / "bin" / "torchrun"
    fake.parent.mkdir()
    fake.write_text(torchrun_script)
    fake.chmod(0o755)
    cfg = tmp_path / "r.yaml"
    cfg.write_text("# global_batch: 4\n" + recipe(tmp_path, out_dir=str(out_dir)).read_text())
    data = make_records(tmp_path / "d", n=4, ir_every=0)  # one global batch: launch.py reads the records first
    proc = subprocess.Popen([sys.executable, str(REPO / "scripts/launch.py"), str(cfg), "--launcher", "torchrun",
                             "--gpus-per-node", "1", f"data.train={data}"],
                            env={**os.environ, "PATH": f"{fake.parent}:{os.environ['PATH']}"},
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True)
    up, err = tmp_path / "up", None
    try:
        deadline = time.monotonic() + wait_s
        while not up.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        if up.exists():
            proc.send_signal(signal.SIGTERM)
            err = proc.communicate(timeout=30)[1]
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    # stderr read once the session is killed: read while launch.py ran (no 'up' in time), it hung for ever
    assert err is not None, f"no {up} in {wait_s} s, or launch.py ended first (status {proc.returncode}): " + (
        proc.stderr.read())
    return proc.returncode, err
