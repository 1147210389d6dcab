"""Start-up of the scorers: ``eval.inputs.load_gt``'s reading of a ground-truth file as before stop 68 (the
baseline: every turn's shapes decoded, every record's) and as now (a text scorer's: none decoded; a geometry scorer's:
its own task's records' alone, and its check of their references, ``CHECKS``), in the same run.

    .venv/bin/python bench/eval_start.py [--gt TEST.jsonl] [--n 3200] [--repeats 3] [--out results.json]

Without ``--gt`` it writes a mixed synthetic set of ``--n`` records to a temporary folder, an eighth each of det (12
boxes), ground (1 box), count (points), seg (a polygon), change (a polygon on a pair), vqa, cls and cap, each about a
1000 px image. A scorer's records are those it keeps (``eval.change`` a change map's, ``eval.captioning`` a worded
change's). CPU seconds (``time.process_time``), best of ``--repeats``, after one untimed read of the file.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

from common import check_out, markdown_table, run_script, write_json

from eval import classification, vqa
from eval.answers import area_reference, region_reference
from eval.captioning import is_worded
from eval.change import is_change_map, map_reference
from eval.common import require_at_least_one
from eval.counting import reference_count
from eval.gt_skips import LineReport
from eval.inputs import ScoreError, load_gt
from rsvlm.argparsing import Parser
from rsvlm.data.records import RecordError, read_records
from rsvlm.progress import bar

# scorer -> (its tasks, whether it scores shapes, the records it keeps of them: None for all), as each eval.NAME calls
# common.run (tests/test_eval_tour70.py holds each scorer's call to this copy)
SCORERS = {"vqa": (("vqa",), False, None), "classification": (("cls",), False, None),
           "captioning": (("cap", "regcap", "change"), False, is_worded), "detection": (("det",), True, None),
           "grounding": (("ground",), True, None), "segmentation": (("seg",), True, None),
           "counting": (("count",), True, None), "change": (("change",), True, is_change_map)}
# scorer -> the reference check it passes load_gt (common.evaluate's default, foreign_reference, written out): was
# left out, the timed read skipping no normalisation or count of a reference (tests/test_eval_tour77b.py holds it)
CHECKS = {"vqa": vqa.reference_check, "classification": classification.reference_check, "captioning": None,
          "detection": area_reference, "grounding": area_reference, "segmentation": region_reference,
          "counting": reference_count, "change": map_reference}


def before(gt: Path, tasks: tuple[str, ...], keep=None) -> list[dict]:
    """What ``load_gt`` read before stop 68: every record, its shapes checked, then those of ``tasks`` (passing
    ``keep``) kept."""
    return [r for r in read_records(gt, strict=True) if r["task"] in tasks and (keep is None or keep(r))]


def read_now(gt: Path, tasks: tuple[str, ...], keep, shapes: bool, check) -> tuple[list[dict], int]:
    """``load_gt`` as the scorer reads ``gt`` (its ``check`` of the references): (its records kept, the count it
    skipped: an unscorable reference's record was left out of the row's count unsaid, the baseline reading it)."""
    report = LineReport(str(gt))  # the scorers' (eval.common.evaluate's)
    return load_gt(gt, tasks, keep, shapes, report=report, check=check)[0], report.n_skipped


def synthetic(n: int) -> list[dict]:
    """``n`` records, the tasks in turn (the module docstring's mix), shapes written by ``geometry.encode``."""
    from rsvlm.geometry import encode

    def box(i: int, k: int) -> dict:
        x, y = (37 * i + 61 * k) % 900, (53 * i + 29 * k) % 900
        return {"kind": "box", "coords": [x, y, x + 40 + k, y + 30 + k], "label": "ship"}

    answers = {
        "det": lambda i: encode([box(i, k) for k in range(12)], 1000, 1000),
        "ground": lambda i: encode([box(i, 0)], 1000, 1000),
        "count": lambda i: encode([{"kind": "point", "coords": [10 + 7 * k, 20 + 5 * k]} for k in range(6)], 1000,
                                  1000) + " 6",
        "seg": lambda i: encode([{"kind": "poly", "coords": [[100, 100], [300 + i % 50, 120], [280, 340], [90, 300]],
                                  "label": "building"}], 1000, 1000),
        "vqa": lambda i: "yes" if i % 2 else "no",
        "cls": lambda i: "harbor",
        "cap": lambda i: "Several ships are moored along the pier of a harbour.",
        "change": lambda i: encode([{"kind": "poly", "coords": [[200, 200], [320 + i % 40, 210], [300, 330], [190, 310]],
                                     "label": "building"}], 1000, 1000),
    }
    tasks = list(answers)
    out = []
    for i in range(n):
        task = tasks[i % len(tasks)]
        pair = task == "change"  # a before and an after image, a change map asked for
        out.append({"id": f"r{i}", "task": task,
                    "images": [{"path": f"img{i}{t}.png", "modality": "optical"} for t in (("_a", "_b") if pair else ("",))],
                    "conversations": [{"from": "human", "value": "<image>\n" * (1 + pair) + f"[{task}] What is shown?"},
                                      {"from": "gpt", "value": answers[task](i)}],
                    "meta": {"width": 1000, "height": 1000, **({"subtask": "change_seg_poly"} if pair else {})}})
    return out


def best(fn, repeats: int):
    """(the least CPU seconds of ``repeats`` calls of ``fn``, what the last call returned)."""
    times = []
    for _ in range(repeats):
        t = time.process_time()
        got = fn()
        times.append(time.process_time() - t)
    return min(times), got


def main(argv: list[str] | None = None) -> dict:
    p = Parser(prog="bench/eval_start.py", description=__doc__.split("\n\n")[0])
    p.add_argument("--gt", help="a ground-truth records file to read (default: a synthetic mixed set)")
    p.add_argument("--n", type=int, default=None, help="records of the synthetic set, refused with --gt (default 3200)")
    p.add_argument("--repeats", type=int, default=3, help="timed reads of each kind; the best is kept (default 3)")
    p.add_argument("--out", help="write the table's rows here as JSON")
    a = p.parse_args(argv)
    if a.gt and a.n is not None:  # was ignored: '--gt TEST.jsonl --n 100' read the whole file, its table unsaid of it
        p.error(f"--n {a.n}: the synthetic set's size, and --gt {a.gt} is read whole; leave one of them out")
    a.n = 3200 if a.n is None else a.n
    require_at_least_one(p, a, ("n", "repeats"))
    check_out(p, a.out, {"gt": a.gt})  # the benches' rule: `-` refused (was a file named -), stdout holds the table
    if a.gt and not Path(a.gt).is_file():
        p.error(f"--gt {a.gt}: no such file")
    with tempfile.TemporaryDirectory() as tmp:
        gt = Path(a.gt) if a.gt else Path(tmp) / "gt.jsonl"
        if not a.gt:
            gt.write_text("".join(json.dumps(r) + "\n" for r in synthetic(a.n)))
        try:  # untimed: imports, the file in the page cache; a file that is no records set said in one line
            if not load_gt(gt, ("vqa",))[2]:  # was a table of 0-record rows, as if timed
                p.error(f"--gt {a.gt}: no record in it; give a ground-truth records file (or no --gt)")
            before(gt, ())  # the baseline's check of every record's shapes: a bad one was a traceback in the first row
        except (ScoreError, RecordError) as e:  # predictions given as --gt, a malformed line: was a traceback
            p.error(f"--gt {a.gt}: {e}" if str(a.gt) not in str(e) else str(e))
        rows = []
        for name, (tasks, shapes, keep) in bar(SCORERS.items(), desc="reads", unit="scorer"):  # half a minute, unsaid
            then, _ = best(lambda tasks=tasks, keep=keep: before(gt, tasks, keep), a.repeats)
            try:  # half a task's references unscorable (a GeoChat det set): the scorer's refusal, not a traceback
                now, (kept, skipped) = best(lambda tasks=tasks, shapes=shapes, keep=keep, check=CHECKS[name]: read_now(
                    gt, tasks, keep, shapes, check), a.repeats)
            except ScoreError as e:
                p.error(f"--gt {a.gt}: python -m eval.{name} would refuse it: {e}")
            rows.append({"scorer": f"python -m eval.{name}", "records": len(kept), "skipped": skipped,
                         "baseline_s": round(then, 3), "now_s": round(now, 3),
                         "ratio": round(now / then, 2) if then else None})
    print(f"load_gt of {a.gt or f'a synthetic set of {a.n} records'}, CPU s, best of {a.repeats}")
    print(markdown_table(["scorer (its records)", "every record's shapes decoded (baseline) s", "now s", "now / baseline"],
                         [[f"`{r['scorer']}` ({r['records']:,}" + (f", {r['skipped']:,} skipped" if r["skipped"] else "")
                           + ")", f"{r['baseline_s']:.3f}", f"{r['now_s']:.3f}",
                           "–" if r["ratio"] is None else f"{r['ratio']:.2f}"] for r in rows]))  # was 0.6 beside 0.84
    if a.out:
        write_json(a.out, rows)  # whole: a temp file and a rename, as every bench's
    return {"rows": rows}


if __name__ == "__main__":
    sys.exit(run_script(main))  # Ctrl-C: one line and 130, as every bench (was a KeyboardInterrupt traceback)
