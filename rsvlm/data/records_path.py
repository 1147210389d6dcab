"""Where a records file is: ``check_records_path`` refuses a path that is missing, a folder or a pipe, saying what
to give instead; ``records_in`` lists a folder's records files (or a pattern's matches, not expanded by the reader);
``pattern_note`` says a path with ``*`` is not expanded. Re-exported by ``rsvlm.data.records``; what is in the file is
that module's to read."""

from __future__ import annotations

import glob
import stat
from pathlib import Path

from rsvlm.progress import counted


def check_records_path(path: str | Path) -> None:
    """FileNotFoundError for a records path that is missing, a folder (naming its JSONL files), or a pipe
    (``/dev/stdin``, ``<(…)``) or other file that is not a regular one, which was 'not found': the records
    are read more than once (checked, then read; a JSON array's first bytes, then all of it) and their images
    looked for beside them, which a pipe cannot give. It is not opened (a pipe's open waits for a writer)."""
    path = Path(path)
    if path.is_dir():
        found = [p.name for p in records_in(path)[:3]]
        raise FileNotFoundError(f"records file {path} is a folder; give a JSONL file in it"
                                + (f" ({', '.join(found)})" if found else ""))
    if path.exists() and not path.is_file():
        what = "a pipe, which reads once" if stat.S_ISFIFO(path.stat().st_mode) else "no regular file (a device?)"
        raise FileNotFoundError(f"records file {path} is {what}: records are read more than once and their images "
                                "found beside them; save them to a file first (… > records.jsonl) and give that")
    if not path.is_file():
        home = path.expanduser() if str(path).startswith("~") else None  # no shell's: --gt=~/x, a library call
        raise FileNotFoundError(f"records file not found: {path}" + (
            f" (~ is not expanded here: give the full path, {home})" if home and home.is_file() else pattern_note(path)))


def records_in(path: str | Path) -> list[Path]:
    """The records files a folder holds (its JSONL files, else its JSON ones; gzip-compressed too, ``.jsonl.gz``, names
    in any case: a folder of ``train.jsonl.gz`` was said to hold none) or a pattern (not expanded) matches."""
    if Path(path).is_dir():
        files = sorted(p for p in Path(path).iterdir() if p.is_file())
        return [p for p in files if p.name.lower().endswith((".jsonl", ".jsonl.gz"))] or [
            p for p in files if p.name.lower().endswith((".json", ".json.gz"))]
    return [Path(p) for p in sorted(glob.glob(str(path))) if Path(p).is_file()]


def pattern_note(path: Path) -> str:
    """" (a pattern is not expanded here …)" for a path holding *, ? or [ (data.train=/d/*.jsonl quoted, or from a
    config), naming the files it matches; "" for any other."""
    if not any(c in str(path) for c in "*?["):
        return ""
    found = [str(p) for p in records_in(path)]  # records_in's glob, not a second one of its own
    if not found and not any(c in str(path) for c in "*?"):  # run[1]/t.jsonl: a folder's name, more likely
        return ""
    return (" (a pattern is not expanded here: " + (f"it matches {counted(len(found), 'file')}, {', '.join(found[:3])}"
            f"{', …' if len(found) > 3 else ''}; give one" if found else "it matches no file") + ")")
