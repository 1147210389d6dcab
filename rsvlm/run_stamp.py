"""The run stamp beside ``rsvlm eval``'s predictions (``OUT.run.json``): which weights and options gave its answers.
Moved out of ``rsvlm.predictions``, which re-exports it (``check_stamp``, which compares stamps, stays there)."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from pathlib import Path

ANSWER_OPTIONS = ("max_new_tokens", "free_decoding", "tta", "min_objects", "det_by_class", "missing_bands",
                  "load_4bit", "load_8bit", "dtype")
# an option a stamp written before rsvlm eval had it names none of: its answers were given so
ANSWERED_BEFORE = {"dtype": "float32"}


def run_stamp(model_dir: Path, args) -> dict:
    """What the answers in a predictions file depend on: the checkpoint's weights (each weights
    file's size and a hash of the whole file where it is 8 MiB or less, of its first and last 4 MiB
    where larger, so a copied folder matches and a retrained one does not) and the options that change
    answers. Cannot: see a retraining that left both ends of a weights file over 8 MiB as they were."""
    files = {}
    for f in sorted([model_dir / "config.yaml", *model_dir.rglob("*.safetensors")]):
        h = hashlib.sha256()
        with f.open("rb") as fh:
            size = f.stat().st_size
            if size <= 8 << 20:  # whole: a 6 MiB adapter retrained past its first 4 MiB was read as unchanged
                h.update(fh.read())
            else:
                h.update(fh.read(4 << 20))
                fh.seek(-(4 << 20), os.SEEK_END)
                h.update(fh.read())
        files[str(f.relative_to(model_dir))] = f"{size}:{h.hexdigest()[:16]}"
    return {"model": str(model_dir.resolve()), "weights": files,
            "options": {k: getattr(args, k, None) for k in ANSWER_OPTIONS}}


def stamp_path(out: Path) -> Path:
    """``OUT.run.json``: what the answers in ``out`` came from (``run_stamp``)."""
    return out.with_name(out.name + ".run.json")


def read_stamp(out: Path) -> dict | None:
    """The stamp beside ``out``; None where there is none or it cannot be read."""
    with contextlib.suppress(OSError, ValueError):
        old = json.loads(stamp_path(out).read_text())
        return old if isinstance(old, dict) else None
    return None


def stopped_stamp(stamp: dict, why: str) -> dict:
    """``stamp`` once its run stopped early (``why``: "interrupted", "stopped by SIGTERM", "stopped (out of memory)"): its
    ``limit`` moves into ``"stopped"`` and is null, as the file does not hold the answers of that many records (a scorer
    that reads ``limit`` alone blamed ``--limit`` for records the stop left out). The next run's stamp has no
    ``"stopped"`` (``rsvlm eval`` writes its own before it answers). Cannot: mark a run killed outright (SIGKILL)."""
    return {**stamp, "limit": None, "stopped": {"why": why, "limit": stamp.get("limit")}}


def stamp_note(stamp: dict, pred_name: str, side: str, n_missing: int) -> str | None:
    """What a scorer says of ``stamp`` (read from the file named ``side``) where ``n_missing`` records it scores have
    no answer in ``pred_name``: that the last run was stopped early (``"stopped"``, and under which ``--limit``), or
    ran with a ``--limit``; None where neither (or none is missing)."""
    missing = f"the {n_missing} {'record without an answer counts' if n_missing == 1 else 'records without an answer count'} as missing"
    stopped = stamp.get("stopped")
    if isinstance(stopped, dict) and n_missing:
        lim = stopped.get("limit")
        under = f" (it ran with --limit {lim}, the first {lim} records of its --data)" if lim is not None else ""
        return (f"{side} says the last rsvlm eval to write {pred_name} was {stopped.get('why', 'stopped')} before it answered "
                f"every record it was given{under}: a rerun with the same --out answers the rest; this is no full "
                f"set's score ({missing})")
    if (lim := stamp.get("limit")) is not None and n_missing:
        return (f"{side} says the last rsvlm eval to write {pred_name} ran with --limit {lim}: it answered the first "
                f"records of its --data alone, so this is no full set's score ({missing})")
    return None
