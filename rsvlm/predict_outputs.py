"""Where ``rsvlm predict`` writes (``--out``, ``--geojson``, ``--vis``): each checked before the model runs
(``output_problem``), then written (``write_output``)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from rsvlm import out_paths


def output_problem(args, inputs: list[str] = (), geojson_as: str = "--geojson") -> str | None:
    """Why ``--out``, ``--geojson`` or ``--vis`` cannot be written (a folder, a folder that cannot
    be made, an image extension PIL cannot write, another output's or an input's file), or None. Makes
    nothing: a run that fails later (on the model) leaves no empty folders; ``write_output`` makes them.
    ``geojson_as``: the option ``args.geojson`` was typed as (``--out o.geojson``, written as GeoJSON)."""

    typed = {"--out": (args.out, "result.json"), "--geojson": (args.geojson, "answer.geojson"),
             "--vis": (args.vis, "overlay.png")}
    if geojson_as == "--out":  # was "--geojson o.geojson is a folder", an option not typed (args.out is None then)
        typed = {"--out": typed["--geojson"], "--vis": typed["--vis"]}
    # (option, as typed, Path): messages name the path as typed (--out out/. was said as "--out out")
    given = [(o, p, Path(p)) for o, (p, _) in typed.items() if p and not (p == "-" and o != "--vis")]  # -: stdout
    if args.vis == "-":  # was "unknown image extension '(none)'"
        return "--vis -: the overlay is an image, written to a file (--vis overlay.png); - (stdout) is for --out or --geojson"
    for option, (text, example) in typed.items():  # a trailing '/' is gone from the Path
        if text and (why := out_paths.folder_named(text, example)):
            return f"{option} {text}: {why}"
    for k, (option, text, p) in enumerate(given):
        if same := next((o for o, _, q in given[:k] if q.resolve() == p.resolve()), None):
            return f"{same} and {option} name the same file {text}: the one written last would replace the other"
        if any(Path(f).resolve() == p.resolve() for f in inputs):
            return f"{option} {text} is an input image: it would be overwritten"
        # missing/../x.json: made the folder missing; /dev/stdot as root: a file in /dev; a read-only (a-w) file as
        # root: was replaced, where chat's /vis and /geojson refused it (eval, which reads its --out again, does not)
        if why := out_paths.refused(p, file_too=True):
            return f"{option} {text}: {why}"
        if p.is_dir():
            return f"{option} {text} is a folder; give a file name"
        if option == "--vis" and (why := out_paths.unsaveable_image(p.suffix)):
            return f"--vis {text}: {why}; give e.g. overlay.png"
        up = next(q for q in p.absolute().parents if q.exists())  # the folder it goes in, or the one it is made in
        if not up.is_dir():
            return f"{option} {text}: cannot make its folder {p.parent} ({up} is a file); give a path in a folder"
        if not os.access(up, os.W_OK | os.X_OK):
            return f"{option} {text}: folder {up} is not writable" if up == p.parent.absolute() else \
                f"{option} {text}: cannot make its folder {p.parent} (folder {up} is not writable)"
        if up == p.parent.absolute() and (why := _unwritable(p)):  # a read-only file, /proc, a full disk
            return f"{option} {text}: cannot be written ({why})"  # after the model ran, the answer was lost
    return None


def _unwritable(p: Path) -> str | None:
    """Why ``p`` cannot be opened for writing (opened to append: its content kept; a file the try made removed)."""
    existed = p.exists()
    try:
        open(p, "a").close()
    except OSError as e:
        return e.strerror or str(e)
    if not existed:
        p.unlink(missing_ok=True)
    return None


def write_output(path: str, text: str, stdout=None) -> None:
    """Write ``text`` to ``path``, making its folder now (``output_problem`` checked it can be); ``-``: to ``stdout``."""
    if path == "-":
        print(text, file=stdout or sys.stdout, flush=True)
        return
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(text)
