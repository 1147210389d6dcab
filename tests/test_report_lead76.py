"""eval.report of a score file whose rsvlm eval was stopped early (the stamp's ``stopped``, 0b50cd90): its limit moved
there and ``limit`` is null, so the report said neither the limit nor the stop."""

from eval.report import run_row
from eval.report_notes import partial_why


def _score(run: dict) -> dict:
    return {"task": "vqa", "n_records": 6, "n_missing": 2, "run": {"model": "m", "options": {}, **run}}


def test_a_stopped_run_is_said_interrupted_with_its_limit_in_the_options_and_the_partial_note():
    s = _score({"limit": None, "stopped": {"why": "interrupted", "limit": 4}})
    assert run_row(s["run"])["options"] == "(interrupted under limit=4)"
    assert partial_why(s) == ("2 of 6 records have no answer (rsvlm eval was interrupted before it answered them all, "
                              "under --limit 4), scored as wrong: not the whole set's score")


def test_a_stopped_full_run_and_a_plain_limit_run_keep_their_words():
    stopped = _score({"limit": None, "stopped": {"why": "stopped by SIGTERM", "limit": None}})
    assert run_row(stopped["run"])["options"] == "(stopped by SIGTERM)"
    assert "(rsvlm eval was stopped by SIGTERM before it answered them all)" in partial_why(stopped)
    limited = _score({"limit": 4})
    assert run_row(limited["run"])["options"] == "limit=4"
    assert "(rsvlm eval ran with --limit 4)" in partial_why(limited)
