"""The scoring scripts' error for input they cannot score (``eval.inputs.ScoreError``, defined here so that the
ground-truth and the predictions readers share it)."""

from __future__ import annotations


class ScoreError(ValueError):
    """Input that cannot be scored; the message names the file, line or record."""


if __name__ == "__main__":  # python -m eval.errors: no command line; say so, and which scripts have one
    from eval.__main__ import library_main

    raise SystemExit(library_main("errors"))
