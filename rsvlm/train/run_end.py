"""How a run's end is told: ``summary.json`` stamped with the time it was written (``write_summary``,
``finish_mark``), and where a run that stopped short goes on from (``resume_hint``, ``stopped_hint``: launch.py's
SIGTERM note). Moved out of ``rsvlm.train.checkpoint``, which still offers these names."""

from __future__ import annotations

import json
from pathlib import Path


def resume_hint(out_dir: str | Path) -> str:
    """Where a run that stopped short goes on from, in the one wording every stop uses (Ctrl-C, SIGTERM, a
    non-finite loss, a failed launch): its latest complete step folder, or that none was saved."""
    from rsvlm.train.checkpoint import latest_checkpoint  # which imports this module

    last = latest_checkpoint(root := Path(out_dir) / "checkpoints")
    return (f"continue from {last} with ckpt.resume=auto" if last
            else f"no step folder was saved in {root} (ckpt.every sets how often)")


def write_summary(out_dir: Path, summary: dict) -> None:
    """(rank 0) ``out_dir/summary.json``, stamped with the UTC time it was written (``finished_at``), which
    ``stopped_hint`` compares."""
    from datetime import datetime, timezone

    stamped = {**summary, "finished_at": datetime.now(timezone.utc).isoformat()}
    (Path(out_dir) / "summary.json").write_text(json.dumps(stamped, indent=1))


def finish_mark(out_dir: str | Path) -> str | None:
    """``out_dir/summary.json``'s ``finished_at`` ("" in one written without it); None where there is no such
    file or it does not parse."""
    try:
        summary = json.loads((Path(out_dir) / "summary.json").read_text())
    except (OSError, ValueError):
        return None
    return str(summary.get("finished_at", "")) if isinstance(summary, dict) else None


def stopped_hint(out_dir: str | Path, before: str | None) -> str:
    """``resume_hint``, but for a run whose ``summary.json`` was written since its ``finish_mark`` was ``before``:
    it finished before the stop reached it (a SIGTERM in its last seconds), so there is nothing to continue; was
    told to resume from its last step folder. The file's mtime was compared with the launch time, a second's
    slack for the kernel's coarse clock (and none for another host's)."""
    summary = Path(out_dir) / "summary.json"
    done = (mark := finish_mark(out_dir)) is not None and mark != before
    return (f"it had finished before that ({summary} written; its model is in {Path(out_dir) / 'final'}): nothing "
            "to continue" if done else resume_hint(out_dir))
