"""Tour 53 of training: exit statuses, the bad-sample verdicts of several processes, resume changes as data."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from test_train_utils import make_records, recipe, two_ranks

from rsvlm.train import main as train_main


def _argv(tmp_path: Path, *extra: str) -> tuple[list[str], Path]:
    data = make_records(tmp_path / "d", n=8, ir_every=0)
    out = tmp_path / "run"
    return ["--config", str(recipe(tmp_path)), f"data.train={data}", f"out_dir={out}", "log.progress=false",
            "batch_size=4", *extra], out


@pytest.mark.parametrize("env, override, says", [
    ({"WORLD_SIZE": "2"}, None, "2 processes but no dist.deepspeed config"),
    ({}, "init_from={tmp}/nothing", "init_from: no"),
    ({}, "ckpt.resume={tmp}/nothing", "ckpt.resume: no checkpoint folder"),
])
def test_a_refusal_before_the_run_starts_exits_2_and_writes_nothing(tmp_path, capsys, monkeypatch, env, override,
                                                                     says):
    """They exited 1, as a failure while training does, though the one line names a setting to change."""
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    argv, out = _argv(tmp_path, *([override.format(tmp=tmp_path)] if override else []))
    assert train_main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("rsvlm train: ") and says in err[0], err
    assert not out.exists()


CASES = {  # case: (each rank's counts, whether its first micro-batch was empty, what every rank says)
    "share": ([{"samples": 40, "bad": 0, "bad_ids": []},
               {"samples": 40, "bad": 40, "bad_ids": ["rec1"], "first_bad": "rec1: OSError: truncated"}],
              [False, False], "40 of 80 samples could not be used"),
    "first": ([{"samples": 4, "bad": 0, "bad_ids": []},
               {"samples": 4, "bad": 4, "bad_ids": ["rec1"], "first_bad": "rec1: OSError: truncated"}],
              [False, True], "1 of 2 processes had a micro-batch of bad samples only"),
}


def _verdicts(rank: int, world: int, store: str, results: str) -> None:
    """One process of ``test_every_process_reaches_the_same_bad_sample_verdict``: its verdicts, as files."""
    from types import SimpleNamespace

    import torch.distributed as dist

    from rsvlm.train.run import TooManyBadSamples, check_micro_batch

    dist.init_process_group("gloo", init_method=f"file://{store}", rank=rank, world_size=world)
    cfg = SimpleNamespace(data=SimpleNamespace(max_bad_fraction=0.01))
    for case, (states, stuck, _) in CASES.items():
        try:
            check_micro_batch(states[rank], cfg, stuck[rank], world)
            said = "went on"
        except TooManyBadSamples as e:
            said = str(e)
        Path(results, f"{case}{rank}.txt").write_text(said)
    dist.destroy_process_group()


def test_every_process_reaches_the_same_bad_sample_verdict(tmp_path):
    """The LM loop decided the bad share (and an empty first micro-batch) per process: the process with
    the bad samples stopped while the others waited in the next collective, for ever (the contrastive
    loop summed the counts). Two gloo processes on the CPU."""
    two_ranks(_verdicts, tmp_path)  # forked; a hang fails the test (60 s was short for a loaded machine)
    for case, (_, _, says) in CASES.items():
        said = [(tmp_path / f"{case}{r}.txt").read_text() for r in (0, 1)]
        assert all(says in s and "rec1" in s for s in said), said  # rank 0 too, naming rank 1's sample


def test_config_changes_are_data_and_one_spelling(tmp_path):
    from rsvlm.config import load_config, save_config
    from rsvlm.train.checkpoint import Change, config_changes
    from rsvlm.train.config import TrainConfig
    from rsvlm.train.resume import changes_model

    save_config(load_config(TrainConfig, recipe(tmp_path), ["model.llm.tokenizer=/a → b"]), tmp_path / "train_config.yaml")
    now = load_config(TrainConfig, recipe(tmp_path), ["model.llm.tokenizer=/c", "optim.lr=0.5"])
    changes = config_changes(tmp_path, now)
    tok = next(c for c in changes if c.key == "model.llm.tokenizer")
    assert tok == Change("model.llm.tokenizer", "/a → b", "/c") and str(tok) == "model.llm.tokenizer: '/a → b' → '/c'"
    assert not changes_model(tok)  # a file moved; a set or unset path, or any other model key, is a change
    assert changes_model(Change("model.llm.tokenizer", None, "/c")) and changes_model(Change("model.llm.lora_r", 4, 8))
    assert not changes_model(next(c for c in changes if c.key == "optim.lr"))
    assert json.dumps([str(c) for c in changes])  # the messages' spelling, one per change


def test_contrastive_pairs_of_a_modality_without_a_stem_are_counted_apart_not_as_bad_samples(tmp_path, capsys):
    """Each draw of one was a bad sample ('no stem for modality'), so a file with a few SAR captions
    failed the run over data.max_bad_fraction, though nothing in the data was wrong."""
    data = make_records(tmp_path / "d", n=12, ir_every=4)  # 4 caption records, 1 of them ir
    out = tmp_path / "clip"
    stems = "model.stems={optical: {modality: optical, bands: [R, G, B], mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25]}}"
    argv = ["--config", str(recipe(tmp_path, "pretrain_encoder_tiny.yaml")), f"data.train={data}", f"out_dir={out}",
            "log.progress=false", "batch_size=4", "max_steps=1", stems]
    assert train_main(argv) == 0
    err = capsys.readouterr().err
    assert "1 ir caption pair left out: model.stems has no stem for that modality (it has optical)" in err
    summary = json.loads((out / "summary.json").read_text())
    assert summary["no_stem_pairs"] == {"ir": 1} and summary["bad_samples"] == 0 and summary["samples"] == 3


def test_a_run_shorter_than_its_warm_up_says_its_lr_never_reaches_optim_lr(tmp_path, capsys):
    """max_steps=3 with optim.warmup_steps=10 trained at 3/11 of optim.lr at most, without a word."""
    from rsvlm.config import load_config
    from rsvlm.train.config import TrainConfig
    from rsvlm.train.run import note_schedule

    argv, out = _argv(tmp_path, "max_steps=1", "optim.warmup_steps=1", "optim.lr=1e-3")
    assert train_main(argv) == 0
    warned = [ln for ln in capsys.readouterr().err.splitlines() if "optim.warmup_steps=1 " in ln]
    assert len(warned) == 1 and "not below max_steps=1" in warned[0] and "rising to 0.0005 " in warned[0], warned
    assert json.loads((out / "metrics.jsonl").read_text().splitlines()[-1])["lr"] == pytest.approx(5e-4)
    for steps, warns in ((3, True), (10, True), (11, False)):  # 10 steps of warm-up, then one at optim.lr
        note_schedule(load_config(TrainConfig, recipe(tmp_path), ["optim.warmup_steps=10", f"max_steps={steps}"]), 0)
        assert ("the whole run is warm-up" in capsys.readouterr().err) == warns, steps


def test_an_epoch_whose_weighted_draws_fill_no_batch_is_passed_over_not_a_failure(tmp_path, capsys):
    """3 optical and 3 ir records in batches of 4, drawn with weights (with replacement): epoch 2 of
    seed 1 draws fewer than 4 of each, and the run failed there, mid-way, 'cannot fill one global batch'."""
    data = make_records(tmp_path / "six", n=6, ir_every=2)
    argv, out = _argv(tmp_path, f"data.train={data}", "seed=1", "data.modality_temperature=2", "max_steps=2")
    assert train_main(argv) == 0
    assert "epoch 2: the weighted draws filled no global batch of 4; passed over to epoch 3" in capsys.readouterr().err
    assert json.loads((out / "summary.json").read_text())["epochs"] == 3  # counted from 1 (tour 59)


def test_a_contrastive_run_whose_every_step_was_passed_over_fails_and_saves_nothing(tmp_path, capsys):
    """Under data.max_bad_fraction=1 with every image gone it said 'done' (exit 0) and wrote a random
    encoder as final/, where the LM loop stops after an epoch without one usable sample."""
    data = make_records(tmp_path / "d", n=8, ir_every=0)
    data.write_text(data.read_text().replace("images/", "gone/"))
    out = tmp_path / "clip"
    argv = ["--config", str(recipe(tmp_path, "pretrain_encoder_tiny.yaml")), f"data.train={data}", f"out_dir={out}",
            "log.progress=false", "batch_size=4", "max_steps=2", "data.max_bad_fraction=1"]
    assert train_main(argv) == 2  # refused up front since lead 70b (inputs.check_images_there), max_bad_fraction or not
    err = capsys.readouterr().err.strip().splitlines()
    assert "done:" not in "".join(err) and "NoImageFound: none of the image files is there" in err[-1]
    assert "image not found" in err[-1] and not out.exists()


def test_a_contrastive_step_folder_of_two_processes_is_refused_for_one_before_anything_is_built(tmp_path, capsys):
    """The LM loop refused it; the contrastive one resumed unsaid (fewer processes) or failed on a missing
    RNG file after building the model (more)."""
    step = tmp_path / "step_000002"
    step.mkdir()
    for name in ("model.safetensors", "scheduler.json", "rng_rank0.json", "rng_rank1.json"):
        (step / name).write_text("{}")
    data = make_records(tmp_path / "d", n=8, ir_every=0)
    out = tmp_path / "clip"
    assert train_main(["--config", str(recipe(tmp_path, "pretrain_encoder_tiny.yaml")), f"data.train={data}",
                       f"out_dir={out}", f"ckpt.resume={step}"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "saved by 2 processes and this run has 1; resume with 2" in err[0], err
    assert not out.exists()


def test_a_resume_with_another_seed_or_init_from_is_refused_in_the_lm_loop(tmp_path):
    """The frozen weights (a config-built LLM under LoRA, a frozen random encoder) are drawn from the seed
    again at a resume; a changed seed gave the resumed run other ones, with only a note."""
    from rsvlm.config import load_config, save_config
    from rsvlm.train.config import TrainConfig
    from rsvlm.train.resume import model_changes

    def cfg(*ov):
        return load_config(TrainConfig, recipe(tmp_path), ["data.train=x.jsonl", *ov])

    save_config(cfg("seed=0", "init_from=/a/final"), tmp_path / "train_config.yaml")
    with pytest.raises(ValueError, match=r"seed: 0 → 5 \(seed: the frozen weights, which step folders do not hold"):
        model_changes(tmp_path, cfg("seed=5", "init_from=/a/final"))
    with pytest.raises(ValueError, match=r"init_from: '/a/final' → None"):
        model_changes(tmp_path, cfg("seed=0"))
    assert [c.key for c in model_changes(tmp_path, cfg("seed=0", "init_from=/moved/final"))] == ["init_from"]
    assert [c.key for c in model_changes(tmp_path, cfg("seed=5", "init_from=/a/final", "objective=clip"))] == [
        "objective", "seed"]  # the contrastive loop saves every weight: its seed moves the draws only


def test_a_save_after_resuming_from_an_earlier_step_removes_the_later_ones_not_itself(tmp_path, capsys):
    """Resumed from step 2 of a run that had gone on to step 4, with ckpt.keep=1: the save of step 3
    deleted itself and kept step 4 of the abandoned run, which ckpt.resume=auto then picked."""
    from rsvlm.config import load_config
    from rsvlm.train import checkpoint as ckpt
    from rsvlm.train.config import TrainConfig
    from rsvlm.train.resume import note_resume

    root = tmp_path / "run" / "checkpoints"
    for step in (2, 4):
        ckpt.step_dir(root, step).mkdir(parents=True)
    cfg = load_config(TrainConfig, recipe(tmp_path), ["data.train=x.jsonl", f"out_dir={tmp_path / 'run'}",
                                                       f"ckpt.resume={ckpt.step_dir(root, 2)}"])
    note_resume(cfg, True, 2)
    err = capsys.readouterr().err
    assert f"1 step folder in {root} past step 2 (step_000004) is of the run that went on from it" in err, err
    step3 = ckpt.step_dir(root, 3)
    ckpt.prepare_tmp(step3)
    ckpt.commit(step3, keep=1)
    assert sorted(p.name for p in root.iterdir()) == ["step_000003"]
    assert ckpt.latest_checkpoint(root) == step3


@pytest.mark.parametrize("override, says", [
    ("data.band_dropout={optics: 0.5}", "data.band_dropout['optics']: the model has no stem for 'optics'"),
    ("model.stems.optical.std=[1.0]", "stem 'optical': bands ['R', 'G', 'B'], mean and std must have one entry"),
])
def test_a_setting_the_model_cannot_use_is_refused_before_anything_is_written(tmp_path, capsys, override, says):
    """A band_dropout typo trained without dropout, unsaid; a stem's std of the wrong length was found while
    the model was built (exit 1, out_dir already written)."""
    argv, out = _argv(tmp_path, "max_steps=1", override)
    assert train_main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and says in err[0], err
    assert not out.exists()


@pytest.mark.parametrize("override, says", [
    ("clip.context_length=0", "clip.context_length must be >= 2, got 0"),  # was a RuntimeError traceback
    ("clip.context_length=1", "clip.context_length must be >= 2, got 1"),  # was every caption cut to nothing
    ("clip.text_heads=3", "clip.text_width=64 must be a multiple of clip.text_heads=3"),  # an AssertionError
    ("clip.embed_dim=0", "clip.embed_dim must be >= 1, got 0"),  # a RuntimeError traceback
])
def test_a_text_tower_that_cannot_be_built_is_a_config_error(tmp_path, capsys, override, says):
    out = tmp_path / "clip"
    assert train_main(["--config", str(recipe(tmp_path, "pretrain_encoder_tiny.yaml")), "data.train=x.jsonl",
                       f"out_dir={out}", override]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and says in err[0], err


@pytest.mark.parametrize("override, says", [
    ("loss.pointer_weight=-1", "loss.pointer_weight must be >= 0 (0: off), got -1.0"),  # was trained, maximising it
    ("loss.loc_sigma=nan", "loss.loc_sigma must be >= 0 (0: off), got nan"),  # NaN passed `< 0`
    ("clip.dense_weight=.nan", "clip.dense_weight must be >= 0 (0: off), got nan"),
    ("clip.box_weight=-0.5", "clip.box_weight must be >= 0 (0: off), got -0.5"),
    ("data.task_temperature=.nan", "data.task_temperature and data.modality_temperature must be > 0"),
    ("data.extra=[{path: b.jsonl, weight: .nan}]", "data.extra[0] (b.jsonl): weight must be > 0, got nan"),
])
def test_a_weight_below_zero_or_nan_is_refused(tmp_path, override, says):
    from rsvlm.config import load_config
    from rsvlm.train.config import TrainConfig, check_config

    with pytest.raises(ValueError, match=re.escape(says)):
        check_config(load_config(TrainConfig, recipe(tmp_path), ["data.train=x.jsonl", override]))


def test_resuming_another_runs_step_folder_into_an_out_dir_that_holds_a_run_is_refused(tmp_path, capsys):
    """The check let any ckpt.resume through: the two runs' metrics and step folders mixed in out_dir."""
    from rsvlm.config import load_config
    from rsvlm.train.config import TrainConfig
    from rsvlm.train.resume import continues_own

    other = tmp_path / "a" / "checkpoints" / "step_000001"
    other.mkdir(parents=True)
    argv, out = _argv(tmp_path, f"ckpt.resume={other}")
    out.mkdir()
    (out / "metrics.jsonl").write_text('{"step": 1}\n')
    assert train_main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"ckpt.resume={other} is not one of its step folders" in err[0], err
    assert (out / "metrics.jsonl").read_text() == '{"step": 1}\n'

    def cfg(resume):
        return load_config(TrainConfig, recipe(tmp_path), [f"out_dir={out}", f"ckpt.resume={resume}"])

    assert continues_own(cfg("auto")) and continues_own(cfg(out / "checkpoints" / "step_000003"))
    assert not continues_own(cfg(other))  # so overwrite=true removes out_dir's run first


