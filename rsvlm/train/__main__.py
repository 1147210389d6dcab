"""``python -m rsvlm.train`` (what torchrun / deepspeed launch on every rank)."""

import sys

from rsvlm.closed_pipes import readers_may_close
from rsvlm.train import main


def run() -> int:
    """``main`` with a reader that may close (``python -m rsvlm.train … 2>&1 | head -1``): the run goes on and
    keeps its own exit status, as ``rsvlm train`` does; was exit 1 at the first progress line, nothing trained.
    The stream still read says which one lost its reader (``rsvlm.cli``'s ``_run`` does the same)."""
    with readers_may_close("rsvlm train") as closed:  # a failed run said so, not gone on to its end
        return closed.ended(main(entry=True))


def leave(status: int) -> None:
    """Exit with ``status``; after Ctrl-C (130) in a process group that is still up (the loop left it at its
    collectives), at once, once stdout and stderr are flushed: the interpreter's exit ran the group's C++
    destructors with its threads still joinable, and a rank ended in "terminate called without an active
    exception" (SIGABRT) below the line saying where to continue from. Cannot: run ``atexit`` handlers then."""
    if status == 130:
        import torch.distributed as dist

        if dist.is_available() and dist.is_initialized():
            import os

            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(status)
    sys.exit(status)


if __name__ == "__main__":
    leave(run())
