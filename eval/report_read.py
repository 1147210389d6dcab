"""Reading ``eval.report``'s inputs: the score files given (``load_scores``: each checked, ``malformed``, and named as
the tables name it, ``source_labels``), and a ``--dir``'s score files not named ``.json`` (``misnamed_scores``). Cannot:
read a score file that is not one JSON object (a scorer's ``--out`` is one)."""

from __future__ import annotations

import contextlib
import json
import os
import sys
from pathlib import Path

from eval import common
from eval.counts import counted
from eval.loc_error import is_result
from rsvlm.data.records_shape import is_report, is_score_file


def source_labels(paths: list[Path]) -> list[str]:
    """How the tables name each score file: its file name where all are of one folder, else its folder's shortest
    tail that no other folder's ends in and its name (``--dir runA/scores runB/scores``: ``runA/scores/vqa.json``
    for every file, where a file of one run alone was ``scores/vqa.json``, which named no run; ``a/vqa.json`` and
    ``b/vqa.json``, not ``home/u/…/a/vqa.json``); by the path as given, a link not followed (``--dir latest`` was
    named by the folder it links to)."""
    full = [Path(os.path.abspath(p)).parts for p in paths]
    folders = list(dict.fromkeys(f[:-1] for f in full))
    if len(folders) < 2:
        return [f[-1] for f in full]  # one folder's (two files of one name cannot be)
    tail = {f: next((f[-d:] for d in range(1, len(f)) if all(g == f or g[-d:] != f[-d:] for g in folders)), f)
            for f in folders}
    return [str(Path(*tail[f[:-1]], f[-1])) for f in full]


def load_scores(paths: list[Path], skip_foreign: bool = False) -> list[dict]:
    """Score dicts of ``paths``, each with the ``_source`` the tables name it by (``source_labels``);
    with ``skip_foreign`` (``--dir``, which may hold a report.json) JSON files that are no score file are passed over
    with a note on stderr each (on stdout, it opened the markdown of ``report --dir scores > report.md``) and a last
    note counting them, a report's JSON aside; else they raise. A file given twice is read once, with a note."""
    out, seen, unique = [], set(), []
    for p in paths:
        if Path(p).resolve() in seen:
            print(f"note: {p} is given twice; read once", file=sys.stderr)
            continue
        seen.add(Path(p).resolve())
        unique.append(p)
    left_out = []  # --dir's files that are no score file (a report's JSON aside: --out beside them), counted at the end

    def leave_out(p, said: str, counted: bool = True) -> None:
        print(f"note: {p} {said}; left out", file=sys.stderr)
        if counted:
            left_out.append(p)

    for p in unique:
        try:
            s = json.loads(Path(p).read_text())
        except FileNotFoundError:
            raise common.ScoreError(f"--scores {p}: no such file; give the --out JSON that python -m eval.TASK wrote, "
                                    "or --dir the folder of them") from None  # was "score file not found", no way on
        except IsADirectoryError:  # was "[Errno 21] Is a directory: 'scores'"
            if skip_foreign:  # a folder named *.json in --dir
                leave_out(p, "is a folder, so no eval score file")
                continue
            raise common.ScoreError(f"--scores {p} is a folder: give its score files, or --dir {p}") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            why = (f"{e.msg.removesuffix(' at')} at line {e.lineno}" + (f" column {e.colno}" if e.msg.endswith(" at") else "")
                   if isinstance(e, json.JSONDecodeError)  # "Unterminated string starting at": was "… at at line 1"
                   else f"not UTF-8 text: {e.reason} at byte {e.start}")
            if skip_foreign:  # a predictions JSONL saved as .json beside the scores: it stopped the whole report
                leave_out(p, f"is not JSON ({why}), so no eval score file")
                continue
            lines = isinstance(e, json.JSONDecodeError) and e.msg == "Extra data" and e.colno == 1  # a second line
            raise common.ScoreError(f"{p}: not JSON ({why})" + (
                ": JSON lines (predictions, records?), where a score file is one JSON object, python -m eval.TASK's "
                "--out" if lines else "")) from None
        if not is_score_file(s):
            report = is_report(s)  # this script's own JSON
            loc = is_result(s)  # saved beside the scores: was "not an eval score file (no 'task'/'headline' keys)"
            stamp = Path(p).name.endswith(".run.json") and isinstance(s, dict) and "options" in s  # predictions beside
            what = ("a report (python -m eval.report's JSON), not a score file" if report else
                    "python -m eval.loc_error's result, a location error in bins, not a task's score file: the report "
                    "tables score files alone" if loc else
                    "rsvlm eval's run stamp of the predictions beside it, not a score file" if stamp else
                    "not an eval score file")
            if skip_foreign:
                leave_out(p, f"is {what}", counted=not (report or loc or stamp))
                continue
            rows = s["metrics"] if report and isinstance(s["metrics"], list) else []
            sources = list(dict.fromkeys(str(r["source"]) for r in rows if isinstance(r, dict) and "source" in r))
            raise common.ScoreError(f"{p}: {what}" + (f": give the score files it tables ({', '.join(sources[:3])}"
                                                      f"{', …' if len(sources) > 3 else ''})" if sources else "")
                                    + ("" if report or loc or stamp else " (no 'task'/'headline' keys)"))
        if why := malformed(s):  # a score file edited or written by another tool: a traceback from the tables
            if skip_foreign:
                leave_out(p, f"is a score file whose {why}")
                continue
            raise common.ScoreError(f"{p}: a score file whose {why}; score the predictions again (python -m "
                                    f"eval.TASK --out {p})")
        out.append({**s, "_path": Path(p)})
    for s, label in zip(out, source_labels([s["_path"] for s in out])):  # of the files tabled: not a left-out one's
        s["_source"] = label
    if left_out and out:  # the notes above may be many screens apart: what the report lacks, in one line
        print(f"note: {counted(len(left_out), '.json file')} left out as no readable score file (first: {left_out[0]}); the "
              f"report tables {len(out)}", file=sys.stderr)
    return out


