"""Stop 80, training (E): saves killed between their two renames are finished on resume (a step folder's, final/'s),
model paths expand $VAR, the pickled-base refusal names the override typed, scripts/launch.py runs the model-section
checks, DeepSpeed's launcher is quiet, and a stop in the rendezvous ends only a CLI process at once."""

from __future__ import annotations

import shutil

import pytest
from test_train_utils import make_records, recipe

from rsvlm.train import main as train_main


def _argv(tmp_path, out, *more):
    data = make_records(tmp_path / "d", n=8, ir_every=0)
    return ["--config", str(recipe(tmp_path)), f"data.train={data}", f"out_dir={out}", "log.progress=false",
            "batch_size=4", "device=cpu", *more]


def test_a_step_saved_but_for_its_last_rename_is_resumed_from(tmp_path, capsys):
    """checkpoint.commit sets step_N aside as step_N.old, then renames step_N.tmp in: a kill in between left
    neither named step_N, and ckpt.resume=auto resumed from the step before (step 1 here, a step lost)."""
    out = tmp_path / "run"
    argv = _argv(tmp_path, out, "ckpt.every=1")
    assert train_main([*argv, "max_steps=2"]) == 0
    steps = out / "checkpoints"
    (steps / "step_000002").rename(steps / "step_000002.old")  # the same step saved again, cut after set_aside
    shutil.copytree(steps / "step_000002.old", steps / "step_000002.tmp")
    capsys.readouterr()
    assert train_main([*argv, "max_steps=3", "ckpt.resume=auto"]) == 0
    err = capsys.readouterr().err
    assert ("[rsvlm.train] ckpt.resume: step_000002's save was cut off between its two renames (step_000002.old set "
            f"aside, step_000002.tmp whole): finished it, {steps / 'step_000002'} is in place") in err, err
    assert f"resumed from {steps / 'step_000002'} at step 2" in err, err  # was: from step_000001 at step 1
    assert not (steps / "step_000002.old").exists() and not (steps / "step_000002.tmp").exists()


def test_a_step_tmp_that_is_not_whole_is_left_and_said(tmp_path, capsys):
    """A step_N.tmp short of a file (a later save of the step, cut while writing it) is not renamed in: the resume
    goes on from the step before, and says why step N was passed over."""
    out = tmp_path / "run"
    argv = _argv(tmp_path, out, "ckpt.every=1")
    assert train_main([*argv, "max_steps=2"]) == 0
    steps = out / "checkpoints"
    (steps / "step_000002").rename(steps / "step_000002.old")
    shutil.copytree(steps / "step_000002.old", steps / "step_000002.tmp")
    (steps / "step_000002.tmp" / "optimizer.safetensors").unlink()
    capsys.readouterr()
    assert train_main([*argv, "max_steps=2", "ckpt.resume=auto"]) == 0
    err = capsys.readouterr().err
    assert "step_000002.tmp is not whole; left as it is (step_000002.old holds the earlier save of it)" in err, err
    assert f"resumed from {steps / 'step_000001'} at step 1" in err, err


def test_a_named_step_folder_saved_but_for_its_last_rename_is_found(tmp_path, capsys):
    """ckpt.resume=out/checkpoints/step_000002 in that state was 'no checkpoint folder'."""
    out = tmp_path / "run"
    argv = _argv(tmp_path, out, "ckpt.every=1")
    assert train_main([*argv, "max_steps=2"]) == 0
    steps = out / "checkpoints"
    (steps / "step_000002").rename(steps / "step_000002.old")
    shutil.copytree(steps / "step_000002.old", steps / "step_000002.tmp")
    capsys.readouterr()
    assert train_main([*argv, "max_steps=3", f"ckpt.resume={steps / 'step_000002'}"]) == 0
    assert f"resumed from {steps / 'step_000002'} at step 2" in capsys.readouterr().err


def test_a_final_save_cut_between_its_renames_is_seen_by_a_resume(tmp_path, capsys):
    """A run without ckpt.every killed between final/'s two renames left final.old and a whole final.tmp:
    ckpt.resume=auto found no final/ and trained anew from step 0. The save is finished, and the finished run is
    refused as any final/ without a step folder is."""
    out = tmp_path / "run"
    argv = _argv(tmp_path, out, "ckpt.every=0")
    assert train_main([*argv, "max_steps=1"]) == 0
    assert not (out / "checkpoints").exists() or not any((out / "checkpoints").iterdir())
    (out / "final").rename(out / "final.old")
    shutil.copytree(out / "final.old", out / "final.tmp")
    capsys.readouterr()
    assert train_main([*argv, "max_steps=2", "ckpt.resume=auto"]) == 2
    err = capsys.readouterr().err
    assert ("[rsvlm.train] ckpt.resume: final's save was cut off between its two renames (final.old set aside, "
            f"final.tmp whole): finished it, {out / 'final'} is in place") in err, err
    assert "holds a finished run (final/) but no step folder" in err, err  # was: "starting at step 0"
    assert sorted(p.name for p in out.iterdir() if p.name.startswith("final")) == ["final"]