@pytest.mark.parametrize("where, says", [("file", "{f} is a file; give a folder"),
                                         ("file/run", "{f} is a file, not a folder to make it in")])
def test_an_out_dir_that_cannot_be_made_is_refused_naming_why(tmp_path, capsys, where, says):
    """It was '[Errno 17] File exists' (exit 1), or a NotADirectoryError traceback, once the model was built."""
    (tmp_path / "file").write_text("")
    argv, _ = _argv(tmp_path, f"out_dir={tmp_path / where}")
    assert train_main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and says.format(f=tmp_path / "file") in err[0] and "Traceback" not in err[0], err


def test_lm_records_of_a_modality_without_a_stem_are_counted_apart_not_as_malformed(tmp_path, capsys):
    """They counted as malformed lines: 2 ir records of 8 under an optical-only model refused the run
    (> data.max_bad_fraction), though nothing in the data was wrong."""
    data = make_records(tmp_path / "mixed", n=8, ir_every=4)  # rec3 and rec7 are ir
    stems = "model.stems={optical: {modality: optical, bands: [R, G, B], mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25]}}"
    argv, out = _argv(tmp_path, f"data.train={data}", "max_steps=1", "batch_size=2", stems)
    assert train_main(argv) == 0
    assert "2 ir records left out: model.stems has no stem for that modality (it has optical)" in capsys.readouterr().err
    summary = json.loads((out / "summary.json").read_text())
    assert summary["no_stem_records"] == {"ir": 2} and summary["malformed_records"] == 0


