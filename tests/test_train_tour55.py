"""Rough-edge tour 55 of training: the leftovers of tour 54's multi-process tour (a timeout for the process
group, SIGTERM, ranks started by hand, verdicts said once, one resume hint, the cut-sample warning)."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
import torch
from test_train_utils import make_records, recipe, sigterm_once, two_ranks
from torchrun_helpers import free_port

from rsvlm.train import main as train_main
from rsvlm.train.checkpoint import resume_hint

GLOO_CLOSED = ("[/__w/pytorch/pytorch/third_party/gloo/gloo/transport/tcp/pair.cc:561] Connection closed by peer "
               "[127.0.0.1]:26015. This is typically caused by a remote worker crashing.")  # torch 2.14's words


@pytest.mark.parametrize("value", ["0", "-5", "nan", "inf", "0.5"])
def test_a_nonsense_dist_timeout_is_refused_before_anything_is_written(value, sft_record, tmp_path, capsys):
    out = tmp_path / "run"
    argv = ["--config", str(recipe(tmp_path)), f"data.train={sft_record}", f"out_dir={out}", f"dist.timeout_s={value}"]
    assert train_main(argv) == 2
    assert "dist.timeout_s must be >= 1 (seconds a process waits for the others at a collective)" in capsys.readouterr().err
    assert not out.exists()


def test_a_changed_dist_timeout_is_no_change_to_name_on_resume(tmp_path):
    from rsvlm.config import load_config, save_config
    from rsvlm.train.checkpoint import config_changes
    from rsvlm.train.config import TrainConfig

    cfg = load_config(TrainConfig, recipe(tmp_path))
    save_config(cfg, tmp_path / "train_config.yaml")
    cfg.dist.timeout_s = 60.0  # where and how long to wait, not what is trained
    assert config_changes(tmp_path, cfg) == []


def test_a_rank_started_by_hand_whose_peer_never_comes_stops_at_dist_timeout_with_one_line(tmp_path, monkeypatch,
                                                                                            capsys):
    """RANK=0 WORLD_SIZE=2 by hand, rank 1 never started: it waited torch's 30 minutes, then a DistStoreError
    traceback ("1/2 clients joined"); now dist.timeout_s, then one line saying what to do."""
    data = make_records(tmp_path / "d", n=4, ir_every=0)
    port = free_port()
    for k, v in {"RANK": "0", "WORLD_SIZE": "2", "LOCAL_RANK": "0", "MASTER_ADDR": "127.0.0.1",
                 "MASTER_PORT": str(port)}.items():
        monkeypatch.setenv(k, v)
    argv = ["--config", str(recipe(tmp_path, "pretrain_encoder_tiny.yaml")), f"data.train={data}",
            f"out_dir={tmp_path / 'run'}", "log.progress=false", "max_steps=1", "batch_size=2", "dist.timeout_s=1"]
    start = time.monotonic()
    assert train_main(argv) == 1  # plain torch.distributed (contrastive pretraining)
    assert time.monotonic() - start < 300 and not torch.distributed.is_initialized()  # not torch's 30 min
    line = capsys.readouterr().err.strip().splitlines()[-1]
    assert line.startswith(f"rsvlm train (rank 0): the 2 processes did not all meet at 127.0.0.1:{port} within "
                           "dist.timeout_s=1 ("), line
    assert "scripts/launch.py (or torchrun / deepspeed) starts them all" in line, line


@pytest.mark.parametrize("env, unset", [({"RANK": "0"}, "MASTER_ADDR and MASTER_PORT are"),
                                        ({"MASTER_ADDR": "127.0.0.1", "MASTER_PORT": "29500"}, "RANK is")])
def test_ranks_by_hand_without_a_rendezvous_are_refused_in_preflight(env, unset, sft_record, tmp_path, monkeypatch,
                                                                     capsys):
    """torch's env:// ValueError ("MASTER_ADDR expected, but not set"), once the run had started."""
    for k in ("RANK", "MASTER_ADDR", "MASTER_PORT", "LOCAL_RANK"):
        monkeypatch.delenv(k, raising=False)
    for k, v in {"WORLD_SIZE": "2", **env}.items():
        monkeypatch.setenv(k, v)
    out = tmp_path / "run"
    argv = ["--config", str(recipe(tmp_path, "pretrain_encoder_tiny.yaml")), f"data.train={sft_record}",
            f"out_dir={out}"]  # plain torch.distributed
    assert train_main(argv) == 2
    err = capsys.readouterr().err
    assert f"WORLD_SIZE=2 is set but {unset} not (each process needs its RANK, and the same MASTER_ADDR and " \
           "MASTER_PORT to meet at); start the job with scripts/launch.py" in err, err
    assert not out.exists()


