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
