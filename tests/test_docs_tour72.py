"""Tour 72's walk through README.md as a new user runs it: an option the README names that takes several values
is written so (``eval.report --dir DIR [DIR …]``: it said ``--dir DIR``, and a user comparing two runs did not
know to give both), and bench/load_time.py's ``--imports`` table of where a command's import time goes."""

from __future__ import annotations

import contextlib
import importlib
import io
import re
import subprocess
from pathlib import Path

import pytest
from script_loader import load_bench

REPO = Path(__file__).resolve().parents[1]


def _usage(module: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit):
        importlib.import_module(module).main(["--help"])
    return out.getvalue()


def test_every_readme_option_of_several_values_is_written_with_an_ellipsis():
    """``python -m eval.X`` lines of the README's command-line block: an option whose usage reads ``--opt X [X ...]``
    is followed, before the next option, by ``…``."""
    block = (REPO / "README.md").read_text().split("## Command line", 1)[1].split("```")[1]
    checked, wrong = [], []
    for line in block.splitlines():
        m = re.match(r"python -m (eval\.\w+) (.*)", line)
        if not m or m.group(1) == "eval.TASK":
            continue
        several = set(re.findall(r"(--[a-z][\w-]*) (\w+) \[\2 \.\.\.\]", " ".join(_usage(m.group(1)).split())))
        for opt, _ in several:
            said = re.search(rf"{opt} ([^-]*)", m.group(2))
            checked.append(opt)
            if said and "…" not in said.group(1):
                wrong.append(f"{m.group(1)} {opt}: README writes '{opt} {said.group(1).strip()}'")
    assert "--dir" in checked and "--scores" in checked, checked
    assert not wrong, wrong


IMPORTTIME = """import time: self [us] | cumulative | imported package
import time:      1000 |       1000 | torch._C
import time:      3000 |       4000 | torch
import time:       500 |        500 |   rsvlm.cli
import time:       250 |        250 | json
"""


def test_load_time_imports_sums_each_packages_own_time_and_divides_by_import_torch(monkeypatch, capsys):
    bench = load_bench("load_time", monkeypatch)
    calls = []

    def run(argv, **kw):
        calls.append(argv)
        err = IMPORTTIME if "import torch" in argv else IMPORTTIME.replace("3000 |", "9000 |")
        return subprocess.CompletedProcess(argv, 0, "", err)

    monkeypatch.setattr(bench.subprocess, "run", run)
    assert bench.import_ms(["-c", "import torch"], 1) == {"torch": 4.0, "rsvlm": 0.5, "json": 0.25, "total": 4.75}
    assert bench.main(["--imports", "--repeats", "2"]) == 0
    rows = {r[0]: r[1:] for r in ([c.strip() for c in line.strip("|").split("|")]
                                  for line in capsys.readouterr().out.splitlines()[2:])}
    assert rows['python -c "import torch" (baseline)'][0] == "5" and rows["rsvlm --help"][0] == "11"
    assert rows["rsvlm --help"][-1] == f"{10.75 / 4.75:.2f}x"
    assert all(c[1:3] == ["-X", "importtime"] for c in calls) and len(calls) == 1 + 2 * len(bench.IMPORT_RUNS)


def test_load_time_imports_runs_the_commands_it_names(monkeypatch):
    """``rsvlm --help`` through the CLI's ``main``, as the console script calls it: no torch."""
    bench = load_bench("load_time", monkeypatch)
    found = bench.import_ms(bench.IMPORT_RUNS["rsvlm --help"], 1)
    assert found.get("rsvlm", 0) > 0 and "torch" not in found


@pytest.mark.parametrize("extra", [["--model", "x"], ["--baseline", "HEAD~1"], ["--baseline", "HEAD"],
                                   ["--baseline", ""]])  # any --baseline given, HEAD and "" too
def test_load_time_imports_refuses_the_load_options_it_would_ignore(monkeypatch, capsys, extra):
    bench = load_bench("load_time", monkeypatch)
    monkeypatch.setattr(bench, "import_ms", lambda *a: pytest.fail("measured despite a refused option"))
    with pytest.raises(SystemExit) as e:
        bench.main(["--imports", *extra])
    assert e.value.code == 2 and "leave out --model and --baseline" in capsys.readouterr().err
