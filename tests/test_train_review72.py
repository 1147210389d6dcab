"""Training review 72: torchrun's console script run as its own main from a venv whose path is too long for a
shebang (pip's and uv's ``#!/bin/sh`` form), a rank's failure still ending in torchrun's ChildFailedError summary,
a cached hub name never called a missing path, deepspeed's own CUDA_VISIBLE_DEVICES left out of the launch host's
GPU check, and a DeepSpeed step's buffers carried by ``export_step`` itself."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from script_loader import load_script
from torchrun_helpers import torchrun_shell

REPO = Path(__file__).resolve().parents[1]
SFT = REPO / "configs" / "train" / "sft_tiny.yaml"
CONSOLE = "# -*- coding: utf-8 -*-\nimport re\nimport sys\nfrom torch.distributed.run import main\n" \
          "if __name__ == '__main__':\n    sys.exit(main())\n"


def console_script(folder: Path, head: str) -> Path:
    path = folder / "torchrun"
    path.write_text(head + CONSOLE)
    path.chmod(0o755)
    return path


def test_torchrun_of_a_venv_too_long_for_a_shebang_still_starts(tmp_path, monkeypatch):
    """pip and uv write '#!/bin/sh' and an exec line where the Python's path is over 127 characters or holds a
    space: that was taken for torchrun's Python, /bin/sh ran the Python code ('import: not found') and no rank
    started. torchrun's usage also named '-c'."""
    launch = load_script("launch", monkeypatch)
    exe = console_script(tmp_path, f"#!/bin/sh\n'''exec' \"{sys.executable}\" \"$0\" \"$@\"\n' '''\n")
    shell = launch.launcher_shell(str(exe), " --help")
    assert shell.startswith(f"exec {sys.executable} -c ")
    done = subprocess.run(shell, shell=True, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.startswith("usage: torchrun "), done.stderr[-2000:]


def test_a_console_scripts_python_is_found_in_each_form(tmp_path, monkeypatch):
    """The plain shebang (with an option), '#!/usr/bin/env python3' and the /bin/sh form give the Python; a shell
    script or a Python not there is run as it is."""
    launch = load_script("launch", monkeypatch)
    py = sys.executable
    assert launch.script_python(f"#!{py}\n") == [py]
    assert launch.script_python(f"#! {py} -s\n") == [py, "-s"]
    monkeypatch.setenv("PATH", str(Path(py).parent))
    assert launch.script_python(f"#!/usr/bin/env {Path(py).name}\n") == [str(Path(py))]
    assert launch.script_python(f"#!/bin/sh\n'''exec' {py} \"$0\" \"$@\"\n' '''\n") == [py]
    assert launch.script_python("#!/bin/sh\nexec python -m torch.distributed.run \"$@\"\n") is None
    assert launch.script_python(f"#!{tmp_path}/python\n") is None
    exe = console_script(tmp_path, f"#!{tmp_path}/python\n")
    assert launch.launcher_shell(str(exe), " --help") == f"exec {exe} --help"


RANK = "raise RuntimeError('rank 0 broke')\n"


def test_a_failed_rank_still_ends_in_torchruns_failure_summary(tmp_path, monkeypatch):
    """Run as its own main, torchrun must still say which rank failed, how and where (its ChildFailedError
    summary): only a signal's SignalException is turned into an exit status."""
    launch = load_script("launch", monkeypatch)
    shell, rank = torchrun_shell(launch, tmp_path, RANK)
    assert " -c " in shell  # run as its own main
    done = subprocess.run(shell, shell=True, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert done.returncode == 1, done.stderr[-3000:]
    for said in ("RuntimeError: rank 0 broke", "ChildFailedError", f"{rank} FAILED", "Root Cause"):
        assert said in done.stderr, done.stderr[-3000:]


def fake_hub_cache(root: Path, name: str) -> None:
    """The Hugging Face cache's layout for hub name ``name`` holding a config.json."""
    repo = root / f"models--{name.replace('/', '--')}"
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text("abc")
    (repo / "snapshots" / "abc").mkdir(parents=True)
    (repo / "snapshots" / "abc" / "config.json").write_text("{}")


def test_a_cached_hub_name_is_no_missing_path_offline(tmp_path, monkeypatch):
    """The LLM is loaded "from a local path or a hub name": offline, a hub name the cache holds is there; one it
    does not hold is named, as check_model_files names it."""
    import huggingface_hub.constants as hub

    from rsvlm.config import load_config
    from rsvlm.train.config import TrainConfig
    from rsvlm.train.inputs import check_paths_at_once

    monkeypatch.setattr(hub, "HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setattr(hub, "HF_HUB_OFFLINE", True)
    fake_hub_cache(tmp_path / "hub", "Qwen/Qwen2.5-1.5B")
    gone = [f"data.train={tmp_path}/none.jsonl", f"data.root={tmp_path}/images"]
    cfg = load_config(TrainConfig, SFT, ["model.llm.name_or_path=Qwen/Qwen2.5-1.5B", "model.llm.config=null", *gone])
    with pytest.raises(FileNotFoundError, match=r"^2 paths the config names are not there") as e:
        check_paths_at_once(cfg)
    assert "Qwen" not in str(e.value)
    cfg = load_config(TrainConfig, SFT, ["model.llm.name_or_path=Qwen/Qwen2.5-7B", "model.llm.config=null", *gone])
    with pytest.raises(FileNotFoundError, match=r"^3 paths") as e:
        check_paths_at_once(cfg)
    assert "model.llm.name_or_path: Qwen/Qwen2.5-7B is a hub name (no such local folder) whose files are not in the " \
           "Hugging Face cache, and HF_HUB_OFFLINE is set" in str(e.value)


def test_an_absolute_deepspeed_path_is_not_said_relative(tmp_path):
    """'not found (relative to the working directory …)' was said of an absolute dist.deepspeed too."""
    from rsvlm.config import load_config
    from rsvlm.train.config import TrainConfig
    from rsvlm.train.inputs import check_paths_at_once

    cfg = load_config(TrainConfig, SFT, [f"data.train={tmp_path}/none.jsonl", f"dist.deepspeed={tmp_path}/z.json"])
    with pytest.raises(FileNotFoundError) as e:
        check_paths_at_once(cfg)
    assert f"dist.deepspeed: {tmp_path}/z.json not found\n" in str(e.value) + "\n"


@pytest.mark.parametrize("launcher, refused", [("deepspeed", False), ("torchrun", True)])
def test_a_gpu_hiding_cuda_visible_devices_is_left_to_deepspeed(monkeypatch, launcher, refused):
    """deepspeed --num_gpus drops CUDA_VISIBLE_DEVICES and gives each rank GPUs of its own: this process seeing
    none (CUDA_VISIBLE_DEVICES=-1, a scheduler's NoDevFiles) says nothing of its ranks; torchrun's ranks inherit it."""
    from rsvlm.config import load_config
    from rsvlm.train.config import TrainConfig

    launch = load_script("launch", monkeypatch)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "-1")
    cfg = load_config(TrainConfig, SFT, ["dist.backend=nccl"])
    if refused:
        with pytest.raises(ValueError, match="dist.backend=nccl needs CUDA"):
            launch.check_host_devices(cfg, launcher)
    else:
        launch.check_host_devices(cfg, launcher)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")  # deepspeed keeps an empty one, and its ranks see no GPU
    with pytest.raises(ValueError, match="dist.backend=nccl needs CUDA"):
        launch.check_host_devices(cfg, launcher)


class WithBuffers(torch.nn.Module):
    """A Linear with a float and an int64 persistent buffer, saved as rsvlm's model is (``save_pretrained``)."""

    saved: dict = {}

    def __init__(self):
        super().__init__()
        self.lin = torch.nn.Linear(2, 2)
        self.register_buffer("mean", torch.zeros(2, dtype=torch.bfloat16))
        self.register_buffer("count", torch.tensor(0))

    def save_pretrained(self, out, adapter_only=False):
        Path(out).mkdir(parents=True, exist_ok=True)
        WithBuffers.saved = {k: v.clone() for k, v in self.state_dict().items()}


def test_export_step_carries_a_deepspeed_steps_buffers(tmp_path, monkeypatch):
    """The export (scripts/export_step.py → loop.export_step) itself, not only checkpoint.load_trainable: it refused
    "trainable parameters differ … extra ['count', 'mean']"."""
    import rsvlm.train.deepspeed_config as dsc
    from rsvlm.config import load_config, save_config
    from rsvlm.train import loop
    from rsvlm.train.config import TrainConfig

    step = tmp_path / "step_000002"
    (step / "deepspeed").mkdir(parents=True)
    save_config(load_config(TrainConfig, SFT, []), step / "train_config.yaml")
    state = {"lin.weight": torch.ones(2, 2), "lin.bias": torch.full((2,), 2.0), "mean": torch.tensor([0.5, 1.5]),
             "count": torch.tensor(7)}
    monkeypatch.setattr(dsc, "zero_trainable", lambda folder: dict(state))
    monkeypatch.setattr(loop, "build_model", lambda cfg, device: (WithBuffers(), None))
    monkeypatch.setattr(loop, "fill_note", lambda folder, model, use="resume": None)  # the fake holds no LLM, so no spare rows
    loop.export_step(step, tmp_path / "out")
    got = WithBuffers.saved
    for name, want in state.items():
        assert torch.equal(got[name].float(), want.float()), name
    assert got["mean"].dtype == torch.bfloat16 and got["count"].dtype == torch.int64
