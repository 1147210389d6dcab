"""The build script's model card: the plain scores and, from the eval_tta stage, the scores with
test-time augmentation."""

from __future__ import annotations

import json

import pytest
import torch
from script_loader import load_script

from rsvlm.config import load_config


def test_model_card_shows_the_scores_with_and_without_test_time_augmentation(tmp_path, monkeypatch):
    from safetensors.torch import save_file

    b = load_script("build_default_model", monkeypatch)
    bc = load_config(b.BuildConfig, b.CONFIGS / "build.yaml", [])
    assert bc.eval_tta in ("flip", "dihedral")  # the card's second table is the default
    (tmp_path / "final").mkdir()
    save_file({"w": torch.zeros(10, 10)}, str(tmp_path / "final" / "vision.safetensors"))
    (tmp_path / "data" / "test").mkdir(parents=True)
    (tmp_path / "data" / "test" / "test.jsonl").write_text("{}\n{}\n")
    (tmp_path / "eval").mkdir()

    def report(acc50: float) -> str:
        return json.dumps({"metrics": [{"task": "grounding", "metric": "acc50", "all": acc50, "optical": acc50}]})

    (tmp_path / "eval" / "report.json").write_text(report(0.25))
    card = b.write_card(tmp_path, bc).read_text()
    assert "| Grounding (acc@0.5) | ≥ 0.80 | 0.250 |" in card and "(not scored)" in card
    (tmp_path / "eval" / "report_tta.json").write_text(report(0.375))
    card = b.write_card(tmp_path, bc).read_text()
    assert card.index("| Grounding (acc@0.5) | ≥ 0.80 | 0.250 |") < card.index("| Grounding (acc@0.5) | ≥ 0.80 | 0.375 |")
    assert f"--tta {bc.eval_tta}" in card and "{{" not in card and card.count("(not scored)") == 1  # no chat yet
    (tmp_path / "eval" / "report_chat.json").write_text(report(0.125))
    (tmp_path / "data" / "test" / "chat.jsonl").write_text("{}\n")
    card = b.write_card(tmp_path, bc).read_text()
    assert "| Grounding (acc@0.5) | ≥ 0.80 | 0.125 |" in card and "(1 conversations" in card
    assert "(not scored)" not in card
    with pytest.raises(ValueError, match="eval_tta"):
        b.stage_eval_tta(tmp_path, load_config(b.BuildConfig, b.CONFIGS / "build.yaml", ["eval_tta=sideways"]), 1.0)
    assert list(b.STAGES)[-2:] == ["eval", "eval_tta"]  # scoring only, after the model is built
