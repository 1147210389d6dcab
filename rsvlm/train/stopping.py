"""How both training loops (``loop.train`` and ``clip.train_clip``) stop on SIGTERM: once every rank has heard
of it (the request rides on each loop's per-step count all-reduce, ``run.check_micro_batch``), all stop at the
same step boundary, saving a step folder there where ``ckpt.every`` is set, and raise ``Terminated`` naming it
(``rsvlm train`` then prints the resume hint and exits 143)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import NoReturn

from rsvlm.processes import Terminated


def stop_due(stopping: bool, step: int, max_steps: int) -> bool:
    """Whether a SIGTERM every rank has heard of stops the run after ``step`` (at the last step it ends as usual)."""
    return stopping and step < max_steps


def save_due(every: int, step: int, max_steps: int, stop_now: bool) -> bool:
    """Whether ``step`` saves a step folder: every ``every`` steps (0: never), and where SIGTERM stops the run;
    the last step's folder is saved by the end of the run."""
    return bool(every) and (step % every == 0 or stop_now) and step < max_steps


def end_save_due(every: int, trained: bool, own: bool) -> bool:
    """Whether the end of a run saves a step folder: with ``every`` (``ckpt.every``), unless the run trained no step
    from a step folder of its own ``out_dir`` (``own``; resumed at ``max_steps`` or past it): that folder holds the
    step already, and saving it again wrote this run's settings into it, which its steps were not trained with
    (a later resume then compared against them, and read its data position under another ``batch_size``)."""
    return bool(every) and (trained or not own)


LAUNCHED = "RSVLM_LAUNCHED"  # set by scripts/launch.py for its launcher: it says where to continue as the last line


def launcher_says(environ: Mapping[str, str] | None = None) -> bool:
    """Whether scripts/launch.py started this rank (``LAUNCHED`` in ``environ``, default ``os.environ``): it ends a
    Ctrl-C with the resume line itself. Cannot see a rank on another node where the launcher does not pass the
    environment on (DeepSpeed's multi-node pdsh): that rank says it as a plain run does."""
    return (os.environ if environ is None else environ).get(LAUNCHED) == "1"


def interrupted_note(step: int, out_dir: str | Path, since: int = 0, launched: bool = False) -> str | None:
    """What Ctrl-C after ``step`` keeps: it saves no step folder (SIGTERM does), so the steps since the latest one in
    ``out_dir``, or since ``since`` (the step this run resumed at, from a step folder that may be another run's),
    are lost; said before ``rsvlm train``'s "interrupted" line, which names where to continue. None where nothing
    is lost and ``launched`` (``launcher_says``): the launcher's last line names the step folder, said once."""
    from rsvlm.train.checkpoint import STEP_RE, latest_checkpoint

    last = latest_checkpoint(Path(out_dir) / "checkpoints")
    at = max(int(STEP_RE.match(last.name)[1]) if last is not None else 0, since)
    if launched and step <= at:
        return None
    lost = ("nothing is lost" if step <= at else f"step {step} is not saved" if step == at + 1
            else f"steps {at + 1}–{step} are not saved")
    return (f"[rsvlm.train] Ctrl-C after step {step}: Ctrl-C saves no step folder, {lost} (SIGTERM, kill -TERM PID, "
            "stops at the next step boundary and saves one)")


def leave(saved: Path | None, world: int) -> NoReturn:
    """(collective) Every rank stops at this step: leave the process group together (as the end of a run does,
    else gloo's threads can abort a rank at exit), then raise ``Terminated`` naming the step folder saved."""
    if world > 1:
        import torch

        from rsvlm.train.checkpoint import barrier

        barrier(world)
        torch.distributed.destroy_process_group()
    raise Terminated(saved)


def cli_entry() -> bool:
    """Whether this process runs an rsvlm command line as its main program (``rsvlm train``'s console script,
    ``python -m rsvlm.train`` or ``-m rsvlm.cli``): only then may a stop end the process at once
    (``run.exit_if_meeting``); a notebook or script calling ``rsvlm.train.main`` is ended by nothing of ours.
    Read from ``__main__``'s module name (``-m``) or file name (a console script named ``rsvlm``)."""
    import sys

    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    name = spec.name if spec is not None else Path(getattr(main, "__file__", None) or "").stem
    return name == "rsvlm" or name.startswith("rsvlm.")
