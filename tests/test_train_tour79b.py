"""Stop 79 (P4), training: an override's refusal says it was typed on the command line (unknown keys, bad values,
model-section checks), a LoRA run on a base of pickled weights alone is refused before its first step, and
``$VAR`` in a recipe's paths is expanded as ``~`` is (an unset one refused, naming it)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from setup_helpers import train_refused
from test_train_utils import make_records, recipe

from rsvlm.train import main as train_main

REPO = Path(__file__).resolve().parents[1]
SFT = REPO / "configs" / "train" / "sft_tiny.yaml"


@pytest.mark.parametrize("override, said", [
    ("max_step=3", "override 'max_step=3' (command line): unknown key 'max_step'"),
    ("optim.lr=abc", "override 'optim.lr=abc' (command line): optim.lr: expected float"),
])
def test_an_override_the_loader_refuses_says_it_was_typed_on_the_command_line(tmp_path, capsys, override, said):
    """Said "override 'max_step=3': …" while a refused value said "override 'batch_size=0' (command line): …"."""
    line = train_refused(["--config", str(SFT), f"out_dir={tmp_path / 'run'}", override], capsys)
    assert line.startswith(f"rsvlm train: {said}"), line
    assert line.count("(command line)") == 1, line


def test_a_stems_refusal_names_the_override_that_set_its_bands(tmp_path, capsys):
    """Was 'rsvlm train: model.stems.optical: stem 'optical': bands …', as if the recipe had given them."""
    line = train_refused(["--config", str(SFT), f"out_dir={tmp_path / 'run'}", "model.stems.optical.bands=[R,G]"],
                         capsys)
    assert line == ("rsvlm train: override 'model.stems.optical.bands=[R,G]' (command line): model.stems.optical: "
                    "stem 'optical': bands ['R', 'G'], mean and std must have one entry per band (got 2, 3, 3)"), line
    assert not (tmp_path / "run").exists()


def test_a_stems_refusal_from_the_recipe_is_said_as_before(tmp_path, capsys):
    r = tmp_path / "r.yaml"
    r.write_text(f"base: {SFT}\nmodel:\n  stems:\n    optical: {{bands: [R, G]}}\n")
    line = train_refused(["--config", str(r), f"out_dir={tmp_path / 'run'}"], capsys)
    assert line.startswith("rsvlm train: model.stems.optical: stem 'optical': bands ['R', 'G']"), line


@pytest.fixture(scope="module")
def bin_base(base_dir, tmp_path_factory):
    """conftest's tiny base, its weights re-saved as pytorch_model.bin alone (a pickle), as older hub bases are."""
    import torch
    from safetensors.torch import load_file
    from transformers import AutoModelForCausalLM

    base = tmp_path_factory.mktemp("binbase")
    for f in Path(base_dir).iterdir():
        if not f.name.endswith(".safetensors"):
            shutil.copy(f, base / f.name)
    AutoModelForCausalLM.from_pretrained(base_dir).save_pretrained(base, safe_serialization=False)
    if not (base / "pytorch_model.bin").is_file():  # transformers 5 writes safetensors whatever it is asked
        torch.save(load_file(base / "model.safetensors"), base / "pytorch_model.bin")
        (base / "model.safetensors").unlink()
    assert (base / "pytorch_model.bin").is_file() and not list(base.glob("*.safetensors"))
    return base


def test_a_lora_run_on_a_base_of_pickled_weights_alone_is_refused_before_its_first_step(bin_base, tmp_path, capsys):
    """It trained, and its final/ (the adapter alone, naming this base) was refused by chat, eval and merge-lora:
    '…: no *.safetensors LLM weights; it holds pytorch_model.bin, pickled weights, which rsvlm does not load'."""
    data = make_records(tmp_path / "d", n=4, ir_every=0)
    out = tmp_path / "run"
    line = train_refused(["--config", str(recipe(tmp_path)), f"data.train={data}", f"out_dir={out}", "device=cpu",
                          f"model.llm.name_or_path={bin_base}", "model.llm.config=null", "model.trainable.llm=lora",
                          "max_steps=1", "batch_size=2", "log.progress=false"], capsys)
    # stop 80: the override typed is named before the key (test_train_tour80e)
    assert line.startswith(f"rsvlm train: override 'model.llm.name_or_path={bin_base}' (command line): "
                           f"model.llm.name_or_path: {bin_base}: no *.safetensors LLM weights; it holds "
                           "pytorch_model.bin, pickled weights, which rsvlm does not load"), line
    assert "merge-lora" in line and "model.trainable.llm=full" in line
    assert not out.exists()