def test_contrastive_bad_draws_are_counted_not_listed_and_an_old_listing_resumes(tmp_path, capsys):
    """The contrastive loop kept the id of every bad draw, in every checkpoint and summary.json (a list
    as long as the run's bad draws); it now counts them and keeps the first 1000 ids once, as the LM loop."""
    data = make_records(tmp_path / "d", n=12, corrupt=5, ir_every=0)  # rec1 and rec4: caption records, cut short
    out = tmp_path / "clip"
    argv = ["--config", str(recipe(tmp_path, "pretrain_encoder_tiny.yaml")), f"data.train={data}", f"out_dir={out}",
            "log.progress=false", "batch_size=4", "ckpt.every=1", "data.max_bad_fraction=1"]
    assert train_main([*argv, "max_steps=1"]) == 0
    state_file = out / "checkpoints" / "step_000001" / "trainer_state_rank0.json"
    state = json.loads(state_file.read_text())
    assert state["bad"] == 2 and sorted(state["bad_ids"]) == ["rec1", "rec4"]
    state["bad"] = ["rec1", "rec4", "rec1"]  # as a folder saved before: every bad draw's id
    state_file.write_text(json.dumps(state))
    assert train_main([*argv, "max_steps=2", "ckpt.resume=auto"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["bad_samples"] == 3 + 2 and summary["bad_ids"] == ["rec1", "rec4"]  # step 2 drew all 4 again
