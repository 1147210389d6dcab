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
