"""Training rough edges found on tour 52: file sizes of the loops, the logged LR, a changed model
section on resume, launcher variables, NaN losses, all-bad data, bad samples named once, the
contrastive loop's summary, skipped steps, cut captions, unused settings and done line, and checks
(init_from, tensorboard) made before the model is built."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_train_utils import make_records, recipe

from rsvlm.train import main as train_main

REPO = Path(__file__).resolve().parents[1]


def test_each_training_module_is_read_at_one_sitting_and_the_old_imports_still_work():
    long = {p.name: n for p in (REPO / "rsvlm" / "train").glob("*.py")
            if (n := len(p.read_text().splitlines())) > 500}
    assert not long, long  # loop.py had 522 lines, clip.py 515
    from rsvlm.train import clip, clip_heads, loop, run

    assert loop.TooManyBadSamples is run.TooManyBadSamples and loop.check_out_dir is run.check_out_dir
    assert clip.center_targets is clip_heads.center_targets and clip.box_loss is clip_heads.box_loss


def _forbid_build(monkeypatch, before: str) -> None:
    """``build_model`` fails the test: the run was to stop ``before`` it."""
    import rsvlm.train.loop as loop

    def no_build(*a, **k):
        raise AssertionError(f"the model was built before {before}")

    monkeypatch.setattr(loop, "build_model", no_build)


def _argv(tmp_path, *extra: str) -> tuple[list[str], Path]:
    data = make_records(tmp_path / "d", n=8, ir_every=0)
    out = tmp_path / "run"
    return ["--config", str(recipe(tmp_path)), f"data.train={data}", f"out_dir={out}", "log.progress=false",
            "batch_size=4", *extra], out


def test_a_metrics_line_logs_the_lr_its_step_used(tmp_path):
    argv, out = _argv(tmp_path, "max_steps=2", "optim.lr=1e-3", "optim.warmup_steps=1", "optim.schedule=constant")
    assert train_main(argv) == 0
    lrs = [json.loads(x)["lr"] for x in (out / "metrics.jsonl").read_text().splitlines()]
    assert lrs == pytest.approx([1e-3 / 2, 1e-3], rel=1e-9)  # a step of warm-up; it logged the next step's: 1e-3 twice


@pytest.mark.parametrize("change, named", [
    ("model.llm.lora_alpha=64", "model.llm.lora_alpha: 8 → 64"),  # was resumed with 8× the LoRA scale, unsaid
    ("model.trainable.projector=frozen", "model.trainable.projector: 'full' → 'frozen'"),  # was refused after the build
])
def test_a_changed_model_section_on_resume_is_refused_before_the_model_is_built(tmp_path, capsys, monkeypatch, change,
                                                                               named):
    argv, out = _argv(tmp_path, "ckpt.every=1")
    assert train_main([*argv, "max_steps=1"]) == 0
    saved = (out / "train_config.yaml").read_text()
    capsys.readouterr()

    _forbid_build(monkeypatch, "the model section was compared")
    assert train_main([*argv, "max_steps=2", "ckpt.resume=auto", change]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "was trained with another model section" in err[0] and named in err[0], err
    assert "max_steps" not in err[0]  # only the model's keys are named
    assert (out / "train_config.yaml").read_text() == saved


def test_a_moved_model_file_may_be_resumed_from_but_a_path_set_anew_may_not(tmp_path, capsys):
    from rsvlm.config import load_config, save_config
    from rsvlm.train.config import TrainConfig
    from rsvlm.train.resume import check_changes

    cfg = load_config(TrainConfig, recipe(tmp_path), ["model.llm.tokenizer=/old/tok"])
    save_config(cfg, tmp_path / "train_config.yaml")
    check_changes(tmp_path, load_config(TrainConfig, recipe(tmp_path), ["model.llm.tokenizer=/new/tok"]), rank=0)
    assert "model.llm.tokenizer: '/old/tok' → '/new/tok'" in capsys.readouterr().err  # named, not refused
    with pytest.raises(ValueError, match=r"model\.encoders\.default\.pretrained: None → '/w\.safetensors'"):
        check_changes(tmp_path, load_config(TrainConfig, recipe(tmp_path), [
            "model.llm.tokenizer=/old/tok", "model.encoders.default.pretrained=/w.safetensors"]), rank=0)


def test_a_changed_model_section_on_a_contrastive_resume_is_refused_before_anything_is_written(tmp_path, capsys):
    data = make_records(tmp_path / "d", n=12, ir_every=0)
    out = tmp_path / "clip"
    argv = ["--config", str(recipe(tmp_path, "pretrain_encoder_tiny.yaml")), f"data.train={data}", f"out_dir={out}",
            "log.progress=false", "batch_size=4", "ckpt.every=1"]
    assert train_main([*argv, "max_steps=1"]) == 0
    saved = (out / "train_config.yaml").read_text()
    capsys.readouterr()
    assert train_main([*argv, "max_steps=2", "ckpt.resume=auto", "model.stems.optical.std=[1.0, 1.0, 1.0]"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    # was: resumed, its images normalised otherwise than the encoder was trained on, with a note among the changes
    assert len(err) == 1 and "model.stems.optical.std" in err[0] and "another model section" in err[0], err
    assert (out / "train_config.yaml").read_text() == saved  # was replaced by the refused run's config


@pytest.mark.parametrize("name, value, says", [
    ("LOCAL_RANK", "abc", "LOCAL_RANK='abc' is not a whole number"), ("LOCAL_RANK", "-1", "LOCAL_RANK=-1: must be 0"),
    ("WORLD_SIZE", "two", "WORLD_SIZE='two' is not a whole number"), ("WORLD_SIZE", "0", "WORLD_SIZE=0: must be 1"),
])
def test_a_launcher_variable_that_is_no_rank_is_one_line_naming_it(tmp_path, capsys, monkeypatch, name, value, says):
    monkeypatch.setenv(name, value)
    argv, out = _argv(tmp_path, "max_steps=1")
    assert train_main(argv) == 2  # was a ValueError traceback from int()
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("rsvlm train: ") and says in err[0], err


def test_a_local_rank_past_the_visible_gpus_is_refused_naming_both(tmp_path, monkeypatch):
    import torch

    from rsvlm.config import load_config
    from rsvlm.train.config import TrainConfig
    from rsvlm.train.run import setup_distributed

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    monkeypatch.setenv("LOCAL_RANK", "2")  # three processes on a machine with two GPUs
    with pytest.raises(ValueError, match=r"LOCAL_RANK=2, but 2 GPUs are visible"):  # was CUDA's invalid ordinal
        setup_distributed(load_config(TrainConfig, recipe(tmp_path)))


def _clip_argv(tmp_path, *extra: str) -> tuple[list[str], Path]:
    data = make_records(tmp_path / "d", n=12, ir_every=0)
    out = tmp_path / "clip"
    return ["--config", str(recipe(tmp_path, "pretrain_encoder_tiny.yaml")), f"data.train={data}", f"out_dir={out}",
            "log.progress=false", "batch_size=4", *extra], out


def test_a_contrastive_resume_past_max_steps_reports_the_checkpoints_step(tmp_path, capsys):
    argv, out = _clip_argv(tmp_path, "ckpt.every=1")
    assert train_main([*argv, "max_steps=2"]) == 0
    assert train_main([*argv, "max_steps=1", "ckpt.resume=auto"]) == 0
    assert "past max_steps=1: nothing to train" in capsys.readouterr().err
    summary = json.loads((out / "summary.json").read_text())
    assert (summary["steps"], summary["steps_this_run"], len(summary["losses"])) == (2, 0, 2)  # was (1, -1, 2)


def test_a_contrastive_step_without_two_readable_pairs_is_counted_and_one_pair_a_step_refused(tmp_path, capsys):
    argv, out = _clip_argv(tmp_path, "max_steps=3")
    assert train_main([*argv, "batch_size=1"]) == 2  # was exit 0 after 3 steps that trained nothing, unsaid
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "batch_size × grad_accum = 1" in err[0] and not out.exists(), err
    data = make_records(tmp_path / "bad", n=12, corrupt=12, ir_every=0)  # every image cut short
    # every step passed over: exit 1 since tour 53 (it was 0, with a random encoder saved as final/)
    assert train_main([*argv, f"data.train={data}", "batch_size=2", "data.max_bad_fraction=1"]) == 1
    err = capsys.readouterr().err
    assert "step 3: 0 readable caption pairs," in err and "passed over" in err
    assert "no step of this run had 2 readable caption pairs (3 passed over" in err.strip().splitlines()[-1]


def test_a_contrastive_run_names_the_settings_only_the_lm_loop_reads(tmp_path, capsys):
    argv, out = _clip_argv(tmp_path, "max_steps=1")
    assert train_main([*argv, "log.tensorboard=true", "data.augment=flip", f"init_from={tmp_path}"]) == 0
    notes = [x for x in capsys.readouterr().err.splitlines() if "does not use" in x]
    # were ignored without a word: no tensorboard/ folder, no flipped views, the encoder not started from init_from
    assert len(notes) == 1 and all(k in notes[0] for k in ("init_from=", "log.tensorboard=True", "data.augment='flip'"))
    assert "model.encoders.default.pretrained" in notes[0] and "optim" not in notes[0]
    capsys.readouterr()
    assert train_main([*_clip_argv(tmp_path / "plain", "max_steps=1")[0]]) == 0
    assert "does not use" not in capsys.readouterr().err  # the recipe alone sets none of them


def _nan_on_call(fn, call: int, pick=lambda r: r):
    """``fn`` whose ``call``-th result comes back NaN (``pick`` says which part)."""
    calls = []

    def wrapped(*a, **k):
        calls.append(1)
        out = fn(*a, **k)
        if len(calls) == call:
            out = pick(out)
        return out
    return wrapped


def test_a_nan_loss_stops_the_run_before_its_weights_are_saved(tmp_path, capsys, monkeypatch):
    import rsvlm.train.loop as loop

    monkeypatch.setattr(loop, "lm_losses", _nan_on_call(loop.lm_losses, 2, lambda r: (r[0] * float("nan"), r[1])))
    argv, out = _argv(tmp_path, "max_steps=3", "ckpt.every=1", "log.every=5")
    assert train_main(argv) == 1  # was exit 0: step 2's NaN update, then NaN checkpoints and a NaN final/ model
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert "NonFiniteLoss" in err and "step 2," in err and "step_000001 with ckpt.resume=auto and a lower optim.lr" in err, err
    assert sorted(p.name for p in (out / "checkpoints").iterdir()) == ["step_000001"] and not (out / "final").exists()


def test_a_nan_contrastive_loss_stops_the_run(tmp_path, capsys, monkeypatch):
    import rsvlm.train.clip as clip

    monkeypatch.setattr(clip, "accumulate", _nan_on_call(clip.accumulate, 2, lambda r: [float("nan"), *r[1:]]))
    argv, out = _clip_argv(tmp_path, "max_steps=3")
    assert train_main(argv) == 1
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert "NonFiniteLoss" in err and "step 2," in err and "train again with a lower optim.lr" in err, err
    assert not (out / "final").exists()


def test_an_epoch_without_one_usable_sample_fails_even_when_all_may_be_bad(tmp_path, capsys):
    data = make_records(tmp_path / "bad", n=8, corrupt=8, ir_every=0)
    argv, out = _argv(tmp_path, "max_steps=2", f"data.train={data}", "data.max_bad_fraction=1")
    assert train_main(argv) == 1  # was an endless loop naming the same 8 bad samples over and over
    err = capsys.readouterr().err
    assert err.count("skipped sample") == 8 and "no sample of a whole epoch could be used (8 bad)" in err
    assert "the first: rec" in err.strip().splitlines()[-1] and not (out / "final").exists()


def test_a_caption_longer_than_the_text_context_is_named_and_counted(tmp_path, capsys):
    argv, out = _clip_argv(tmp_path, "max_steps=2", "clip.context_length=20")
    assert train_main(argv) == 0
    notes = [x for x in capsys.readouterr().err.splitlines() if "cut to clip.context_length - 1 = 19" in x]
    assert len(notes) == 1 and "the caption of rec" in notes[0]  # was cut without a word
    summary = json.loads((out / "summary.json").read_text())
    assert 0 < summary["cut_captions"] <= summary["samples"] == 8


def test_a_contrastive_run_ends_with_a_done_line_as_the_lm_loop_does(tmp_path, capsys):
    argv, out = _clip_argv(tmp_path, "max_steps=2", "clip.context_length=20")
    assert train_main(argv) == 0
    last = capsys.readouterr().err.strip().splitlines()[-1]  # was nothing: the bar, then silence
    assert last.startswith("[rsvlm.train] done: 2 steps, 0 bad samples skipped, 0 malformed records, "), last
    assert "cut caption" in last and "passed over" not in last
    assert last.endswith(f"; encoder in {out / 'final' / 'encoder.safetensors'}")


def test_a_bad_sample_is_named_once_though_every_epoch_counts_it(tmp_path, capsys):
    data = make_records(tmp_path / "some", n=8, corrupt=2, ir_every=0)
    argv, out = _argv(tmp_path, "max_steps=6", f"data.train={data}", "data.max_bad_fraction=1")  # 3 epochs
    assert train_main(argv) == 0
    named = [x for x in capsys.readouterr().err.splitlines() if "skipped sample" in x]
    assert sorted(x.split("skipped sample ")[1].split(":")[0] for x in named) == ["rec0", "rec1"]  # were 6 lines
    summary = json.loads((out / "summary.json").read_text())
    assert summary["bad_samples"] == 6 and summary["bad_ids"] == ["rec0", "rec1"] and summary["epochs"] == 3


def test_a_bad_contrastive_sample_is_named_once_though_every_draw_counts_it(tmp_path, capsys):
    data = make_records(tmp_path / "some", n=12, corrupt=2, ir_every=0)  # rec1, one of the 4 caption pairs
    argv, out = _clip_argv(tmp_path, "max_steps=3", f"data.train={data}", "data.max_bad_fraction=1")
    assert train_main(argv) == 0  # batch_size=4 draws every pair at every step
    named = [x for x in capsys.readouterr().err.splitlines() if "skipped sample" in x]
    assert len(named) == 1 and "skipped sample rec1:" in named[0]  # was once a step
    summary = json.loads((out / "summary.json").read_text())
    assert summary["bad_samples"] == 3 and summary["bad_ids"] == ["rec1"]


def test_an_init_from_without_weights_is_refused_before_the_model_is_built(tmp_path, capsys, monkeypatch):
    _forbid_build(monkeypatch, "init_from was looked at")  # a 7B LLM takes minutes to build
    (tmp_path / "stage1" / "final").mkdir(parents=True)
    (tmp_path / "stage1" / "final" / "vision.safetensors").write_bytes(b"")
    argv, out = _argv(tmp_path, "max_steps=1", f"init_from={tmp_path / 'stage1'}")
    assert train_main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"init_from: no {tmp_path / 'stage1' / 'vision.safetensors'}" in err[0], err
    assert f"give its {tmp_path / 'stage1' / 'final'}" in err[0] and not out.exists()


def test_a_resumed_run_too_short_to_profile_says_so(tmp_path, capsys):
    argv, out = _argv(tmp_path, "ckpt.every=1")
    assert train_main([*argv, "max_steps=1"]) == 0
    capsys.readouterr()
    # steps 7…7 of this run would be profiled, but it runs 6 (2…7): profile.txt was silently not written
    assert train_main([*argv, "max_steps=7", "log.profile_steps=1", "ckpt.resume=auto", "ckpt.every=0"]) == 0
    err = capsys.readouterr().err
    assert "log.profile_steps=1 profiles this run's steps 7 to 7, but it has 6 left after step 1" in err
    assert not (out / "profile.txt").exists()


@pytest.mark.parametrize("objective", ["lm", "clip"])
def test_a_run_that_ends_over_the_bad_limit_fails_without_a_done_line_and_names_what_it_saved(tmp_path, capsys,
                                                                                              objective):
    data = make_records(tmp_path / "some", n=12, corrupt=2, ir_every=0)
    argv, out = (_argv if objective == "lm" else _clip_argv)(tmp_path, "max_steps=2", f"data.train={data}")
    assert train_main(argv) == 1
    err = capsys.readouterr().err
    assert "done:" not in err  # was "done: … model in …" and then the failure
    saved = out / "final" / ("encoder.safetensors" if objective == "clip" else "")
    last = err.strip().splitlines()[-1]
    assert last.startswith("rsvlm train: TooManyBadSamples:") and f"saved all the same: {str(saved).rstrip('/')})" in last
    assert saved.exists() and (out / "summary.json").is_file()


def test_a_contrastive_run_says_when_a_stem_feeds_another_encoder_than_the_one_it_trains(tmp_path, capsys):
    data = make_records(tmp_path / "mixed", n=12, ir_every=4)  # rec7, one of the 4 caption pairs, is ir
    argv, _ = _clip_argv(tmp_path, "max_steps=1", f"data.train={data}", "model.stems.ir.encoder=sar")
    assert train_main(argv) == 0
    notes = [x for x in capsys.readouterr().err.splitlines() if "feed other encoders" in x]
    # was unsaid: the ir images trained encoders.default, and the sar encoder they feed got nothing
    assert len(notes) == 1 and "1 ir pair (encoder 'sar')" in notes[0], notes
    assert train_main([*_clip_argv(tmp_path / "plain", "max_steps=1")[0]]) == 0
    assert "feed other encoders" not in capsys.readouterr().err


def test_tensorboard_without_its_package_is_refused_before_the_model_is_built(tmp_path, capsys, monkeypatch):
    import sys

    _forbid_build(monkeypatch, "tensorboard was looked for")
    monkeypatch.setitem(sys.modules, "tensorboard", None)  # as if it were not installed
    monkeypatch.delitem(sys.modules, "torch.utils.tensorboard", raising=False)
    argv, out = _argv(tmp_path, "max_steps=1", "log.tensorboard=true")
    assert train_main(argv) == 2  # was an ImportError traceback, after the model and data index were built
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "log.tensorboard=true needs the tensorboard package" in err[0], err
    assert not out.exists()


def test_a_resized_position_table_is_noted_on_stderr_with_the_other_notes(tmp_path, capsys):
    argv, out = _argv(tmp_path, "max_steps=1")
    assert train_main(argv) == 0
    grown = tmp_path / "grown"
    assert train_main([*argv, f"out_dir={grown}", f"init_from={out / 'final'}", "optim.lr=0",
                       "model.encoders.default.image_size=64"]) == 0
    captured = capsys.readouterr()
    assert "resized" not in captured.out  # was printed on stdout, apart from every other [rsvlm.train] note
    assert "[rsvlm.train] init_from: encoders.default.visual.positional_embedding resized from 17 to 65" in captured.err


def test_contrastive_images_past_the_memory_budget_are_read_again_not_kept(tmp_path, capsys, monkeypatch):
    import rsvlm.train.clip as clip
    import rsvlm.train.clip_data as clip_data

    reads = []
    monkeypatch.setattr(clip, "pair_pixels", lambda *a, **k: reads.append(1) or clip_data.pair_pixels(*a, **k))
    monkeypatch.setattr(clip, "cache_budget", lambda: 3 * 32 * 32 * 2)  # one 32-px bf16 image
    argv, out = _clip_argv(tmp_path, "max_steps=2")
    assert train_main(argv) == 0  # every image was kept: a large pretraining set filled the memory, then was killed
    notes = [x for x in capsys.readouterr().err.splitlines() if "image cache is full" in x]
    assert len(notes) == 1 and "(1 of 4 pairs" in notes[0], notes
    assert len(reads) == 4 + 3  # step 1 reads all 4 and keeps 1; step 2 reads the other 3 again


def test_each_epoch_tells_the_dataset_its_number_so_band_dropout_draws_anew(tmp_path, monkeypatch):
    from rsvlm.train import data as D

    epochs = []
    monkeypatch.setattr(D.SFTDataset, "set_epoch", lambda self, e: epochs.append(e) or setattr(self, "epoch", e))
    argv, out = _argv(tmp_path, "max_steps=3", "ckpt.every=3")  # 8 records, 4 a step: epochs 0 and 1
    assert train_main(argv) == 0
    assert epochs == [0, 1]  # SFTDataset.set_epoch (41135d0) was never called: every epoch drew epoch 0's bands
    epochs.clear()
    assert train_main([*argv, "max_steps=5", "ckpt.resume=auto"]) == 0  # resumed inside epoch 1
    assert epochs == [1, 2]


def test_only_rank_0_says_a_contrastive_run_resumed(tmp_path, capsys, monkeypatch):
    import torch

    import rsvlm.train.clip as clip

    argv, out = _clip_argv(tmp_path, "ckpt.every=1")
    assert train_main([*argv, "max_steps=1"]) == 0
    capsys.readouterr()
    monkeypatch.setattr(clip, "setup_distributed", lambda cfg, ddp: (1, 1, torch.device("cpu")))  # as rank 1 sees it
    train_main([*argv, "max_steps=2", "ckpt.resume=auto"])
    assert "resumed contrastive pretraining" not in capsys.readouterr().err  # was said by every process
