"""Stop 68, training: near names offered for a misspelt encoder or stem entry and a value of a few allowed ones,
the YAML colon hint for a mapping value with a dot, and a torchrun run's global batch against its recipe's header."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rsvlm.config import load_config
from rsvlm.train import main as train_main
from rsvlm.train.config import TrainConfig, global_batch_note, header_global_batch

REPO = Path(__file__).resolve().parents[1]
SFT = REPO / "configs" / "train" / "sft_tiny.yaml"


@pytest.mark.parametrize("override, says", [
    # was: a new encoder 'defualt' was built beside 'default', no stem read it, and the run trained without a word
    ("model.encoders.defualt.patch_size=16", "model.encoders.defualt: no stem reads it (model.stems.NAME.encoder: "
                                             "default, sar), so it would be built and never trained (a key misspelt "
                                             "makes a new encoder); did you mean default?"),
    # these named the encoders but offered none
    ("model.stems.optical.encoder=defualt", "model.stems.optical.encoder 'defualt' is not among model.encoders "
                                            "['default', 'sar']; did you mean default?"),
    ("model.stems.sar.encoder=SAR", "; did you mean sar?"),
    ("model.stems.optcal.mean=[0,0,0]", "model.stems.optcal.modality is 'optical'; it must equal its key 'optcal' "
                                        "(model.stems: optical, msi, sar, ir, optcal: a key misspelt makes a new stem; "
                                        "did you mean optical?)"),
    ("data.band_dropout={sra: 0.5}", "the model has no stem for 'sra' (model.stems: optical, msi, sar, ir); "
                                     "did you mean sar?"),
    ("data.modality_weights={optcal: 1}", "(model.stems: optical, msi, sar, ir); did you mean optical?"),
    ("dist.backend=glo", "got 'glo'; did you mean gloo?"),
    ("data.augment=flp", "got 'flp'; did you mean flip?"),
    ("data.batching=naive_", "got 'naive_'; did you mean naive?"),
    ("data.missing_bands=mean_", "got 'mean_'; did you mean mean?"),
    # the value's dot was read as a level: no hint (the key was taken to be '5')
    ("data.band_dropout={sra:0.5}", "YAML needs a space after the colon: {sra: 0.5}"),
])
def test_a_misspelt_name_is_offered_the_one_it_is_near(override, says, tmp_path, capsys):
    out = tmp_path / "run"
    argv = ["--config", str(SFT), f"data.train={tmp_path / 'train.jsonl'}", f"out_dir={out}", override]
    assert train_main(argv) == 2
    err = capsys.readouterr().err
    assert says in err and "Traceback" not in err, err
    assert not out.exists()


def test_an_unread_encoder_unlike_any_read_one_may_stay(tmp_path):
    """Stems left out by an override (an optical-only model from sft_tiny) leave its 'sar' encoder unread: no typo."""
    from rsvlm.train.config import check_links

    stems = "model.stems={optical: {modality: optical, bands: [R, G, B], mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25]}}"
    cfg = load_config(TrainConfig, SFT, [stems])
    check_links(cfg.model)
    cfg = load_config(TrainConfig, SFT, [stems, "model.encoders.defualt.width=64"])
    with pytest.raises(ValueError, match="did you mean default"):
        check_links(cfg.model)


def test_a_run_on_several_processes_says_when_its_global_batch_is_not_the_recipes():
    """Plain torchrun on two processes trained sft_tiny.yaml at a global batch of 8 while its header says 4."""
    assert header_global_batch(SFT) == 4
    cfg = load_config(TrainConfig, SFT)
    note = global_batch_note(cfg, SFT, 2)
    assert note and note.startswith("global batch 8 (batch_size 4 × grad_accum 1 × 2 processes), not the 4 of ")
    assert "set batch_size=2" in note and "scripts/launch.py" in note
    assert global_batch_note(load_config(TrainConfig, SFT, ["batch_size=2"]), SFT, 2) is None
    assert global_batch_note(load_config(TrainConfig, SFT, ["batch_size=1", "grad_accum=2"]), SFT, 2) is None
    assert global_batch_note(cfg, SFT, 1) is None  # one process: the header's own reading
    assert "batch_size=1 grad_accum=1" in global_batch_note(load_config(TrainConfig, SFT, ["grad_accum=3"]), SFT, 4)


@pytest.mark.parametrize("name", ["sft_tiny.yaml", "align_tiny.yaml"])  # the tiny recipes whose headers give one
def test_a_tiny_recipes_own_launch_lines_keep_its_global_batch(name):
    """sft_tiny.yaml's header gave a torchrun line on 2 processes without batch_size=2 (global batch 8 for its 4),
    align_tiny.yaml's one on 8 GPUs, which no batch_size fits."""
    path = REPO / "configs" / "train" / name
    header = "".join(ln[1:].rstrip("\\\n") + ("\n" if not ln.rstrip().endswith("\\") else " ")
                     for ln in path.read_text().splitlines(keepends=True) if ln.startswith("#"))
    want, base, checked = header_global_batch(path), load_config(TrainConfig, path), 0
    for line in header.splitlines():
        words = line.replace("…", "").split()
        if not words or words[0] not in ("torchrun", "deepspeed"):
            continue
        world = int(re.search(r"--(?:nproc_per_node|num_gpus)\s+(\d+)", line).group(1))
        sets = dict(w.split("=", 1) for w in words if "=" in w and not w.startswith("-"))
        batch, accum = int(sets.get("batch_size", base.batch_size)), int(sets.get("grad_accum", base.grad_accum))
        assert batch * accum * world == want, line
        checked += 1
    assert checked, f"{name}: no torchrun or deepspeed line in its header"


