"""Rough-edge tour 54 of multi-process training: what several CPU processes (gloo, DeepSpeed) met."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_train_utils import make_records, recipe, torchrun, two_ranks

from rsvlm.data.records import ReadReport
from rsvlm.train import loop


def _sample(rid: str, modality: str, bad: bool = False) -> dict:
    if bad:
        return {"bad": True, "id": rid, "error": "ImageReadError: truncated"}
    return {"input_ids": [5, 6, 7], "labels": [-100, 6, 7], "images": [], "task": "cls", "modality": modality,
            "id": rid}


def test_an_all_bad_micro_batch_stands_in_a_readable_sample_of_its_own_modalities():
    groups = ["ir", "optical", "optical", "ir"]
    data = [_sample("a", "ir"), _sample("b", "optical", bad=True), _sample("c", "optical"), _sample("d", "ir")]
    got = loop.find_stand_in(data, groups, ("optical",), pad_id=0)
    assert got["ids"] == ["c"] and got["modalities"] == ["optical"]  # not "a", the first readable one
    assert got["input_ids"].shape == (1, 3)
    assert loop.find_stand_in(data, groups, ("sar",), pad_id=0) is None
    assert loop.find_stand_in(data, groups, ("optical",), pad_id=0, tries=1) is None  # only "b" was read


def test_naive_batching_of_several_modalities_on_several_processes_is_refused():
    groups = ["optical"] * 3 + ["ir"]
    with pytest.raises(ValueError, match=r"data.batching=naive on 2 processes .*\(1 ir, 3 optical\).*length_grouped"):
        loop.check_naive_groups("naive", 2, groups)  # was: a gloo abort ('collective mismatch') at the first step
    loop.check_naive_groups("naive", 1, groups)  # one process: nothing to keep alike
    loop.check_naive_groups("naive", 2, ["optical"] * 4)
    loop.check_naive_groups("length_grouped", 2, groups)


def test_data_short_of_one_global_batch_names_the_batch_size_that_fits():
    # was "lower batch_size or add records, or set data.batching=naive" whatever the counts
    assert loop.short_of_batch({"optical": 3}, 2, 2, grouped=True) == "batch_size=1 or lower, or add records"
    assert loop.short_of_batch({"optical": 3, "ir": 2}, 4, 1, grouped=True) == (
        "batch_size=3 or lower, or data.batching=naive, or add records")  # naive helps one process only
    assert loop.short_of_batch({"optical": 1, "ir": 1}, 1, 2, grouped=True).startswith("fewer processes than 2")
    assert loop.short_of_batch({"optical": 5}, 4, 2, grouped=False) == "batch_size=2 or lower, or add records"


def test_a_resumed_runs_tokens_per_second_counts_its_own_tokens():
    state = {"step": 6, "epoch": 0, "samples": 24, "bad": 0, "bad_ids": [], "tokens": 3000, "slots": 4000}
    summary = loop.summarize(state, ReadReport("x"), 1, seconds=2.0, steps=2, tokens_before=2000)
    assert summary["tokens"] == 3000  # the whole run's, as before
    assert summary["tokens_per_s"] == pytest.approx(500.0)  # was 1500: all 3000 tokens over this run's 2 s


def _summaries(rank: int, world: int, store: str, results: str) -> None:
    """One gloo process of the test below: its summary's first bad sample, as a file."""
    import torch.distributed as dist

    dist.init_process_group("gloo", init_method=f"file://{store}", rank=rank, world_size=world)
    state = {"step": 2, "epoch": 0, "samples": 4, "bad": rank, "bad_ids": ["rec1"] * rank, "tokens": 10}
    if rank:
        state["first_bad"] = "rec1: ImageReadError: truncated"
    from rsvlm.train.clip import gather_counts

    summary = loop.summarize(state, ReadReport("x"), world, seconds=1.0, steps=2)
    Path(results, f"first{rank}.txt").write_text(str(summary["first_bad"]))
    Path(results, f"clip{rank}.txt").write_text(str(gather_counts(state, world)))  # the contrastive loop's
    dist.destroy_process_group()


