"""Tour 60 of evaluation: docs/eval.md's ``rsvlm eval`` part moved to docs/eval-run.md (eval.md was 496
lines), rsvlm/evaluate.py split (476 lines), the stamp's ``unchecked_answers`` once rows are asked again,
records whose ``"task"`` is empty, and what a demanding user tried."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_eval_md_is_short_and_points_to_the_rsvlm_eval_page():
    """eval.md kept growing with rsvlm eval's resume and process notes; they live in eval-run.md, which
    eval.md and the README link, and every relative link of the new page reaches its file."""
    eval_md = (REPO / "docs" / "eval.md").read_text()
    run_md = REPO / "docs" / "eval-run.md"
    assert len(eval_md.splitlines()) < 430
    assert "](eval-run.md)" in eval_md and "## Answering a test set: `rsvlm eval`" in eval_md
    assert "](docs/eval-run.md)" in (REPO / "README.md").read_text()
    text = run_md.read_text()
    assert "## Resuming" in text and "## Several processes" in text and "unchecked_answers" in text
    for target in re.findall(r"\]\(([^)#\s:]+)", text):
        assert (run_md.parent / target).exists(), target


def test_evaluate_is_split_and_its_names_still_import_from_it():
    """rsvlm/evaluate.py had grown to 476 lines: one batch's answering moved to rsvlm.eval_answers, and the
    names callers import from rsvlm.evaluate (tests patch ``evaluate.answer_batch``, which ``run`` calls) are
    the moved ones."""
    from rsvlm import eval_answers, evaluate

    assert len((REPO / "rsvlm" / "evaluate.py").read_text().splitlines()) < 430
    for name in ("answer_batch", "prompt_of", "tagged_record", "put_answer", "scored_objects", "grammar_problem"):
        assert getattr(evaluate, name) is getattr(eval_answers, name), name
    assert callable(evaluate.run) and callable(evaluate.main) and callable(evaluate.inputs_digest)
