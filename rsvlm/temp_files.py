"""Files rewritten whole through a temp file and a rename (``replace_text``: a reader, another rank, never
sees half a file), and the sweep of the temp files a killed run left (``sweep_temps``): ``rsvlm eval``'s
predictions, its rank parts and run stamp, and the scorers' score files. Moved out of ``rsvlm.predictions``,
which re-exports them."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import time
from collections.abc import Iterable
from pathlib import Path

from rsvlm.progress import counted

# the temp files replace_text writes beside OUT, its rank parts and OUT.run.json (F.tmpPID.HEX), and
# those of older rsvlm evals: OUT.mergePID.HEX (the merge into OUT) and OUT.rankR.tmpPID (a part rewritten)
_TEMP = re.compile(r"(?:\.rank\d+|\.run\.json)?\.(?:merge|tmp)(\d+)(?:\.[0-9a-f]{8})?")
STALE_AFTER_S = 3600  # a temp file untouched this long is stale whatever its pid says (pids are reused)


def replace_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temp file beside it and a rename, so that a reader (another
    rank) never sees half a file; the temp file is removed where writing fails. One a kill leaves is
    swept by the next run (``remove_stale_temps``). The temp name is the file's own (two ranks on two
    machines sharing the folder may have the same pid); it has the umask's permissions (a tempfile's
    0600 would hide the predictions from the user's group)."""
    replace_lines(path, [text])


def replace_lines(path: Path, lines: Iterable[str]) -> bool:
    """Write ``lines`` to ``path`` as ``replace_text`` writes a text (a temp file beside it, its
    name's pattern, and a rename), one at a time; where ``lines`` yields None, stop, leave ``path`` as it was and
    return False."""
    tmp = path.with_name(f"{path.name}.tmp{os.getpid()}.{secrets.token_hex(4)}")
    try:
        with tmp.open("w") as f:
            for line in lines:
                if line is None:
                    return False
                f.write(line)
        os.replace(tmp, path)
        return True
    finally:
        tmp.unlink(missing_ok=True)


def _gone(pid: int) -> bool:
    """Whether no process ``pid`` runs on this machine (False where that cannot be told)."""
    if os.name != "posix":  # os.kill(pid, 0) is no probe there
        return False
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):
        return True
    except PermissionError:  # another user's process
        return False
    return False


def remove_stale_temps(out: Path, min_age_s: float = 10.0) -> list[Path]:
    """Remove the temp files a killed run left beside ``out`` (``replace_text``'s names for ``out``, its
    rank parts and ``OUT.run.json``, and older rsvlm evals'): those whose process is gone from this
    machine and that were last written over ``min_age_s`` ago, or any last written over
    ``STALE_AFTER_S`` ago; returns them. A temp file of a process still writing (here, or on another
    machine sharing the folder) is left alone."""
    if not out.parent.is_dir():
        return []
    removed, now = [], time.time()
    for p in sorted(out.parent.iterdir()):
        m = _TEMP.fullmatch(p.name[len(out.name):]) if p.name.startswith(out.name) else None
        with contextlib.suppress(FileNotFoundError):  # its writer renamed it meanwhile
            if m and p.is_file() and (age := now - p.stat().st_mtime) > min_age_s and (
                    age > STALE_AFTER_S or _gone(int(m.group(1)))):
                p.unlink()
                removed.append(p)
    return removed


def sweep_temps(out: Path) -> str | None:
    """``remove_stale_temps`` for ``out``, and the line saying what it removed (None: nothing)."""
    if not (removed := remove_stale_temps(out)):
        return None
    names = ", ".join(p.name for p in removed[:3]) + (", …" if len(removed) > 3 else "")
    return f"removed {counted(len(removed), 'temp file')} a killed run left beside {out} ({names})"
