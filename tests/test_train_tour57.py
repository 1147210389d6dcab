"""Rough-edge tour 57 of training: what a step folder, an init_from or an exported encoder is called, the
contrastive recipes' settings, empty contrastive log windows, HF-style flags, and the DeepSpeed JSON's keys."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from test_train_utils import REPO, make_records, recipe

from rsvlm.train import checkpoint as ckpt
from rsvlm.train import main as train_main
from rsvlm.train.run import check_init_from


def test_a_plain_step_folder_without_its_weights_is_not_called_a_deepspeed_one(tmp_path):
    """A plain-engine step folder that lost trainable.safetensors was "a DeepSpeed step folder … zero_to_fp32
    first" (any trainer_state_rank0.json made it one); it names the step before it to go back to."""
    root = tmp_path / "checkpoints"
    for name in ("step_000002", "step_000004"):
        (root / name).mkdir(parents=True)
        for f in ("optimizer.safetensors", "scheduler.json", "trainer_state_rank0.json"):
            (root / name / f).write_text("{}")
    why = ckpt.not_a_step_folder(root / "step_000004")
    assert "DeepSpeed" not in why and why.startswith("a half-written or damaged step folder"), why
    assert "no step folder before it is whole either (step_000002)" in why, why  # its files hold no weights
    (root / "step_000004" / "deepspeed").mkdir()  # a DeepSpeed folder is still called one
    assert "a DeepSpeed step folder" in ckpt.not_a_step_folder(root / "step_000004")


def _refusal(folder) -> str:
    """``check_init_from``'s refusal of ``init_from=folder`` (preflight's; the test below runs it once whole)."""
    with pytest.raises(FileNotFoundError) as e:
        check_init_from(SimpleNamespace(init_from=str(folder)))
    return str(e.value)


