"""Answer normalisation shared by classification, VQA and counting: ``normalize_answer``, ``parse_count``,
``is_yes_no``, ``whole_number``, ``caption_text``, ``strip_end_tokens``, ``number_words`` and their word lists.

They are ``rsvlm.answer_text``'s, imported from there (whose docstring gives the rules, step by step): ``fusion.vote``
reads a ``--tta`` vote by them, so the vote and eval read an answer alike, from one copy that cannot drift. Every
name is importable from here, as the scorers and tests import it. ``unscored_why`` alone is eval's: why an answer
those rules read to nothing is unparseable, said for what it is (empty, or garbled).
"""

from __future__ import annotations

from rsvlm.answer_text import (  # noqa: F401  (re-exported: the scorers and tests import them from eval.text)
    ARTICLES,
    NO,
    NUMBER_WORDS,
    YES,
    caption_text,
    is_yes_no,
    normalize_answer,
    number_words,
    parse_count,
    strip_end_tokens,
    whole_number,
)

__all__ = ["ARTICLES", "NO", "NUMBER_WORDS", "YES", "caption_text", "is_yes_no", "normalize_answer", "number_words",
           "parse_count", "strip_end_tokens", "unscored_why", "whole_number"]


def unscored_why(answer: str) -> str:
    """Why ``answer``, which ``normalize_answer`` reads to nothing, cannot be scored: ``"is empty"`` where it has no
    character but whitespace; otherwise it is no empty answer but a garbled one (``'???'``, ``'the'``, ``'</s>'``:
    punctuation, articles or end tokens alone), said so. Cannot tell why a model wrote it."""
    if not answer.strip():
        return "is empty"
    return "holds no word to score (punctuation, articles or end tokens alone: a garbled answer, not an empty one)"


if __name__ == "__main__":  # python -m eval.text: no command line; say so, and which scripts have one
    from eval.__main__ import library_main

    raise SystemExit(library_main("text"))
