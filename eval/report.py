"""Gather score files into one table by task and by modality (markdown and JSON).

``python -m eval.report --scores a.json b.json … [--out report.md]``
``python -m eval.report --dir scores/ [runB/scores/ …] [--out report.md]``

Each input is the ``--out`` JSON of a ``python -m eval.TASK`` run. The table has one row per
(score file, headline metric) and one column per modality found in any file, besides ``all``;
a second table gives the record counts (records, missing, unparseable, rsvlm eval's errors, answers
cut by its token limit and answers past the LLM's context), a third what answered each predictions
file (``rsvlm eval``'s run.json, as the score file keeps it: model and options; "not recorded" without one); one
metric's rows of the files given stand together, a file that is not its whole set's score marked ``(partial)``;
notes under them say where a task's files are not one test set's (other record counts, other ``gt_digest``s) or
were scored otherwise, which tasks a ``--dir`` run lacks that another has, and a ground truth's tasks no file scores.
``--out report.md`` also writes ``report.json`` beside it with the same rows. It cannot merge two files of one task
into one score (rows stay per file) or re-score anything.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
from pathlib import Path

from eval import common
from eval.counts import counted
from eval.loc_error import is_result
from rsvlm.argparsing import Parser
from rsvlm.data.records_shape import is_report, is_score_file
from rsvlm.out_paths import too_long

MARKDOWN_HEAD = "# Evaluation report"  # what a report's markdown opens with: --out holding it is replaced


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


def build(scores: list[dict], folders: list[Path] | None = None) -> dict:
    """{"modalities", "metrics": [row…], "counts": [row…], "runs": [row…], "partial": {source: why}, "notes": [text…]}:
    rows are flat dicts, one task's together and, within it, one metric's (or count's) rows of every file side by
    side, in the order given (two runs' scores were a screen apart); a metric row's ``partial``: its file's score is
    not the whole set's (``partial_why``); ``notes``: tasks whose files are of different test sets (``apart``),
    tasks some of ``folders`` (``--dir``'s, one a run) hold no score file of (``unscored``) and a ground truth's
    tasks no file scores (``untabled``)."""
    mods = sorted({m for s in scores for m in s.get("by_modality", {})})
    order = {t: i for i, t in enumerate(dict.fromkeys(s["task"] for s in scores))}  # the tasks as first given
    metrics, counts, runs, partial, defaults = [], [], [], {}, answer_defaults()
    for s in scores:
        bym = s.get("by_modality", {})
        if why := partial_why(s):
            partial[s["_source"]] = why
        for k in s["headline"]:
            row = {"task": s["task"], "source": s["_source"], "metric": k, "all": s.get(k), "partial": bool(why)}
            row.update({m: bym.get(m, {}).get(k) for m in mods})
            metrics.append(row)
        for k in ("n_records", "n_missing", "n_unparseable", *common.PRED_FLAGS):
            if k not in s:  # n_pred_errors, n_pred_cut, n_pred_past_context: older score files lack them
                continue
            row = {"task": s["task"], "source": s["_source"], "count": k, "all": s.get(k)}
            row.update({m: bym.get(m, {}).get(k) for m in mods})
            counts.append(row)
        runs.append({"task": s["task"], "source": s["_source"], "pred": s.get("pred"), **run_row(s.get("run"), defaults)})
        if s.get("format") not in (None, "rsvlm"):  # another tool's answers (GeoChat's) said as such, not by path alone
            runs[-1]["options"] = f"--format {s['format']}" + ("" if runs[-1]["options"] == "-" else
                                                               f" {runs[-1]['options']}")
    for rows, key in ((metrics, "metric"), (counts, "count")):  # stable: files in the order given
        place = {}
        rows.sort(key=lambda r: (order[r["task"]], place.setdefault((r["task"], r[key]), len(place))))
    runs.sort(key=lambda r: order[r["task"]])
    retrained(runs, scores)
    return {"modalities": mods, "metrics": metrics, "counts": counts, "runs": runs, "partial": partial,
            "notes": apart(scores) + unscored(scores, folders or []) + untabled(scores)}


def untabled(scores: list[dict]) -> list[str]:
    """A note for each ground truth that holds records of an rsvlm task none of its score files scores (each lists
    them in ``n_gt_other_tasks``): a report of vqa and detection said nothing of the set's grounding records. Two
    --gt named otherwise are one where a task's files of both keep one ``gt_digest`` (a copy: ``apart`` says so too;
    each run's was said to leave the other's tasks unscored); one --gt name of other records (a relative path typed
    in two folders) is one a score folder, ``(of FOLDER)``. A file without the key leaves its ground truth unsaid."""
    from eval.tags import TAGS
    from rsvlm.tokens import TASKS

    alias: dict[str, str] = {}  # --gt -> another of the same records, first given: a chain ends at the one named
    first: dict[tuple, str] = {}  # (task, gt_digest) -> the --gt first scored so

    def named(gt: str) -> str:
        while alias.get(gt, gt) != gt:
            gt = alias[gt]
        return gt

    for s in scores:
        if isinstance(d := s.get("gt_digest"), str):
            a, b = named(first.setdefault((s["task"], d), str(s.get("gt")))), named(str(s.get("gt")))
            if a != b:
                alias[b] = a
    # one --gt name of other records in two folders (a relative synth/test.jsonl): a ground truth each folder's, not one
    kinds = [(named(str(s.get("gt"))), s["task"], s.get("gt_digest")) for s in scores]
    clash = {gt for gt, task, d in kinds if any(g == gt and t == task and e != d for g, t, e in kinds)}
    by_gt: dict[str, list] = {}  # the ground truth as the note names it -> its score files
    base = {}  # that name -> the --gt it is
    for s, gt in ((s, named(str(s.get("gt")))) for s in scores):
        base[label := f"{gt} (of {s['_source'].rpartition('/')[0] or '.'})" if gt in clash else gt] = gt
        by_gt.setdefault(label, []).append(s)
    notes = []
    for gt, ss in by_gt.items():
        others = [s.get("n_gt_other_tasks") for s in ss]
        if not all(isinstance(o, dict) for o in others):
            continue
        left = {t: n for t, n in others[0].items() if t in TASKS and all(t in o for o in others[1:])}
        scripts = dict.fromkeys("eval.change (change maps; worded changes: python -m eval.captioning)" if t == "change"
                                else f"eval.{TAGS.get(t, t)}" for t in left)  # a change record's reference is either
        copies = list(dict.fromkeys(str(s.get("gt")) for s in ss if str(s.get("gt")) != base[gt]))
        also = f" (and {', '.join(copies)}, of the same records)" if copies else ""
        if n := sum(v for v in left.values() if isinstance(v, int)):
            notes.append(f"{gt}{also} holds {counted(n, 'record')} of {'a task' if len(left) == 1 else 'tasks'} no "
                         f"score file here scores ({', '.join(f'{t}: {v}' for t, v in left.items())}); score "
                         f"{'it' if n == 1 else 'them'} with python -m {', python -m '.join(scripts)}")
    return notes


def unscored(scores: list[dict], folders: list[Path]) -> list[str]:
    """A note for each of ``folders`` (``--dir runA runB``: a run each) that holds no score file of tasks another
    holds, where it holds others: the report had runA's vqa rows and no word that runB's were not there. A folder
    that holds none at all is noted on stderr by ``main``."""
    held = {d: {s["task"] for s in scores if s["_path"].resolve().parent == d.resolve()} for d in folders}
    held = {d: tasks for d, tasks in held.items() if tasks}
    every = list(dict.fromkeys(s["task"] for s in scores))
    notes = []
    for d, tasks in held.items() if len(held) > 1 else ():
        if lacking := [task for task in every if task not in tasks]:
            named = ", ".join(lacking[:-1]) + (" or " if len(lacking) > 1 else "") + lacking[-1]
            notes.append(f"--dir {d} holds no score file of {named}, which another --dir holds: the rows of "
                         f"{'that task' if len(lacking) == 1 else 'those tasks'} have none of this run's scores; "
                         f"score its predictions with python -m {', python -m '.join(f'eval.{t}' for t in lacking)} "
                         "to compare")
    return notes


def partial_why(s: dict) -> str | None:
    """Why score file ``s`` is not its whole test set's score, or None: records with no answer (an rsvlm eval
    ``--limit``, an interrupted run) or answered empty on an rsvlm eval error, each scored as wrong, or left out
    (``n_gt_unsized``: no meta size and no image to read one from)."""
    said = []
    if n := s.get("n_missing"):
        limit = (s.get("run") or {}).get("limit")
        said.append(f"{n} of {counted(s.get('n_records'), 'record')} {'has' if n == 1 else 'have'} no answer" + (
            f" (rsvlm eval ran with --limit {limit})" if limit is not None else ""))
    if n := s.get("n_pred_errors"):
        said.append(f"{n} answered empty on an rsvlm eval error")
    said = ["; ".join(said) + ", scored as wrong"] if said else []
    if n := s.get("n_gt_unsized"):  # no meta size, no image to read one from: in no score
        said.append(f"{counted(n, 'record')} left out, no size to score {'its' if n == 1 else 'their'} geometry at")
    return "; ".join(said) + ": not the whole set's score" if said else None


def apart(scores: list[dict]) -> list[str]:
    """A note for each task whose score files count different records (not of one test set: two runs scored against
    another --gt each), as many but other ones (their ``gt_digest``s differ: a --gt edited, another split; where a
    file keeps none, the --gt as named differs) or were scored with other settings (``scored_with``): their rows do
    not compare. A copy of the ground truth elsewhere is one test set (the records' digest, not the path)."""
    by_task: dict[str, list[dict]] = {}
    for s in scores:
        by_task.setdefault(s["task"], []).append(s)
    notes = []
    for task, ss in by_task.items():
        digests = {d for s in ss if isinstance(d := s.get("gt_digest"), str)}
        old = [s for s in ss if not isinstance(s.get("gt_digest"), str)]  # scored before scorers kept one
        if len({s.get("n_records") for s in ss}) > 1:
            counts = ", ".join(f"{s['_source']}: {s.get('n_records')}" for s in ss)
            gts = ", ".join(dict.fromkeys(gt_labels(ss)))  # one label a file: two of one name told apart
            notes.append(f"{task}: the score files count different records ({counts}; ground truth {gts}): they are "
                         "not one test set's scores and do not compare")
        elif len(digests) > 1 or (old and len({str(s.get("gt")) for s in ss}) > 1):  # as many records, other ones
            gts = ", ".join(f"{s['_source']}: {label}" + (" (no gt_digest)" if s in old else "")
                            for s, label in zip(ss, gt_labels(ss)))
            notes.append(f"{task}: the score files were scored against other ground truth ({gts}): " + (
                "their records differ, so they are not one test set's scores and do not compare" if len(digests) > 1
                else f"{counted(len(old), 'score file', 'is/are')} from before the scorers kept a digest of the records, "
                "so whether they are one test set is not known; score the predictions again to know"))
        elif len({json.dumps(scored_with(s)) for s in ss}) > 1:  # captioning's --no-java, detection's --max-dets
            said = ", ".join(f"{s['_source']}: {' '.join(f'{k}={v}' for k, v in scored_with(s).items()) or '-'}"
                             for s in ss)
            notes.append(f"{task}: the score files were scored with other settings ({said}): they do not compare")
    return notes


def gt_labels(ss: list[dict]) -> list[str]:
    """One task's score files' ground truths as the notes name them: ``--gt`` as typed, and ``(records HASH)`` (its
    ``gt_digest``'s start; ``(N records)`` before digests) where another names it alike but read other records."""
    def key(s: dict) -> str:
        d = s.get("gt_digest")
        return f"records {d[:8]}" if isinstance(d, str) else counted(s.get("n_records") or 0, "record")

    names = [str(s.get("gt")) for s in ss]
    keys = {n: {key(s) for s, m in zip(ss, names) if m == n} for n in names}
    return [n + (f" ({key(s)})" if len(keys[n]) > 1 else "") for s, n in zip(ss, names)]


def scored_with(s: dict) -> dict:
    """The scorer's settings score file ``s`` keeps that move its figures: captioning's ``tokenizer`` (``--no-java``:
    python, not PTB's) and detection's ``--max-dets`` (as its ``ARN`` key)."""
    dets = [k[2:] for k in s if k.startswith("AR") and k[2:].isdigit()]
    return {k: v for k, v in (("tokenizer", s.get("tokenizer")), ("max_dets", dets[0] if dets else None)) if v}


def retrained(runs: list[dict], scores: list[dict]) -> None:
    """Name the weights in ``runs``' model text where one checkpoint folder answered with other weights in another
    file (retrained in place: two runs told apart by their predictions' paths alone): ``(weights HASH)``, a hash of
    the run stamp's ``weights``, "not recorded" where a score file has none."""
    def digest(run: dict) -> str:
        w = run.get("weights")
        return hashlib.sha256(json.dumps(w, sort_keys=True).encode()).hexdigest()[:8] if w else "not recorded"

    of = {s["_source"]: (str(s["run"].get("model")), digest(s["run"])) for s in scores if s.get("run")}
    kinds: dict[str, set] = {}
    for model, d in of.values():  # an older score file's "not recorded" beside one hash: no sign of other weights
        kinds.setdefault(model, set()).update({d} - {"not recorded"})
    for r in runs:
        if r["source"] in of and len(kinds[(m := of[r["source"]])[0]]) > 1:
            r["model"] += f" (weights {m[1]})"


def answer_defaults() -> dict:
    """``rsvlm eval``'s defaults of the options a run stamp keeps (``rsvlm.predictions.ANSWER_OPTIONS``, the only
    ones ``run_row`` compares; ``dtype``'s is ``auto``, which a stamp keeps as the dtype it took), by the parser's
    public ``get_default`` (not its private ``_actions``): not a parse, which a new required option of rsvlm eval
    would have stopped (every report, with a usage error of rsvlm eval's). Each is as a parse gives it (a text
    default is not put through its option's type here: tests/test_eval_lead72.py holds them equal)."""
    from rsvlm.cli import build_parser
    from rsvlm.predictions import ANSWER_OPTIONS

    parser = build_parser().commands["eval"]
    return {k: parser.get_default(k) for k in ANSWER_OPTIONS}


def run_row(run: dict | None, defaults: dict | None = None) -> dict:
    """``{"model", "options"}`` as text for the table: the options that were set (not None, False,
    0, "none" or their ``defaults``: ``missing_bands=error`` was in every row), ``limit=N`` where a ``--limit``
    answered part of the set, and the count of answers run.json does not vouch for."""
    if not run:
        return {"model": "not recorded", "options": "-"}
    opts = " ".join(f"{k}={v}" for k, v in (run.get("options") or {}).items()
                    if v not in (None, False, 0, "none") and (defaults or {}).get(k, ...) != v)
    if run.get("limit") is not None:  # the first N records alone: a partial run's scores
        opts += f" limit={run['limit']}"
    if n := run.get("unchecked_answers"):
        opts += f" ({counted(n, 'answer')} unrecorded)"
    return {"model": str(run.get("model")), "options": opts.strip() or "-"}


def to_markdown(rep: dict) -> str:
    cols = ["all", *rep["modalities"]]
    m = common.table([[r["task"], r["source"] + (" (partial)" if r.get("partial") else ""), r["metric"],
                       *(r[c] for c in cols)] for r in rep["metrics"]], ["task", "scores", "metric", *cols])
    said = [f"- {src} (partial): {why}" for src, why in rep.get("partial", {}).items()]
    said += [f"- {n}" for n in rep.get("notes", [])]
    if said:  # a partial run's rows marked (was in the options' limit=N alone), and files of other test sets
        m += "\n\n" + "\n".join(said)
    # rsvlm eval's flags none of a task's files has: 6 rows a file, two runs' a long table of zeros (the JSON keeps them)
    flagged = {(r["task"], r["count"]) for r in rep["counts"] if r["count"] not in common.PRED_FLAGS or r["all"]}
    c = common.table([[r["task"], r["source"], r["count"], *(r[c] for c in cols)] for r in rep["counts"]
                      if (r["task"], r["count"]) in flagged], ["task", "scores", "count", *cols])
    left: dict[str, dict] = {}  # task -> its flags left out, by task: vqa's n_pred_errors row was shown as left out
    for row in rep["counts"]:
        if row["count"] in common.PRED_FLAGS and (row["task"], row["count"]) not in flagged:
            left.setdefault(row["task"], {})[row["count"]] = None
    by_flags: dict[tuple, list] = {}
    for task, flags in left.items():
        by_flags.setdefault(tuple(flags), []).append(task)
    if by_flags:
        c += "\n\n- rows left out, 0 in every file of their task: " + "; ".join(
            f"{', '.join(flags)} ({', '.join(tasks)})" for flags, tasks in by_flags.items())
    same: dict[tuple, list[dict]] = {}  # one predictions file's answers scored by several tasks: one row, files named
    for row in rep["runs"]:
        same.setdefault((str(row["pred"]), row["model"], row["options"]), []).append(row)
    r = common.table([[", ".join(dict.fromkeys(x["task"] for x in rows)), files([x["source"] for x in rows]), *key]
                      for key, rows in same.items()], ["task", "scores", "predictions", "model", "options"])
    return (MARKDOWN_HEAD + "\n\n## Metrics by task and modality\n\n" + m
            + "\n\n## Records scored, missing, unparseable, failed, cut and past the context\n\n" + c
            + "\n\n## What answered (rsvlm eval's run.json)\n\n" + r + "\n")


def files(sources: list[str]) -> str:
    """The score files of one runs-table row: their folder said once where they share one (``runA/scores:
    captioning.json, vqa.json``; was ``runA/scores/captioning.json, runA/scores/vqa.json``, eight tasks' a line of
    300 characters)."""
    folders = {s.rpartition("/")[0] for s in sources}
    if len(sources) < 2 or len(folders) != 1 or not (folder := folders.pop()):
        return ", ".join(sources)
    return f"{folder}: " + ", ".join(s.rpartition("/")[2] for s in sources)


def not_a_report(out: Path) -> str | None:
    """Why ``--out`` or the JSON beside it may not be replaced, or None: an existing file, not empty, that no
    report wrote (``--out pred.jsonl`` by a slip replaced the predictions with the markdown, and a pred.json
    beside ``--out pred.md`` with the report's JSON, without a word). A report's own files are replaced."""
    for path, ours in ((out, lambda text: text.startswith(MARKDOWN_HEAD)),
                       (out.with_suffix(".json"), lambda text: {"metrics", "counts"} <= set(json.loads(text)))):
        if common.ours_or_empty(path, ours):  # not UTF-8, not JSON, a JSON list: not ours
            continue
        return (f"--out {out}: {path} is a file no report wrote (predictions, records or another file) and would "
                "be replaced; give the report another name, or delete it")
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


def main(argv: list[str] | None = None) -> dict:
    ap = Parser(prog="python -m eval.report", description=(
        "Gather the score files of python -m eval.TASK (their --out JSON) into one markdown report: the headline "
        "metrics by task and modality, the records counted, and what answered each predictions file. --dir runA "
        "runB sets two runs' rows side by side and says where they do not compare (other ground truth, other "
        "settings, a task one run lacks); --out report.md writes report.json beside it. Exit status 2 on input it "
        "cannot read (docs/eval.md, Report)."))
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--scores", nargs="+", type=Path, help="score JSON files")
    src.add_argument("--dir", nargs="+", type=Path,
                     help="a folder of score JSON files, or one for each run to compare (their rows side by side)")
    ap.add_argument("--out", help="write the markdown here and its .json beside it (default: printed only)")
    args = ap.parse_args(argv)
    if err := common.out_name_problem(args.out, "report.md"):  # as typed: a Path drops the '/' of reports/, '' is '.'
        ap.error(err)
    args.out = Path(args.out) if args.out else None
    if args.out:
        if args.out.suffix == ".json":  # the JSON goes to out.with_suffix(".json"): the same file
            ap.error(f"--out {args.out}: give the markdown's path (report.md); the JSON is written beside it")
        if str(args.out) == "-":  # wrote a file named '-' (the scorers' --out - is stdout) and '-.json' beside it
            ap.error("--out -: the report is a markdown file and its JSON beside it, which standard output cannot "
                     "hold both of; without --out the markdown is printed, or give a file (report.md)")
        if why := too_long(args.out.with_suffix(".json")):  # report.md fits, the JSON beside it not
            ap.error(f"--out {args.out}: the JSON beside it: {why}")
        if common.in_place(args.out):  # /dev/stdout: its JSON went to a new file /dev/stdout.json
            ap.error(f"--out {args.out}: give a file (report.md), the JSON is written beside it; the markdown is "
                     "printed without --out")
        common.out_dir(args.out)
    dirs = args.dir or []  # several: two runs' folders (was one, the second 'unrecognized arguments')
    from rsvlm.eval_reading import long_name

    if err := next(filter(None, (long_name("dir" if dirs else "scores", p) for p in dirs or args.scores)), None):
        ap.error(err)  # was "[Errno 36] File name too long", naming no option
    if missing := [d for d in dirs if not d.is_dir()]:  # main_guard names the program (was "error: --dir X: …" alone)
        raise common.ScoreError(f"--dir {missing[0]}: {'a file, not a folder' if missing[0].exists() else 'no such folder'}"
                                "; give the folder the scorers' --out files are in (or the files themselves by --scores)")
    paths = args.scores or [p for d in dirs for p in sorted(d.glob("*.json"))]
    for d in dirs:
        if named := misnamed_scores(d):  # a scorer's --out scores.jsonl, passed over unsaid
            print(f"note: {counted(len(named), 'score file')} in {d} not named .json {'is' if len(named) == 1 else 'are'} left out (first: {named[0]}): "
                  "give them by --scores, or name them .json", file=sys.stderr)
    folders = ", ".join(map(str, dirs))
    score_into = (f"; score predictions into {'it' if len(dirs) == 1 else 'one'} first (python -m eval.TASK --gt GT "
                  f"--pred PRED --out {dirs[0] / 'TASK.json'}), or give --scores FILE …" if dirs else "")  # --dir's
    if not paths:
        raise common.ScoreError(f"--dir {folders}: no .json score files{score_into}")
    scores = load_scores(paths, skip_foreign=bool(dirs))
    if not scores:
        raise common.ScoreError(f"--dir {folders}: no score files among its .json files{score_into}")
    for d in dirs:  # one run's folder of several that gave nothing: the report was the other run's alone, unsaid
        if not any(s["_path"].resolve().parent == d.resolve() for s in scores):
            print(f"note: --dir {d} holds no score file; the report tables the other folders' alone", file=sys.stderr)
    read = [s["_path"] for s in scores]
    if args.out and args.out.with_suffix(".json").resolve() in {p.resolve() for p in read}:
        ap.error(f"--out {args.out}: the JSON beside it, {args.out.with_suffix('.json')}, would overwrite a score file")
    side = args.out.with_suffix(".json") if args.out else None  # scores/vqa.md: its JSON replaced vqa.json, unread
    if side and side.is_file() and side.stat().st_size and common.not_scores(side) is None:
        ap.error(f"--out {args.out}: the JSON beside it, {side}, is a score file and would be replaced; give the "
                 "report another name")
    if args.out and (err := not_a_report(args.out)):
        ap.error(err)
    rep = build(scores, dirs)
    md = to_markdown(rep)
    if args.out:  # before printing: `… | head` closing stdout under the table left no report
        common.write_out(args.out, md)  # a kill leaves the old report or the new, not half of one
        common.write_out(args.out.with_suffix(".json"), json.dumps(rep, indent=1) + "\n")
    print(md)
    if args.out:
        print(f"report written to {args.out} and {args.out.with_suffix('.json')}")
    return rep


if __name__ == "__main__":
    common.main_guard(main)
