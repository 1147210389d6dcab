"""Stop 78 (lead): scripts/launch.py opens a refusal of a recipe value with the file and line or the override that
set it, as ``rsvlm train`` does (it said ``launch: precision must be …`` alone, naming neither)."""

from __future__ import annotations

from script_loader import REPO, load_script

SFT = REPO / "configs" / "train" / "sft_tiny.yaml"


def test_launch_names_the_recipe_line_of_a_bad_value(tmp_path, monkeypatch, capsys):
    launch = load_script("launch", monkeypatch)
    recipe = tmp_path / "r.yaml"
    recipe.write_text(f"# global_batch: 4\nbase: {SFT}\n\nprecision: fp17\n")
    assert launch.main([str(recipe), "--gpus-per-node", "1", "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert f"{recipe}: precision must be fp32, bf16 or fp16, got 'fp17' (line 4 of r.yaml)" in err, err


def test_launch_names_the_override_that_set_a_bad_value(tmp_path, monkeypatch, capsys):
    launch = load_script("launch", monkeypatch)
    recipe = tmp_path / "r.yaml"
    recipe.write_text(f"# global_batch: 4\nbase: {SFT}\n")
    assert launch.main([str(recipe), "--gpus-per-node", "1", "--dry-run", "precision=fp17"]) == 2
    err = capsys.readouterr().err
    assert "override 'precision=fp17' (command line): precision must be" in err, err
    assert "r.yaml" not in err, err
