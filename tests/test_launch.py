"""Recipes parse with TrainConfig, and their launch comments are exactly what scripts/launch.py builds."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest
from conftest import load_script

REPO = Path(__file__).resolve().parents[1]
RECIPES = sorted((REPO / "configs" / "train" / "recipes").glob("*.yaml"))


launch = load_script("launch")


def _launch_comments(recipe: Path) -> list[tuple[list[str], list[str]]]:
    """[(launch.py argv, the command the comment says it runs)] from the recipe's header."""
    lines = recipe.read_text().splitlines()
    pairs = []
    for i, line in enumerate(lines):
        m = re.match(r"#\s+python scripts/launch\.py (.+)$", line)
        if m:
            runs = re.match(r"# runs: (.+)$", lines[i + 1])
            assert runs, f"{recipe.name}: launch line {i + 1} is not followed by '# runs: …'"
            pairs.append((shlex.split(m.group(1)), shlex.split(runs.group(1))))
    return pairs


def _flag(cmd: list[str], name: str) -> str | None:
    return cmd[cmd.index(name) + 1] if name in cmd else None


def _accum(cmd: list[str]) -> int:
    return int(next(a for a in cmd if a.startswith("grad_accum=")).split("=", 1)[1])


def test_there_are_recipes_for_every_real_scale_config():
    names = {p.stem for p in RECIPES}
    assert "geochat-7b-sft" in names
    for model in ("qwen2.5-1.5b", "qwen2.5-7b", "qwen2.5-1.5b-multisensor"):
        assert {f"{model}-align", f"{model}-sft"} <= names


@pytest.mark.parametrize("recipe", RECIPES, ids=lambda p: p.stem)
def test_recipe_launch_commands_match_the_launcher(recipe):
    from rsvlm.config import load_config
    from rsvlm.train.config import TrainConfig, check_config

    cfg = load_config(TrainConfig, recipe)
    check_config(cfg)
    gb = launch.recipe_global_batch(recipe)
    assert cfg.batch_size * cfg.grad_accum * 8 == gb  # the YAML itself is written for 1 node × 8 GPUs
    assert cfg.dist.deepspeed and (REPO / cfg.dist.deepspeed).is_file()
    pairs = _launch_comments(recipe)
    assert len(pairs) == 2, f"{recipe.name}: expected a 1-node and a 2-node launch command"
    seen_nodes = set()
    for argv, runs in pairs:
        args = launch.parser().parse_args(argv + ["--dry-run"])
        plan = launch.build(args.recipe, args.launcher, args.nodes, args.gpus_per_node, args.hostfile,
                            args.master_addr, args.master_port, args.overrides, check_hostfile=False)
        assert plan.command == runs, f"{recipe.name}: the comment's command drifted from scripts/launch.py"
        assert runs[0] == "deepspeed" and _flag(runs, "--module") == "rsvlm.train"
        assert Path(_flag(runs, "--config")).resolve() == recipe.resolve()
        assert _flag(runs, "--num_gpus") == "8"
        nodes = int(_flag(runs, "--num_nodes") or 1)
        seen_nodes.add(nodes)
        if nodes > 1:
            assert _flag(runs, "--hostfile") == "hostfile"
        else:
            assert "--hostfile" not in runs
        assert cfg.batch_size * _accum(runs) * 8 * nodes == gb == plan.global_batch
    assert seen_nodes == {1, 2}


