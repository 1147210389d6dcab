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
import sys
from collections.abc import Iterator
from pathlib import Path

LOGGERS = ("torch.utils.cpp_extension",)  # torch's warnings at the op build (its own handler, on stderr)
LOG_NAME = "setup.log"


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
            lg.propagate, lg.level = propagate, level
    said.append(buf.getvalue())


def write_setup_log(out_dir: Path, said: list[str], rank: int, world: int) -> Path | None:
    """(collective where ``world`` > 1) Every rank's held lines into ``out_dir/setup.log`` (rank 0 writes it),
    each line led by ``[rank N]``, this start's alone; the file, or None where no rank held any (an earlier
    start's file is removed then: it was not this run's)."""
    text = "".join(said)
    texts = [text]
    if world > 1:
        import torch.distributed as dist

        texts = [None] * world
        dist.all_gather_object(texts, text)  # under nccl on the current GPU (setup_distributed set it)
    path = Path(out_dir) / LOG_NAME
    if rank != 0:
        return None
    if not any(texts):
        path.unlink(missing_ok=True)
        return None
    lines = [f"[rank {r}] {line}\n" for r, t in enumerate(texts) for line in (t or "").splitlines() if line.strip()]
    path.write_text("".join(lines))
    return path
