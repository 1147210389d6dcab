"""Usage errors of the scripts that answer a test set with a model or write a file (bench/, scripts/,
``eval.loc_error``): a count below 1, an ``--out`` that would overwrite an input, a ``--data`` folder, a ``--model``
that is no checkpoint; found before the work rather than after it."""

from __future__ import annotations

import argparse
from pathlib import Path


def require_at_least_one(p: argparse.ArgumentParser, a: argparse.Namespace, flags: tuple[str, ...]) -> None:
    """A usage error (one line, exit 2) for the first of ``flags`` (attributes of ``a``; None is unset)
    below 1."""
    for flag in flags:
        if getattr(a, flag) is not None and getattr(a, flag) < 1:
            p.error(f"--{flag.replace('_', '-')} {getattr(a, flag)}: give 1 or more")


def require_out_file(p: argparse.ArgumentParser, out: str | Path | None,
                     inputs: dict[str, str | Path | list | None] | None = None) -> None:
    """A usage error for an ``--out`` that names no file (``out_name_problem``: blank, ending in ``/``, too long), is a
    folder or in no existing folder, or is one of ``inputs`` (``{"data": path}``, a repeated flag's as a list: ``--out``
    naming the ``--data`` file replaced the records with the result): found before the work rather than after it."""
    if out is None:
        return
    from eval.out_file import out_name_problem  # the scorers' words

    if why := out_name_problem(out, "result.json"):  # '' wrote nothing, 'r/' a file named r, a long name a traceback
        p.error(why)
    if Path(out).is_dir():  # was the missing folder's words alone: 'give a file in an existing folder' of one
        p.error(f"--out {out}: give a file in an existing folder ({out} is a folder; name a file in it)")
    if not Path(out).parent.is_dir():
        p.error(f"--out {out}: give a file in an existing folder (no folder {Path(out).parent})")
    target = Path(out).resolve()
    for flag, paths in (inputs or {}).items():
        for path in paths if isinstance(paths, (list, tuple)) else [paths]:
            if path and Path(path).resolve() == target:
                p.error(f"--out {out} is the --{flag} file: the result would overwrite it")


def check_model_args(p: argparse.ArgumentParser, a: argparse.Namespace,
                     counts: tuple[str, ...] = ("limit", "batch_size", "max_new_tokens")) -> None:
    """Usage errors (one line, exit 2) for the arguments of a script that answers a test set with a
    model (bench/tta.py, det_decoding.py, missing_bands.py): a count below 1, a ``--data`` folder or file
    that is not there, a ``--model`` folder that is no rsvlm checkpoint."""
    require_at_least_one(p, a, counts)
    if Path(a.data).is_dir():  # was "no such file" for a set's folder
        found = sorted(f.name for f in Path(a.data).glob("*.jsonl"))[:3]
        p.error(f"--data {a.data}: is a folder; give the JSONL file of its records"
                + (f" (it holds {', '.join(found)})" if found else ""))
    if not Path(a.data).is_file():
        p.error(f"--data {a.data}: no such file")
    from rsvlm.loading import model_arg_problem  # torch: not for --help

    if why := model_arg_problem(a.model):  # '' (an unset variable) loaded the bundled model unsaid
        p.error(why)


def check_probe_args(p: argparse.ArgumentParser, a: argparse.Namespace) -> None:
    """Usage errors (one line, exit 2) of a probe (scripts/probe_*.py: ``--image-root``, ``--data``, ``--out``,
    ``--model``), before its model loads (each probe held a copy)."""
    from rsvlm.eval_reading import image_root_problem
    from rsvlm.loading import model_arg_problem  # torch: not for --help

    if why := image_root_problem(a.image_root):  # worded as rsvlm eval's; a blank one was read as not given
        p.error(why)
    if not Path(a.data).is_file():  # a folder was 'no such file'
        p.error(f"--data {a.data}: a folder; give a JSONL file" if Path(a.data).is_dir() else f"--data: no such file {a.data}")
    require_out_file(p, a.out, {"data": a.data})  # else found after the work
    if why := model_arg_problem(a.model):  # was "error: X: not an rsvlm checkpoint", naming no option, after --data
        p.error(why)


if __name__ == "__main__":  # python -m eval.model_args: no command line; say so, and which scripts have one
    from eval.__main__ import library_main

    raise SystemExit(library_main("model_args"))
