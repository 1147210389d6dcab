"""The closing lines of an ``rsvlm eval`` run about its records answered empty with an ``"error"`` and the lines of
its earlier answers that could not be read (``failure_lines``), and where relative image paths were looked for
(``missing_images_hint``). Moved out of ``rsvlm.predictions``, which re-exports them."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from rsvlm.progress import counted

if TYPE_CHECKING:
    from rsvlm.predictions import ErrorRows


def failure_lines(failed: list[dict], errors: ErrorRows, records: list[dict], out: Path, root: Path,
                  filling: bool = False, root_given: bool = False, answered: int | None = None) -> list[str]:
    """The closing lines of a run about ``records`` (this rank's) answered empty with an ``"error"``: this
    run's ``failed`` rows and the kept ones of earlier runs (``errors.kept``), how many and the first; where
    relative image paths were looked for, when some name no file (``missing_images_hint``); and unless
    ``filling`` (``--missing-bands``), how many lack bands ``--missing-bands copy|mean`` would fill. First,
    where lines of the earlier answers could not be read (``errors.unreadable``), how many and the first, and whether
    their records could have been answered again: not where this run answered none (``answered``: 0)."""
    lines = []
    if bad := errors.unreadable:  # its record, if it answered one of this run's, read as unanswered
        again = ("each record of this run has an answer on another line, so none was answered again" if answered == 0 else
                 "the records they answered, if any, were answered again")  # was said on every rerun of a finished run
        lines.append(f"{counted(len(bad), 'line')} of the earlier answers could not be read (first: {bad[0][:300]}): "
                     f"{again}; the lines are left where they are, and the scorers count them as unreadable: delete "
                     f"{'it' if len(bad) == 1 else 'them'}")
    if not (rows := [*failed, *errors.kept]):
        return lines
    first, kept = rows[0], f", {len(errors.kept)} of them from the last run" if errors.kept else ""
    lines.append(f"{len(rows)} of {counted(len(records), 'record')} with unreadable images, bands the model cannot take, "
                 f"a prompt past the LLM's context or a system turn its chat template cannot write answered empty (see 'error' in {out}{kept}; first: "
                 f"{first['id']}: {first['error'][:200]})")
    if hint := missing_images_hint(records, root, root_given):
        lines.append(hint)
    # rsvlm.model.stem's messages for an image that lacks bands the model expects
    if not filling and (n := sum(bool(re.search(r"expects (bands|\d+ band\(s\)) \[", str(r.get("error", ""))))
                                 for r in rows)):
        lines.append(f"{n} of them lack bands the model expects (a VV-only SAR scene for a VV+VH model, 4 of 6 "
                     "Sentinel-2 bands): --missing-bands copy or mean fills them, as rsvlm predict does (a run of "
                     "its own, with another --out; report it if you use it)")
    return lines


def missing_images_hint(records: list[dict], root: Path, given: bool = False) -> str | None:
    """Where relative image paths of ``records`` are looked for, when some name files that do not
    exist there (LLaVA-style data names its images relative to an image folder of its own); else None.
    ``given``: ``root`` is the user's ``--image-root`` (the hint then says that folder is not theirs); not given, and
    every lost file is there relative to the working folder, the hint says to give ``--image-root .``."""
    def missing(im) -> list[str]:
        files = (im.get("band_files") or [im.get("path")]) if isinstance(im, dict) else []
        return [f for f in files if isinstance(f, str) and not Path(f).is_absolute() and not (root / f).exists()]

    lost = [f for r in records if (f := next((m for im in r.get("images") or [] for m in missing(im)), None))]
    if not lost:
        return None
    if given:  # "give --image-root" to one who gave it
        return (f"{len(lost)} {'record names' if len(lost) == 1 else 'records name'} image files by relative paths that are not under --image-root "
                f"{root.resolve()} (first: {lost[0]}): give the folder {'its' if len(lost) == 1 else 'their'} paths start from")
    # run from the images' own folder, the --data file elsewhere: the likeliest fix said outright
    here = f"; {'it is' if len(lost) == 1 else 'they are'} there relative to the working folder {Path.cwd()}: give " \
        "--image-root ." if all((Path.cwd() / f).exists() for f in lost) else ""
    return (f"{len(lost)} {'record names' if len(lost) == 1 else 'records name'} image files by relative paths that do not exist; they are read against "
            f"{root.resolve()} (the --data file's folder): give --image-root, the folder {'its' if len(lost) == 1 else 'their'} paths start from{here}")
