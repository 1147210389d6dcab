"""The launcher's environment (torchrun, deepspeed, accelerate), shared by training and ``rsvlm eval``, and
how a run stops on SIGTERM (``StopOnTerm``)."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from datetime import timedelta

from rsvlm.progress import counted


class SameOnEveryRank(Exception):
    """A mixin for errors every process of a run reaches alike (a verdict taken on numbers all ranks share,
    or on data every rank reads the same): said once, by rank 0, where another error names its rank."""


def env_int(name: str, default: int, low: int = 0, env: Mapping[str, str] | None = None) -> int:
    """The whole-number variable ``name`` of ``env`` (the process environment by default; ``default``
    where unset or empty); ValueError naming it for another value or one below ``low``."""
    env = os.environ if env is None else env
    v = env.get(name, "").strip()
    if v and not re.fullmatch(r"[+-]?[0-9]+", v):  # int() took '1_0' as 10 and other scripts' digits ('٣') too
        raise ValueError(f"{name}={env[name]!r} is not a whole number (set by the launcher: torchrun, deepspeed "
                         "or accelerate; unset it to run as one process)")
    n = int(v) if v else default
    if n < low:
        raise ValueError(f"{name}={n}: must be {low} or more")
    return n


def process_rank(env: dict[str, str] | None = None) -> tuple[int, int]:
    """``(RANK, WORLD_SIZE)`` from the launcher's environment (``(0, 1)`` where unset); ValueError,
    naming the variable, for a value that is no whole number or a rank outside ``0…WORLD_SIZE-1``."""
    world = env_int("WORLD_SIZE", 1, low=1, env=env)
    rank = env_int("RANK", 0, env=env)
    if rank >= world:  # RANK alone (WORLD_SIZE unset) was said to be outside 0…0 of a 'WORLD_SIZE=1' never given
        given = (os.environ if env is None else env).get("WORLD_SIZE", "").strip()
        raise ValueError(f"RANK={rank} is outside 0…{world - 1} (WORLD_SIZE={world})" if given else
                         f"RANK={rank} is set but WORLD_SIZE is not (one process, rank 0); set both, as the launcher "
                         "does, or neither to run as one process")
    return rank, world


def rank_device(rank: int) -> str:
    """The device of a process of several without ``--device``: the GPU of its ``LOCAL_RANK`` (else of
    ``rank``), or the CPU where there is none; ValueError where that GPU does not exist (more processes
    on a machine than it has GPUs) or ``LOCAL_RANK`` is no whole number."""
    import torch

    if not torch.cuda.is_available():
        return "cpu"
    local = env_int("LOCAL_RANK", rank)
    if not local < (n := torch.cuda.device_count()):
        raise ValueError(f"process {rank} would take GPU cuda:{local} (LOCAL_RANK), but {counted(n, 'GPU', 'is/are')} visible: "
                         f"start at most {counted(n, 'process')} per machine, or give --device (e.g. cuda:0, shared)")
    return f"cuda:{local}"


def launcher_sync(world: int, meet: timedelta = timedelta(minutes=10),
                  wait: timedelta = timedelta(days=7)) -> Callable[[object], list] | None:
    """``value -> [every rank's value]``, returning once every rank has called it: the launcher's
    rendezvous (torchrun and accelerate set ``MASTER_ADDR``/``MASTER_PORT``), joined as a CPU (gloo)
    process group within ``meet`` (the processes start together), so that a rank that finishes first
    waits, up to ``wait``, for the others. None on one process or without a rendezvous (``RANK``/
    ``WORLD_SIZE`` set by hand, e.g. separate jobs): there the last rank to finish merges.
    RuntimeError where the group cannot be joined."""
    if world == 1 or not (os.environ.get("MASTER_ADDR") and os.environ.get("MASTER_PORT")):
        return None
    import torch.distributed as dist

    if not dist.is_available():
        return None
    if not dist.is_initialized():
        dist.init_process_group("gloo", timeout=meet)
    group = dist.new_group(backend="gloo", timeout=wait)  # one rank's share can take hours longer

    def sync(value: object) -> list:
        got = [None] * dist.get_world_size()
        dist.all_gather_object(got, value, group=group)
        return got

    return sync


class Terminated(BaseException):
    """SIGTERM (what a cluster scheduler sends before it kills a job) stopped the run; a BaseException, as
    KeyboardInterrupt is, so that no ``except Exception`` on the way takes it for an error. ``saved``: the
    step folder the run saved on its way out, if it did."""

    def __init__(self, saved=None):
        super().__init__("stopped by SIGTERM")
        self.saved = saved


class StopOnTerm:
    """``with StopOnTerm() as stop:`` SIGTERM raises ``Terminated`` in this process at once, as Ctrl-C does;
    after ``stop.defer()`` (a loop that stops between steps) the first only sets ``stop.requested``, for
    the loop to stop at its next step boundary, and a second raises at once. Other processes forked
    from this one (data loader workers) leave SIGTERM to it. The previous handler is put back on leaving.
    ``over_default_only`` (``rsvlm eval``): SIGTERM is taken only where it has Python's default, so one the
    caller ignores (SIG_IGN) or handles (a framework's handler, one set from C) is left as it is, and a forked
    child (a pool's worker, which ``Pool.terminate()`` stops by SIGTERM) dies of it as by default.
    Off the main thread, where Python takes no handler, nothing changes."""

    def __init__(self, over_default_only: bool = False):
        self.requested, self.deferring, self.pid, self.previous, self.installed = False, False, os.getpid(), None, False
        self.over_default_only = over_default_only

    def __enter__(self) -> StopOnTerm:
        import signal
        import threading

        if threading.current_thread() is not threading.main_thread():  # elsewhere Python takes no handler
            return self
        if self.over_default_only and signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
            return self
        self.previous, self.installed = signal.getsignal(signal.SIGTERM), True
        try:  # a SIGTERM the moment after it is set still finds the previous one put back
            signal.signal(signal.SIGTERM, self._on_term)
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc) -> None:
        import signal

        if self.installed:  # None: a handler not set from Python (was left ours, raising outside the block)
            signal.signal(signal.SIGTERM, signal.SIG_DFL if self.previous is None else self.previous)
            self.installed = False
        self.deferring = False

    def _on_term(self, signum, frame) -> None:
        if os.getpid() != self.pid:  # a forked worker: the main process decides
            if self.over_default_only:  # as by default: it dies of it
                import signal

                signal.signal(signum, signal.SIG_DFL)
                os.kill(os.getpid(), signum)
            return
        if self.deferring and not self.requested:
            self.requested = True
            return
        raise Terminated()

    def defer(self) -> None:
        """From now until the ``with`` block ends, a first SIGTERM is only noted (``requested``)."""
        self.deferring = True


def ignore_sigterm(_worker_id: int = 0) -> None:
    """A data loader worker's ``worker_init_fn``: SIGTERM is for the main process, which stops the workers."""
    import signal

    signal.signal(signal.SIGTERM, signal.SIG_IGN)
