"""Standard output and error whose reader may go away (``rsvlm predict … 2>&1 | head -1``): a write to a
closed pipe raises BrokenPipeError wherever it happens (a note while the model loads), which ended the
run before its ``--out`` file was written, with exit status 0. ``readers_may_close`` swaps both streams
for ones that send what follows such an error to the null device (and a stream closed before the run,
``>&-``, to it from the start), so the run goes on to write its files, and, given the command's name, says
at the end which of them lost their reader (``say_lost``). ``closed_stderr_to_null`` drops what a command
would say on a standard error closed before it began (``rsvlm.cli.main`` runs every command within it)."""

from __future__ import annotations

import contextlib
import os
import sys


class _Guarded:
    """A text stream whose BrokenPipeError sends it, and the file descriptor under it, to the null device."""

    def __init__(self, inner, name: str, closed: set[str]):
        self._inner, self._name, self._closed = inner, name, closed

    def _broke(self) -> None:
        self._closed.add(self._name)
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:  # the real descriptor too: Python's own flush of the stream at exit would raise again
            os.dup2(devnull, self._inner.fileno())
        except (OSError, ValueError, AttributeError):  # no descriptor (a test's capture): the stream is dropped
            self._inner = open(os.devnull, "w")  # noqa: SIM115  (open as long as the stream it replaces)
        finally:
            os.close(devnull)

    def write(self, text: str) -> int:
        try:
            return self._inner.write(text)
        except BrokenPipeError:
            self._broke()
            return len(text)

    def flush(self) -> None:
        try:
            self._inner.flush()
        except BrokenPipeError:
            self._broke()
            with contextlib.suppress(BrokenPipeError):  # what the failed flush still holds goes to the null device
                self._inner.flush()

    def __getattr__(self, name: str):  # isatty, fileno, encoding, … as the stream's
        return getattr(self._inner, name)


class Lost(set):
    """``readers_may_close``'s set of the streams that lost their reader, with the run's exit status where the
    block gives it (``ended``), for ``say_lost`` to say a failed run so."""

    status = 0

    def ended(self, status) -> int:
        """``status`` (a handler's, None for 0) as an int, kept for ``say_lost``."""
        self.status = int(status or 0)
        return self.status


@contextlib.contextmanager
def readers_may_close(who: str | None = None):
    """Within: ``sys.stdout`` and ``sys.stderr`` go on (to the null device) where their reader closed them;
    yields the set of those that lost their reader (``"stdout"``, ``"stderr"``), filled as it happens, and of
    those closed before the run (``>&-``: the null device stands in for them). Given ``who`` (the command,
    ``rsvlm train``), a block that ends without an exception is followed by ``say_lost`` while the streams are
    still guarded (the stream still thought read may have lost its reader too: ``2>&1 | head``), of the exit
    status the block gave ``ended`` (``return closed.ended(main())``: a failed run was said to have gone on to its
    end). The streams are put back, flushed, on leaving."""
    saved, names = (sys.stdout, sys.stderr), ("stdout", "stderr")
    # a stream closed before the run (>&-) is None: its first write was an AttributeError's traceback
    nulls = {n: open(os.devnull, "w") for s, n in zip(saved, names) if s is None}  # noqa: SIM115  (closed on leaving)
    closed, before = Lost(nulls), frozenset(nulls)
    sys.stdout, sys.stderr = (_Guarded(nulls.get(n, s), n, closed) for s, n in zip(saved, names))
    try:
        yield closed
        if who is not None:
            say_lost(who, closed, before, closed.status)
    finally:
        for guarded in (sys.stdout, sys.stderr):
            if isinstance(guarded, _Guarded):
                guarded.flush()
        for null in nulls.values():
            null.close()
        sys.stdout, sys.stderr = saved


def run_main(main, who: str | None = None) -> int:
    """``main()`` run within ``readers_may_close(who)``, for a script's last lines:
    ``sys.exit(run_main(main, "scripts/x.py"))``. Its exit status: what ``main`` returned where an int, else 0 (a
    result it returns to library callers)."""
    with readers_may_close(who) as closed:
        status = main()
        status = closed.ended(status if isinstance(status, int) else 0)
    return status


@contextlib.contextmanager
def closed_stderr_to_null():
    """Within: the null device stands in for a standard error closed before the run (``2>&-``: ``sys.stderr`` is
    None, and ``print(file=None)`` writes to standard output, among a command's answers); put back on leaving.
    A standard error that is there is left as it is."""
    if sys.stderr is not None:
        yield
        return
    with open(os.devnull, "w") as null, contextlib.redirect_stderr(null):
        yield


def stdout_to_null() -> None:
    """Send the descriptor under ``sys.stdout`` to the null device, where its reader went away and the command
    ends there (chat's end, cli's fallback): Python's flush of it at exit would raise again. A stream with no
    descriptor (a test's capture) is left as it is."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        fd, devnull = sys.stdout.fileno(), os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, fd)
        os.close(devnull)


_NAMES = {"stdout": "standard output", "stderr": "standard error"}


def say_lost(who: str, closed: set[str], before: frozenset[str] = frozenset(), status: int = 0) -> None:
    """Say on the stream still read which of ``closed`` (``readers_may_close``'s set) lost its reader and that
    the run went on (``rsvlm merge-lora … | head -1``: its checkpoint written, its later lines unseen); nothing
    where none did, or where both did (no one is left to read it). ``who``: the command, ``rsvlm train``.
    ``readers_may_close(who)`` calls it, within: the stream still thought read may have lost its reader too.
    ``before``: those closed before the run began (``>&-``), said so: no reader closed them. ``status``: the
    run's exit status; a run that failed (or was stopped: 130) is said so, not to have gone on to its end."""
    still = [s for s in ("stderr", "stdout") if s not in closed]
    if not closed or not still:
        return
    end = ("went on to its end" if not status else "was stopped (Ctrl-C)" if status == 130
           else f"failed (exit status {status})")
    for name in sorted(closed):
        how = (f"was closed before the run (>&-); the run {end}, and what it wrote there was not shown"
               if name in before else f"was closed by its reader; the run {end}, and what it wrote "
               "there after that was not shown")
        if status not in (0, 130) and name == "stderr":  # why it failed was said there, most likely
            how += " (run it again with standard error read to see why)"
        print(f"{who}: {_NAMES[name]} {how}", file=getattr(sys, still[0]))
