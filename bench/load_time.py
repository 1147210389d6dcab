"""Start-up of ``load_model`` (what ``rsvlm predict`` / ``chat`` / ``eval`` pay before the first answer): wall
seconds and peak RSS of a fresh process that imports rsvlm and loads a checkpoint, for this tree and, in the same
run, a baseline git revision (``--baseline``; its ``rsvlm/`` exported to a temporary folder).

    .venv/bin/python bench/load_time.py [--model DIR ...] [--baseline REV] [--repeats 3]
    .venv/bin/python bench/load_time.py --imports [--repeats 3]

``--model`` defaults to the bundled model; give a checkpoint with a large tower (a CLIP-L-sized hf_clip) to see what
building the vision side costs. Each figure is the best of ``--repeats`` processes (the baseline's and this tree's
taking turns, a bar on stderr counting them); torch, transformers and open_clip are imported before the clock starts
(``load``: wall seconds; ``cpu``: the process's CPU seconds, steadier on a shared machine).

``--imports`` measures instead where the import time of this tree's commands goes: ``python -X importtime`` in a
fresh process for ``rsvlm --help``, ``rsvlm predict --help`` and a whole ``rsvlm predict`` of the bundled sample,
its modules' own times summed by top-level package, against ``python -c "import torch"`` as the baseline. Each row
is the run of least total of ``--repeats``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from common import cpu_note, markdown_table, run_script

from eval.common import require_at_least_one
from rsvlm.argparsing import Parser
from rsvlm.progress import bar

ROOT = Path(__file__).resolve().parents[1]
CLI = "import sys; from rsvlm.cli import main; sys.argv[0] = 'rsvlm'; sys.exit(main())"
IMPORT_RUNS = {  # row label → the interpreter's arguments after -X importtime
    'python -c "import torch" (baseline)': ["-c", "import torch"],
    "rsvlm --help": ["-c", CLI, "--help"],
    "rsvlm predict --help": ["-c", CLI, "predict", "--help"],
    "rsvlm predict --image harbour_optical.png --task det": [
        "-c", CLI, "predict", "--image", str(ROOT / "rsvlm/assets/samples/harbour_optical.png"), "--task", "det"],
}
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


def import_ms(argv: list[str], repeats: int, done=None) -> dict[str, float]:
    """Milliseconds of import (``-X importtime``, each module's own time) by top-level package, and ``total``, of
    the least-total of ``repeats`` fresh processes running ``argv``; ``done()`` called after each process."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", "PYTHONWARNINGS": "ignore"}
    runs = []
    for _ in range(repeats):
        out = subprocess.run([sys.executable, "-X", "importtime", *argv], env=env, cwd=ROOT, capture_output=True,
                             text=True)
        if out.returncode:
            raise SystemExit(f"{' '.join(argv)} failed:\n{out.stderr[-2000:]}")
        ms: dict[str, float] = {}
        for line in out.stderr.splitlines():  # "import time: self [us] | cumulative | name", name indented
            if line.startswith("import time:") and line.split("|")[0].split(":")[1].strip().isdigit():
                own, _, name = line.split(":", 1)[1].split("|")
                top = name.strip().split(".")[0]
                ms[top] = ms.get(top, 0) + int(own) / 1e3
        runs.append({**ms, "total": sum(ms.values())})
        if done is not None:
            done()
    return min(runs, key=lambda r: r["total"])


def imports_table(repeats: int, columns: int = 8) -> str:
    """The import share of each of ``IMPORT_RUNS`` by package (the ``columns`` packages of most time in any row,
    rsvlm always; the rest in "other"), with its total over the baseline's (the first row's)."""
    # a bar over the processes: the run took minutes with nothing on the screen
    with bar(total=len(IMPORT_RUNS) * repeats, desc="imports", unit="process") as shown:
        found = {label: import_ms(argv, repeats, shown.update) for label, argv in IMPORT_RUNS.items()}
    names = {k for r in found.values() for k in r} - {"total"}
    top = sorted(names, key=lambda k: max(r.get(k, 0) for r in found.values()), reverse=True)[:columns]
    top += [] if "rsvlm" in top else ["rsvlm"]
    base = next(iter(found.values()))["total"]
    rows = [[label, f"{r['total']:.0f}", *(f"{r.get(k, 0):.0f}" for k in top),
             f"{r['total'] - sum(r.get(k, 0) for k in top):.0f}", f"{r['total'] / base:.2f}x"]
            for label, r in found.items()]
    return markdown_table(["command", "import ms", *(f"{k} ms" for k in top), "other ms", "total / import torch"],
                          rows)


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
    p.add_argument("--baseline", help="git revision to compare with (default HEAD)")
    p.add_argument("--repeats", type=int, default=3, help="processes per figure, the best kept (default 3)")
    p.add_argument("--imports", action="store_true",
                   help="where the commands' import time goes, by package, against \"import torch\" (no load)")
    a = p.parse_args(argv)
    require_at_least_one(p, a, ("repeats",))  # was: an IndexError traceback after exporting the baseline
    if a.imports and (a.model or a.baseline is not None):  # else measured nothing of what was asked, unsaid
        p.error("--imports times the commands' imports of this tree, not a load: leave out --model and --baseline")
    a.baseline = "HEAD" if a.baseline is None else a.baseline
    if a.imports:
        print(imports_table(a.repeats))
        return 0
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
    # one process at a time, the baseline's and this tree's taking turns (a busy spell weighs on both), under a bar:
    # the run took minutes with nothing on the screen
    with tempfile.TemporaryDirectory() as tmp, bar(total=2 * len(models) * a.repeats, desc="loads",
                                                   unit="process") as shown:
        base = export(a.baseline, Path(tmp))
        for model in models:
            runs = {base: [], ROOT: []}
            for _ in range(a.repeats):
                for src in runs:
                    runs[src].append(measure(src, model, 1))
                    shown.update()
            was, now = ({k: min(r[k] for r in runs[src]) for k in runs[src][0]} for src in (base, ROOT))
            name = model or "bundled"
            rows.append([name, a.baseline, f"{was['load']:.2f}", f"{was['cpu']:.2f}", f"{was['rss_mb']:.0f}", ""])
            rows.append([name, "working tree", f"{now['load']:.2f}", f"{now['cpu']:.2f}", f"{now['rss_mb']:.0f}",
                         f"{was['cpu'] / now['cpu']:.2f}x"])
    print(markdown_table(["model", "tree", "load s", "CPU s", "peak RSS MiB", "CPU ratio (baseline/now)"], rows))
    print(cpu_note("each child process loads the model on the CPU"))
    return 0


if __name__ == "__main__":
    sys.exit(run_script(main))
