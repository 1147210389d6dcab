"""Writing a model into a folder of its own: refusing one that holds files or lies below a file
(``check_new_folder``) or inside another checkpoint (``enclosing_checkpoint``), undoing a failed write
(``undone_on_failure``), and a script's last step around it (``script_write``). Nothing here reads weights."""

from __future__ import annotations

import contextlib
import shutil
import sys
import tempfile
import warnings
from pathlib import Path


class NotWritable(PermissionError):
    """No folder can be made where a model is to be written (``check_new_folder``): found before anything is written."""


def check_new_folder(out: Path, what: str, verb: str) -> None:
    """FileExistsError where ``out``, the folder ``what`` (e.g. "merged checkpoint") is to be written
    into, is a file or holds files already (stale ones would pass for the model's); ``verb`` ("merge")
    says what to do into a new folder instead; one below a file ('model.yaml/merged') too (was
    'NotADirectoryError: [Errno 20]' once the model was loaded). PermissionError where no folder can be made
    there (tried: root passes any mode bits; a read-only disk or /proc does not)."""
    if file := next((p for p in out.parents if p.exists() and not p.is_dir()), None):
        raise FileExistsError(f"{out}: {file} is a file, not a folder; {verb} into a new folder")
    if out.exists() and not out.is_dir():
        raise FileExistsError(f"{out}: a file, where the {what} (a folder) goes; {verb} into a new folder")
    if out.exists() and any(out.iterdir()):
        raise FileExistsError(f"{out}: already exists and is not empty; {verb} into a new folder")
    top = next(p for p in (out, *out.parents) if p.exists())  # ``out`` or the folder it will be made in
    try:  # a folder made and removed: a read-only disk, no permission, /proc (was found after the model loaded)
        Path(tempfile.mkdtemp(prefix=".rsvlm-write-check-", dir=top)).rmdir()
    except OSError as e:
        raise NotWritable(f"{out}: cannot write in {top} ({e.strerror or e}); {verb} into a folder you can "
                              "write") from None


def enclosing_checkpoint(out: Path) -> Path | None:
    """The rsvlm checkpoint (a folder holding config.yaml and vision.safetensors) that ``out`` lies inside, else None:
    a model written there is a checkpoint inside a checkpoint, which every rglob of the outer one sees."""
    return next((p for p in Path(out).resolve().parents
                 if (p / "config.yaml").is_file() and (p / "vision.safetensors").is_file()), None)


@contextlib.contextmanager
def undone_on_failure(out: Path):
    """Writing a model into a new or empty ``out``: a failure (full disk, Ctrl-C) leaves it as it was."""
    existed = out.exists()
    try:
        yield out
    except BaseException:
        shutil.rmtree(out.resolve(), ignore_errors=True)  # resolved: an ``out`` that is a symlink is emptied, kept
        if existed:
            out.resolve().mkdir()
        raise


def one_line_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """``warnings.showwarning`` for a script: ``warning: …`` on stderr, one line (a category other than
    UserWarning named in brackets), never the file, line and source line of the code that warned."""
    kind = "" if category is UserWarning else f" ({category.__name__})"
    print(f"warning{kind}: {' '.join(str(message).split())}", file=sys.stderr)


def script_write(write, out: Path, fresh: bool, failed: str, interrupted: str) -> int:
    """A script's last step: ``write()`` (returning the folder written, or None for ``out``) into ``out``, which
    a failure leaves as it was where ``fresh`` (new or empty); its exit status: 0 after 'wrote …', 2 after one
    'error: …' line (a ValueError, missing/existing file or unwritable ``out`` as it is; any other OSError, a full disk, with
    ``failed`` after it), 130 after ``interrupted`` on Ctrl-C. A warning raised within is said as it comes as one line,
    ``warning: …`` (was Python's two: ``…/vlm.py:355: UserWarning: …`` and the source line); the filters in force
    still apply."""
    try:
        with undone_on_failure(out) if fresh else contextlib.nullcontext(), warnings.catch_warnings():
            warnings.showwarning = one_line_warning
            written = write()
    except (ValueError, FileNotFoundError, FileExistsError, NotWritable) as e:  # nothing written yet
        print(f"error: {e}", file=sys.stderr)
        return 2
    except OSError as e:  # a full disk, an --out below a file: was a traceback, the half-written folder left
        print(f"error: {e}; {failed}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(interrupted, file=sys.stderr)
        return 130
    print(f"wrote {written if written is not None else out}")
    return 0