def malformed(s: dict) -> str | None:
    """What in score file ``s`` is not as ``build`` reads it (a ``task`` that is no name, a ``headline`` that is no list
    of metric names, a ``by_modality`` that is no mapping of modalities to scores, a ``run`` or its ``options`` that is
    no mapping), else None."""
    if not isinstance(s["task"], str):
        return f"'task' is {json.dumps(s['task'])[:40]}, not a task name"
    if not isinstance(s["headline"], list) or not all(isinstance(k, str) for k in s["headline"]):
        return f"'headline' is {json.dumps(s['headline'])[:40]}, not a list of metric names"
    bym = s.get("by_modality", {})
    if not isinstance(bym, dict) or not all(isinstance(v, dict) for v in bym.values()):
        return f"'by_modality' is {json.dumps(bym)[:40]}, not a mapping of modalities to their scores"
    if s.get("run") is not None and not isinstance(s["run"], dict):
        return f"'run' is {json.dumps(s['run'])[:40]}, not a mapping (model, options)"
    if (opts := (s.get("run") or {}).get("options")) is not None and not isinstance(opts, dict):  # run_row's .items()
        return f"'run.options' is {json.dumps(opts)[:40]}, not a mapping of option names to values"
    return None


def misnamed_scores(folder: Path) -> list[Path]:
    """The score files in ``folder`` whose name does not end ``.json`` (``vqa.jsonl``: a scorer writes such an ``--out``,
    with a note), which ``--dir`` does not read: small files (under 1 MiB, as score files are; a
    predictions file beside them is read no further than JSON's first error) that are one score file's JSON."""
    found = []
    for f in sorted(folder.iterdir()):
        if f.suffix != ".json" and f.is_file() and f.stat().st_size < 1 << 20:
            with contextlib.suppress(OSError, ValueError):
                if is_score_file(json.loads(f.read_text(encoding="utf-8"))):
                    found.append(f)
    return found


if __name__ == "__main__":  # python -m eval.report_read: no command line; say so, and which scripts have one
    from eval.__main__ import library_main

    raise SystemExit(library_main("report_read"))
