"""Training tour 72: every missing path of a recipe named in one message (launcher and rsvlm train),
dist.backend=nccl refused on a GPU-less single-node launch host, and a DeepSpeed step folder's persistent
buffers carried by its export."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from script_loader import load_script
from torchrun_helpers import torchrun_shell

REPO = Path(__file__).resolve().parents[1]
SFT = REPO / "configs" / "train" / "sft_tiny.yaml"


def test_the_launcher_names_every_missing_path_of_a_recipe_at_once(tmp_path, monkeypatch, capsys):
    """qwen2.5-7b-sft named data.train missing; fixed, the ranks named the encoder weights, then the LLM, then
    init_from: one run per path. Now one message names them all."""
    launch = load_script("launch", monkeypatch)
    monkeypatch.chdir(REPO)
    gone = tmp_path / "gone"
    code = launch.main([str(SFT), "--gpus-per-node", "1", "--launcher", "torchrun", f"out_dir={tmp_path}/run",
                        f"data.train={gone}/train.jsonl", f"data.root={gone}/images", f"init_from={gone}/align",
                        f"model.encoders.default.pretrained={gone}/clip.safetensors"])
    err = capsys.readouterr().err
    assert code == 2
    assert "launch: 4 paths the config names are not there (fix them all, then run again):" in err
    for said in (f"{gone}/clip.safetensors not found (model.encoders.default.pretrained", f"data.train: records "
                 f"file not found: {gone}/train.jsonl", f"data.root: {gone}/images is not there",
                 f"init_from: no {gone}/align/vision.safetensors"):
        assert said in err


def test_rsvlm_train_names_every_missing_path_at_once(tmp_path, monkeypatch):
    """rsvlm train's preflight: the same message, before anything is built (it named data.train, then the next)."""
    from rsvlm.config import load_config
    from rsvlm.train.config import TrainConfig
    from rsvlm.train.run import preflight

    cfg = load_config(TrainConfig, SFT, [f"out_dir={tmp_path}/run", f"data.train={tmp_path}/none.jsonl",
                                         f"init_from={tmp_path}/align", "dist.deepspeed=configs/deepspeed/zero9.json"])
    monkeypatch.chdir(REPO)
    with pytest.raises(FileNotFoundError, match=r"^3 paths the config names are not there") as e:
        preflight(cfg)
    assert "dist.deepspeed: configs/deepspeed/zero9.json not found" in str(e.value)
    assert f"data.train: records file not found: {tmp_path}/none.jsonl" in str(e.value)


def test_one_missing_path_is_said_as_before(tmp_path):
    """One path missing: the ordered check's own words (data.train's), not a list of one."""
    from rsvlm.config import load_config
    from rsvlm.train.config import TrainConfig
    from rsvlm.train.inputs import check_paths_at_once

    cfg = load_config(TrainConfig, SFT, [f"data.train={tmp_path}/none.jsonl"])
    check_paths_at_once(cfg)  # nothing said: check_data_paths says it


def test_nccl_on_a_gpu_less_single_node_launch_is_refused_by_the_launcher(tmp_path, monkeypatch, capsys):
    """Each rank failed with a long NCCL error; the launch host is the ranks' host on one node."""
    launch = load_script("launch", monkeypatch)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.chdir(REPO)
    code = launch.main([str(SFT), "--gpus-per-node", "2", "--launcher", "torchrun", "batch_size=2",
                        f"out_dir={tmp_path}/run", "dist.backend=nccl", "dist.deepspeed=configs/deepspeed/zero2.json"])
    err = capsys.readouterr().err
    assert code == 2
    assert "launch: dist.backend=nccl needs CUDA, and no GPU is visible on this host" in err
    assert "use dist.backend=gloo" in err


