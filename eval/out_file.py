"""The scores' ``--out`` file of the scoring scripts (and ``eval.report``'s): refused before the scoring where its
name or what it holds would lose something (no name, a folder's, a file that holds no scores), its folder made,
and written whole through a temp file and a rename."""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from eval.inputs import ScoreError
from rsvlm.out_paths import in_place, too_long


def out_name_problem(out: str | Path | None, example: str = "scores.json") -> str | None:
    """Why ``out`` names no file the scores can go to, or None (None: no ``--out``): an empty or blank name (``--out
    "$SCORES"`` with the variable unset wrote nothing, without a word) or one ending in ``/`` (``--out scores/``
    wrote a file named ``scores``, read back as a folder's name by whoever looked for the scores in it), which
    is told to give a file in it, such as ``example`` (``eval.report``'s: report.md), or a name longer than its file
    system takes."""
    if out is None:
        return None
    if not str(out).strip():
        return f"--out {str(out)!r} names no file (an unset shell variable?): give a file name, or leave --out out"
    if str(out).endswith(("/", os.sep)):
        return f"--out {out} ends in '/', a folder's name: give a file in it, such as {out}{example}"
    if why := too_long(out):  # was "error: [Errno 36] File name too long: 'aaa…'", naming no option
        return f"--out {out}: {why}"
    return None


def ours_or_empty(path: Path, ours: Callable[[str], Any]) -> bool:
    """Whether the file at ``path`` may be replaced by what wrote it: there is none, it is empty, or it is text
    ``ours`` tells as that writer's (read where under 50 MiB, as score files and reports are: a predictions file
    may be gigabytes; one not UTF-8, or that ``ours`` raises a ValueError or TypeError on, is not ours)."""
    if not path.is_file() or not path.stat().st_size:
        return True
    with contextlib.suppress(OSError, ValueError, TypeError):
        return path.stat().st_size < 50 << 20 and bool(ours(path.read_text(encoding="utf-8")))
    return False


def not_scores(out: str | Path) -> str | None:
    """Why the scores may not replace the file at ``out``, or None: a file there that is not empty and no score
    file (another run's predictions, ``PRED.run.json``, a records file: given as ``--out`` by a slip, it was
    replaced without a word, and predictions can take hours to make again), or a name ending ``.run.json``,
    rsvlm eval's run stamp's, where there is none yet (the scores written there were read as the predictions'
    run stamp by the next scoring and a resumed rsvlm eval)."""
    p = Path(out)
    if in_place(p):
        return None
    if ours_or_empty(p, lambda text: isinstance(s := json.loads(text), dict) and "headline" in s):
        if p.name.endswith(".run.json"):
            return (f"--out {out}: a name ending .run.json is rsvlm eval's run stamp of the predictions file beside "
                    "it (which the scorers and a resumed rsvlm eval read): give the scores another name")
        return None
    what = "rsvlm eval's run stamp" if p.name.endswith(".run.json") else "predictions, records or another file"
    return f"--out {out} is a file that holds no scores ({what}): the scores would replace it; give a new path, or delete it"


def unlisted_scores(out: str | Path) -> str | None:
    """What to say of a score file at ``out`` not named ``.json`` (``scores.jsonl``), which ``python -m eval.report
    --dir`` reads no further than to name it, or None (a ``.json``, standard output, a device or pipe such as
    /dev/stdout: nothing kept there for a report to find). Said, not refused: ``--out vqa.json.tmp`` renamed by a
    script after the scoring was refused, as was ``--out -``."""
    if str(out) == "-" or in_place(out) or Path(out).suffix == ".json" or Path(out).is_dir():  # a folder: out_dir says so
        return None
    name = Path(out).name
    at = name.lower().find(".json")  # vqa.json.tmp: vqa.json, not vqa.json.json
    meant = Path(out).with_name(name[:at] + ".json") if at > 0 else Path(out).with_suffix(".json")
    return (f"--out {out} is not named .json: eval.report --dir reads a folder's .json files alone and passes it over "
            f"(naming it in a note); give it by eval.report --scores, or name it {meant}")


