"""Warnings in the run's own form: one ``[rsvlm.train] warning: …`` line on stderr (``run_warning``), also for
a library's ``warnings.warn`` raised within ``run_warnings`` (was Python's two lines: ``FILE:LINE: UserWarning: …``
and the source line)."""

from __future__ import annotations

import contextlib
import sys
import warnings


def run_warning(text: str) -> None:
    """Say ``text`` on stderr as the run's warnings read."""
    print(f"[rsvlm.train] warning: {text}", file=sys.stderr)


@contextlib.contextmanager
def run_warnings(staged: tuple[str, str] | None = None):
    """Within: each warning raised is said on leaving (also where the block raises) as ``run_warning``, in the
    order raised. The filters in force still apply (an ignored one stays unsaid, one said once already at its
    place is said again); what a library logs or prints itself is not caught. ``staged``: (a folder written
    within, the name it gets after) for the warnings' words, which name the folder as it will be."""
    with warnings.catch_warnings(record=True) as said:
        try:
            yield
        finally:
            for w in said:
                run_warning(str(w.message).replace(*staged) if staged else str(w.message))