def test_a_final_tmp_without_its_last_file_is_not_put_in_place(tmp_path):
    """save_final writes train_config.yaml last: a final.tmp without it was cut while written."""
    from rsvlm.train.renames import finish_rename, whole_model

    (tmp_path / "final.old").mkdir()
    (tmp_path / "final.tmp").mkdir()
    import torch
    from safetensors.torch import save_file

    (tmp_path / "final.tmp" / "config.yaml").write_text("x")
    save_file({"w": torch.zeros(2)}, str(tmp_path / "final.tmp" / "vision.safetensors"))  # a whole one (review 80:
    said = finish_rename(tmp_path / "final", whole_model, "ckpt.resume")  # "x" failed its header, whatever was missing)
    assert said and "final.tmp is not whole" in said
    assert not (tmp_path / "final").exists() and (tmp_path / "final.old").is_dir()
    (tmp_path / "final.tmp" / "train_config.yaml").write_text("x")  # the last file written: whole now
    assert "finished it" in finish_rename(tmp_path / "final", whole_model, "ckpt.resume")


def test_a_rename_another_rank_made_first_is_let_be(tmp_path, monkeypatch):
    """Every rank may finish it at once: the one whose rename comes second says nothing and fails nothing."""
    import os

    from rsvlm.train import renames

    (tmp_path / "step_000002.old").mkdir()
    (tmp_path / "step_000002.tmp").mkdir()

    def first(src, dst):  # the other rank's rename lands between this one's look and its own
        os.rename(src, dst)
        raise FileNotFoundError(src)

    monkeypatch.setattr(renames.os, "replace", first)
    assert renames.finish_rename(tmp_path / "step_000002", lambda tmp, old: True, "ckpt.resume") is None
    assert (tmp_path / "step_000002").is_dir()


def test_a_model_path_naming_a_variable_is_expanded_and_an_unset_one_refused(tmp_path, monkeypatch):
    """model.llm.name_or_path=$MODELS/base was looked for as a folder named '$MODELS' (the training section's path
    keys expanded $VAR since stop 79, the model's only ~); an unset variable is refused naming the key."""
    from rsvlm.config import load_config
    from rsvlm.train.config import TrainConfig, expand_home

    monkeypatch.setenv("RSVLM_MODELS", str(tmp_path / "m"))
    monkeypatch.delenv("RSVLM_NOPE", raising=False)
    cfg = load_config(TrainConfig, recipe(tmp_path), ["model.llm.name_or_path=$RSVLM_MODELS/base",
                                                      "model.llm.tokenizer=${RSVLM_MODELS}/tok",
                                                      "model.encoders.default.pretrained=$RSVLM_MODELS/enc.safetensors"])
    expand_home(cfg)
    assert cfg.model.llm.name_or_path == str(tmp_path / "m" / "base")
    assert cfg.model.llm.tokenizer == str(tmp_path / "m" / "tok")
    assert cfg.model.encoders["default"].pretrained == str(tmp_path / "m" / "enc.safetensors")
    cfg = load_config(TrainConfig, recipe(tmp_path), ["model.encoders.default.pretrained=$RSVLM_NOPE/enc.safetensors"])
    with pytest.raises(ValueError, match=r"^model\.encoders\.default\.pretrained: '\$RSVLM_NOPE/enc.safetensors' names "
                                         r"\$RSVLM_NOPE, which is not set"):
        expand_home(cfg)


def _stopped_meeting(monkeypatch, kind=KeyboardInterrupt):
    """train stopped while the processes met (as ``run.meet`` marks the stop); os._exit recorded, not made."""
    import os

    import rsvlm.train.loop as loop

    def stop(cfg, **kw):
        e = kind()
        e.in_rendezvous = True
        raise e

    monkeypatch.setattr(loop, "train", stop)
    exits: list[int] = []
    monkeypatch.setattr(os, "_exit", exits.append)
    return exits


