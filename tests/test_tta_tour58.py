"""Tour 58: a one-letter or three-letter compass point ("the ship in the N", "NNE") follows a mirror
view as the four corners do; the memory plan of a model with no recipe keeps to the LLM's context,
and docs/benchmarks.md quotes the plan's figures of today."""

from __future__ import annotations

import pytest

from rsvlm import tta
from rsvlm.tta_words import swap_words


@pytest.mark.parametrize("question,view,want", [
    ("the ship in the N", "v", "the ship in the S"),  # was: N in every view (the bottom, once flipped)
    ("the ship in the N", "h", "the ship in the N"),
    ("the ship in the N", "t", "the ship in the W"),
    ("the tank to the NNE", "h", "the tank to the NNW"),
    ("the tank to the NNE", "v", "the tank to the SSE"),
    ("the tank to the NNE", "t", "the tank to the WSW"),
    ("the tank to the ENE of the W dock", "thv", "the tank to the NNE of the S dock"),
    ("a N-S road, E of the river.", "t", "a W-E road, S of the river."),
])
def test_every_compass_point_in_capitals_follows_the_view(question, view, want):
    assert swap_words(question, view) == want
    assert swap_words(want, view, back=True) == question


@pytest.mark.parametrize("text", ["an S-shaped river", "N/A", "the U.S. base", "a B&W photo", "E.g. a ship",
                                  "the T-S junction", "the ship SE2", "the Ship in the n"])
def test_a_letter_joined_to_a_word_is_no_compass_point(text):
    for view in tta.DIHEDRAL:
        assert swap_words(text, view) == text, view


def test_a_question_of_the_north_asks_the_south_of_the_flipped_view():
    box = "<box><loc_0><loc_0><loc_99><loc_99></box>"  # top left
    text = tta.map_text(f"Is the ship in the N {box}?", "v", 32, 32)
    assert text.startswith("Is the ship in the S <box><loc_0><loc_900>")
    assert not tta.croppable([{"role": "user", "content": "[ground] the tank to the NNE"}])


def test_a_model_config_is_planned_within_its_llms_context(monkeypatch, capsys):
    """A config with no recipe was planned at 2,048 tokens though its LLM reads 512 (the shipped model's)."""
    from script_loader import REPO, load_script

    plan = load_script("memory_plan", monkeypatch)
    tiny = REPO / "configs/model/tiny.yaml"  # max_position_embeddings: 512, 16 visual tokens
    assert plan.main([str(tiny)]) == 0
    assert "sequence 512 tokens (the LLM's whole context, max_position_embeddings; 496 with logits)" in (
        capsys.readouterr().out)
    assert plan.main([str(tiny), "--seq-len", "600"]) == 0  # given, it counts, and the line says so
    assert "sequence 600 tokens (longer than the LLM's 512-token context; 584 with logits)" in capsys.readouterr().out
    assert plan.sequence(None, 32768) == (2048, "") and plan.sequence(None, 0) == (2048, "")


def test_the_docs_quote_the_memory_plan_of_today_beside_the_measured_figures(monkeypatch):
    """docs/benchmarks.md quoted the plan at 25.7 / 50.2 GiB, its figures before the answer-window logits."""
    import re
    from pathlib import Path

    from script_loader import REPO, load_script

    plan = load_script("memory_plan", monkeypatch)
    said = {}
    for llm in ("lora", "full"):
        cfg = plan.model_config(REPO / "configs/model/qwen2.5-1.5b.yaml", llm)
        inv = plan.inventory(plan.offline(cfg), llm, plan.tokenizer_len(cfg.llm.name_or_path))
        for answer in (514, None):
            (row,) = plan.plan(inv, 817, 1, ["zero2"], [(1, 1, 141)], answer)
            said[llm, answer] = f"{row.state_gb + 16 * row.act_gb:.1f}"  # micro-batch 16, reserve aside
    bench = (Path(REPO) / "docs/benchmarks/gpu_train.md").read_text()
    part = bench[bench.index("**Against the memory plan.**"):][:900]
    assert re.findall(r"(LoRA|full): ([\d.]+) GiB against", part) == [("LoRA", said["lora", 514]),
                                                                      ("full", said["full", 514])]
    assert f"it says {said['lora', None]} and {said['full', None]} GiB" in part
    assert "22.7 allocated (28.3 reserved)" in part and "38.6 allocated (53.5 reserved)" in part  # measured: kept
    memory = " ".join((Path(REPO) / "docs/memory.md").read_text().split())
    assert f"the plan says {said['lora', 514]} GiB" in memory and f"the plan says {said['full', 514]} GiB" in memory
    assert f"it says {said['lora', None]} and {said['full', None]} GiB" in memory
