"""Stop 78 (P3), training: ``rsvlm train``'s refusal of a recipe value (``check_config``: precision, batch_size, …)
names the file and line or the override that set it (it said ``rsvlm train: precision must be …`` alone), and a
step folder whose trainable parameters do not fit the model says what to do."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from setup_helpers import train_refused

REPO = Path(__file__).resolve().parents[1]
SFT = REPO / "configs" / "train" / "sft_tiny.yaml"


def test_a_bad_value_in_the_recipe_names_its_file_and_line(tmp_path, capsys):
    recipe = tmp_path / "r.yaml"
    recipe.write_text(f"base: {SFT}\nout_dir: {tmp_path / 'run'}\n\nprecision: fp17\n")
    said = train_refused(["--config", str(recipe), f"data.train={tmp_path / 'train.jsonl'}"], capsys)
    assert said == (f"rsvlm train: {recipe}: precision must be fp32, bf16 or fp16, got 'fp17' (line 4 of r.yaml); "
                    "did you mean fp16?")
    assert not (tmp_path / "run").exists()


def test_a_bad_value_a_base_sets_names_the_base(tmp_path, capsys):
    base = tmp_path / "b.yaml"
    base.write_text(f"base: {SFT}\nbatch_size: 0\n")
    recipe = tmp_path / "a.yaml"
    recipe.write_text(f"base: {base}\nseed: 3\n")
    said = train_refused(["--config", str(recipe), f"data.train={tmp_path / 'train.jsonl'}",
                          f"out_dir={tmp_path / 'run'}"], capsys)
    assert said == f"rsvlm train: {base} (a base of {recipe}): batch_size must be >= 1, got 0 (line 2 of b.yaml)"


@pytest.mark.parametrize("override, says", [
    ("precision=fp17", "precision must be fp32, bf16 or fp16, got 'fp17'; did you mean fp16?"),
    ("data.num_workers=-1", "data.num_workers must be >= 0, got -1"),
    ("data.band_dropout={radar: 0.5}", "data.band_dropout['radar']: the model has no stem for 'radar'"),
])
def test_a_bad_value_from_an_override_names_the_override(override, says, tmp_path, capsys):
    said = train_refused(["--config", str(SFT), f"data.train={tmp_path / 'train.jsonl'}", f"out_dir={tmp_path / 'run'}",
                          "seed=1", override], capsys)
    assert said.startswith(f"rsvlm train: override {override!r} (command line): {says}"), said
    assert not (tmp_path / "run").exists()


def test_a_flag_typed_override_is_named_as_the_key_value_it_is(tmp_path, capsys):
    said = train_refused(["--config", str(SFT), f"data.train={tmp_path / 'train.jsonl'}", f"out_dir={tmp_path / 'run'}",
                          "--batch_size", "0"], capsys)
    assert said == "rsvlm train: override 'batch_size=0' (command line): batch_size must be >= 1, got 0"


def test_other_refusals_keep_their_wording(tmp_path, capsys):
    """A broken stem/encoder link (LinkError) is named by config_by once, not twice; a later check's refusal
    (preflight past check_config: here the records file) is not opened with the recipe."""
    said = train_refused(["--config", str(SFT), f"data.train={tmp_path / 'train.jsonl'}", f"out_dir={tmp_path / 'run'}",
                          "model.stems.optical.encoder=defualt"], capsys)
    assert said.startswith("rsvlm train: override 'model.stems.optical.encoder=defualt' (command line): "
                           "model.stems.optical.encoder 'defualt' is not among"), said
    assert said.count("override") == 1, said
    said = train_refused(["--config", str(SFT), f"data.train={tmp_path / 'train.jsonl'}",
                          f"out_dir={tmp_path / 'run'}"], capsys)
    assert said.startswith("rsvlm train: data.train"), said


def test_trainable_parameters_of_another_model_say_what_to_do(tmp_path):
    from rsvlm.train.checkpoint import load_trainable

    model = torch.nn.Linear(2, 2)
    state = {"weight": torch.zeros(2, 2), "lora_A": torch.zeros(1, 2)}
    with pytest.raises(ValueError) as e:
        load_trainable(tmp_path, model, state)
    assert str(e.value) == (
        f"{tmp_path}: trainable parameters differ from this model (missing ['bias'], extra ['lora_A']); they were "
        "saved by another model than its train_config.yaml builds (that file edited or copied from another run, or "
        "a model path it names holding another model now): put back the train_config.yaml and model files the run "
        "that saved them had")
