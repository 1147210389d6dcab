"""The reader's own error, raised naming the file, and how its messages count bands."""

from __future__ import annotations


class ImageReadError(ValueError):
    """A file exists but cannot be decoded (truncated, corrupt, or not an image)."""


def n_bands(n: int) -> str:
    """``n`` bands said with the right number: "1 band", "2 bands"."""
    return f"{n} band{'s' * (n != 1)}"
