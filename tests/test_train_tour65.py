"""Training, tour 65: what a resume says moves the data position, did-you-mean for override keys, odd runs."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("before, after, said, moved", [
    # another image root for one file: its records, their lengths and weights are as they were
    ("[{path: b.jsonl}, {path: c.jsonl}]", "[{path: b.jsonl, root: /imgs}, {path: c.jsonl}]",
     "data.extra[b.jsonl].root: None → '/imgs'", None),
    ("[{path: b.jsonl}]", "[{path: b.jsonl}, {path: c.jsonl, root: /imgs}]",
     "data.extra files: ['b.jsonl'] → ['b.jsonl', 'c.jsonl']", "data.extra files moves"),
    ("[{path: b.jsonl}, {path: c.jsonl}]", "[{path: c.jsonl}, {path: b.jsonl, root: /imgs}]",
     "data.extra files: ['b.jsonl', 'c.jsonl'] → ['c.jsonl', 'b.jsonl']; data.extra[b.jsonl].root",
     "data.extra files moves"),
    ("[{path: b.jsonl}, {path: c.jsonl}]", "[{path: b.jsonl, weight: 2}, {path: c.jsonl, root: /imgs}]",
     "data.extra[b.jsonl].weight: 1.0 → 2.0; data.extra[c.jsonl].root: None → '/imgs'",
     "data.extra[b.jsonl].weight moves")])
@pytest.mark.parametrize("objective", ["lm", "clip"])
def test_a_resume_says_which_change_to_data_extra_moves_the_data_position(tmp_path, capsys, objective, before,
                                                                          after, said, moved):
    """data.extra was compared whole: another image root for one of its files was said to move the data position
    ('data.extra: [{...}, {...}] → [...]'), though the records, their lengths and their draw weights were the same."""
    from rsvlm.config import load_config, save_config
    from rsvlm.train.config import TrainConfig
    from rsvlm.train.resume import check_changes

    base = [f"objective={objective}", "data.train=t.jsonl"]
    save_config(load_config(TrainConfig, None, [*base, f"data.extra={before}"]), tmp_path / "train_config.yaml")
    check_changes(tmp_path, load_config(TrainConfig, None, [*base, f"data.extra={after}"]), 0)
    err = capsys.readouterr().err
    assert said in err and "data.extra: [" not in err, err
    if moved is None:
        assert "data position" not in err, err
    else:
        assert f"; {moved} the data position" in err, err


@pytest.mark.parametrize("override, meant", [
    ("max_step=4", "max_steps=4"), ("optim.lrr=1e-4", "optim.lr=1e-4"), ("output_dir=/x", "out_dir=/x"),
    ("optim.learning_rate=1e-4", "optim.lr=1e-4"), ("learning_rate=1e-4", "optim.lr=1e-4"),
    ("train.lr=1e-4", "optim.lr=1e-4"),  # was "did you mean data.train.lr=1e-4?": data.train is a path
    ("train.learning_rate=1e-4", "optim.lr=1e-4"), ("training.max_steps=3", "max_steps=3"),
    ("model.llm.lora_rank=8", "model.llm.lora_r=8"), ("gradient_accumulation_steps=2", "grad_accum=2"),
    ("model.lora_r=4", "model.llm.lora_r=4"), ("optim.warmup=3", "optim.warmup_steps=3"),
    # a key below a mapping (6cc4f80 offered none: only dataclass sections were read through)
    ("task_weights.cls=2", "data.task_weights.cls=2"), ("encoders.default.width=8", "model.encoders.default.width=8"),
    ("data.task_weight.cls=2", "data.task_weights.cls=2"), ("task_weights={cls: 2}", "data.task_weights={cls: 2}"),
    # a value for a section or a mapping: never model.encoders=lora (refused); since 8c879fbd the trainable
    # part's key, model.trainable.NAME, is named (it was no guess at all)
    ("encoder=lora", "model.trainable.encoder=lora"), ("llm=lora", "model.trainable.llm=lora"),
    ("projector=full", "model.trainable.projector=full"),
    ("x.y.z=1", None), ("num_train_epochs=1", None), ("save_steps=100", "ckpt.every=100"), ("warmup_ratio=0.1", None)])
def test_a_misspelt_override_key_is_told_the_near_one_as_a_recipe_key_is(override, meant):
    """A recipe's `max_step: 4` was told "(did you mean max_steps?)", the override max_step=4 only the valid keys;
    optim.learning_rate=… (HF's name) neither; train.lr=1e-4 was sent to data.train.lr, a key below a path."""
    from rsvlm.config import ConfigError, load_config
    from rsvlm.train.config import TrainConfig

    with pytest.raises(ConfigError) as e:
        load_config(TrainConfig, None, [override])
    said = str(e.value)
    assert said.startswith(f"override {override!r}: unknown key"), said
    assert said.endswith(f" (did you mean {meant}?)") if meant else "did you mean" not in said, said


def test_a_recipe_key_named_as_another_trainer_names_it_is_told_ours(tmp_path):
    """`optim: {learning_rate: 1e-4}` (HF Trainer's name) in a recipe listed the valid keys alone."""
    from rsvlm.config import ConfigError, load_config
    from rsvlm.train.config import TrainConfig

    p = tmp_path / "run.yaml"
    p.write_text("optim: {learning_rate: 1e-4}\n")
    with pytest.raises(ConfigError, match=r"unknown key optim.learning_rate .*\(did you mean optim.lr\?\)$"):
        load_config(TrainConfig, p)


@pytest.mark.parametrize("rank, said", [(4, None), (32, None), (33, "k_proj (32), v_proj (32) can have"),
                                        (128, "down_proj (64), gate_proj (64), k_proj (32)")])
def test_a_lora_rank_above_what_the_adapted_layers_can_hold_is_warned_of_in_preflight(tmp_path, capsys, rank, said):
    """model.llm.lora_r=128 on a 64-wide LLM (k_proj, v_proj 64 → 32) trained without a word: an update there has
    rank 32 at most, the rest of the rank only adds parameters, and lora_alpha/lora_r scales the update down."""
    from test_train_utils import make_records, recipe

    from rsvlm.config import load_config
    from rsvlm.train.config import TrainConfig
    from rsvlm.train.run import preflight

    data = make_records(tmp_path / "d", n=8)
    cfg = load_config(TrainConfig, recipe(tmp_path), [f"data.train={data}", f"out_dir={tmp_path / 'run'}",
                                                      f"model.llm.lora_r={rank}"])
    preflight(cfg)
    err = capsys.readouterr().err
    if said is None:
        assert "lora_r" not in err, err
    else:
        assert f"warning: model.llm.lora_r={rank} is above the rank an update of {said}" in err, err
        assert f"lora_alpha/lora_r={8 / rank:.3g} scales the update down" in err and "lora_r=32 or less" in err, err


@pytest.mark.parametrize("override, said", [
    ("optim.eps=0", "optim.eps must be > 0 (AdamW divides by sqrt(v) + eps"), ("optim.eps=-1e-8", "optim.eps must be > 0"),
    ("optim.eps=inf", "optim.eps must be > 0 (AdamW divides by sqrt(v) + eps: at 0 a zero gradient makes the weight "
                      "NaN; 1e-8 is usual) and finite, got inf")])
def test_an_adam_eps_of_0_is_refused_before_it_turns_a_zero_gradient_into_nan(tmp_path, override, said):
    """optim.eps=0 was taken: LoRA's A has a zero gradient at step 1 (its B starts at zeros), AdamW's 0 / (0 + 0)
    made it NaN and the run stopped at step 2 on a "not finite" loss advising a lower optim.lr."""
    import torch

    from rsvlm.config import load_config
    from rsvlm.train.config import TrainConfig, check_config

    p = torch.nn.Parameter(torch.ones(2))  # the failure itself, as torch's AdamW does it
    p.grad = torch.zeros(2)
    torch.optim.AdamW([p], eps=0.0).step()
    assert p.isnan().all()
    with pytest.raises(ValueError) as e:
        check_config(load_config(TrainConfig, None, ["data.train=t.jsonl", override]))
    assert str(e.value).startswith(said), str(e.value)
    check_config(load_config(TrainConfig, None, ["data.train=t.jsonl", "optim.eps=1e-12"]))


@pytest.mark.parametrize("override, said", [
    ("optim.weight_decay=inf", "optim.weight_decay must be >= 0 and finite, got inf"),
    ("optim.max_grad_norm=inf", "optim.max_grad_norm must be >= 0 (0: no clipping) and finite, got inf"),
    ("data.task_weights={cls: inf}", "data.task_weights['cls'] must be >= 0 and finite, got inf"),
    ("optim.lr=inf", "optim.lr must be >= 0 (0: a run that changes no weight) and finite, got inf"),
    ("data.extra=[{path: b.jsonl, weight: inf}]", "data.extra[0] (b.jsonl): weight must be > 0 and finite, got inf"),
    ("optim.weight_decay=nan", "optim.weight_decay must be >= 0, got nan")])
def test_an_infinite_rate_or_weight_is_refused_saying_finite(override, said):
    """optim.weight_decay=inf was taken (AdamW's 1 - lr·inf made every weight inf or NaN at step 1), and so was a
    task weight of inf (every draw probability inf / inf = NaN); optim.lr=inf was refused as "must be >= 0, got inf"."""
    from rsvlm.config import load_config
    from rsvlm.train.config import TrainConfig, check_config

    with pytest.raises(ValueError) as e:
        check_config(load_config(TrainConfig, None, ["data.train=t.jsonl", override]))
    assert str(e.value) == said, str(e.value)


@pytest.mark.parametrize("gpus, overrides, said", [
    (8, ["batch_size=7"], "batch_size 7 × world size 8; batch_size values that fit: 1, 2, 4, 8, 16 (a batch_size=N "
                          "override)"),
    (5, [], "batch_size 8 × world size 5; no batch_size fits 5 processes, as 5 does not divide 128; world sizes "
            "that do: 1, 2, 4, 8, 16 (--nodes × --gpus-per-node), or change the recipe's '# global_batch: N' header")])
def test_the_launcher_names_the_batch_sizes_or_world_sizes_that_fit_the_global_batch(gpus, overrides, said):
    """On 5 GPUs the launcher said "change batch_size (e.g. batch_size=N override) or the GPU count", though no
    batch_size fits 5 processes and a global batch of 128; nor did it name the batch sizes that fit 8."""
    from conftest import load_script
    from test_train_utils import REPO

    launch = load_script("launch")
    recipe = REPO / "configs" / "train" / "recipes" / "qwen2.5-1.5b-sft.yaml"
    with pytest.raises(ValueError) as e:
        launch.build(recipe, gpus_per_node=gpus, overrides=overrides)
    assert str(e.value) == f"{recipe}: global batch 128 is not a multiple of {said}", str(e.value)


@pytest.mark.parametrize("objective, digest, changed, moved, checked", [
    ("lm", True, ["data.train=/new/t.jsonl", "data.extra=[{path: /new/b.jsonl}]"], None,
     "data.extra files and data.train: whether the records are the checkpoint's"),
    # moved, and a file's weight changed: the fingerprint does not hold the weights (it was said of neither)
    ("lm", True, ["data.train=/new/t.jsonl", "data.extra=[{path: /new/b.jsonl, weight: 3}]"],
     "data.extra[/new/b.jsonl].weight moves", "data.extra files and data.train: whether the records are the checkpoint's"),
    ("lm", False, ["data.train=/new/t.jsonl"], "data.train moves", None),  # a folder saved before the fingerprint
    ("lm", True, ["data.train=/new/other.jsonl"], "data.train moves", None),  # another file
    ("lm", True, ["data.extra=[{path: /new/c.jsonl}, {path: /new/b.jsonl}]"], "data.extra files moves", None),
    ("clip", True, ["data.train=/new/t.jsonl"], "data.train moves", None)])  # no records check there
def test_a_data_set_copied_elsewhere_is_not_said_to_move_the_data_position(tmp_path, capsys, objective, digest,
                                                                         changed, moved, checked):
    """Resuming on another machine with data.train=/new/t.jsonl (the same file, copied) said "data.train moves the
    data position: the batches from here are not those the checkpoint's run would have drawn", though the LM loop
    compares the records read with the step folder's fingerprint and draws the same batches from the same ones."""
    import json

    from rsvlm.config import load_config, save_config
    from rsvlm.train.config import TrainConfig
    from rsvlm.train.resume import check_changes

    base = [f"objective={objective}"]
    save_config(load_config(TrainConfig, None, [*base, "data.train=/old/t.jsonl",
                                                "data.extra=[{path: /old/b.jsonl}, {path: /old/c.jsonl}]"
                                                if "c.jsonl" in changed[-1] else "data.extra=[{path: /old/b.jsonl}]"]),
                tmp_path / "train_config.yaml")
    state = {"step": 2, **({"records": {"n": 3, "sha256": "0"}} if digest else {})}
    (tmp_path / "trainer_state_rank0.json").write_text(json.dumps(state))
    now = ["data.train=/old/t.jsonl", "data.extra=[{path: /old/b.jsonl}]"]
    check_changes(tmp_path, load_config(TrainConfig, None, [*base, *now, *changed]), 0)
    err = capsys.readouterr().err
    assert "ckpt.resume: this run changes" in err, err
    assert (f"; {moved} the data position" in err) if moved else "data position" not in err, err
    assert (f"; {checked}, in its order, is checked once they are read (a copy of them elsewhere moves nothing))"
            in err) if checked else "is checked once" not in err, err


@pytest.mark.parametrize("given, said", [
    ("d", "records file {t}/d is a folder; give a JSONL file in it (a.jsonl, b.jsonl); or data.train is one records "
          "file: give the first there and the others under data.extra"),
    ("d/*.jsonl", "records file not found: {t}/d/*.jsonl (a pattern is not expanded here: it matches 2 files, "
                  "{t}/d/a.jsonl, {t}/d/b.jsonl; give one); or data.train is one records file: give the first there"),
    ("one/*.jsonl", "records file not found: {t}/one/*.jsonl (a pattern is not expanded here: it matches 1 file, "
                    "{t}/one/a.jsonl; give one)$"),
    ("none/*.jsonl", "records file not found: {t}/none/*.jsonl (a pattern is not expanded here: it matches no file)$"),
    ("one", "records file {t}/one is a folder; give a JSONL file in it (a.jsonl)$")])
def test_a_folder_or_pattern_given_as_data_train_names_its_files_and_data_extra(tmp_path, given, said):
    """data.train=/d (a folder of several JSONL files) was told to give one file in it, not how to train on all
    of them (data.extra); data.train=/d/*.jsonl (quoted, or from a recipe) only 'records file not found'."""
    import re

    from rsvlm.config import load_config
    from rsvlm.train.config import TrainConfig
    from rsvlm.train.inputs import check_data_paths

    for name in ("d/a.jsonl", "d/b.jsonl", "one/a.jsonl"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text('{"id": "0"}\n')
    with pytest.raises(FileNotFoundError) as e:
        check_data_paths(load_config(TrainConfig, None, [f"data.train={tmp_path / given}"]))
    assert re.match(re.escape(f"data.train: {said}".format(t=tmp_path)).replace(r"\$", "$"), str(e.value)), str(e.value)