def test_a_pickled_base_is_refused_only_where_the_save_would_name_it(bin_base, base_dir, tmp_path):
    """A full or frozen LLM is saved whole in safetensors: its base's format does not reach final/."""
    from rsvlm.config import load_config
    from rsvlm.train import loop
    from rsvlm.train.config import TrainConfig
    from rsvlm.train.init_from import check_lora_base

    def cfg(base, mode):
        return load_config(TrainConfig, SFT, [f"model.llm.name_or_path={base}", "model.llm.config=null",
                                              f"model.trainable.llm={mode}"])

    for mode in ("full", "frozen"):
        check_lora_base(cfg(bin_base, mode))
    check_lora_base(cfg(base_dir, "lora"))
    with pytest.raises(FileNotFoundError, match="pytorch_model.bin, pickled weights"):
        check_lora_base(cfg(bin_base, "lora"))
    whole = cfg(bin_base, "lora")
    whole.data.train, whole.out_dir = str(make_records(tmp_path / "d", n=4, ir_every=0)), str(tmp_path / "run")
    whole.device, whole.batch_size = "cpu", 2
    with pytest.raises(FileNotFoundError, match="pytorch_model.bin"):  # train() as a library runs it too
        loop.train(whole)
    assert not (tmp_path / "run").exists()


def test_env_variables_in_a_recipes_paths_are_expanded(tmp_path, monkeypatch):
    """'out_dir: $HOME/runs' made a folder named '$HOME' in the working directory; data.train: ${HOME}/a.jsonl
    was 'not found'."""
    from rsvlm.config import load_config
    from rsvlm.train import recipe_values
    from rsvlm.train.config import TrainConfig

    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("RSVLM_SETS", str(tmp_path / "sets"))
    r = tmp_path / "r.yaml"
    r.write_text(f"base: {SFT}\nout_dir: $HOME/runs\ndata:\n  train: ${{RSVLM_SETS}}/a.jsonl\n  root: ~/img\n")
    cfg = load_config(TrainConfig, r, ["ckpt.resume=$HOME/runs/checkpoints/step_000002"])
    recipe_values(cfg, str(r), [])
    assert cfg.out_dir == str(tmp_path / "home" / "runs")
    assert cfg.data.train == str(tmp_path / "sets" / "a.jsonl")
    assert cfg.data.root == str(tmp_path / "home" / "img")
    assert cfg.ckpt.resume == str(tmp_path / "home" / "runs" / "checkpoints" / "step_000002")


def test_an_unset_variable_in_a_path_is_refused_naming_it_and_makes_nothing(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("RSVLM_NOPE", raising=False)
    monkeypatch.chdir(tmp_path)
    line = train_refused(["--config", str(SFT), "out_dir=$RSVLM_NOPE/runs"], capsys)
    assert line == ("rsvlm train: override 'out_dir=$RSVLM_NOPE/runs' (command line): out_dir: '$RSVLM_NOPE/runs' "
                    "names $RSVLM_NOPE, which is not set in the environment (a config's paths expand ~ and $VAR as a "
                    "shell would; a name holding $RSVLM_NOPE itself cannot be given, rename or link it): set it, or write "
                    "the path out"), line
    r = tmp_path / "r.yaml"
    r.write_text(f"base: {SFT}\ndata:\n  train: ${{RSVLM_NOPE}}/a.jsonl\n")
    line = train_refused(["--config", str(r), f"out_dir={tmp_path / 'run'}"], capsys)
    assert line.startswith(f"rsvlm train: {r}: data.train: '${{RSVLM_NOPE}}/a.jsonl' names ${{RSVLM_NOPE}}, "), line
    assert line.endswith("(line 3 of r.yaml)"), line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.yaml"]  # no folder named $RSVLM_NOPE


def test_a_final_save_that_fails_midway_leaves_the_last_runs_final_whole(tmp_path, monkeypatch, capsys):
    """A resumed run saved into the last run's final/ in place: killed after vision.safetensors, final/ held this
    run's vision side with the last run's adapter and config, and loaded without a word. It is now written
    beside it and renamed."""
    from rsvlm.model import checkpoint as model_ckpt

    data = make_records(tmp_path / "d", n=8, ir_every=0)
    out = tmp_path / "run"
    argv = ["--config", str(recipe(tmp_path)), f"data.train={data}", f"out_dir={out}", "log.progress=false",
            "batch_size=4", "ckpt.every=1", "device=cpu"]
    assert train_main([*argv, "max_steps=1"]) == 0
    before = {p.relative_to(out / "final"): p.read_bytes() for p in (out / "final").rglob("*") if p.is_file()}
    real = model_ckpt.save_tokenizer

    def cut(tok, folder):  # after vision.safetensors, before the LLM's part
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(model_ckpt, "save_tokenizer", cut)
    capsys.readouterr()
    assert train_main([*argv, "max_steps=2", "ckpt.resume=auto"]) == 1
    assert "No space left" in capsys.readouterr().err
    now = {p.relative_to(out / "final"): p.read_bytes() for p in (out / "final").rglob("*") if p.is_file()}
    assert now == before  # was: a new vision.safetensors beside the old adapter and train_config.yaml
    assert (out / "final.tmp" / "vision.safetensors").is_file()  # the cut save, under a name nothing loads
    monkeypatch.setattr(model_ckpt, "save_tokenizer", real)
    assert train_main([*argv, "max_steps=2", "ckpt.resume=auto"]) == 0
    assert not (out / "final.tmp").exists() and not (out / "final.old").exists()
    assert "max_steps: 2" in (out / "final" / "train_config.yaml").read_text()