def test_geochat_recipe_reproduces_geochat_hyperparameters():
    from rsvlm.config import load_config
    from rsvlm.train.config import TrainConfig

    path = REPO / "configs" / "train" / "recipes" / "geochat-7b-sft.yaml"
    cfg = load_config(TrainConfig, path)
    assert (cfg.model.llm.lora_r, cfg.model.llm.lora_alpha, cfg.optim.lr) == (64, 16, 2e-4)
    assert launch.recipe_global_batch(path) == 144
    assert cfg.max_steps == -(-318_000 // 144)  # one epoch of GeoChat's instruction set
    assert cfg.model.trainable.llm == "lora" and cfg.model.trainable.encoder == "frozen"


def test_torchrun_commands(tmp_path):
    recipe = REPO / "configs" / "train" / "recipes" / "qwen2.5-1.5b-sft.yaml"
    one = launch.build(recipe, "torchrun", nodes=1, gpus_per_node=8)
    assert one.command[:5] == ["torchrun", "--nnodes", "1", "--nproc_per_node", "8"]
    assert "-m" in one.command and _flag(one.command, "-m") == "rsvlm.train"
    hostfile = tmp_path / "hostfile"
    hostfile.write_text("# two nodes\nnode-a slots=8\nnode-b slots=8\n")
    two = launch.build(recipe, "torchrun", nodes=2, gpus_per_node=8, hostfile=str(hostfile),
                       overrides=["batch_size=4"])
    assert _flag(two.command, "--nnodes") == "2" and _flag(two.command, "--master_addr") == "node-a"
    assert _flag(two.command, "--node_rank") == "${NODE_RANK}"
    assert two.command[-1] == "batch_size=4" and two.micro_batch * two.grad_accum * 16 == two.global_batch


def test_launcher_refuses_inconsistent_setups(tmp_path):
    recipe = REPO / "configs" / "train" / "recipes" / "geochat-7b-sft.yaml"  # global batch 144, micro 9
    with pytest.raises(ValueError, match="not a multiple"):
        launch.build(recipe, gpus_per_node=7)
    with pytest.raises(ValueError, match="hostfile"):
        launch.build(recipe, nodes=2, gpus_per_node=8)
    small = tmp_path / "small"
    small.write_text("node-a slots=8\nnode-b slots=4\n")
    with pytest.raises(ValueError, match="does not give 2 node"):
        launch.build(recipe, nodes=2, gpus_per_node=8, hostfile=str(small))
    bad = tmp_path / "bad"
    bad.write_text("node-a gpus=8\n")
    with pytest.raises(ValueError, match=r"bad:1"):
        launch.read_hostfile(bad)
    headless = tmp_path / "r.yaml"
    text = recipe.read_text().replace("../../model/", f"{REPO}/configs/model/")  # its base, from the copy
    headless.write_text(text.replace("# global_batch: 144", "#"))
    with pytest.raises(ValueError, match="global_batch"):
        launch.build(headless)


def test_launcher_checks_the_deepspeed_config_before_starting_anything(tmp_path, capsys):
    recipe = REPO / "configs" / "train" / "recipes" / "qwen2.5-1.5b-sft.yaml"
    ds = json.loads((REPO / "configs" / "deepspeed" / "zero2.json").read_text())
    stage5, fixed = tmp_path / "stage5.json", tmp_path / "fixed.json"
    stage5.write_text(json.dumps({**ds, "zero_optimization": {**ds["zero_optimization"], "stage": 5}}))
    fixed.write_text(json.dumps({**ds, "train_batch_size": 64}))  # the recipe's global batch is 128
    with pytest.raises(ValueError, match="zero_optimization.stage"):
        launch.build(recipe, overrides=[f"dist.deepspeed={stage5}"])
    with pytest.raises(ValueError, match="train_batch_size=64"):
        launch.build(recipe, overrides=[f"dist.deepspeed={fixed}"])
    assert launch.main([str(recipe), "--dry-run", f"dist.deepspeed={tmp_path / 'none.json'}"]) == 2
    assert "none.json" in capsys.readouterr().err


def test_contrastive_pretraining_accumulates_like_any_recipe(tmp_path):
    """objective clip contrasts the whole global batch through its accumulation, so the launcher
    splits it as for any recipe: grad_accum = global / (batch_size × world)."""
    src = REPO / "configs" / "train" / "pretrain_encoder_tiny.yaml"
    recipe = tmp_path / "clip.yaml"
    recipe.write_text("# global_batch: 96\n" + src.read_text())
    plan = launch.build(recipe, "torchrun", nodes=1, gpus_per_node=1, overrides=["batch_size=24"])
    assert (plan.micro_batch, plan.grad_accum, plan.global_batch) == (24, 4, 96)
    assert "grad_accum=4" in plan.command and plan.command[-1] == "batch_size=24"
    plan = launch.build(recipe, "torchrun", nodes=1, gpus_per_node=4, overrides=["batch_size=24"])
    assert (plan.micro_batch, plan.grad_accum) == (24, 1)
    with pytest.raises(ValueError, match="world size 5"):
        launch.build(recipe, "torchrun", gpus_per_node=5, overrides=["batch_size=24"])


def test_dry_run_prints_the_command(capsys, tmp_path):
    recipe = REPO / "configs" / "train" / "recipes" / "qwen2.5-7b-qlora.yaml"
    assert launch.main([str(recipe), "--gpus-per-node", "1", "--dry-run"]) == 0
    out = capsys.readouterr()
    # stop 80: deepspeed's launcher is given --log_level=warning where it takes it (test_train_tour80e)
    cmd = [w for w in shlex.split(out.out.strip()) if w != "--log_level=warning"]
    assert cmd[:3] == ["deepspeed", "--num_gpus", "1"] and _accum(cmd) == 64  # 128 / (2 × 1)
    assert "global batch 128" in out.err
    # key=value overrides may come after the options, as docs/models.md writes them
    assert launch.main([str(recipe), "--gpus-per-node", "1", "--dry-run", "max_steps=7", "optim.lr=1e-5"]) == 0
    cmd = shlex.split(capsys.readouterr().out.strip())
    assert cmd[-2:] == ["max_steps=7", "optim.lr=1e-5"]
    assert launch.main([str(tmp_path / "missing.yaml"), "--dry-run"]) == 2
    assert "missing.yaml" in capsys.readouterr().err


def test_the_launcher_is_found_beside_the_running_python(tmp_path, monkeypatch):
    """`.venv/bin/python scripts/launch.py …` without the virtualenv on PATH ran `torchrun` through
    the shell and died with 'torchrun: not found' (exit 127)."""
    import sys

    monkeypatch.setenv("PATH", str(tmp_path))  # nothing there
    assert launch.launcher_path("torchrun") == str(Path(sys.executable).parent / "torchrun")
    assert launch.launcher_path("no-such-launcher") is None
