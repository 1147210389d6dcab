"""Tour 55 of inference and checkpoints: split modules, cut-at-context answers in eval, warnings in
CLI runs, merge-lora and convert-llava on odd input."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_split_modules_leave_room_and_keep_the_old_import_paths():
    """checkpoint.py (496 lines) and inference.py (485) were at the 500-line limit: weight files and
    answer generation have their own modules, and the names stay importable where scripts import them."""
    from rsvlm import answering, inference
    from rsvlm.model import checkpoint, weights

    for name in ("average_checkpoints", "compare_weights", "saved_dtypes", "open_safetensors", "load_safetensors"):
        assert getattr(checkpoint, name) is getattr(weights, name), name
    for name in ("Answer", "generate_answers", "answerer", "prompt_problem", "class_questions", "is_cut",
                 "cut_note", "answers_or_refusals", "join_shapes", "last_question", "no_det_classes"):
        assert getattr(inference, name) is getattr(answering, name), name
    for path in ("rsvlm/model/checkpoint.py", "rsvlm/inference.py"):
        assert len((REPO / path).read_text().splitlines()) < 400, path