def other_scores(out: str | Path, task: str) -> str | None:
    """Whose scores the score file at ``out`` holds where they are another task's than ``task`` ("change's scores
    (of P against G)"), which the scores replace; None otherwise (no file, the same task's: a rerun)."""
    held: dict = {}
    if not in_place(out):  # read where a small text file (none, empty or unreadable: nothing held)
        ours_or_empty(Path(out), lambda text: held.update(s if isinstance(s := json.loads(text), dict) else {}))
    if "headline" not in held or held.get("task") in (None, task):
        return None
    return f"{held['task']}'s scores (of {held.get('pred')} against {held.get('gt')})"


def write_out(path: str | Path, text: str, dash: bool = False) -> bool:
    """Write an ``--out`` file whole: a temp file beside it and a rename, so a kill leaves the old file or the
    new (of a link, the file it names: the link stays), or straight into a device or pipe (``in_place``); ``-``
    where ``dash`` (the scorers' and loc_error's), or the file standard output goes to (``--out /dev/stdout > log``:
    the table printed after overwrote the JSON), is written through ``sys.stdout``. Whether it went there."""
    if (dash and str(path) == "-") or _is_stdout(path):
        if sys.stdout is None:  # `>&-`
            raise ScoreError(f"--out {path}: standard output is closed; give a file name")
        sys.stdout.write(text)
        sys.stdout.flush()
        return True
    if not in_place(path):
        from rsvlm.temp_files import replace_text

        replace_text(Path(os.path.realpath(path) if Path(path).is_symlink() else path), text)
        return False
    try:
        with open(path, "w") as f:
            f.write(text)
    except OSError as e:  # /dev/full: "No space left on device", naming no file
        raise ScoreError(f"--out {path}: cannot write to it ({e.strerror})") from e
    return False


def _is_stdout(path: str | Path) -> bool:
    """Whether ``path`` is the open file standard output writes to (``/dev/stdout``, or the log it is redirected to)."""
    with contextlib.suppress(OSError, ValueError, AttributeError):  # pytest's capture: no fileno
        return in_place(path) and os.path.samestat(os.stat(path), os.fstat(sys.stdout.fileno()))
    return False


def out_dir(path: str | Path) -> None:
    """Create the folder of an ``--out`` file and check that a file can be written in it (of a link, the
    folder of the file it names; a device or pipe is written into: ``in_place``); ScoreError naming it when
    that cannot be done or ``path`` is a folder: before the scoring, not after it. Its callers check its name before,
    as typed (``out_name_problem``: a usage error, and ``Path`` drops the ``/`` of ``scores/``)."""
    import tempfile

    if Path(path).is_dir():
        raise ScoreError(f"--out {path} is a folder; give a file name")
    if in_place(path):  # nothing is created beside it
        if not Path(path).exists():
            raise ScoreError(f"--out {path}: no such device or file (nothing is created under /dev or /proc)")
        if not os.access(path, os.W_OK):
            raise ScoreError(f"--out {path}: not writable")
        return
    parent = Path(os.path.realpath(path) if Path(path).is_symlink() else path).parent
    if file := next((p for p in [parent, *parent.parents] if p.exists() and not p.is_dir()), None):
        raise ScoreError(f"--out {path}: cannot create its folder: {file} is a file")  # was "File exists: FILE": a folder?
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ScoreError(f"--out {path}: cannot create its folder ({e.strerror}: {e.filename})") from e
    try:  # a folder it may not write in: found after the scoring, naming a temp file
        with tempfile.TemporaryFile(dir=parent):
            pass
    except OSError as e:
        raise ScoreError(f"--out {path}: cannot write a file in {parent} ({e.strerror})") from e


if __name__ == "__main__":  # python -m eval.out_file: no command line; say so, and which scripts have one
    from eval.__main__ import library_main

    raise SystemExit(library_main("out_file"))