def test_a_lost_peer_is_one_line_naming_the_launcher_and_where_to_continue(sft_record, tmp_path, monkeypatch, capsys):
    """gloo's "Connection closed by peer" (a rank started by hand died) was a traceback on the others."""
    import rsvlm.train.loop as loop

    def dies(cfg, checked=False, stop=None, shapes=None, scans=None):
        (Path(cfg.out_dir) / "checkpoints" / "step_000002").mkdir(parents=True)
        raise RuntimeError(GLOO_CLOSED)

    monkeypatch.setattr(loop, "train", dies)
    monkeypatch.setenv("WORLD_SIZE", "1")
    for k in ("TORCHELASTIC_RUN_ID", "LOCAL_SIZE"):  # torchrun's and deepspeed's: no launcher here
        monkeypatch.delenv(k, raising=False)
    out = tmp_path / "run"
    assert train_main(["--config", str(recipe(tmp_path)), f"data.train={sft_record}", f"out_dir={out}"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "Traceback" not in err[0], err
    assert err[0].startswith("rsvlm train: the process group failed (Connection closed by peer [127.0.0.1]:26015. "), err
    assert "start the job with scripts/launch.py" in err[0] and err[0].endswith(
        f"continue from {out / 'checkpoints' / 'step_000002'} with ckpt.resume=auto"), err

    def bug(cfg, checked=False, stop=None, shapes=None, scans=None):  # a RuntimeError of our own keeps its traceback
        raise RuntimeError("shape mismatch")

    monkeypatch.setenv("TORCHELASTIC_RUN_ID", "none")  # under torchrun, which stops the others itself
    assert train_main(["--config", str(recipe(tmp_path)), f"data.train={sft_record}", f"out_dir={tmp_path / 'a'}"]) == 1
    err = capsys.readouterr().err
    assert "the launcher stops the others;" in err and "scripts/launch.py" not in err, err

    monkeypatch.setattr(loop, "train", bug)
    with pytest.raises(RuntimeError, match="shape mismatch"):
        train_main(["--config", str(recipe(tmp_path)), f"data.train={sft_record}", f"out_dir={tmp_path / 'b'}"])


def test_a_verdict_every_rank_reaches_alike_is_said_by_rank_0_only(sft_record, tmp_path, monkeypatch, capsys):
    """'cannot fill one global batch' was printed once per rank, each naming its rank."""
    import rsvlm.train.loop as loop
    import rsvlm.train.run as run
    from rsvlm.train.batches import no_full_batch

    def short(cfg, checked=False, stop=None, shapes=None, scans=None):
        raise no_full_batch("train.jsonl", ["optical"] * 3, 2, 2, grouped=True, weighted=False)

    monkeypatch.setattr(loop, "train", short)
    monkeypatch.setattr(run, "preflight", lambda cfg, scans=None, expanded=False: None)  # the launch is not tested
    argv = ["--config", str(recipe(tmp_path)), f"data.train={sft_record}", f"out_dir={tmp_path / 'run'}"]
    monkeypatch.setenv("WORLD_SIZE", "2")
    said = {}
    for rank in ("0", "1"):
        monkeypatch.setenv("RANK", rank)
        assert train_main(argv) == 2  # bad input, as TooFewRecords
        said[rank] = capsys.readouterr().err
    assert said["1"] == "", said
    assert said["0"].startswith("rsvlm train: DataPlanError: train.jsonl: 3 records (3 optical) cannot fill one "
                                "global batch of 4"), said


def test_every_stop_says_where_to_continue_in_one_wording(sft_record, tmp_path, monkeypatch, capsys):
    """Ctrl-C said 'no checkpoint was saved', scripts/launch.py 'no step folder was saved in OUT_DIR', a
    non-finite loss 'resume from X (ckpt.resume=auto)'."""
    import rsvlm.train.loop as loop

    def interrupted(cfg, checked=False, stop=None, shapes=None, scans=None):
        raise KeyboardInterrupt

    monkeypatch.setattr(loop, "train", interrupted)
    out = tmp_path / "run"
    assert train_main(["--config", str(recipe(tmp_path)), f"data.train={sft_record}", f"out_dir={out}"]) == 130
    assert capsys.readouterr().err.strip() == ("rsvlm train: interrupted; before its first step (reading the config "
                                               "and data, building the model): nothing was trained or saved; run the "
                                               "same command again to start it")  # nothing to continue from (tour74)
    assert resume_hint(out) == f"no step folder was saved in {out / 'checkpoints'} (ckpt.every sets how often)"
    (out / "checkpoints" / "step_000003").mkdir(parents=True)
    (out / "checkpoints" / "step_000004.tmp").mkdir()  # a save cut short: not one to continue from
    assert resume_hint(out) == f"continue from {out / 'checkpoints' / 'step_000003'} with ckpt.resume=auto"


def test_the_launcher_asks_the_ranks_own_check_for_several_processes_without_deepspeed(tmp_path, monkeypatch):
    from script_loader import load_script

    import rsvlm.train.run as run

    launch = load_script("launch", monkeypatch)
    sft = tmp_path / "sft.yaml"
    sft.write_text("# global_batch: 8\n" + recipe(tmp_path).read_text())
    asked = []

    def check_engine(cfg, world, ddp=False):
        asked.append((world, ddp))
        raise ValueError("the ranks' words")

    monkeypatch.setattr(run, "check_engine", check_engine)
    with pytest.raises(ValueError, match=r"sft\.yaml: the ranks' words$"):  # was its own copy of the message
        launch.build(sft, gpus_per_node=2)
    assert asked == [(2, False)]


def _stops(rank: int, world: int, store: str, results: str) -> None:
    """One gloo process of the test below: whether it stops, having been told (rank 1) or not (rank 0)."""
    from types import SimpleNamespace

    import torch.distributed as dist

    from rsvlm.train.run import check_micro_batch

    dist.init_process_group("gloo", init_method=f"file://{store}", rank=rank, world_size=world)
    cfg = SimpleNamespace(data=SimpleNamespace(max_bad_fraction=0.01))
    state = {"samples": 4, "bad": 0, "bad_ids": []}
    said = [check_micro_batch(state, cfg, False, world, stop=False),
            check_micro_batch(state, cfg, False, world, stop=rank == 1)]
    Path(results, f"stop{rank}.txt").write_text(str(said))
    dist.destroy_process_group()


def test_a_sigterm_on_one_rank_stops_every_rank_at_the_same_micro_batch(tmp_path):
    two_ranks(_stops, tmp_path)
    assert [(tmp_path / f"stop{r}.txt").read_text() for r in (0, 1)] == ["[False, True]"] * 2


def test_sigterm_before_the_first_step_stops_at_once_with_the_hint(sft_record, tmp_path, monkeypatch, capsys):
    """SIGTERM (a scheduler's notice) killed the run without a word; Ctrl-C said where to continue."""
    import rsvlm.train.loop as loop

    def building(cfg, checked=False, stop=None, shapes=None, scans=None):
        os.kill(os.getpid(), signal.SIGTERM)  # while the model and data are built
        time.sleep(5)
        raise AssertionError("SIGTERM did not stop the run")

    before = signal.getsignal(signal.SIGTERM)
    monkeypatch.setattr(loop, "train", building)
    out = tmp_path / "run"
    assert train_main(["--config", str(recipe(tmp_path)), f"data.train={sft_record}", f"out_dir={out}"]) == 143
    assert capsys.readouterr().err.strip() == ("rsvlm train: stopped by SIGTERM; before its first step (reading the config and data, building the model): nothing was trained or saved; run the same command again to start it")
    assert signal.getsignal(signal.SIGTERM) is before  # put back for the caller


def test_sigterm_mid_run_saves_a_complete_step_and_says_where_to_continue(tmp_path, capsys):
    """The loop takes a SIGTERM at its next step boundary, all ranks alike, and saves there (a save cut short
    by the scheduler's SIGKILL leaves a step_N.tmp only, which no resume takes)."""

    data = make_records(tmp_path / "d", n=8, ir_every=0)
    out = tmp_path / "run"

    argv = ["--config", str(recipe(tmp_path)), f"data.train={data}", f"out_dir={out}", "log.progress=false",
            "max_steps=50", "batch_size=4", "ckpt.every=1000", "slow_step_s=0.2"]
    with sigterm_once(out / "metrics.jsonl"):  # once step 1 is logged
        assert train_main(argv) == 143
    err = capsys.readouterr().err
    steps = sorted(p.name for p in (out / "checkpoints").iterdir())
    assert len(steps) == 1 and steps[0] < "step_000050" and not steps[0].endswith(".tmp"), steps
    saved = out / "checkpoints" / steps[0]
    assert (saved / "trainer_state_rank0.json").is_file() and (saved / "trainable.safetensors").is_file()
    assert err.strip().splitlines()[-1] == (f"rsvlm train: stopped by SIGTERM (its step saved on the way out); "
                                            f"continue from {saved} with ckpt.resume=auto"), err[-2000:]
    assert not (out / "final").exists()


def test_records_that_will_be_cut_are_counted_and_named_before_the_first_step(tmp_path, capsys):
    """The fit check took the shortest possible sample only: a record whose answer would be cut was named
    once drawn, the first one only; the index's length estimate left out the prompt format's system prompt
    (120 tokens here), so it is added per modality."""
    from rsvlm.train.max_length import cut_records

    lengths, ids = [100, 700, 300, 650, 900, 800, 600], ["a", "b", "c", "d", "e", "f", "g"]
    said = cut_records(lengths, ids, 512, unfit={"e"})  # e cannot fit at all: a bad sample, not a cut one
    assert said.startswith("4 of 7 records run past data.max_length=512 tokens by an estimate, e.g. "
                           "f (~800), b (~700), d (~650), …: they will be cut from the end"), said
    assert cut_records(lengths, ids, 900) is None
    data = make_records(tmp_path / "d", n=8, ir_every=0)  # rec7, the longest caption, is 241 tokens
    argv = ["--config", str(recipe(tmp_path)), f"data.train={data}", f"out_dir={tmp_path / 'run'}",
            "log.progress=false", "max_steps=1", "batch_size=4", "data.max_length=220"]
    assert train_main(argv) == 0
    assert ("warning: 1 of 8 records runs past data.max_length=220 tokens by an estimate, rec7 (~241): it "
            "will be cut from the end") in capsys.readouterr().err


def test_stand_ins_take_the_last_readable_micro_batch_of_the_same_modalities():
    from rsvlm.train.batches import StandIns

    def batch(n: int, tag: str = "") -> dict:
        return {"input_ids": torch.zeros((n, 3)), "tag": tag}

    groups = ["optical", "ir", "optical", "ir"]
    one = StandIns([], groups, world=1, pad_id=0)
    assert one.update(batch(2, "opt"), [0, 2]) is None and one.update(batch(0), [1])["tag"] == "opt"  # any last one
    two = StandIns([], groups, world=2, pad_id=0)
    two.update(batch(1, "opt"), [0])
    two.update(batch(1, "ir"), [1])
    assert two.update(batch(0), [2])["tag"] == "opt" and two.last_good["tag"] == "ir"


def test_sigterm_to_the_launch_script_is_passed_on_to_the_launcher(tmp_path):
    """A scheduler's SIGTERM to scripts/launch.py killed it at once and left torchrun and its ranks running."""
    from test_train_utils import sigterm_to_launch

    # a stand-in that stops as torchrun does on SIGTERM, marking that it was told
    status, err = sigterm_to_launch(tmp_path, f"#!/bin/sh\ntrap 'echo stopped > {tmp_path}/mark; exit 1' TERM\n"
                                    f"echo up > {tmp_path}/up\nwhile :; do sleep 0.1; done\n", tmp_path / "run")
    assert (tmp_path / "mark").read_text() == "stopped\n"
    assert status == 143 and "Traceback" not in err, err
    assert err.strip().splitlines()[-1] == (f"launch: SIGTERM passed on to torchrun, which stopped with status 1; "
                                            f"{resume_hint(tmp_path / 'run')}"), err


@pytest.mark.parametrize("override, says", [
    ("dist.backend=glo", "dist.backend must be one of ('auto', 'gloo', 'nccl', 'ucc', 'mpi', 'xccl'), got 'glo'"),
    ("dist.backend=nccl", "dist.backend=nccl needs CUDA, and this run is on the CPU (device=cpu); use dist.backend=gloo")])
def test_a_backend_the_processes_cannot_use_is_refused_before_they_meet(override, says, sft_record, tmp_path,
                                                                         monkeypatch, capsys):
    """A misspelt backend was read only once a process group formed (never on one process); nccl on the CPU
    failed on every rank once it had."""
    for k, v in {"RANK": "0", "WORLD_SIZE": "2", "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": "29500"}.items():
        monkeypatch.setenv(k, v)
    out = tmp_path / "run"
    argv = ["--config", str(recipe(tmp_path)), f"data.train={sft_record}", f"out_dir={out}", "device=cpu", override,
            "dist.deepspeed=configs/deepspeed/zero2.json"]
    assert train_main(argv) == 2
    assert says in capsys.readouterr().err
    assert not out.exists()


def test_records_past_the_llms_context_are_counted_with_the_prompt_formats_share(tmp_path, capsys):
    """The context check read the index's estimate, which leaves out the system prompt: rec7 (241 tokens with
    it, ~121 without) ran past a context of 230 unsaid."""
    data = make_records(tmp_path / "d", n=8, ir_every=0)
    argv = ["--config", str(recipe(tmp_path)), f"data.train={data}", f"out_dir={tmp_path / 'run'}",
            "log.progress=false", "max_steps=1", "batch_size=4", "optim.warmup_steps=0",
            "model.llm.config.max_position_embeddings=230"]
    assert train_main(argv) == 0
    assert "warning: 1 record runs past the LLM's context of 230 tokens (data.max_length=512" in capsys.readouterr().err
