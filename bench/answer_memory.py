"""Time and peak memory of ``rsvlm eval``'s reading of its predictions file and rank parts (``rsvlm.predictions``):
``check_out`` (``--out`` checked before the model loads), ``answered_ids``, ``resume_state`` (with its rewrite of the
part, as a resume does where 1 % of the rows are error rows answered again) and ``merge_answers``, on one file of
``--lines`` rows and on the ``--ranks`` parts of a run of as many records; and the scorers' reader of it,
``eval.inputs.load_predictions``, on the file plain and gzip-compressed. Each case runs in a fresh process, once
with this checkout's ``rsvlm`` and ``eval`` and once with ``--baseline DIR``'s (a tree holding earlier ones, e.g.
``mkdir -p DIR && git archive COMMIT rsvlm eval | tar -x -C DIR``), and prints a table with the ratios.

    OMP_NUM_THREADS=1 .venv/bin/python bench/answer_memory.py --baseline /tmp/old [--lines 200000] [--ranks 4] [--repeats 3] [--cases load_predictions] [--out results.json]

Peak: the process's peak resident memory (``VmHWM``, reset through ``/proc/self/clear_refs`` just before the call)
above its resident memory then, the records already built. CPU seconds of the call alone (wall in ``--out``). Best of ``--repeats``
of each, the two trees' runs in turn. Linux only.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from common import check_out, markdown_table, run_script, write_json

from rsvlm.argparsing import Parser

REPO = Path(__file__).resolve().parents[1]
CASES = ("check_out", "answered_ids", "resume_state", "merge_answers", "load_predictions")


def records(n: int) -> list[dict]:
    """``n`` vqa records of one image each (none on disk: an error row's inputs digest names it missing)."""
    return [{"id": f"r{i:07d}", "task": "vqa", "images": [{"path": f"img/{i}.png", "modality": "optical"}],
             "conversations": [{"from": "human", "value": f"<image>\nIs there a ship near pier {i}?"},
                               {"from": "gpt", "value": "yes" if i % 2 else "no"}]} for i in range(n)]


def write_files(folder: Path, n: int, ranks: int) -> None:
    """``records.jsonl``; ``one/p.jsonl``, every record's row; ``ranks/p.jsonl.rankR``, each rank's rows (record i
    is rank i % ranks's). A row is about 340 bytes; every 100th an error row without an inputs digest."""
    from rsvlm.predictions import asked_digest

    recs = records(n)
    (folder / "records.jsonl").write_text("".join(json.dumps(r) + "\n" for r in recs))

    def row(i: int, r: dict) -> str:
        if i % 100 == 99:
            return json.dumps({"id": r["id"], "task": "vqa", "answer": "", "error": "image file not found: img/x.png"})
        return json.dumps({"id": r["id"], "task": "vqa", "asked_digest": asked_digest(r),
                           "answer": f"Yes, a ship is moored at pier {i}; " + "it lies along the quay. " * 8})

    (folder / "one").mkdir()
    (folder / "one" / "p.jsonl").write_text(text := "".join(row(i, r) + "\n" for i, r in enumerate(recs)))
    (folder / "gz").mkdir()
    (folder / "gz" / "p.jsonl").write_bytes(gzip.compress(text.encode(), 6))
    (folder / "ranks").mkdir()
    for k in range(ranks):
        (folder / "ranks" / f"p.jsonl.rank{k}").write_text(
            "".join(row(i, r) + "\n" for i, r in enumerate(recs) if i % ranks == k))


def measure(case: str, folder: Path, n: int, ranks: int) -> dict:
    """Run ``case`` in this process (``--case``) on a fresh copy of its files; its wall seconds and peak MiB
    (``load_predictions`` with ``ranks`` 0: of the gzip-compressed file)."""
    import shutil
    import time

    from rsvlm import predictions as P

    work = Path(tempfile.mkdtemp(dir=folder))
    from eval.inputs import load_predictions

    src = folder / ("ranks" if case == "merge_answers" or ranks > 1 and case == "resume_state" else
                    "gz" if case == "load_predictions" and ranks == 0 else "one")
    for f in src.iterdir():
        shutil.copy(f, work / f.name)
    out, recs = work / "p.jsonl", records(n)
    by_id = {r["id"]: r for i, r in enumerate(recs) if i % max(ranks, 1) == 0}  # this rank's, as rsvlm eval passes them
    calls = {"check_out": lambda: P.check_out(folder / "records.jsonl", out, (recs, None)),
             "answered_ids": lambda: P.answered_ids(out),
             "resume_state": lambda: P.resume_state(*((work / "p.jsonl.rank0", sorted(work.glob("p.jsonl.rank[1-9]*")))
                                                      if ranks > 1 else (out, [])), by_id, work),
             "merge_answers": lambda: P.merge_answers(recs, n, out, ranks, work),
             "load_predictions": lambda: load_predictions(out)}
    Path("/proc/self/clear_refs").write_text("5")  # VmHWM := VmRSS
    before = _status("VmRSS")
    t, cpu = time.perf_counter(), time.process_time()
    calls[case]()
    return {"cpu_s": time.process_time() - cpu, "wall_s": time.perf_counter() - t,
            "peak_mib": (_status("VmHWM") - before) / 1024}


def _status(key: str) -> int:
    """``key``'s kB in /proc/self/status."""
    line = next(x for x in Path("/proc/self/status").read_text().splitlines() if x.startswith(key + ":"))
    return int(line.split()[1])


def run(case: str, folder: Path, n: int, ranks: int, tree: Path) -> dict:
    """``measure`` in a fresh process whose ``rsvlm`` is ``tree``'s."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tree), str(REPO), str(REPO / "bench")])}
    cmd = [sys.executable, __file__, "--case", case, "--folder", str(folder), "--lines", str(n), "--ranks", str(ranks)]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"{case} with {tree}'s rsvlm failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.splitlines()[-1])


def _ratio(now: dict, old: dict | None, key: str) -> str:
    return f"{now[key] / old[key]:.2f}×" if old and old[key] > 0 else "–"


def main(argv: list[str] | None = None) -> int:
    ap = Parser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--baseline", type=Path, help="a folder holding an earlier rsvlm/ to compare with")
    ap.add_argument("--lines", type=int, default=200_000, help="records, rows of the one file (default 200000)")
    ap.add_argument("--ranks", type=int, default=4, help="rank parts of the run (default 4)")
    ap.add_argument("--repeats", type=int, default=3, help="runs of each case, best kept (default 3)")
    ap.add_argument("--cases", default=",".join(CASES), help="the calls to measure, comma-separated (default: all)")
    ap.add_argument("--out", help="write the figures here as JSON")
    ap.add_argument("--case", choices=CASES, help="(internal) measure one case in this process")
    ap.add_argument("--folder", type=Path, help="(internal) the files --case reads")
    args = ap.parse_args(argv)
    if args.case:
        print(json.dumps(measure(args.case, args.folder, args.lines, args.ranks)))
        return 0
    # imported here: a --case child imports this file with --baseline's eval/, which may lack it
    from eval.common import require_at_least_one

    require_at_least_one(ap, args, ("lines", "ranks", "repeats"))  # --repeats 0: an IndexError after the files
    check_out(ap, args.out)  # was none: 'r/' wrote a file named r, a missing folder a traceback after the runs
    # else this checkout's rsvlm (eval, for load_predictions) was imported for it and every ratio read about 1.00x
    lacks = [pkg for pkg in ("rsvlm", "eval") if args.baseline and (pkg == "rsvlm" or "load_predictions" in args.cases)
             and not (args.baseline / pkg / "__init__.py").is_file()]
    if lacks:
        what = f"no {' or '.join(f'{pkg}/' for pkg in lacks)} in it" if args.baseline.is_dir() else "no such folder"
        ap.error(f"--baseline {args.baseline}: {what} (make one: mkdir -p {args.baseline} && "
                 f"git archive COMMIT rsvlm eval | tar -x -C {args.baseline})")
    if unknown := set(args.cases.split(",")) - set(CASES):
        ap.error(f"--cases: no such call {', '.join(sorted(unknown))} (the calls: {', '.join(CASES)})")
    rows, figures = [], []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_files(folder, args.lines, args.ranks)
        size = sum(f.stat().st_size for f in (folder / "one").iterdir()) / 2**20
        for case in (c for c in CASES if c in args.cases.split(",")):
            for ranks in ((1, args.ranks) if case in ("resume_state", "merge_answers") else (1, 0)
                          if case == "load_predictions" else (1,)):
                if case == "merge_answers" and ranks == 1:
                    continue
                runs = [(run(case, folder, args.lines, ranks, REPO),
                         run(case, folder, args.lines, ranks, args.baseline) if args.baseline else None)
                        for _ in range(args.repeats)]  # in turn: a load from others' runs falls on both
                now = {k: min(r[0][k] for r in runs) for k in runs[0][0]}
                old = {k: min(r[1][k] for r in runs) for k in runs[0][0]} if args.baseline else None
                where = f"{ranks} rank parts" if ranks > 1 else "one file, gzip" if ranks == 0 else "one file"
                figures.append({"case": case, "files": where, "now": now, "baseline": old})
                rows.append([case, where, f"{old['cpu_s']:.2f}" if old else "–", f"{now['cpu_s']:.2f}",
                             _ratio(now, old, "cpu_s"), f"{old['peak_mib']:.0f}" if old else "–",
                             f"{now['peak_mib']:.0f}", _ratio(now, old, "peak_mib")])
    print(f"{args.lines:,} rows, {size:.0f} MB ({args.ranks} rank parts of the same rows)")
    print(markdown_table(["call", "files", "before CPU s", "after CPU s", "CPU", "before peak MiB", "after peak MiB", "peak"],
                         rows, "llrrrrrr"))
    if not args.baseline:
        print("\n–: no --baseline DIR given, a tree with an earlier rsvlm/ and eval/ to measure against "
              "(mkdir -p DIR && git archive COMMIT rsvlm eval | tar -x -C DIR)")
    if args.out:
        write_json(args.out, {"lines": args.lines, "ranks": args.ranks, "figures": figures})
    return 0


if __name__ == "__main__":
    sys.exit(run_script(main))
