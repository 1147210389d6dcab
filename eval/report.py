"""Gather score files into one table by task and by modality (markdown and JSON).

``python -m eval.report --scores a.json b.json … [--out report.md]``
``python -m eval.report --dir scores/ [runB/scores/ …] [--out report.md]``

Each input is the ``--out`` JSON of a ``python -m eval.TASK`` run. The table has one row per
(score file, headline metric) and one column per modality found in any file, besides ``all``;
a second table gives the record counts (records, missing, unparseable, rsvlm eval's errors, answers
cut by its token limit and answers past the LLM's context; ground-truth records left out for want of a size or
skipped as malformed or unscorable, ``GT_COUNTS``, where a file of the task has any, its heading naming them), a third what answered each predictions
file (``rsvlm eval``'s run.json, as the score file keeps it: model and options; "not recorded" without one); one
metric's rows of the files given stand together, a file that is not its whole set's score marked ``(partial)``;
notes under them say where a task's files are not one test set's (other record counts, other ``gt_digest``s) or
were scored otherwise, which tasks a ``--dir`` run lacks that another has, and a ground truth's tasks no file scores.
``--out report.md`` also writes ``report.json`` beside it with the same rows. It cannot merge two files of one task
into one score (rows stay per file) or re-score anything. Reading the score files is ``eval.report_read``, the notes
under the tables ``eval.report_notes``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from eval import common
from eval.counts import counted
from eval.report_notes import (  # noqa: F401  (eval.report.NAME, as before the split)
    apart,
    clashed,
    gt_labels,
    partial_why,
    retrained,
    scored_with,
    unscored,
    untabled,
)
from eval.report_read import load_scores, malformed, misnamed_scores, source_labels  # noqa: F401  (as before)
from rsvlm.argparsing import Parser
from rsvlm.out_paths import too_long

MARKDOWN_HEAD = "# Evaluation report"  # what a report's markdown opens with: --out holding it is replaced
# ground-truth records a scorer left out (no size to score a shape at; malformed, skipped): rows of a task where any
# of its files has one (each file of it then, 0 too), in the JSON as in the table; were said only in "(partial)"
GT_COUNTS = ("n_gt_unsized", "n_gt_bad_records")


def build(scores: list[dict], folders: list[Path] | None = None) -> dict:
    """{"modalities", "metrics": [row…], "counts": [row…], "runs": [row…], "partial": {source: why}, "notes": [text…]}:
    rows are flat dicts, one task's together and, within it, one metric's (or count's) rows of every file side by
    side, in the order given (two runs' scores were a screen apart; ``GT_COUNTS`` where a file of the task has one);
    a metric row's ``partial``: its file's score is not the whole set's (``partial_why``); ``notes``: tasks whose
    files are of different test sets (``apart``), tasks some of ``folders`` (``--dir``'s, one a run) hold no score
    file of (``unscored``), a ground truth's tasks no file scores (``untabled``) and files of records asked with
    another task's tag (``clashed``)."""
    mods = sorted({m for s in scores for m in s.get("by_modality", {})})
    order = {t: i for i, t in enumerate(dict.fromkeys(s["task"] for s in scores))}  # the tasks as first given
    metrics, counts, runs, partial, defaults = [], [], [], {}, answer_defaults()
    tabled = {(s["task"], k) for s in scores for k in GT_COUNTS if s.get(k)}  # a task's GT_COUNTS rows tabled
    for s in scores:
        bym = s.get("by_modality", {})
        if why := partial_why(s):
            partial[s["_source"]] = why
        for k in s["headline"]:
            row = {"task": s["task"], "source": s["_source"], "metric": k, "all": s.get(k), "partial": bool(why)}
            row.update({m: bym.get(m, {}).get(k) for m in mods})
            metrics.append(row)
        for k in ("n_records", "n_missing", "n_unparseable", *common.PRED_FLAGS, *GT_COUNTS):
            if k not in s or (k in GT_COUNTS and (s["task"], k) not in tabled):  # older score files lack the flags
                continue
            row = {"task": s["task"], "source": s["_source"], "count": k, "all": s.get(k)}
            row.update({m: bym.get(m, {}).get(k) for m in mods})
            counts.append(row)
        said = run_row(s.get("run"), defaults, s.get("n_missing"))  # a --limit that left none of these unanswered: unsaid
        runs.append({"task": s["task"], "source": s["_source"], "pred": s.get("pred"), **said})
        if s.get("format") not in (None, "rsvlm"):  # another tool's answers (GeoChat's) said as such, not by path alone
            runs[-1]["options"] = f"--format {s['format']}" + ("" if runs[-1]["options"] == "-" else
                                                               f" {runs[-1]['options']}")
    for rows, key in ((metrics, "metric"), (counts, "count")):  # stable: files in the order given
        place = {}
        rows.sort(key=lambda r: (order[r["task"]], place.setdefault((r["task"], r[key]), len(place))))
    runs.sort(key=lambda r: order[r["task"]])
    retrained(runs, scores)
    return {"modalities": mods, "metrics": metrics, "counts": counts, "runs": runs, "partial": partial,
            "notes": apart(scores) + unscored(scores, folders or []) + untabled(scores) + clashed(scores)}


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


def run_row(run: dict | None, defaults: dict | None = None, missing: int | None = None) -> dict:
    """``{"model", "options"}`` as text for the table: the options that were set (not None, False,
    0, "none" or their ``defaults``: ``missing_bands=error`` was in every row), ``limit=N`` where a ``--limit``
    answered part of the set (not where the score file's ``missing``, its ``n_missing``, is 0: a complete run of 18
    records, stamped limit=18, looked limited), and the count of answers run.json does not vouch for."""
    if not run:
        return {"model": "not recorded", "options": "-"}
    opts = " ".join(f"{k}={v}" for k, v in (run.get("options") or {}).items()
                    if v not in (None, False, 0, "none") and (defaults or {}).get(k, ...) != v)
    if run.get("limit") is not None and missing != 0:  # the first N records alone: a partial run's scores
        opts += f" limit={run['limit']}"
    if isinstance(stopped := run.get("stopped"), dict):  # stopped early: its limit moved here, run's is null
        lim = stopped.get("limit")
        opts += f" ({stopped.get('why', 'stopped')}{f' under limit={lim}' if lim is not None else ''})"
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
    # the heading names the rows the table holds: the ground truth's left-out rows (n_gt_*) were tabled unnamed
    gt_rows = [w for k, w in zip(GT_COUNTS, ("unsized", "malformed or unscorable")) if k in {r["count"] for r in rep["counts"]}]
    head = "Records scored, missing, unparseable, failed, cut and past the context" if not gt_rows else (
        "Records scored, missing, unparseable, failed, cut, past the context, and ground-truth records left out "
        f"({' / '.join(gt_rows)})")
    return (MARKDOWN_HEAD + "\n\n## Metrics by task and modality\n\n" + m + f"\n\n## {head}\n\n" + c
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


def main(argv: list[str] | None = None) -> dict:
    ap = Parser(prog="python -m eval.report", description=(
        "Gather the score files of python -m eval.TASK (their --out JSON) into one markdown report: the headline "
        "metrics by task and modality, the records counted, and what answered each predictions file. --dir runA "
        "runB sets two runs' rows side by side and says where they do not compare (other ground truth, other "
        "settings, a task one run lacks); --out report.md writes report.json beside it. Exit status 2 on input it "
        "cannot read (docs/eval-report.md)."))
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--scores", nargs="+", type=Path, help="score JSON files")
    src.add_argument("--dir", nargs="+", type=Path,
                     help="a folder of score JSON files, or one for each run to compare (their rows side by side)")
    ap.add_argument("--out", help="write the markdown here and its .json beside it (default: printed only)")
    ap.usage = ap.format_usage().removeprefix("usage: ").strip()  # as a required group shows: (--scores … | --dir …)
    src.required = False  # checked after the parse: a folder given bare was "one of … is required", said before it
    args, extra = ap.parse_known_args(argv)  # --help, --scores=a.json: argparse's (a check before it broke both)
    if any(w.startswith("-") for w in extra):
        ap.error(f"unrecognized arguments: {' '.join(extra)}")  # parse_args' own error, with Parser's hints
    if extra:
        bare_words(ap, extra, sys.argv[1:] if argv is None else list(argv), args)
    if not (args.scores or args.dir):
        ap.error("one of the arguments --scores --dir is required")
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


def bare_words(ap: Parser, extra: list[str], words: list[str], args) -> None:
    """Usage error for the words of ``extra`` no option took (``eval.report runs/``): the option that takes them,
    ``--dir`` where the first is a folder; where a ``--scores=a.json`` or ``--dir=x`` took one value alone (``=`` gives
    one), or the words came after another option (``--dir a --out r.md b``), the words as that option's. Was "one of
    the arguments --scores --dir is required", as if none was given."""
    eq = next((w for w in words if w.split("=", 1)[0] in ("--scores", "--dir") and "=" in w), None)
    if eq:  # --scores=a.json b.json: argparse's --scores=a.json is a.json alone
        opt, first = eq.split("=", 1)
        ap.error(f"{extra[0]}: {eq} takes {first} alone (an = gives one value); give {opt} {first} "
                 f"{' '.join(extra)[:200]}")
    if given := args.scores or args.dir:  # not "give score files by --scores", which --dir given beside refuses
        opt = "--scores" if args.scores else "--dir"
        ap.error(f"{extra[0]}: no option takes it; give it after {opt} with the others: {opt} "
                 f"{' '.join(map(str, given + extra))[:200]}")
    ap.error(f"{extra[0]}: give {'a folder by --dir' if Path(extra[0]).is_dir() else 'score files by --scores'} "
             f"{' '.join(extra)[:200]} (no argument is taken without its option)")


if __name__ == "__main__":
    common.main_guard(main)
