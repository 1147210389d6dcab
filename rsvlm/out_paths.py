"""Output paths refused before a model runs: ones the system refuses (a name too long) or that would leave
a folder behind (``missing/../x.json``), new names among the system's devices (/dev, /proc), and overlay
extensions PIL cannot write, a name ending with "/" (a folder), and, to root, a file or folder no one may
write. Each returns why, or None; predict, chat and eval say it naming their option. ``in_place``: whether an
output is a device, pipe or name under /dev or /proc, written into rather than replaced."""

from __future__ import annotations

import os
import stat
from pathlib import Path


def through_missing(path: str | Path) -> str | None:
    """Why an output ``path`` that steps back out of a folder that does not exist (``missing/../x.json``) is
    refused, or None: the system refuses the path, and making it would leave the folder ``missing`` behind."""
    parts = Path(path).parts
    for i in (i for i, part in enumerate(parts) if part == ".." and i > 0):
        if not (folder := Path(*parts[:i])).exists():
            return (f"the path goes back out of {folder} ('..'), which does not exist, so the system refuses it; "
                    f"give {os.path.normpath(path)} if that is the file meant")
    return None


def _in_system_folder(parts: tuple[str, ...]) -> bool:
    """Whether an absolute path's ``parts`` lie under /dev or /proc, but not /dev/shm (a folder of ordinary
    files in memory)."""
    return parts[1:2] in (("dev",), ("proc",)) and parts[1:3] != ("dev", "shm")


def in_place(path: str | Path) -> bool:
    """Whether an output ``path`` is written straight into rather than replaced: a device, pipe or socket, or a
    name under /dev or /proc (``/dev/stdout``; a temp file and a rename put a file in /dev in the device's place)
    but /dev/shm (``--out /dev/shm/s.json`` was refused as no such device)."""
    p = Path(path)  # os.path's tests: False, not an OSError, for a name too long (eval --out: a traceback)
    return (os.path.exists(p) and not os.path.isfile(p) and not os.path.isdir(p)) or \
        _in_system_folder(Path(os.path.abspath(p)).parts)


def new_in_system_folder(path: str | Path, beside: str = "") -> str | None:
    """Why an output ``path`` naming nothing that exists under /dev or /proc (after links) is refused, or None:
    run as root, writing it made a regular file among the devices (``--out /dev/stdot``, a slip for /dev/stdout).
    /dev/shm, a folder of ordinary files in memory, is taken; an existing device (/dev/stdout) is the caller's.
    ``beside``: what else the caller writes beside it, said in the reason."""
    parts = Path(os.path.realpath(path)).parts
    if not _in_system_folder(parts) or Path(path).exists():
        return None
    return (f"nothing is there, and /{parts[1]} holds the system's devices and processes, not files: writing it "
            f"would make a file among them{beside}; give a path in an ordinary folder (/dev/shm is one)")


def too_long(path: str | Path) -> str | None:
    """Why an output ``path`` whose name, or a folder name in it, is longer than its file system takes is
    refused, or None (a 300-character --out name ended predict with a traceback, "File name too long")."""
    p = Path(os.path.abspath(path))
    up = next((q for q in p.parents if os.path.isdir(q)), Path("/"))  # isdir says False on any error
    try:
        most = os.pathconf(up, "PC_NAME_MAX")
    except (OSError, ValueError):
        most = 255
    for part in Path(path).parts:
        if len(os.fsencode(part)) > most:
            return (f"the name {part[:20]}… is {len(os.fsencode(part))} bytes long, more than the {most} its file "
                    f"system takes; give a shorter name")
    return None


def refused(path: str | Path, beside: str = "", *, file_too: bool = False) -> str | None:
    """Why an output ``path`` is refused whatever it holds (``too_long``, ``through_missing``,
    ``new_in_system_folder``, which ``beside`` goes to, ``read_only`` with ``file_too``), or None."""
    return too_long(path) or through_missing(path) or new_in_system_folder(path, beside) or read_only(path, file_too)


def read_only(path: str | Path, file_too: bool = True) -> str | None:
    """Why root is refused an output ``path`` that goes in a folder (the nearest that exists) with no write bit for
    anyone (``chmod a-w``, a shared data folder), or, ``file_too``, that is such a file: the system lets root write
    there (chat's /vis put an overlay among such a folder's files, predict --vis too); None otherwise (a finished eval
    --out made a-w is read again, not written). Other users are not checked: the write's own error says it, and the
    bits are no proof (an ACL, a Windows folder's read-only flag, a network mount), nor is a read-only mount's
    writable mode (its write says so)."""
    if getattr(os, "geteuid", lambda: -1)() != 0 or in_place(path):  # Windows has none; /dev/stdout is written into
        return None
    p = Path(path)
    try:
        target = p if p.exists() else next(q for q in p.absolute().parents if q.exists())
        mode = target.stat().st_mode
    except (OSError, StopIteration):
        return None
    if target == p and not file_too:
        return None
    # an existing folder, a file where a folder goes, a device: the caller's to say
    if mode & 0o222 or not (stat.S_ISREG(mode) if target == p else stat.S_ISDIR(mode)):
        return None
    if target == p:  # predict --out replaced it as root, chat's /vis refused it: both refuse it now
        return (f"it is read-only ({stat.filemode(mode)}): no one may write it, and root, whom the system lets, does "
                "not replace it either; to replace it, remove it or make it writable (chmod u+w), or give another name")
    return (f"{target} is read-only ({stat.filemode(mode)}): no one may write there, and "
            "root, whom the system lets, writes nothing there either; give a path in another folder")


def folder_named(path: str, example: str) -> str | None:
    """Why an output ``path`` as typed that ends with "/" is refused (``--out results/`` where results does not
    exist wrote a file named results), or None; ``example``: a file name to give in it."""
    if not path.endswith(("/", os.sep)) or path.strip("/" + os.sep) == "":
        return None
    return f"ends with '/', so it names a folder; give a file name in it, e.g. {path}{example}"


def unsaveable_image(suffix: str) -> str | None:
    """Why PIL cannot save the RGB overlay under an extension (unknown, or a format it only reads: .psd,
    .xbm, .h5 passed predict's check and failed after the model ran; chat's /vis with a KeyError), or None."""
    import io

    from PIL import Image

    fmt = Image.registered_extensions().get(suffix.lower())
    if fmt is None:
        return f"unknown image extension {suffix or '(none)'!r}"
    try:
        Image.new("RGB", (1, 1)).save(io.BytesIO(), format=fmt)
    except KeyError:  # no save handler at all
        return f"{suffix} is {fmt}, which PIL reads but cannot write"
    except (OSError, ValueError) as e:
        return f"PIL cannot write the overlay as {fmt} ({e})"
    return None


def geojson_named(path: str, option: str) -> str | None:
    """A note where GeoJSON goes to ``path`` (``option``: ``--geojson``, ``/geojson``) named neither .geojson nor
    .json: it is GeoJSON all the same, which GIS tools know by its name (was written to seg.txt without a word);
    None where the name says it (or ``-``, standard output)."""
    if path == "-" or Path(path).suffix.lower() in (".geojson", ".json"):
        return None
    return (f"{option} {path}: written as GeoJSON all the same; QGIS and GDAL know it by a .geojson name "
            f"(e.g. {Path(path).with_suffix('.geojson').name})")