@pytest.mark.parametrize("nodes", [1, 2])
def test_nccl_is_checked_on_the_launch_host_only_on_one_node(tmp_path, monkeypatch, nodes):
    """On several nodes this host may be a login node without GPUs: its CUDA says nothing of the nodes'."""
    launch = load_script("launch", monkeypatch)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(launch, "check_here", lambda cfg, world: None)  # the records' checks: not this test's
    monkeypatch.chdir(REPO)
    records = tmp_path / "train.jsonl"
    records.write_text("{}\n")
    args = (SFT, "torchrun", nodes, 2 // nodes)
    over = ["dist.backend=nccl", "batch_size=2", "dist.deepspeed=configs/deepspeed/zero2.json",
            f"data.train={records}", f"out_dir={tmp_path}/run"]
    if nodes == 1:
        with pytest.raises(ValueError, match="dist.backend=nccl needs CUDA"):
            launch.build(*args, overrides=over, check_out=True)
    else:
        assert launch.build(*args, master_addr="node1", overrides=over, check_out=True).world_size == 2


class Buffered(torch.nn.Module):
    """A Linear with two persistent buffers its forward updates (a running mean and a count)."""

    def __init__(self):
        super().__init__()
        self.lin = torch.nn.Linear(4, 4)
        self.register_buffer("seen", torch.zeros(3))
        self.register_buffer("count", torch.tensor(0))

    def forward(self, x):  # x (1, 4)
        self.seen += x.mean()
        self.count += 1
        return self.lin(x).pow(2).mean()


SAVE = """
import sys, torch, deepspeed
from pathlib import Path
sys.path.insert(0, {tests!r})
from test_train_tour72 import Buffered
deepspeed.init_distributed("gloo")
torch.manual_seed(0)
model = Buffered()
opt = torch.optim.AdamW(model.parameters(), lr=0.1)
engine, *_ = deepspeed.initialize(model=model, optimizer=opt, config={{"train_micro_batch_size_per_gpu": 1,
    "gradient_accumulation_steps": 1, "zero_optimization": {{"stage": {stage}}}}})
for _ in range(2):
    loss = engine(torch.ones(1, 4))
    engine.backward(loss)
    engine.step()
engine.save_checkpoint({out!r} + "/deepspeed", tag="state", save_latest=False)
torch.save(dict(engine.module.state_dict()), {out!r} + "/want.pt")
"""


@pytest.mark.parametrize("stage", [2, 3])
def test_a_deepspeed_steps_persistent_buffers_are_carried_into_the_export(tmp_path, stage):
    """zero_to_fp32 gives a model's persistent buffers beside its trainable parameters: the export refused them
    ('trainable parameters differ … extra ['count', 'seen']'); now they are copied in, in their own dtype."""
    pytest.importorskip("deepspeed")
    from rsvlm.train.checkpoint import load_trainable
    from rsvlm.train.deepspeed_config import zero_trainable

    step = tmp_path / "step_000002"
    step.mkdir()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "RANK": "0", "LOCAL_RANK": "0", "WORLD_SIZE": "1", "MASTER_ADDR": "127.0.0.1",
           "MASTER_PORT": str(port), "OMP_NUM_THREADS": "1"}
    code = SAVE.format(tests=str(REPO / "tests"), stage=stage, out=str(step))
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    want = torch.load(step / "want.pt", weights_only=True)
    model = Buffered()
    load_trainable(step, model, zero_trainable(step))
    got = model.state_dict()
    assert set(got) == set(want) == {"lin.weight", "lin.bias", "seen", "count"}
    for name in want:
        torch.testing.assert_close(got[name], want[name])
    assert got["count"].dtype == torch.int64 and int(got["count"]) == 2


RANK = """
import pathlib, signal, sys, time
def stop(signum, frame):
    pathlib.Path(sys.argv[1], "stopped").write_text("yes")
    sys.exit(143)
signal.signal(signal.SIGTERM, stop)
pathlib.Path(sys.argv[1], "up").write_text("yes")
time.sleep(120)
"""


def test_a_sigterm_to_torchrun_ends_it_with_143_and_no_traceback(tmp_path, monkeypatch):
    """torchrun passed a scheduler's SIGTERM on to its ranks, then printed its SignalException's ~30-line traceback
    before the launcher's one line; run as the launcher runs it, it stops with status 143 and no traceback."""
    import signal
    import time

    launch = load_script("launch", monkeypatch)
    shell, _ = torchrun_shell(launch, tmp_path, RANK, f" {tmp_path}")
    assert "SignalException" in shell  # the console script run as its own main
    proc = subprocess.Popen(shell, shell=True, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "OMP_NUM_THREADS": "1"})
    try:
        deadline = time.monotonic() + 90
        while not (tmp_path / "up").exists():
            assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read()
            time.sleep(0.2)
        proc.send_signal(signal.SIGTERM)  # exec: the shell is torchrun's process
        err = proc.communicate(timeout=60)[1]
    finally:
        if proc.poll() is None:
            proc.kill()
    assert (tmp_path / "stopped").exists()  # passed on to the rank
    assert proc.returncode == 143 and "Traceback" not in err, err


@pytest.mark.parametrize("path", sorted((REPO / "configs").rglob("*.yaml")), ids=lambda p: p.name)
def test_every_config_opens_with_a_one_line_summary(path):
    """qlora_tiny.yaml's opening sentence ran over three comment lines, sft_tiny's two, align.yaml's first line
    held a sentence and a half: each config's first line is now one sentence saying what it is."""
    first = path.read_text().splitlines()[0]
    assert first.startswith("# ") and first.endswith(".") and len(first) <= 110, f"{path.name}: {first!r}"
    assert ". " not in first[2:], f"{path.name}: more than one sentence on its first line: {first!r}"


