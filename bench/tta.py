"""Test-time augmentation: time and scores of ``rsvlm eval --tta MODE`` (every mode of ``rsvlm.tta.MODES``) against a plain pass.

    OMP_NUM_THREADS=2 .venv/bin/python bench/tta.py --data TEST.jsonl [--model DIR] [--limit N]

Each mode answers the same records (the localisation tasks of a test set: ground, det, seg,
change) with the same model, one after the other in this process, and is scored with the eval
scripts. Prints wall and host CPU seconds per record (after an untimed warm-up batch; the model is on the CPU, a
CUDA device or not, and a GPU's time would be in no column), their ratios to the plain pass
(the CPU one moves less where other jobs load the machine: flip 5.9-6.1x CPU against 5.9-7.6x wall, stop 78),
each task's headline score, and how many answers reached ``--max-new-tokens`` (scored as written);
progress goes to stderr. The records and each pass's predictions go to a temporary folder, removed at
the end (stderr says so); ``--keep DIR`` keeps them.
The model defaults to the bundled one; the data must be a test set with references (e.g. the one
the build writes, runs/default_model/data/test/test.jsonl).
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from pathlib import Path

from common import (
    absolute_paths,
    check_keep,
    cpu_note,
    cut_answers,
    every_or_count,
    fmt,
    keep_option,
    markdown_table,
    model_options,
    no_score,
    no_score_note,
    run_script,
    skipped_note,
    warm_up,
    work_dir,
)

from eval import change, common, detection, grounding, segmentation
from rsvlm import evaluate, inference
from rsvlm.argparsing import Parser
from rsvlm.data.records import RecordError, read_records
from rsvlm.tta import MODES, FuseConfig

SCORERS = {"ground": (grounding, "acc50"), "det": (detection, "mAP50"), "det obb": (detection, "mAP50_obb"),
           "seg": (segmentation, "mIoU"), "change": (change, "IoU_change")}


def localisation_subset(data: Path, dest: Path, limit: int | None) -> tuple[Counter, int]:
    """The first ``limit`` (None: every one) ground/det/seg/change records of ``data`` (image paths made absolute)
    into ``dest``; how many of each task were taken, and how many ``data`` holds."""
    rows, tasks = [], []
    for rec in read_records(data):  # a bad line is a RecordError naming it; blank lines are skipped
        if rec["task"] not in ("ground", "det", "seg", "change"):
            continue
        absolute_paths(rec, data.parent)
        rows.append(json.dumps(rec))
        tasks.append(rec["task"])
    rows = rows[:limit] if limit else rows
    dest.write_text("\n".join(rows) + "\n")
    return Counter(tasks[: len(rows)]), len(tasks)


def scores(gt: Path, pred: Path) -> dict[str, common.Headline]:
    return common.headline_results(gt, pred, SCORERS)


def main() -> None:
    ap = Parser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, required=True,
                    help="a test set's records with references (JSONL); its ground, det, seg and change records "
                         "are answered")
    ap.add_argument("--limit", type=every_or_count, default=8,
                    help="only the first N localisation records (default 8: the five passes, 30 views a record, end in "
                         "about 2.5 min on 2 loaded cores; 'all': every one)")
    model_options(ap)
    keep_option(ap)
    a = ap.parse_args()
    common.check_model_args(ap, a)
    check_keep(ap, a.keep)
    with work_dir(a.keep, "tta") as tmp:
        gt = tmp / "loc.jsonl"
        try:
            per_task, held = localisation_subset(a.data, gt, a.limit)
            n = per_task.total()
        except RecordError as e:
            ap.error(f"--data: {e}")
        if not n:  # else a ZeroDivisionError after the first pass
            ap.error(f"--data {a.data}: no ground, det, seg or change record")
        model, processor = inference.load_model(a.model, "cpu")
        warm_up(model, processor, gt, tmp / "warm.jsonl", a.batch_size, a.max_new_tokens)  # else in plain's time
        rows = []
        for i, mode in enumerate(("none", *MODES), 1):
            pred = tmp / f"{mode}.jsonl"
            print(f"tta: pass {i} of {len(MODES) + 1}, --tta {mode}", file=sys.stderr)  # its bar follows
            t, cpu = time.perf_counter(), time.process_time()
            evaluate.run(model, processor, gt, pred, a.batch_size, a.max_new_tokens, progress=True,
                         tta=None if mode == "none" else FuseConfig(views=MODES[mode]))
            rows.append((mode, ((time.perf_counter() - t) / n, (time.process_time() - cpu) / n), scores(gt, pred),
                         cut_answers(pred)))
    (base, base_cpu) = rows[0][1]
    print(f"{n}{f' (the first, --limit; of {held})' if n < held else ''} localisation records of {a.data} ("
          + ", ".join(f"{k} {per_task[k]}" for k in ("det", "ground", "seg", "change") if per_task[k]) + ")\n")
    # CPU beside wall: on a shared machine others' load moved the wall ratio (flip 10.5x one run, 4.4x the next)
    print(markdown_table(["--tta", "s / record", "× plain", "CPU s / record", "× plain CPU", *SCORERS,
                          "cut at --max-new-tokens"],
                         [[mode, f"{sec:.3f}", f"{sec / base:.2f}", f"{cpu:.3f}", f"{cpu / base_cpu:.2f}",
                           *(fmt(sc[k].score) for k in SCORERS), str(cut)] for mode, (sec, cpu), sc, cut in rows]))
    print(cpu_note())
    dashes = [(mode, k, why) for mode, _, sc, _ in rows for k, h in sc.items() if (why := no_score(h))]
    if dashes:  # was: '–' said nothing, then only the command that says why
        print("\n" + no_score_note(dashes, {row[0] for row in rows}))
    if skipped := skipped_note([(k, h) for _, _, sc, _ in rows for k, h in sc.items()]):
        print("\n" + skipped)


if __name__ == "__main__":
    sys.exit(run_script(main))
