"""What DeepSpeed and torch's extension loader print while the process group starts ("DeepSpeed
deepspeed.ops.comm.deepspeed_shm_comm_op built successfully" on stdout, torch's "No CUDA runtime is found" on
stderr), once per rank at every start: kept off the terminal unless ``log.verbose``, and written to
``out_dir/setup.log`` (every rank's lines, each marked with its rank) once out_dir is made.

Cannot: catch what a compiler run writes to the file descriptors themselves (a first, uncached build's ninja
output, which torch keeps quiet anyway unless it fails) nor output of a C++ extension; Python's ``print`` and
the ``torch.utils.cpp_extension`` logger only."""

from __future__ import annotations

import contextlib
import io
import logging
import re
import sys
from collections.abc import Iterator
from pathlib import Path

LOGGERS = ("torch.utils.cpp_extension",)  # torch's op-build warnings (no handler of its own: logging's last resort)
LOG_NAME = "setup.log"
RANK_LINE = re.compile(r"\[rank \d+\] ")  # how each line of ours begins


@contextlib.contextmanager
def kept(said: list[str] | None) -> Iterator[None]:
    """Hold stdout and the ``LOGGERS``' records in ``said`` (appended to on leaving) for the scope; None: let
    them through. A failure inside it writes what was held to stderr first: it may say why."""
    if said is None:
        yield
        return
    buf = io.StringIO()
    handler = logging.StreamHandler(buf)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    loggers = [logging.getLogger(n) for n in LOGGERS]
    before = [(lg.propagate, lg.level) for lg in loggers]
    for lg in loggers:
        lg.addHandler(handler)
        lg.propagate = False
        if lg.level == logging.NOTSET:
            lg.setLevel(logging.INFO)
    try:
        with contextlib.redirect_stdout(buf):
            yield
    except BaseException:
        sys.stderr.write(buf.getvalue())
        raise
    finally:
        for lg, (propagate, level) in zip(loggers, before):
            lg.removeHandler(handler)
            lg.propagate = propagate
            lg.setLevel(level)  # setLevel, not .level: it clears the cache of levels asked while held
    said.append(buf.getvalue())


def quiet_deepspeed_logger(verbose: bool) -> None:
    """DeepSpeed's logger (its own handler, on the stdout of its import: ``kept`` cannot hold it) at WARNING unless
    ``verbose``: an older DeepSpeed logs INFO lines from every rank ("Initializing TorchBackend …", its
    configuration). Cannot: quiet what it logs as it is imported, before this runs."""
    if not verbose:
        logging.getLogger("DeepSpeed").setLevel(logging.WARNING)


def ours(path: Path) -> bool:
    """Whether ``path`` is a setup log this module wrote (every line led by ``[rank N]``): another file of
    that name in out_dir (out_dir may be a folder of the user's) is neither replaced nor removed."""
    try:
        lines = path.read_text(errors="replace").splitlines()
    except OSError:
        return False
    return bool(lines) and all(RANK_LINE.match(line) for line in lines)  # never written empty


def write_setup_log(out_dir: Path, said: list[str], rank: int, world: int) -> Path | None:
    """(collective where ``world`` > 1) Every rank's held lines into ``out_dir/setup.log`` (rank 0 writes it),
    each line led by ``[rank N]``, this start's alone; the file, or None where no rank held any (an earlier
    start's file is removed then: it was not this run's). A ``setup.log`` not written here is left as it is,
    and one that cannot be written is said on stderr: the run goes on (the other ranks are past the gather)."""
    text = "".join(said)
    texts = [text]
    if world > 1:
        import torch.distributed as dist

        texts = [None] * world
        dist.all_gather_object(texts, text)  # under nccl on the current GPU (setup_distributed set it)
    path = Path(out_dir) / LOG_NAME
    if rank != 0:
        return None
    lines = [f"[rank {r}] {line}\n" for r, t in enumerate(texts) for line in (t or "").splitlines() if line.strip()]
    if path.exists() and not ours(path):
        if lines:
            print(f"[rsvlm.train] note: {path} is not an rsvlm setup log, left as it is; DeepSpeed's "
                  f"{len(lines)} start-up line(s) were not written (log.verbose=true prints them)", file=sys.stderr)
        return None
    if not lines:
        return clear_setup_log(out_dir, rank)
    try:
        path.write_text("".join(lines))
    except OSError as e:
        print(f"[rsvlm.train] note: {path}: {e.strerror or e}; DeepSpeed's {len(lines)} start-up line(s) were "
              "not written (log.verbose=true prints them)", file=sys.stderr)
        return None
    return path


def clear_setup_log(out_dir: Path, rank: int) -> None:
    """(rank 0) Remove an earlier start's ``out_dir/setup.log`` (one ``ours``) for a start that holds no lines (the
    contrastive loop, which builds no DeepSpeed, or a start whose ranks held none): it was not this run's. Any
    other file of that name is kept; one that cannot be removed is said on stderr, and the run goes on."""
    path = Path(out_dir) / LOG_NAME
    if rank != 0 or not ours(path):
        return None
    try:
        path.unlink(missing_ok=True)
    except OSError as e:
        print(f"[rsvlm.train] note: {path}: {e.strerror or e}; an earlier start's setup log was not removed",
              file=sys.stderr)
    return None
