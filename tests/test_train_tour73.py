"""Stop 73, area train: the default-model page split, the weighted-group note's advice order, records read
once per build, buffers kept in a step folder, a SIGTERM before the stages, and the tour's messages."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import torch

REPO = Path(__file__).resolve().parents[1]


def test_the_why_targets_are_missed_analysis_is_a_page_of_its_own_and_the_model_page_a_short_overview():
    main = (REPO / "docs" / "default-model.md").read_text()
    page = (REPO / "docs" / "default-model" / "why-targets-are-missed.md").read_text()
    assert len(main.splitlines()) < 650  # was 977
    section = main.split("\n## Why targets are missed\n", 1)[1].split("\n## ", 1)[0]
    assert "](default-model/why-targets-are-missed.md)" in section and len(section.splitlines()) < 25
    for item in range(1, 8):  # the causes the split pages cite by number ("item 4", "next step 5")
        assert re.search(rf"^{item}\. \*\*", page, re.M), item
    assert "Done so far" in page and "](../default-model.md)" in page


def test_a_rarely_drawn_weighted_group_is_told_to_raise_its_weight_first_naming_the_key_and_value():
    """The note put 'add records' (the costliest) first and never named the weight a user would edit."""
    from rsvlm.train.data import undrawn_groups

    groups = ["optical"] * 40 + ["ir"] * 160
    weights = np.array([0.9 / 40] * 40 + [0.1 / 160] * 160)  # ir: 20 of 200 draws an epoch
    (note,) = undrawn_groups(groups, weights, 32)
    advice = note.split("(batches hold one modality); ", 1)[1]
    assert advice.startswith("raise its weight (data.modality_weights: {ir: 1.8}"), advice
    order = [advice.index(s) for s in ("raise its weight", "lower batch_size", "data.batching=naive", "add records")]
    assert order == sorted(order), advice
    share = 1.8 * 0.1 / (1.8 * 0.1 + 0.9)  # the named factor does give one global batch an epoch
    assert share * 200 >= 32
    (plain,) = undrawn_groups(["optical"] * 7 + ["ir"], None, 4, world_size=2)  # no weights: no weight named
    assert "weight" not in plain and plain.endswith("lower batch_size, or add records of it")


def test_a_sigterm_before_the_first_stage_says_nothing_was_saved_and_the_command_to_rerun(monkeypatch, tmp_path,
                                                                                        capsys):
    """`kill BUILD` while it read its settings exited 143 with no word at all."""
    import os
    import signal

    from script_loader import load_script

    b = load_script("build_default_model", monkeypatch)
    real_lock = b.lock_folder

    def lock_then_term(out):
        os.kill(os.getpid(), signal.SIGTERM)  # the handler main installed raises SystemExit(143) here
        return real_lock(out)

    monkeypatch.setattr(b, "lock_folder", lock_then_term)
    monkeypatch.setattr(b, "STAGES", {n: (lambda *_: pytest.fail("a stage ran")) for n in b.STAGES})
    assert b.main(["--out", str(tmp_path / "out")]) == 143
    err = capsys.readouterr().err
    assert "build: stopped by SIGTERM before its first stage began" in err and "nothing was saved" in err, err
    assert "run the same command again" in err
    with pytest.raises(SystemExit) as e:  # a usage error is still exit 2, not taken for a SIGTERM
        b.main(["--out", str(tmp_path / "out"), "no_such_key=1"])
    assert e.value.code == 2


class _Running(torch.nn.Module):
    """A Linear with a persistent running mean its forward updates, and a non-persistent scratch buffer."""

    def __init__(self):
        super().__init__()
        self.lin = torch.nn.Linear(4, 4)
        self.register_buffer("mean", torch.zeros(4))
        self.register_buffer("count", torch.tensor(0))
        self.register_buffer("scratch", torch.zeros(2), persistent=False)

    def forward(self, x):  # x (B, 4)
        self.mean.mul_(0.9).add_(0.1 * x.mean(0))
        self.count += 1
        return self.lin(x).pow(2).mean()


def test_a_plain_step_folder_keeps_the_persistent_buffers_a_resume_needs(tmp_path):
    """Without DeepSpeed a step folder held the trainable parameters only: a running statistic resumed at its
    build value."""
    from rsvlm.train import checkpoint as ckpt

    torch.manual_seed(0)
    model = _Running()
    opt = torch.optim.AdamW(model.parameters(), lr=0.1)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 1.0)
    for _ in range(3):
        model(torch.randn(2, 4)).backward()
        opt.step(), sched.step(), opt.zero_grad()
    ckpt.save_plain(tmp_path, model, opt, sched)
    saved = ckpt.read_tensors(tmp_path / "trainable.safetensors")
    assert set(saved) == {"lin.weight", "lin.bias", "mean", "count"}  # not the non-persistent scratch
    fresh = _Running()
    fresh_opt = torch.optim.AdamW(fresh.parameters(), lr=0.1)
    ckpt.load_plain(tmp_path, fresh, fresh_opt, torch.optim.lr_scheduler.LambdaLR(fresh_opt, lambda s: 1.0))
    for name, want in model.state_dict().items():
        torch.testing.assert_close(fresh.state_dict()[name], want)
    assert fresh.count.dtype == torch.int64 and int(fresh.count) == 3
    from safetensors.torch import save_file

    save_file({k: v for k, v in saved.items() if k.startswith("lin.")}, str(tmp_path / "trainable.safetensors"))
    ckpt.load_trainable(tmp_path, _Running())  # a folder saved before: the parameters alone still load
    bad = {**saved, "mean": torch.zeros(5)}
    with pytest.raises(ValueError, match=r"1 trainable tensor or buffer of another shape.*mean \(5,\) "
                                         r"\(this model \(4,\)\)"):
        ckpt.load_trainable(tmp_path, _Running(), bad)


def test_a_build_reads_each_records_file_once_for_its_batch_checks(monkeypatch, tmp_path):
    """The check after the data stage read each stage's records once a stage, and each stage read them again as it
    started: 12 reads of 3 files (train.jsonl 6 times) for a build of the data and the seven training stages."""
    import sys
    from collections import Counter

    from script_loader import load_script
    from test_train_utils import make_records

    b = load_script("build_default_model", monkeypatch)
    checks, stages = sys.modules["build_checks"], sys.modules["build_stages"]
    ran, reads, real = [], Counter(), checks.read_groups

    def counted(path, root):
        reads[Path(path).parent.name] += 1
        return real(path, root)

    monkeypatch.setattr(checks, "read_groups", counted)
    monkeypatch.setattr(stages, "run", lambda cmd, **_: ran.append(cmd))

    def data(out, bc, scale):
        for split in ("train", "warmup", "multi"):
            make_records(out / "data" / split, n=40, ir_every=0)

    monkeypatch.setitem(b.STAGES, "data", data)
    names = ["data", *b.TRAIN_STAGES]
    bc = b.BuildConfig(extra={n: ["batch_size=4"] for n in b.TRAIN_STAGES})
    b.build(tmp_path / "out", bc, 1.0, names, False, False)
    assert len(ran) == len(b.TRAIN_STAGES)  # every stage ran (its command), each checked
    assert reads == {"train": 1, "warmup": 1, "multi": 1}, reads
    (tmp_path / "out" / "data" / "warmup" / "train.jsonl").write_text("")  # made again: read again
    reads.clear()
    with pytest.raises(ValueError, match="stage ground_warmup: no usable record in"):
        b.STAGES["ground_warmup"](tmp_path / "out", bc, 1.0, checks.RecordReads())
    assert reads == {"warmup": 1}


def test_sft_tinys_two_process_launch_command_as_its_header_gives_it_is_accepted(monkeypatch, capsys, tmp_path):
    """The header's `scripts/launch.py … --gpus-per-node 2 --launcher torchrun batch_size=2` was refused: the LM
    loop on several processes needs dist.deepspeed, which the command left out."""
    import shlex

    from script_loader import load_script

    sft = REPO / "configs" / "train" / "sft_tiny.yaml"
    header = " ".join(line.lstrip("# ").rstrip() for line in sft.read_text().splitlines() if line.startswith("#"))
    cmd = header.split("python scripts/launch.py ", 1)[1].split(";", 1)[0]
    (tmp_path / "train.jsonl").write_text('{"id": "a"}\n')
    argv = shlex.split(cmd.replace("DIR", str(tmp_path))) + [f"out_dir={tmp_path}/run", "--dry-run"]
    launch = load_script("launch", monkeypatch)
    monkeypatch.chdir(REPO)
    assert launch.main(argv) == 0, capsys.readouterr().err
    assert "dist.deepspeed=configs/deepspeed/zero2.json" in capsys.readouterr().out


def test_rsvlm_train_stopped_by_sigterm_before_its_first_step_says_nothing_was_saved_and_to_run_it_again(
        monkeypatch, tmp_path, capsys):
    """A SIGTERM while the run read its config and data said 'no step folder was saved in OUT/checkpoints
    (ckpt.every sets how often)': a hint for a run that trained, not for one that never began."""
    import os
    import signal

    import rsvlm.train.run as run_mod
    from rsvlm.train import main

    real = run_mod.preflight

    def term_then_preflight(cfg, scans=None, expanded=False):
        os.kill(os.getpid(), signal.SIGTERM)  # StopOnTerm raises Terminated here
        return real(cfg, scans, expanded=expanded)

    monkeypatch.setattr(run_mod, "preflight", term_then_preflight)
    (tmp_path / "train.jsonl").write_text('{"id": "a"}\n')
    argv = ["--config", str(REPO / "configs" / "train" / "sft_tiny.yaml"), f"data.train={tmp_path / 'train.jsonl'}",
            f"out_dir={tmp_path / 'run'}"]
    assert main(argv) == 143
    err = capsys.readouterr().err
    assert "rsvlm train: stopped by SIGTERM; before its first step" in err, err
    assert "nothing was trained or saved; run the same command again" in err and "ckpt.every" not in err