def test_every_rank_names_the_same_first_bad_sample_in_the_final_verdict(tmp_path):
    """The final verdict (too many bad samples) of both loops named the first one's reason on the rank that
    met it only: two ranks printed two messages, one without the reason."""
    two_ranks(_summaries, tmp_path)
    said = [(tmp_path / f"first{r}.txt").read_text() for r in (0, 1)]
    assert said == ["rec1: ImageReadError: truncated"] * 2, said
    clip = [(tmp_path / f"clip{r}.txt").read_text() for r in (0, 1)]
    assert clip == [str((1, ["rec1"], 8, 0, "rec1: ImageReadError: truncated"))] * 2, clip


def test_two_zero2_processes_get_past_a_bad_sample_on_one_rank(tmp_path):
    """batch_size=1: rank 0's micro-batch of the corrupt optical record is empty. It stood in its previous
    micro-batch, an ir one, so the ranks reduced the gradients of other stems: gloo aborted ('Received
    data size doesn't match expected size')."""
    pytest.importorskip("deepspeed")
    data = make_records(tmp_path / "d", n=16, corrupt=1)
    out = tmp_path / "run"
    cfg = recipe(tmp_path, out_dir=str(out), data={"train": str(data)})
    run = torchrun(cfg, "max_steps=3", "batch_size=1", "data.max_bad_fraction=0.5",
                   "dist.deepspeed=configs/deepspeed/zero2.json")
    assert run.returncode == 0, run.stderr[-3000:]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["steps"] == 3 and summary["bad_ids"] == ["rec0"]
    assert "all_gather_into_tensor" not in run.stderr  # DeepSpeed's FutureWarnings, six of them, are filtered



