"""scripts/memory_plan.py refuses a sequence too short to hold a sample's visual tokens."""

from __future__ import annotations

from script_loader import REPO, load_script


def test_a_sequence_shorter_than_the_visual_tokens_is_refused(monkeypatch, capsys):
    plan = load_script("memory_plan", monkeypatch)
    tiny = REPO / "configs/model/tiny.yaml"  # 32 px images, 8 px patches: 16 visual tokens
    assert plan.main([str(tiny), "--seq-len", "24", "--images", "2"]) == 2  # was: a plan, exit 0
    out = capsys.readouterr()
    assert "--seq-len 24" in out.err and "2 × 16 visual tokens" in out.err and "|" not in out.out
    assert plan.main([str(tiny), "--seq-len", "33", "--images", "2"]) == 0


def test_the_plan_is_not_preceded_by_bitsandbytes_kernel_line():
    import subprocess
    import sys

    run = subprocess.run([sys.executable, str(REPO / "scripts/memory_plan.py"), str(REPO / "configs/model/tiny.yaml")],
                         capture_output=True, text=True, timeout=300, cwd=REPO)
    assert run.returncode == 0 and "kernels-community" not in run.stderr, run.stderr[-2000:]
    assert run.stdout.startswith("### tiny"), run.stdout[:300]  # was after DeepSpeed's 'Setting accelerator to CPU'
    assert "Setting accelerator" not in run.stdout + run.stderr


def test_a_training_recipe_is_planned_from_its_model_section(monkeypatch, capsys):
    plan = load_script("memory_plan", monkeypatch)
    recipe = REPO / "configs/train/sft_tiny.yaml"  # was: 'unknown key(s) batch_size, ckpt, data, … for VLMConfig'
    assert plan.main([str(recipe), "--seq-len", "64"]) == 0
    out = capsys.readouterr()
    assert "### sft_tiny (LLM lora)" in out.out and "zero2" in out.out and "unknown key" not in out.err