def test_an_init_from_of_contrastive_pretraining_or_a_step_folder_says_what_to_give_instead(tmp_path, capsys):
    """init_from at a contrastive run's final/ (or its out_dir, or one of its step folders) said only "no
    vision.safetensors": its encoder.safetensors starts an encoder through model.encoders.default.pretrained."""
    clip = tmp_path / "clip"
    (clip / "final").mkdir(parents=True)
    (clip / "final" / "encoder.safetensors").write_bytes(b"")
    (clip / "final" / "train_config.yaml").write_text("objective: clip\n")
    step = clip / "checkpoints" / "step_000002"
    step.mkdir(parents=True)
    for name in ("model.safetensors", "sampler.safetensors", "trainer_state_rank0.json"):
        (step / name).write_bytes(b"")
    pretrained = f"model.encoders.default.pretrained={clip / 'final' / 'encoder.safetensors'}"
    data = make_records(tmp_path / "d", n=4, ir_every=0)  # rsvlm train: one line, exit 2, nothing written
    assert train_main(["--config", str(recipe(tmp_path)), f"data.train={data}", f"out_dir={tmp_path / 'lm'}",
                       f"init_from={clip / 'final'}"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and pretrained in err[0] and not (tmp_path / "lm").exists(), err
    for given in (clip / "final", clip):  # the final/ folder, and the run's out_dir
        line = _refusal(given)
        assert f"init_from: no {given / 'vision.safetensors'}" in line and pretrained in line, line
        assert "contrastive pretraining" in line and "leave init_from unset" in line, line
    line = _refusal(step)
    assert f"scripts/export_step.py {step} --out DIR" in line and "model.encoders.default.pretrained" in line, line
    lm_step = tmp_path / "lm_run" / "checkpoints" / "step_000003"  # the LM loop's step folder: export it first
    lm_step.mkdir(parents=True)
    (lm_step / "trainable.safetensors").write_bytes(b"")
    line = _refusal(lm_step)
    assert f"step folder of the LM loop; python scripts/export_step.py {lm_step} --out DIR" in line, line
    assert f"it holds step folders (the latest is {lm_step})" in _refusal(lm_step.parent)  # its checkpoints/
    (lm_step / "trainable.safetensors").unlink()  # a DeepSpeed one, which export_step refuses: zero_to_fp32 first
    (lm_step / "deepspeed").mkdir()
    assert f"step folder of the LM loop; python scripts/export_step.py {lm_step} --out DIR" in _refusal(lm_step)
    assert "no such folder" in _refusal(tmp_path / "nowhere")


def test_export_steps_help_says_it_exports_a_contrastive_step_folders_encoder(monkeypatch, capsys):
    """Its docstring (the --help text) said the folder must not come from contrastive pretraining, which it
    has exported since tour 56; --help now says what each kind of step folder becomes and the --out rules."""
    from script_loader import load_script

    export = load_script("export_step", monkeypatch)
    with pytest.raises(SystemExit):
        export.main(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "not contrastive pretraining" not in text and "not contrastive" not in " ".join(export.__doc__.split())
    assert "DIR/encoder.safetensors" in text and "model.encoders.default.pretrained=DIR/encoder.safetensors" in text
    assert "zero_to_fp32" in text and "named step_N beside it" in text, text


def test_no_shipped_contrastive_recipe_sets_what_contrastive_pretraining_ignores():
    """The contrastive recipes set data.max_length, batching and group_factor, which that loop never read (its
    captions are cut at clip.context_length, its batches drawn by the file weights): the ignored-settings note
    now names them, and fired on our own recipes."""
    import yaml

    from rsvlm.config import load_config
    from rsvlm.train.config import TrainConfig, unused_settings

    found = [p for p in sorted((REPO / "configs").rglob("*.yaml"))
             if (yaml.safe_load(p.read_text()) or {}).get("objective") == "clip"]
    assert {p.name for p in found} >= {"pretrain_encoder_tiny.yaml", "pretrain_encoder.yaml"}, found
    for path in found:
        assert unused_settings(load_config(TrainConfig, path)) == [], path
    cfg = load_config(TrainConfig, found[0], ["data.max_length=384", "data.group_factor=8", "data.batching=naive"])
    assert unused_settings(cfg) == ["data.max_length=384", "data.batching='naive'", "data.group_factor=8"]


def test_a_contrastive_log_window_whose_steps_were_all_passed_over_logs_loss_null(tmp_path, capsys):
    """A contrastive step with fewer than two readable pairs wrote no metrics line at all (nor, when it ended a
    window, the line for that window); the LM loop logs such a window as "loss": null. Both agree now."""
    import json

    data = make_records(tmp_path / "bad", n=6, corrupt=6, ir_every=0)  # every image cut short
    out = tmp_path / "run"
    assert train_main(["--config", str(recipe(tmp_path, "pretrain_encoder_tiny.yaml")), f"data.train={data}",
                       f"out_dir={out}", "log.progress=false", "batch_size=2", "max_steps=2",
                       "data.max_bad_fraction=1"]) == 1  # nothing trained: refused at the end, as before
    lines = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines()]
    assert [(x["step"], x["loss"]) for x in lines] == [(1, None), (2, None)], lines
    assert all(set(x) == {"step", "lr", "loss"} for x in lines), lines  # no head's loss either
    # the schedule moves on at a step passed over, as in the LM loop (it stood still: 1/3 of the warm-up twice)
    assert [x["lr"] for x in lines] == pytest.approx([5e-4 / 3, 5e-4 * 2 / 3]), lines


def test_hf_style_flags_are_read_as_the_key_value_overrides_they_mean(tmp_path, monkeypatch, capsys):
    """`rsvlm train --config X --max_steps=3` (as Hugging Face's Trainer takes it) was argparse's "unrecognized
    arguments"; recipe keys given as flags are now the overrides they mean, and real options still work."""
    import rsvlm.train
    from rsvlm.cli import main as cli_main
    from rsvlm.train.flags import flag_overrides

    assert flag_overrides(["--config", "--max_steps.yaml", "--max-steps=3", "--optim.lr", "1e-4", "--overwrite",
                           "--log.progress", "false", "--local_rank=0", "--seed", "-1", "data.root=r", "--nope"]) == [
        "--config", "--max_steps.yaml", "max_steps=3", "optim.lr=1e-4", "overwrite=true", "log.progress=false",
        "--local_rank=0", "seed=-1", "data.root=r", "--nope"]
    assert flag_overrides(["--model.encoders.default.pretrained", "e.safetensors", "--", "--x=1"]) == [
        "model.encoders.default.pretrained=e.safetensors", "--", "--x=1"]
    given = []
    monkeypatch.setattr(rsvlm.train, "main", lambda argv: given.append(argv) or 0)
    assert cli_main(["train", "--config=c.yaml", "--max_steps=3", "--overwrite", "ckpt.every=1"]) == 0
    assert given == [["--config", "c.yaml", "max_steps=3", "overwrite=true", "ckpt.every=1"]], given
    monkeypatch.undo()
    cfg = recipe(tmp_path)
    assert rsvlm.train.main(["--local_rank=0", "--config", str(cfg), "--max_steps=0"]) == 2  # the value is read
    assert "max_steps must be >= 1, got 0" in capsys.readouterr().err
    assert rsvlm.train.main(["--config", str(cfg), "--max_step=3"]) == 2  # a misspelt key: the loader's list
    err = capsys.readouterr().err
    assert "override 'max_step=3' (command line): unknown key 'max_step'" in err and "max_steps" in err, err
    assert rsvlm.train.main(["--config", str(cfg), "--lr", "1e-4"]) == 2  # HF's habit: the loader says where
    assert "(did you mean optim.lr=1e-4?)" in capsys.readouterr().err
    with pytest.raises(SystemExit):  # an unknown bare flag is still argparse's error
        rsvlm.train.main(["--config", str(cfg), "--nope"])
    assert "unrecognized arguments: --nope" in capsys.readouterr().err


@pytest.mark.parametrize("change, said", [
    ({"zero_optimization": {"stage": 2, "overlap_com": False}}, "zero_optimization.overlap_com: not a key DeepSpeed"),
    ({"zero_optimization": {"stage": 3, "offload_param": {"device": "gpu"}}},
     "zero_optimization.offload_param.device: Input should be 'none', 'cpu' or 'nvme', got \"gpu\""),
    ({"zero_optimization": {"stage": 2, "reduce_bucket_size": "big"}}, "zero_optimization.reduce_bucket_size: "),
    ({"zero_optimization": {"stage": True}}, "zero_optimization.stage is true; ZeRO stages are"),
    ({"bf16": {"enabled": "auto", "loss_scale": 0}}, "bf16.loss_scale: not a key DeepSpeed knows"),
    ({"optimizer": {"type": "AdamW", "params": {"lr": 1e-3}}}, "optimizer: rsvlm builds the optimizer itself"),
    ({"scheduler": {"type": "WarmupLR"}}, "optim.warmup_steps"),
    ({"zero_force_ds_cpu_optimizer": True}, "zero_force_ds_cpu_optimizer is true with"),
])
def test_deepspeed_keys_are_checked_before_the_model_is_built_naming_the_file_and_key(change, said, tmp_path):
    """A misspelt ZeRO key or a bad offload device was DeepSpeed's pydantic error inside deepspeed.initialize,
    once the model was built; an optimizer or scheduler section was passed over unsaid (the loop gives DeepSpeed
    its own AdamW and schedule), and zero_force_ds_cpu_optimizer=true with offload refused late."""
    import json

    from rsvlm.config import load_config
    from rsvlm.train.config import TrainConfig
    from rsvlm.train.deepspeed_config import load_deepspeed_config

    ds = json.loads((REPO / "configs" / "deepspeed" / "zero2_offload.json").read_text())
    cfg = load_config(TrainConfig, None, ["precision=bf16"])
    load_deepspeed_config(REPO / "configs" / "deepspeed" / "zero2_offload.json", cfg, 2)  # as shipped: taken
    path = tmp_path / "ds.json"
    path.write_text(json.dumps({**ds, **change}))
    with pytest.raises(ValueError) as e:
        load_deepspeed_config(path, cfg, 2)
    assert str(e.value).startswith(f"{path}: ") and said in str(e.value), str(e.value)


def test_the_training_docs_throughput_table_is_the_benchmarks_measurement():
    """docs/training.md still showed 2112 / 4529 tokens/s (2.14×) after docs/benchmarks.md (b) was measured again
    (1.86×); its table now holds the same rows."""
    import re

    def rows(text: str) -> dict[str, tuple[str, str]]:
        return {m[1].replace("-", "_"): (m[2].strip("*×"), m[3].strip("*×")) for m in re.finditer(
            r"^\| (naive|length[-_]grouped|ratio) \| ([\d.*×]+) \| ([\d.*×]+) \|", text, re.M)}

    bench = (REPO / "docs" / "benchmarks" / "train_throughput.md").read_text()
    training = (REPO / "docs" / "training.md").read_text()
    training = training[training.index("### Throughput"):training.index("### Limits")]
    assert len(rows(bench)) == 3 and rows(training) == rows(bench), (rows(training), rows(bench))


def test_overwrite_refuses_to_remove_a_previous_output_this_run_reads(tmp_path, capsys):
    """init_from=runs/a/final with out_dir=runs/a overwrite=true removed that model with the previous run's outputs,
    then failed for want of it (exit 1): the model was lost. Any path the run reads is checked alike."""
    from rsvlm.config import load_config
    from rsvlm.train.config import TrainConfig
    from rsvlm.train.resume import check_out_dir

    out = tmp_path / "runs" / "a"
    (out / "final").mkdir(parents=True)
    (out / "final" / "vision.safetensors").write_bytes(b"")
    (out / "checkpoints" / "step_000001").mkdir(parents=True)
    data = make_records(tmp_path / "d", n=4, ir_every=0)
    base = [f"data.train={data}", f"out_dir={out}", "overwrite=true"]
    for key, path in (("init_from", out / "final"), ("data.root", out / "checkpoints" / "step_000001")):
        cfg = load_config(TrainConfig, recipe(tmp_path), [*base, f"{key}={path}"])
        with pytest.raises(FileExistsError, match=rf"^{key}={path} lies in {out.resolve() / path.relative_to(out).parts[0]}"
                           ", which overwrite=true removes"):
            check_out_dir(cfg)
    assert train_main(["--config", str(recipe(tmp_path)), *base, f"init_from={out / 'final'}"]) == 2  # nothing removed
    assert (out / "final" / "vision.safetensors").is_file() and "overwrite=true removes" in capsys.readouterr().err
    check_out_dir(load_config(TrainConfig, recipe(tmp_path), base))  # nothing it reads there: removed as before
    cfg = load_config(TrainConfig, recipe(tmp_path), [*base, f"init_from={out / 'final'}", "ckpt.resume=auto"])
    check_out_dir(cfg)  # continuing its own run removes nothing


def test_a_key_written_one_section_too_high_is_told_where_it_belongs(tmp_path):
    """A model config given as --config, `lr: 1e-4` at a recipe's top, or the override lr=1e-4 (as `--lr=1e-4`
    from an HF Trainer habit) listed the valid keys only; the message now names the section that has them."""
    from rsvlm.config import ConfigError, load_config
    from rsvlm.train.config import TrainConfig

    with pytest.raises(ConfigError, match=r"\(they are keys of model \(VLMConfig\): write them under model:, or, for a "
                                          r"file of them, model: \{base: FILE\}\)$"):
        load_config(TrainConfig, REPO / "configs" / "model" / "tiny.yaml")
    p = tmp_path / "run.yaml"
    p.write_text("lr: 0.1\nmax_steps: 3\n")
    with pytest.raises(ConfigError, match=r"unknown key lr .*\(it is a key of optim \(OptimConfig\): write it "
                                          r"under optim:\)$"):
        load_config(TrainConfig, p)
    with pytest.raises(ConfigError, match=r"\(did you mean optim.lr=1e-4\?\)$"):
        load_config(TrainConfig, None, ["lr=1e-4"])
    with pytest.raises(ConfigError, match=r"\(did you mean model.llm.lora_r=4\?\)$"):
        load_config(TrainConfig, None, ["model.lora_r=4"])
    with pytest.raises(ConfigError) as e:  # a key no section has, misspelt: the near one (config_hints.near_path)
        load_config(TrainConfig, None, ["max_step=4"])
    assert str(e.value).endswith("slow_step_s (did you mean max_steps=4?)"), str(e.value)


def test_an_init_from_or_ckpt_resume_given_a_file_names_the_folder_to_give(tmp_path):
    """init_from=…/final/vision.safetensors read "init_from: no …/vision.safetensors/vision.safetensors", and
    ckpt.resume=…/step_N/trainable.safetensors "no checkpoint folder", with nothing on what to give."""
    from rsvlm.train.resume import resume_folder

    final = tmp_path / "final"
    final.mkdir()
    (final / "vision.safetensors").write_bytes(b"")
    assert _refusal(final / "vision.safetensors").endswith(f"is a file: give the folder that holds "
                                                            f"vision.safetensors ({final})")
    weights = tmp_path / "step_000002" / "trainable.safetensors"
    weights.parent.mkdir()
    weights.write_bytes(b"")
    with pytest.raises(FileNotFoundError, match=rf"is a file; give the step folder, e\.g\. {weights.parent}\)$"):
        resume_folder(SimpleNamespace(ckpt=SimpleNamespace(resume=str(weights))))


def test_a_resume_names_no_change_of_a_setting_its_loop_does_not_read(tmp_path, capsys):
    """A contrastive step folder saved under the recipe's old data.max_length=320 (which that loop never read) was
    resumed with "this run changes 1 setting(s): data.max_length: 320 → 512", as if it mattered."""
    from rsvlm.config import load_config, save_config
    from rsvlm.train.config import TrainConfig
    from rsvlm.train.resume import check_changes

    cfg = load_config(TrainConfig, recipe(tmp_path, "pretrain_encoder_tiny.yaml"))
    save_config(load_config(TrainConfig, recipe(tmp_path, "pretrain_encoder_tiny.yaml"), [
        "data.max_length=320", "data.group_factor=8", "data.task_weights={cls: 2}", "batch_size=3"]),
        tmp_path / "train_config.yaml")
    check_changes(tmp_path, cfg, 0)
    err = capsys.readouterr().err
    assert "changes 1 setting from" in err and "batch_size: 3 → 32" in err and "data." not in err, err
    lm = load_config(TrainConfig, recipe(tmp_path))  # the LM loop: clip.* alike
    save_config(load_config(TrainConfig, recipe(tmp_path), ["clip.dense_weight=1"]), tmp_path / "train_config.yaml")
    check_changes(tmp_path, lm, 0)
    assert "clip." not in capsys.readouterr().err


def test_an_init_from_of_another_architecture_is_refused_before_the_model_is_built(tmp_path, ckpt, monkeypatch):
    """init_from a checkpoint whose encoder is 64 wide into a 32-wide model section failed once the model (and its
    LLM: minutes for a 7B) was built and out_dir written (exit 1); its header is now compared with the model
    built on the meta device, in preflight. What init_vision accepts (a resized position table) still passes."""
    import rsvlm.model.vision as vision
    from rsvlm.config import load_config
    from rsvlm.train.config import TrainConfig

    def cfg(*more):
        return load_config(TrainConfig, recipe(tmp_path), [f"init_from={ckpt}", *more])

    monkeypatch.setattr(vision, "read_state_dict", lambda *a: pytest.fail("a weight was read"))
    check_init_from(cfg())  # the same architecture: taken
    check_init_from(cfg("model.encoders.default.image_size=48"))  # another grid: resized, as init_vision does
    with pytest.raises(ValueError, match=r"^init_from .*vision.safetensors: \d+ tensors of another shape, e.g. "
                                         r"encoders.default.visual.class_embedding \(64,\) \(this model \(32,\)\)"):
        check_init_from(cfg("model.encoders.default.width=32", "model.encoders.default.heads=4"))


def test_a_whole_number_in_exponent_form_is_taken_for_a_count(tmp_path):
    """`max_steps: 1e4` (a string to YAML 1.1, as written in many ML recipes) was "expected int, got '1e4'";
    `optim.lr: 1e-4` was already read. A number that is not whole is still refused, naming the key."""
    from rsvlm.config import ConfigError, load_config
    from rsvlm.train.config import TrainConfig

    p = tmp_path / "run.yaml"
    p.write_text("max_steps: 1e4\noptim: {lr: 1e-4, warmup_steps: 2.0e2}\n")
    cfg = load_config(TrainConfig, p, ["ckpt.every=5e2"])
    assert (cfg.max_steps, cfg.optim.warmup_steps, cfg.ckpt.every, cfg.optim.lr) == (10000, 200, 500, 1e-4)
    assert type(cfg.max_steps) is int
    for bad in ("max_steps=2.5", "max_steps=nan", "max_steps=true"):
        with pytest.raises(ConfigError, match=rf"^override '{bad}': max_steps: expected int"):
            load_config(TrainConfig, None, [bad])


def test_a_resume_from_a_step_folder_without_its_config_says_nothing_could_be_checked(tmp_path, capsys):
    """A step folder that lost its train_config.yaml was resumed with no model-section check and no word."""
    from rsvlm.config import load_config
    from rsvlm.train.config import TrainConfig
    from rsvlm.train.resume import check_changes

    check_changes(tmp_path, load_config(TrainConfig, recipe(tmp_path)), 0)
    assert f"{tmp_path} has no train_config.yaml" in capsys.readouterr().err
    check_changes(tmp_path, load_config(TrainConfig, recipe(tmp_path)), 1)  # said once, by rank 0
    assert capsys.readouterr().err == ""


def test_init_from_into_another_grid_recomputes_fixed_sincos_positions(tmp_path, capsys):
    """init_from into an image_size override resized a sincos2d encoder's fixed positions bicubically, as a learned
    table's, leaving frozen positions that were no grid's (off by up to 1.9 from this grid's); they are now this
    grid's own, as load_pretrained makes them (vision.fit_positions). A learned table is still resized."""
    import torch

    from rsvlm.config import load_config
    from rsvlm.model import VLMConfig, create_model
    from rsvlm.train.loop import init_vision

    def model(*more):
        return create_model(load_config(VLMConfig, REPO / "configs/model/tiny.yaml", list(more)))[0]

    for pos, said in (("sincos2d", "the fixed sin-cos ones of this grid"), ("learned", "bicubic")):
        src = tmp_path / pos
        model(f"encoders.default.pos_embed={pos}").save_pretrained(src)
        grown = model(f"encoders.default.pos_embed={pos}", "encoders.default.image_size=64")
        own = grown.encoders["default"].visual.positional_embedding.detach().clone()  # (65,D)
        init_vision(grown, src)
        got = grown.encoders["default"].visual.positional_embedding
        assert got.shape == own.shape
        assert torch.equal(got, own) == (pos == "sincos2d"), pos
        assert f"positional_embedding resized from 17 to 65 positions ({said})" in capsys.readouterr().err
