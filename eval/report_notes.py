"""``eval.report``'s notes under its tables: where one task's score files are not one test set's or were scored
otherwise (``apart``), why a file is not its whole set's score (``partial_why``), which tasks one ``--dir`` lacks that
another holds (``unscored``), a ground truth's tasks no file scores (``untabled``), records asked with another task's
tag (``clashed``) and one checkpoint folder's other weights (``retrained``). Cannot: tell two test sets apart where
neither score file keeps a ``gt_digest`` and both name one ``--gt``."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from eval.counts import counted


def untabled(scores: list[dict]) -> list[str]:
    """A note for each ground truth that holds records of an rsvlm task none of its score files scores (each lists
    them in ``n_gt_other_tasks``): a report of vqa and detection said nothing of the set's grounding records. Two
    --gt named otherwise are one where a task's files of both keep one ``gt_digest`` (a copy: ``apart`` says so too;
    each run's was said to leave the other's tasks unscored); one --gt name of other records (a relative path typed
    in two folders) is one a score folder, ``(of FOLDER)``, where two of its files of a task keep other digests; one
    note naming the folders where a file keeps none (not known to differ). A file without ``n_gt_other_tasks`` leaves
    its ground truth unsaid."""
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
    # one --gt name of other records in two folders (a relative synth/test.jsonl): a ground truth each folder's, not
    # one; known by two digests of a task alone (a file from before digests beside one was a note a folder)
    digests: dict[tuple, set] = {}
    for s in scores:
        if isinstance(d := s.get("gt_digest"), str):
            digests.setdefault((named(str(s.get("gt"))), s["task"]), set()).add(d)
    clash = {gt for (gt, _), ds in digests.items() if len(ds) > 1}
    unknown = {}  # a name of several folders some file of which keeps no digest -> the label that says so
    for gt in {named(str(s.get("gt"))) for s in scores} - clash:
        ss = [s for s in scores if named(str(s.get("gt"))) == gt]
        folders = list(dict.fromkeys(folder_of(s) for s in ss))
        if len(folders) > 1 and (n := sum(not isinstance(s.get("gt_digest"), str) for s in ss)):
            unknown[gt] = (f"{gt} (of {', '.join(folders)}; {counted(n, 'score file', 'keeps/keep')} no gt_digest, so "
                           "whether they are one set is not known)")
    by_gt: dict[str, list] = {}  # the ground truth as the note names it -> its score files
    base = {}  # that name -> the --gt it is
    for s, gt in ((s, named(str(s.get("gt")))) for s in scores):
        base[label := f"{gt} (of {folder_of(s)})" if gt in clash else unknown.get(gt, gt)] = gt
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


def clashed(scores: list[dict]) -> list[str]:
    """A note for each score file some of whose records were asked with another task's tag than their "task" field
    (``n_gt_task_clashes``: rsvlm eval answered the tag's task, the file scores the field's): the table was silent."""
    return [f"{s['_source']}: {counted(n, 'scored record')} {'was' if n == 1 else 'were'} asked with another task's tag "
            f"than {'its' if n == 1 else 'their'} \"task\" field, {s['task']} (n_gt_task_clashes): rsvlm eval answered "
            "the tag's task; the score file's note names the first" for s in scores if (n := s.get("n_gt_task_clashes"))]


def folder_of(s: dict) -> str:
    """The folder score file ``s`` is in, as the tables name it (its ``_source``'s; ``.`` where one folder's)."""
    return s["_source"].rpartition("/")[0] or "."


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
    (``n_gt_unsized``: no meta size and no image to read one from; ``n_gt_bad_records``: malformed, skipped)."""
    said = []
    if n := s.get("n_missing"):
        run = s.get("run") or {}
        limit, stopped = run.get("limit"), run.get("stopped")
        why = (f" (rsvlm eval was {stopped.get('why', 'stopped')} before it answered them all"
               + (f", under --limit {stopped['limit']})" if stopped.get("limit") is not None else ")")
               if isinstance(stopped, dict) else f" (rsvlm eval ran with --limit {limit})" if limit is not None else "")
        said.append(f"{n} of {counted(s.get('n_records'), 'record')} {'has' if n == 1 else 'have'} no answer{why}")
    if n := s.get("n_pred_errors"):
        said.append(f"{n} answered empty on an rsvlm eval error")
    said = ["; ".join(said) + ", scored as wrong"] if said else []
    if n := s.get("n_gt_unsized"):  # no meta size, no image to read one from: in no score
        said.append(f"{counted(n, 'record')} left out, no size to score {'its' if n == 1 else 'their'} geometry at")
    if n := s.get("n_gt_bad_records"):  # malformed (or unscorable-reference) records the scorer skipped: in no score
        said.append(f"{counted(n, 'ground-truth record')} skipped as malformed or unscorable, in no score")
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


if __name__ == "__main__":  # python -m eval.report_notes: no command line; say so, and which scripts have one
    from eval.__main__ import library_main

    raise SystemExit(library_main("report_notes"))
