"""Rough-edge tour 56 (b) of training: whose fault a config error is, empty log windows, settings a run
ignores, and resuming from the other loop's step folder."""

from __future__ import annotations

import json

import pytest
import torch
from test_train_utils import make_records, recipe

from rsvlm.config import ConfigError, load_config
from rsvlm.train import main as train_main
from rsvlm.train.config import TrainConfig, unused_settings
from rsvlm.train.logging import Metrics


def test_an_unknown_key_in_the_file_is_the_files_fault_not_an_overrides_it_lists_as_valid(tmp_path):
    """'max_step: 3' in the file with max_steps=1 on the command line was reported as "override
    'max_steps=1': unknown key(s) max_step …": the override's key is in the list of valid keys."""
    p = tmp_path / "run.yaml"
    p.write_text("max_step: 3\n")
    with pytest.raises(ConfigError) as e:
        load_config(TrainConfig, p, ["max_steps=1", "optim.lr=1e-4"])
    assert str(e.value).startswith(f"{p}: unknown key max_step for TrainConfig"), str(e.value)
    assert "override" not in str(e.value)
    p.write_text("max_steps: 3\n")  # an override's own bad key or value is still the override's
    with pytest.raises(ConfigError, match=r"^override 'data.extra=\[\{pth: a\}\]': unknown key data.extra\[0\]"):
        load_config(TrainConfig, p, ["max_steps=1", "data.extra=[{pth: a}]"])
    with pytest.raises(ConfigError, match=r"^override 'optim=\{lr: 1, betas: x\}': optim.betas: expected a list"):
        load_config(TrainConfig, p, ["optim={lr: 1, betas: x}", "optim.lr=2"])


def test_an_override_below_a_file_value_that_is_no_mapping_names_it_instead_of_dropping_it(tmp_path):
    """A file's 'optim: fast' (or a stem given as a number) was replaced by {} under optim.lr=1: the run
    trained with default settings and the file's value was gone without a word."""
    p = tmp_path / "run.yaml"
    p.write_text("optim: fast\n")
    with pytest.raises(ConfigError, match=rf"^override 'optim.lr=1': optim is 'fast' in {p}, not a mapping to set 'lr'"):
        load_config(TrainConfig, p, ["optim.lr=1"])
    p.write_text("data:\n  task_weights: 3\n")
    with pytest.raises(ConfigError, match=r"data.task_weights is 3 in .*run.yaml, not a mapping to set 'cls'"):
        load_config(TrainConfig, p, ["data.task_weights.cls=2"])
    p.write_text("max_steps: 3\n")  # a mapping the file leaves unset (None, or absent) is still made
    assert load_config(TrainConfig, p, ["data.task_weights.cls=2"]).data.task_weights == {"cls": 2.0}


