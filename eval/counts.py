"""Counts in eval's notes read in the singular and the plural: ``1 record has``, ``2 records have`` (were
``record(s) have``): ``rsvlm.progress.counted``, the one rule of plurals, with the verb agreeing."""

from __future__ import annotations

from rsvlm import progress


def counted(n: int, noun: str, verbs: str = "") -> str:
    """``n`` ``noun`` (``rsvlm.progress.counted``) and, where given, the verb of ``verbs`` (``"has/have"``:
    singular/plural) agreeing with it: ``counted(1, "record", "has/have")`` is ``1 record has``, ``counted(2, "answer")``
    is ``2 answers``."""
    return progress.counted(n, noun) + (f" {verbs.split('/')[n != 1]}" if verbs else "")


def their(n: int, words: str = "its/their") -> str:
    """The word of ``words`` (``"its/their"``, ``"it is/they are"``) that agrees with ``n`` things: one record's image
    is "its image" (was "their image" of one)."""
    return words.split("/")[n != 1]


if __name__ == "__main__":  # python -m eval.counts: no command line; say so, and which scripts have one
    from eval.__main__ import library_main

    raise SystemExit(library_main("counts"))