def test_a_done_data_stage_made_with_other_settings_says_so_when_skipped(monkeypatch, tmp_path, capsys):
    """A rebuild with warmup_scenes=40 after one of 20 skipped the done data stage with no word, and the warm-up
    stage trained on the 20 scenes' records (or refused them three stages later)."""
    b = load_script("build_default_model", monkeypatch)
    stages = sys.modules["build_stages"]
    monkeypatch.setattr(b, "STAGES", {n: lambda out, bc, scale: None for n in b.STAGES})
    then = b.BuildConfig(warmup_scenes=20)
    for split, file, n, seed, cfg in stages.data_splits(then):  # as the first build's data stage left them
        target = tmp_path / "data" / split / f"{file}.jsonl"
        stages.record_args(target, stages.split_args(then, n, seed, cfg))
    (tmp_path / "data" / "DONE").write_text('{"minutes": 1.0, "scale": 1.0}')
    assert b.main(["--out", str(tmp_path), "--only", "data", "warmup_scenes=20"]) == 0
    assert "note" not in capsys.readouterr().out
    assert b.main(["--out", str(tmp_path), "--only", "data", "warmup_scenes=40"]) == 0
    out = capsys.readouterr().out
    assert "data: done before, skipped" in out and "note: its split warmup (n 20, now 40) was made with other " \
        "settings than this build asks for" in out and "delete its DONE to redo it" in out, out


def test_a_split_made_again_leaves_no_old_args_file_for_data_gen_to_find(monkeypatch, tmp_path):
    """A redone split's train.jsonl.args.json (the build's record of its settings) was still beside the scenes when
    data_gen synth ran, which said the folder "also holds 1 records file(s) this run did not write (first:
    train.jsonl.args.json) … make those files again": a false alarm in every rebuild of other settings."""
    b = load_script("build_default_model", monkeypatch)
    stages = sys.modules["build_stages"]
    then = b.BuildConfig(warmup_scenes=20)
    for split, file, n, seed, cfg in stages.data_splits(then):
        target = tmp_path / "data" / split / f"{file}.jsonl"
        target.parent.mkdir(parents=True)
        target.write_text("{}\n")
        stages.record_args(target, stages.split_args(then, n, seed, cfg))
    seen = {}

    def run(cmd, env_threads=None):
        if "synth" in cmd:
            folder = Path(cmd[cmd.index("--out") + 1])
            seen[folder.name] = sorted(p.name for p in folder.iterdir())

    monkeypatch.setattr(stages, "run", run)
    b.stage_data(tmp_path, b.BuildConfig(warmup_scenes=40), 1.0)
    assert seen == {"warmup": ["train.jsonl"]}  # the one split made again; its old settings' record gone
    assert (tmp_path / "data" / "warmup" / "train.jsonl.args.json").is_file()  # written again once made


def test_the_builds_stop_token_line_names_every_token_it_lists(monkeypatch, ckpt, tmp_path, capsys):
    """The merge stages said "generation stops at token(s) [2, 261] (['<|'])": two ids, one name (the EOS left
    unnamed)."""
    import shutil

    load_script("build_default_model", monkeypatch)  # build_stages beside it, as the build imports it
    stages = sys.modules["build_stages"]
    model = tmp_path / "model"
    shutil.copytree(ckpt, model)
    ids = stages.stop_on_turn_end(model)
    line = [s for s in capsys.readouterr().out.splitlines() if "generation stops at" in s][0]
    names = line[line.index("(") + 1:line.rindex(")")]
    assert len(ids) >= 2 and names.count("'") == 2 * len(ids), line


def test_a_build_stopped_by_sigterm_says_how_to_resume(monkeypatch, tmp_path, capsys):
    """kill BUILD (or a scheduler's notice) stopped the running stage and exited 143 with no line at all, where
    Ctrl-C said "the same command resumes from the stage it stopped in"."""
    import signal

    b = load_script("build_default_model", monkeypatch)
    monkeypatch.setattr(b, "STAGES", {"one": lambda out, bc, scale: os.kill(os.getpid(), signal.SIGTERM)})
    assert b.main(["--out", str(tmp_path), "--only", "one"]) == 143
    err = capsys.readouterr().err
    assert "build: stopped by SIGTERM; the same command resumes from the stage it stopped in" in err, err
    assert (tmp_path / "one" / "SPENT").is_file() and not (tmp_path / "one" / "DONE").exists()
