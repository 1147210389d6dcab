"""Counts in eval's notes read in the singular and the plural: ``1 record has``, ``2 records have`` (were
``record(s) have``): ``rsvlm.progress.counted``, the one rule of plurals, with the verb agreeing."""

from __future__ import annotations

from rsvlm.progress import counted  # noqa: F401  (eval.counts.counted: the scripts import it from here)


def their(n: int, words: str = "its/their") -> str:
    """The word of ``words`` (``"its/their"``, ``"it is/they are"``) that agrees with ``n`` things: one record's image
    is "its image" (was "their image" of one)."""
    return words.split("/")[n != 1]


if __name__ == "__main__":  # python -m eval.counts: no command line; say so, and which scripts have one
    from eval.__main__ import library_main

    raise SystemExit(library_main("counts"))
