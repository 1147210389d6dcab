"""What ``rsvlm eval`` marks in a prediction row (an ``error``, ``"cut": true``, ``"past_context":
true``) and the scorers' counts of them (``PRED_FLAGS``): a score file's ``n_pred_*`` keys, the
printed table's columns where any, and ``eval.notes``' sentences about them."""

from __future__ import annotations

from eval.inputs import Item
from eval.pred_file import is_error_row


def is_errored(it: Item) -> bool:
    """A prediction ``rsvlm eval`` answered empty with an ``error`` (``pred_file.is_error_row``)."""
    return is_error_row(it.pred)


def is_cut(it: Item) -> bool:
    """A prediction ``rsvlm eval`` marked ``"cut": true``: its answer reached ``--max-new-tokens`` without an end (it may be cut)."""
    return it.pred is not None and it.pred.get("cut") is True


def is_past_context(it: Item) -> bool:
    """A prediction ``rsvlm eval`` marked ``"past_context": true``: its prompt and answer ran past the
    LLM's context, so the answer's end is unreliable."""
    return it.pred is not None and it.pred.get("past_context") is True


# the counts of what rsvlm eval marked in predictions, by key: a score file's, and summary_table's columns
PRED_FLAGS = {"n_pred_errors": is_errored, "n_pred_cut": is_cut, "n_pred_past_context": is_past_context}


def pred_flags(items: list[Item]) -> dict:
    """What ``rsvlm eval`` marked in the predictions of ``items``: ``n_pred_errors`` (answered empty
    with an ``error``), ``n_pred_cut`` (stopped by the token limit, ``"cut": true``) and
    ``n_pred_past_context`` (past the LLM's context, ``"past_context": true``)."""
    return {key: sum(map(flag, items)) for key, flag in PRED_FLAGS.items()}


if __name__ == "__main__":  # python -m eval.flags: no command line; say so, and which scripts have one
    from eval.__main__ import library_main

    raise SystemExit(library_main("flags"))