def test_a_log_window_without_a_sample_logs_a_null_loss_not_a_perfect_one(tmp_path):
    """Steps whose every micro-batch was a zero-weight stand-in (all images unreadable) logged "loss": 0.0."""
    m = Metrics(tmp_path, rank=0, world_size=1, total_steps=3, progress=True)
    m.step()
    rec = m.log(step=1, lr=1e-3)  # no add_batch: the loop adds none for a stand-in
    assert rec["loss"] is None and not any(k.startswith("loss/") for k in rec)
    assert "loss=n/a" in str(m.bar)
    m.add_batch(torch.tensor(2.5), torch.tensor([2.5]), ["cls"], ["optical"], 4, 4)
    m.step()
    assert m.log(step=2, lr=1e-3)["loss"] == pytest.approx(2.5) and "loss=2.5000" in str(m.bar)
    m.close()
    lines = [json.loads(x) for x in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [x["loss"] for x in lines] == [None, pytest.approx(2.5)]


def test_an_lm_run_names_the_clip_settings_it_ignores_as_a_contrastive_run_names_the_lm_ones(tmp_path, monkeypatch,
                                                                                           capsys):
    """clip.dense_weight=1 in an instruction stage trained without any dense loss, without a word; a contrastive
    run named the LM loop's settings it ignores (unused_settings), now one helper says both."""
    import rsvlm.train.loop as loop

    class Built(Exception):
        """Raised where the loop goes on to the step folder, the model and the data: the note is said before."""

    def resume_folder(cfg):
        raise Built

    monkeypatch.setattr(loop, "resume_folder", resume_folder)
    monkeypatch.setattr(loop, "check_enough_records", lambda cfg, world: None)  # the recipe's runs/ data is not made
    cfg = load_config(TrainConfig, recipe(tmp_path), ["clip.dense_weight=1", "clip.dense_target=presence",
                                                      f"out_dir={tmp_path / 'run'}", "device=cpu"])
    with pytest.raises(Built):
        loop.train(cfg, checked=True)
    notes = [x for x in capsys.readouterr().err.splitlines() if "does not use" in x]
    assert notes == ["[rsvlm.train] the LM loop (objective lm) does not use clip.dense_weight=1.0, "
                     "clip.dense_target='presence'; only contrastive pretraining (objective clip) does"], notes
    assert unused_settings(load_config(TrainConfig, recipe(tmp_path))) == []  # the recipe alone sets none of them
    cfg = load_config(TrainConfig, None, ["objective=clip", "loss.loc_sigma=2", "clip.box_weight=1"])
    assert unused_settings(cfg) == ["loss.loc_sigma=2.0"]  # the contrastive side as before


def test_a_contrastive_step_folder_is_named_as_such_to_an_lm_resume_and_exports_its_encoder(tmp_path, monkeypatch,
                                                                                            capsys):
    """An LM ckpt.resume of a contrastive step folder said "lacks trainable.safetensors (a half-written or
    damaged step folder)", not_a_step_folder called it a DeepSpeed folder (it has a trainer_state_rank0.json),
    and export_step refused it, naming model.safetensors, which no encoder's pretrained can read."""
    from safetensors.torch import load_file
    from script_loader import load_script

    from rsvlm.train import checkpoint as ckpt

    data = make_records(tmp_path / "d", n=6, ir_every=0)
    clip = tmp_path / "clip"
    assert train_main(["--config", str(recipe(tmp_path, "pretrain_encoder_tiny.yaml")), f"data.train={data}",
                       f"out_dir={clip}", "log.progress=false", "batch_size=2", "max_steps=1", "ckpt.every=1"]) == 0
    step = clip / "checkpoints" / "step_000001"
    capsys.readouterr()
    assert train_main(["--config", str(recipe(tmp_path)), f"data.train={data}", f"out_dir={tmp_path / 'lm'}",
                       "log.progress=false", "batch_size=2", "max_steps=1", f"ckpt.resume={step}"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "not a step folder of the LM loop; it is a step folder of contrastive pretraining" in err[0]
    assert "half-written" not in err[0] and f"scripts/export_step.py {step} --out DIR" in err[0], err
    for deepspeed in (False, True):  # a ZeRO run is told the same (it 'lacked deepspeed' as a damaged folder)
        with pytest.raises(FileNotFoundError, match="step folder of contrastive pretraining"):
            ckpt.check_step_folder(step, 0, deepspeed)
    assert "DeepSpeed" not in ckpt.not_a_step_folder(step) and "contrastive" in ckpt.not_a_step_folder(step)
    export = load_script("export_step", monkeypatch)
    assert export.main([str(step), "--out", str(tmp_path / "enc")]) == 0  # its encoder, as final/ holds it
    got, want = load_file(tmp_path / "enc" / "encoder.safetensors"), load_file(clip / "final" / "encoder.safetensors")
    assert got.keys() == want.keys() and all(torch.equal(got[k], want[k]) for k in want)


def test_a_base_that_is_a_folder_is_said_to_be_one(tmp_path):
    """'base: configs/model' (the folder, not model.yaml in it) was 'base file not found'; it is there."""
    (tmp_path / "model").mkdir()
    p = tmp_path / "run.yaml"
    p.write_text("model:\n  base: model\n")
    with pytest.raises(ConfigError) as e:
        load_config(TrainConfig, p)
    assert str(e.value) == f"base {tmp_path / 'model'} is a folder; give a config file (.yaml) (named in {p})"


def test_a_bad_key_from_a_base_file_names_that_file_not_the_one_naming_it(tmp_path):
    """A typo in configs/model/X.yaml (model: {base: …}) was blamed on the recipe, which does not hold it."""
    (tmp_path / "model.yaml").write_text("llm: {lora_r: 4}\nlora_rr: 4\n")
    (tmp_path / "run.yaml").write_text("model:\n  base: model.yaml\n  llm: {lora_alpha: 8}\nmax_steps: 2\n")
    (tmp_path / "top.yaml").write_text("base: run.yaml\ndata: {extra: [{pth: x}]}\n")
    run, top, model = (tmp_path / n for n in ("run.yaml", "top.yaml", "model.yaml"))
    with pytest.raises(ConfigError, match=rf"^{model} \(a base of {run}\): unknown key model.lora_rr"):
        load_config(TrainConfig, run)
    with pytest.raises(ConfigError, match=rf"^{model} \(a base of {top}\): unknown key model.lora_rr"):
        load_config(TrainConfig, top)  # through two bases
    (tmp_path / "model.yaml").write_text("llm: {lora_r: 4}\n")
    with pytest.raises(ConfigError, match=rf"^{top}: unknown key data.extra\[0\].pth"):
        load_config(TrainConfig, top)  # the file's own key is still the file's
    (tmp_path / "run.yaml").write_text("model:\n  base: model.yaml\n  llm: {lora_alpha: x}\n")
    with pytest.raises(ConfigError, match=rf"^{run} \(a base of {top}\): model.llm.lora_alpha: expected"):
        load_config(TrainConfig, top)