@pytest.mark.parametrize("override, meant", [
    ("train_micro_batch_size_per_gpu=2", "batch_size=2"),  # DeepSpeed's name: was data.train=2
    ("save_steps=100", "ckpt.every=100"), ("logging_steps=10", "log.every=10"),  # HF Trainer's: were no hint
    # FOREIGN's steps is no max_steps (which ends the run after 3 steps) where the words before it make it a key
    # of ours or name a section of ours: these were max_steps=3
    ("optim.warmup.steps=3", "optim.warmup_steps=3"), ("warmup.steps=3", "optim.warmup_steps=3"),
    ("optim.steps=3", None), ("clip.steps=3", None), ("training.steps=3", "max_steps=3"),
    ("steps=3", "max_steps=3"), ("log.steps=3", "log.every=3"),  # were model.stems=3, a mapping, for a number
    ("micro_batch_size=2", "batch_size=2"), ("dataloader_num_workers=2", "data.num_workers=2"),  # were no hint
    ("data.workers=2", "data.num_workers=2"), ("data.image_root=x", "data.root=x"), ("data_path=x", "data.train=x"),
    ("ckpt.save_every=3", "ckpt.every=3"), ("save_total_limit=2", "ckpt.keep=2"), ("adam_epsilon=1e-8", "optim.eps=1e-8"),
    ("lr_scheduler_type=cosine", "optim.schedule=cosine"), ("model_max_length=64", "data.max_length=64")])
def test_another_trainers_name_for_a_key_elsewhere_is_told_ours(override, meant):
    from rsvlm.config import ConfigError

    with pytest.raises(ConfigError) as e:
        load_config(TrainConfig, SFT, [override])
    said = str(e.value)
    assert said.endswith(f"(did you mean {meant}?)") if meant else "did you mean" not in said, said


@pytest.mark.parametrize("text, meant", [("steps: 3\n", "max_steps"), ("log: {steps: 3}\n", "log.every"),
                                         ("train_micro_batch_size_per_gpu: 2\n", "batch_size"),
                                         ("save_steps: 100\n", "ckpt.every"), ("logging_steps: 10\n", "log.every"),
                                         # were max_steps: no run length of a section's
                                         ("optim: {steps: 3}\n", None), ("clip: {steps: 3}\n", None),
                                         ("optim: {warmup: {steps: 3}}\n", "optim.warmup_steps")])
def test_a_recipe_key_named_as_another_trainer_names_it_elsewhere_is_told_ours(tmp_path, text, meant):
    from rsvlm.config import ConfigError

    path = tmp_path / "r.yaml"
    path.write_text(f"base: {SFT}\n{text}")
    with pytest.raises(ConfigError) as e:
        load_config(TrainConfig, path)
    said = str(e.value)
    assert said.endswith(f"(did you mean {meant}?)") if meant else "did you mean" not in said, said


def test_accelerates_cpu_launcher_starting_one_of_several_processes_is_refused(tmp_path, monkeypatch, capsys,
                                                                              sft_record):
    """`accelerate launch --cpu --num_processes 2 -m rsvlm.train …` starts one process without RANK or WORLD_SIZE;
    docs/distributed.md said it was refused, but without dist.deepspeed it trained that one alone, unsaid."""
    from rsvlm.train.run import check_launch

    for k in ("RANK", "WORLD_SIZE", "LOCAL_RANK"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("ACCELERATE_MIXED_PRECISION", "no")  # what accelerate 1.x's simple launcher sets, as N=1
    cfg = load_config(TrainConfig, SFT, ["device=cpu"])
    assert check_launch(cfg)[0] == 1  # one process asked: one started
    monkeypatch.setenv("MASTER_ADDR", "127.0.0.1")  # set where N > 1 was asked
    monkeypatch.setenv("MASTER_PORT", "29500")
    out = tmp_path / "run"
    argv = ["--config", str(SFT), f"data.train={sft_record}", f"out_dir={out}", "device=cpu"]
    assert train_main(argv) == 2
    err = capsys.readouterr().err
    assert "accelerate launch was asked for several processes" in err and "torchrun --nproc_per_node N" in err, err
    assert not out.exists()


def test_another_trainers_name_is_offered_only_a_key_the_config_has(tmp_path):
    """A DeepSpeed JSON given as a model config (memory_plan's positional) was told batch_size, no VLMConfig key."""
    from rsvlm.config import ConfigError
    from rsvlm.model.vlm import VLMConfig

    path = tmp_path / "m.yaml"
    path.write_text("train_micro_batch_size_per_gpu: 2\n")
    with pytest.raises(ConfigError) as e:
        load_config(VLMConfig, path)
    assert "did you mean" not in str(e.value), str(e.value)


def test_memory_plans_gpus_take_the_size_as_its_metavar_writes_it():
    """--gpus 8x80GiB (the metavar is [NODESx][GPUSx]GiB) was refused: 'give GiB per GPU …'."""
    from conftest import load_script

    plan = load_script("memory_plan")
    assert plan.gpus("8x80GiB") == plan.gpus("8x80") == (8, 1, 80.0)
    assert plan.gpus("2x8x40G") == (8, 2, 40.0) and plan.gpus("141gib") == (1, 1, 141.0)
    for bad in ("8x0GiB", "GiB", "80GB"):
        with pytest.raises(Exception, match="give GiB per GPU"):
            plan.gpus(bad)
