"""Start-up of ``load_model`` (what ``rsvlm predict`` / ``chat`` / ``eval`` pay before the first answer): wall
seconds and peak RSS of a fresh process that imports rsvlm and loads a checkpoint, for this tree and, in the same
run, a baseline git revision (``--baseline``; its ``rsvlm/`` exported to a temporary folder).

    .venv/bin/python bench/load_time.py [--model DIR ...] [--baseline REV] [--repeats 3]

``--model`` defaults to the bundled model; give a checkpoint with a large tower (a CLIP-L-sized hf_clip) to see what
building the vision side costs. Each figure is the best of ``--repeats`` processes; torch, transformers and
open_clip are imported before the clock starts (``load``: wall seconds; ``cpu``: the process's CPU seconds, steadier
on a shared machine).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from common import markdown_table

from eval.common import require_at_least_one
from rsvlm.argparsing import Parser

ROOT = Path(__file__).resolve().parents[1]
CHILD = """
import json, resource, sys, time
import torch, transformers, transformers.models.llama, open_clip  # the imports any load pays, untimed
from rsvlm.loading import load_model
t0, c0 = time.perf_counter(), time.process_time()
load_model(sys.argv[1] or None, device="cpu")
t1, c1 = time.perf_counter(), time.process_time()
print(json.dumps({"load": t1 - t0, "cpu": c1 - c0, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def measure(src: Path, model: str, repeats: int) -> dict:
    """Best ``load`` and ``cpu`` seconds and least peak RSS (MiB) over ``repeats`` processes run with ``src`` first
    on the path."""
    env = {**os.environ, "PYTHONPATH": str(src), "HF_HUB_OFFLINE": "1", "PYTHONWARNINGS": "ignore"}
    runs = []
    for _ in range(repeats):
        out = subprocess.run([sys.executable, "-c", CHILD, model], env=env, cwd=src, capture_output=True, text=True)
        if out.returncode:
            raise SystemExit(f"load of {model or 'the bundled model'} from {src} failed:\n{out.stderr[-2000:]}")
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return {k: min(r[k] for r in runs) for k in runs[0]}


def export(rev: str, into: Path) -> Path:
    """``rev``'s ``rsvlm/`` (and its bundled model) written below ``into``."""
    archive = into / "rev.tar"
    subprocess.run(["git", "-C", str(ROOT), "archive", "-o", str(archive), rev, "rsvlm"], check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")
    return into


def main(argv: list[str] | None = None) -> int:
    p = Parser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", action="append", default=None, help="checkpoint folder (repeatable; default: the bundled one)")
    p.add_argument("--baseline", default="HEAD", help="git revision to compare with (default HEAD)")
    p.add_argument("--repeats", type=int, default=3, help="processes per figure, the best kept (default 3)")
    a = p.parse_args(argv)
    require_at_least_one(p, a, ("repeats",))  # was: an IndexError traceback after exporting the baseline
    for m in a.model or []:  # was: each child's traceback, after the baseline's export
        if m and not Path(m).is_dir():
            p.error(f"--model {m}: {'a file' if Path(m).is_file() else 'no such folder'}; give a checkpoint folder "
                    "(\"\" for the bundled model)")
    if subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--verify", "--quiet", f"{a.baseline}^{{commit}}"],
                      capture_output=True).returncode:  # was: git archive's CalledProcessError traceback
        p.error(f"--baseline {a.baseline}: not a commit of {ROOT}; give a revision git knows (HEAD~1, a hash, a tag)")
    # the processes run in the tree measured (cwd): a relative DIR was looked for there, not where it was given
    models = [str(Path(m).resolve()) if m else "" for m in (a.model or [""])]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        base = export(a.baseline, Path(tmp))
        for model in models:
            was, now = measure(base, model, a.repeats), measure(ROOT, model, a.repeats)
            name = model or "bundled"
            rows.append([name, a.baseline, f"{was['load']:.2f}", f"{was['cpu']:.2f}", f"{was['rss_mb']:.0f}", ""])
            rows.append([name, "working tree", f"{now['load']:.2f}", f"{now['cpu']:.2f}", f"{now['rss_mb']:.0f}",
                         f"{was['cpu'] / now['cpu']:.2f}x"])
    print(markdown_table(["model", "tree", "load s", "CPU s", "peak RSS MiB", "CPU ratio (baseline/now)"], rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