def test_the_launcher_refuses_several_lm_processes_without_a_deepspeed_config(tmp_path, monkeypatch, capsys):
    from script_loader import load_script

    launch = load_script("launch", monkeypatch)
    sft = tmp_path / "sft.yaml"
    sft.write_text("# global_batch: 8\n" + recipe(tmp_path).read_text())
    # was: printed and started, and every rank refused it ("2 processes but no dist.deepspeed config")
    assert launch.main([str(sft), "--gpus-per-node", "2", "--dry-run"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "2 processes but no dist.deepspeed config" in captured.err
    assert launch.main([str(sft), "--gpus-per-node", "1", "--dry-run"]) == 0  # one process: the plain engine
    assert launch.main([str(sft), "--gpus-per-node", "2", "--dry-run", "dist.deepspeed=configs/deepspeed/zero2.json"]) == 0
    clip = tmp_path / "clip.yaml"  # contrastive pretraining runs plain torch.distributed
    clip.write_text("# global_batch: 8\n" + recipe(tmp_path, "pretrain_encoder_tiny.yaml").read_text())
    assert launch.main([str(clip), "--gpus-per-node", "2", "--dry-run", "batch_size=2"]) == 0, capsys.readouterr().err


def test_a_failed_launch_says_where_to_continue_from(tmp_path):
    import os
    import subprocess
    import sys

    from test_train_utils import REPO

    fake = tmp_path / "bin" / "torchrun"  # a launcher whose rank died: its own report, then status 1
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\necho 'ChildFailedError: rank 1 exitcode -9' >&2\nexit 1\n")
    fake.chmod(0o755)
    from safetensors.torch import save_file

    from rsvlm.train.checkpoint import step_files

    out = tmp_path / "run"
    (out / "checkpoints" / "step_000004").mkdir(parents=True)
    for name in step_files(0, deepspeed=False):  # readable, as launch.py checks the step folder too
        path = out / "checkpoints" / "step_000004" / name
        save_file({}, path) if name.endswith(".safetensors") else path.write_text("{}")
    (out / "checkpoints" / "step_000006.tmp").mkdir()  # cut short by the kill: not one to resume from
    cfg = tmp_path / "r.yaml"
    cfg.write_text("# global_batch: 4\n" + recipe(tmp_path, out_dir=str(out)).read_text())
    sft_record = make_records(tmp_path / "d", n=4, ir_every=0)  # one global batch: launch.py reads the records first
    env = {**os.environ, "PATH": f"{fake.parent}:{os.environ['PATH']}"}
    run = subprocess.run([sys.executable, str(REPO / "scripts/launch.py"), str(cfg), "--launcher", "torchrun",
                          "--gpus-per-node", "1", "ckpt.resume=auto", f"data.train={sft_record}"], env=env,
                         capture_output=True, text=True, timeout=120)
    # was: torchrun's report alone, and its status; nothing said which step folder a resume would take
    assert run.returncode == 1, run.stderr
    assert (f"launch: torchrun exited with status 1; continue from {out / 'checkpoints' / 'step_000004'} with "
            "ckpt.resume=auto") in run.stderr


@pytest.mark.parametrize("saved, config, refused", [
    ("mp_rank_00_model_states.pt zero_pp_rank_0_mp_rank_00_optim_states.pt", "zero3.json", True),
    ("zero_pp_rank_0_mp_rank_00_model_states.pt zero_pp_rank_0_mp_rank_00_optim_states.pt", "zero2.json", True),
    ("zero_pp_rank_0_mp_rank_00_model_states.pt zero_pp_rank_0_mp_rank_00_optim_states.pt", "zero3_offload.json", False),
    ("mp_rank_00_model_states.pt zero_pp_rank_0_mp_rank_00_optim_states.pt", "zero2_offload.json", False),
])
def test_a_resume_under_another_zero_stage_is_refused_before_the_model_is_built(tmp_path, saved, config, refused):
    from rsvlm.config import load_config
    from rsvlm.train.config import TrainConfig
    from rsvlm.train.deepspeed_config import check_zero_stage

    step = tmp_path / "step_000002"
    (step / "deepspeed" / "state").mkdir(parents=True)
    for name in saved.split():
        (step / "deepspeed" / "state" / name).write_bytes(b"")
    cfg = load_config(TrainConfig, recipe(tmp_path), [f"dist.deepspeed=configs/deepspeed/{config}"])
    if not refused:
        check_zero_stage(step, cfg, 1)
        return
    # was: a bare AssertionError inside DeepSpeed's load_checkpoint, on every rank, once the engine was built
    with pytest.raises(ValueError, match=rf"{step} was saved under ZeRO stage (3|1 or 2) and dist.deepspeed=.*{config} "
                                         r"is stage (2|3); .*resume with the dist.deepspeed it was saved with"):
        check_zero_stage(step, cfg, 1)


def test_the_launcher_refuses_an_out_dir_its_ranks_would_refuse(tmp_path, monkeypatch, capsys):
    from script_loader import load_script

    launch = load_script("launch", monkeypatch)
    out = tmp_path / "run"
    out.mkdir()
    (out / "metrics.jsonl").write_text("{}\n")  # a previous run's
    cfg = tmp_path / "r.yaml"
    cfg.write_text("# global_batch: 4\n" + recipe(tmp_path, out_dir=str(out)).read_text())
    monkeypatch.setattr(launch, "launcher_path", lambda name: pytest.fail("the launcher was started"))
    # was: started, and every rank printed "already holds a run", then the launcher's report of them
    assert launch.main([str(cfg), "--gpus-per-node", "1"]) == 2
    assert f"launch: out_dir {out} already holds a run (metrics.jsonl)" in capsys.readouterr().err
    assert launch.main([str(cfg), "--gpus-per-node", "1", "--dry-run"]) == 0  # prints only


@pytest.mark.parametrize("precision", ["fp32", "bf16", "fp16"])
def test_precision_reaches_deepspeed_whatever_sections_its_json_has(tmp_path, precision):
    from rsvlm.config import load_config
    from rsvlm.train.config import TrainConfig
    from rsvlm.train.deepspeed_config import fill_auto, load_deepspeed_config

    cfg = load_config(TrainConfig, recipe(tmp_path), [f"precision={precision}",
                                                      "dist.deepspeed=configs/deepspeed/zero2.json"])
    shipped = load_deepspeed_config("configs/deepspeed/zero2.json", cfg, 2)
    bare = fill_auto({"zero_optimization": {"stage": 2}}, cfg, 2)  # was: no fp16 section, so fp32 under fp16
    for out in (shipped, bare):
        assert (out["bf16"]["enabled"], out["fp16"]["enabled"]) == (precision == "bf16", precision == "fp16")
    other = "bf16" if precision == "fp16" else "fp16"  # a section set by hand against precision: named
    with pytest.raises(ValueError, match=rf"sets {other}.enabled=True but the training config's precision is {precision}"):
        fill_auto({other: {"enabled": True}}, cfg, 2)


def test_the_contrastive_loop_names_the_rank_of_a_bad_sample_as_the_lm_loop_does(tmp_path, capsys):
    from rsvlm.train import main

    data = make_records(tmp_path / "d", n=8, corrupt=2)  # rec1, a caption record, is cut short
    cfg = recipe(tmp_path, "pretrain_encoder_tiny.yaml", out_dir=str(tmp_path / "run"), data={"train": str(data)})
    assert main(["--config", str(cfg), "log.progress=false", "max_steps=1", "batch_size=3",
                 "data.max_bad_fraction=1.0"]) == 0
    # was "skipped sample rec1: …": each rank reads its own share of a batch, so which one met it matters
    assert "[rsvlm.train] rank 0: skipped sample rec1: " in capsys.readouterr().err


def test_preflight_refuses_a_resume_under_another_zero_stage_with_exit_2(tmp_path, monkeypatch, capsys):
    """rsvlm train's preflight (exit 2, on the launcher's first rank), not train's check after the launch (exit 1)."""
    from rsvlm.train import main as train_main
    from rsvlm.train import run

    step = tmp_path / "step_000002"
    (step / "deepspeed" / "state").mkdir(parents=True)
    for name in ("mp_rank_00_model_states.pt", "zero_pp_rank_0_mp_rank_00_optim_states.pt"):
        (step / "deepspeed" / "state" / name).write_bytes(b"")  # saved under ZeRO-1/2
    for name in ("check_step_folder", "check_step_readable"):  # the step's other files: checked elsewhere
        monkeypatch.setattr(run.ckpt, name, lambda *a, **k: None)
    monkeypatch.setattr(run, "model_changes", lambda *a, **k: None)
    monkeypatch.setenv("RANK", "0")  # as under a launcher, which DeepSpeed needs
    data = make_records(tmp_path / "d", n=4)
    assert train_main(["--config", str(recipe(tmp_path)), f"data.train={data}", f"out_dir={tmp_path / 'out'}",
                       "dist.deepspeed=configs/deepspeed/zero3.json", f"ckpt.resume={step}"]) == 2
    assert "was saved under ZeRO stage 1 or 2 and dist.deepspeed=configs/deepspeed/zero3.json" in capsys.readouterr().err


def test_a_small_group_on_several_processes_is_not_told_to_use_naive_batching():
    """Several processes refuse data.batching=naive with several modalities: the note suggested it anyway."""
    from rsvlm.train.data import undrawn_groups

    groups = ["optical"] * 20 + ["sar"] * 3
    one, two = undrawn_groups(groups, None, 8, world_size=1), undrawn_groups(groups, None, 8, world_size=2)
    assert len(one) == len(two) == 1 and one[0].startswith("3 sar records are fewer than one global batch (8)")
    assert one[0].endswith("set data.batching=naive, or add records of it") and "naive" not in two[0].split("(batches hold")[1], two


@pytest.mark.parametrize("rank, said", [("0", True), ("1", False)])
def test_a_refusal_every_rank_reaches_is_said_by_the_first_rank_only(rank, said, tmp_path, monkeypatch, capsys):
    """Under a launcher each rank printed the same refusal (two lines for two processes)."""
    from rsvlm.train import main as train_main

    monkeypatch.setenv("RANK", rank)
    monkeypatch.setenv("WORLD_SIZE", "2")
    assert train_main(["--config", str(recipe(tmp_path)), "data.train=/nothing/here.jsonl",
                       f"out_dir={tmp_path / 'out'}"]) == 2
    assert ("rsvlm train: " in capsys.readouterr().err) == said
