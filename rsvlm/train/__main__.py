"""``python -m rsvlm.train`` (what torchrun / deepspeed launch on every rank)."""

import sys

from rsvlm.closed_pipes import readers_may_close
from rsvlm.train import main


def run() -> int:
    """``main`` with a reader that may close (``python -m rsvlm.train … 2>&1 | head -1``): the run goes on and
    keeps its own exit status, as ``rsvlm train`` does; was exit 1 at the first progress line, nothing trained.
    The stream still read says which one lost its reader (``rsvlm.cli``'s ``_run`` does the same)."""
    with readers_may_close("rsvlm train") as closed:  # a failed run said so, not gone on to its end
        return closed.ended(main())


if __name__ == "__main__":
    sys.exit(run())