def test_a_stop_in_the_rendezvous_of_an_in_process_call_raises_and_exits_nothing(tmp_path, monkeypatch, capsys):
    """os._exit on a stop while meeting ended a notebook's kernel that called rsvlm.train.main: a caller that is
    not rsvlm's command line gets the KeyboardInterrupt back, its process going on."""
    exits = _stopped_meeting(monkeypatch)
    with pytest.raises(KeyboardInterrupt):
        train_main(_argv(tmp_path, tmp_path / "run", "max_steps=1"))
    assert exits == []  # was [130]: the process ended
    assert "rsvlm train: interrupted" in capsys.readouterr().err  # said before it is raised


def test_a_stop_in_the_rendezvous_of_the_command_line_still_exits_at_once(tmp_path, monkeypatch):
    """python -m rsvlm.train (what launchers start) passes entry=True; so is rsvlm's console script told apart."""
    import sys
    import types

    from rsvlm.train.stopping import cli_entry

    exits = _stopped_meeting(monkeypatch)
    assert train_main(_argv(tmp_path, tmp_path / "run", "max_steps=1"), entry=True) == 130
    assert exits == [130]
    script = types.ModuleType("__main__")
    script.__file__, script.__spec__ = "/venv/bin/rsvlm", None
    monkeypatch.setitem(sys.modules, "__main__", script)
    assert cli_entry()
    script.__file__ = "/venv/bin/ipykernel_launcher.py"
    assert not cli_entry()


def test_launch_refuses_a_bad_model_section_before_any_process_starts(tmp_path, monkeypatch):
    """scripts/launch.py ran rsvlm train's path, data and step-folder checks but not its model section's: LoRA
    targets the LLM lacks were refused by every rank once the launcher had started them. The same checks
    (run.check_model_build) run here, the refusal opened with the override that set the key."""
    from script_loader import load_script

    launch = load_script("launch", monkeypatch)
    monkeypatch.setattr(launch, "check_here", lambda cfg, world: None)  # the records' checks: not this test's
    data = make_records(tmp_path / "d", n=8, ir_every=0)
    over = [f"data.train={data}", f"out_dir={tmp_path / 'run'}", "device=cpu", "model.llm.target_modules=[nope_proj]"]
    headed = tmp_path / "headed.yaml"
    headed.write_text("# global_batch: 4\n" + recipe(tmp_path).read_text())
    with pytest.raises(ValueError, match=r"^override 'model\.llm\.target_modules=\[nope_proj\]' \(command line\): "
                                         r"model\.llm\.target_modules"):
        launch.build(headed, "torchrun", 1, 1, overrides=over, check_out=True)
    # a dry run checks no path, as before (the model's files may be on the nodes alone)
    assert launch.build(headed, "torchrun", 1, 1, overrides=over).world_size == 1


def test_the_deepspeed_launcher_is_told_to_be_quiet_unless_verbose(tmp_path, monkeypatch):
    """--launcher deepspeed printed its launcher's INFO lines (world info, environment) before every run: it is
    given --log_level=warning where its runner takes the option, and not under --verbose nor for torchrun."""
    import importlib.util
    import types

    from script_loader import load_script

    launch = load_script("launch", monkeypatch)
    runner = tmp_path / "ds" / "launcher" / "runner.py"
    runner.parent.mkdir(parents=True)
    runner.write_text('parser.add_argument("--log_level", type=str, default="info")\n')
    spec = types.SimpleNamespace(origin=str(tmp_path / "ds" / "__init__.py"))
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: spec if name == "deepspeed" else None)
    cmd = ["deepspeed", "--num_gpus", "8", "--module", "rsvlm.train"]
    assert launch.quiet_deepspeed(cmd) == ["deepspeed", "--log_level=warning", *cmd[1:]]
    assert launch.quiet_deepspeed(cmd, verbose=True) == cmd
    assert launch.quiet_deepspeed(["torchrun", "--nnodes", "1"]) == ["torchrun", "--nnodes", "1"]
    runner.write_text("# an older runner: no such option\n")
    assert launch.quiet_deepspeed(cmd) == cmd  # it would refuse the option


def test_each_ranks_deepspeed_logger_is_at_warning_unless_verbose():
    import logging

    from rsvlm.train.chatter import quiet_deepspeed_logger

    log = logging.getLogger("DeepSpeed")
    before = log.level
    try:
        log.setLevel(logging.INFO)  # an older DeepSpeed's own level
        quiet_deepspeed_logger(verbose=True)
        assert log.level == logging.INFO
        quiet_deepspeed_logger(verbose=False)
        assert log.level == logging.WARNING
    finally:
        log.setLevel(before)
