"""Counts in eval's notes read in the singular and the plural: ``1 record has``, ``2 records have`` (were
``record(s) have``), by ``rsvlm.progress.plural``, the one rule of plurals."""

from __future__ import annotations

from rsvlm.progress import plural


def counted(n: int, noun: str, verbs: str = "") -> str:
    """``n`` ``noun`` and, where given, the verb of ``verbs`` (``"has/have"``: singular/plural) agreeing with it:
    ``counted(1, "record", "has/have")`` is ``1 record has``, ``counted(2, "answer")`` is ``2 answers``."""
    one, many = verbs.split("/") if verbs else ("", "")
    return f"{n} {plural(noun, n)}" + (f" {one if n == 1 else many}" if verbs else "")


if __name__ == "__main__":  # python -m eval.counts: no command line; say so, and which scripts have one
    from eval.__main__ import library_main

    raise SystemExit(library_main("counts"))
