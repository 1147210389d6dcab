"""Review of tour 72's docs work: bench/load_time.py ``--imports`` refused ``--baseline REV`` unless REV differed
from the default's spelling (``--baseline HEAD`` was taken and ignored), and docs/benchmarks/load_time.md's
"Stop 72" table reads as the script writes it (its columns, each row's parts summing to its total, the ratio
over the baseline row)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from script_loader import load_bench

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("extra", [["--baseline", "HEAD"], ["--baseline", ""]])
def test_load_time_imports_refuses_any_baseline_given(monkeypatch, capsys, extra):
    bench = load_bench("load_time", monkeypatch)
    monkeypatch.setattr(bench, "import_ms", lambda *a: pytest.fail("measured despite --baseline"))
    with pytest.raises(SystemExit) as e:
        bench.main(["--imports", *extra])
    assert e.value.code == 2 and "leave out --model and --baseline" in capsys.readouterr().err


def test_load_time_stop72_table_matches_the_scripts_columns_and_adds_up(monkeypatch):
    page = (REPO / "docs/benchmarks/load_time.md").read_text()
    section = page.split("## Stop 72", 1)[1].split("\n## ", 1)[0]
    lines = [ln for ln in section.splitlines() if ln.startswith("|")]
    head = [c.strip() for c in lines[0].strip("|").split("|")]
    assert head[:2] == ["command", "import ms"] and head[-2:] == ["other ms", "total / import torch"], head
    assert all(c.endswith(" ms") for c in head[2:-1]) and "rsvlm ms" in head, head
    rows = [[c.strip() for c in ln.strip("|").split("|")] for ln in lines[2:]]
    bench = load_bench("load_time", monkeypatch)
    assert [r[0] for r in rows] == list(bench.IMPORT_RUNS), "row labels as the script writes them"
    base = float(rows[0][1])
    for r in rows:
        total, parts = float(r[1]), [float(c) for c in r[2:-1]]
        assert abs(sum(parts) - total) <= len(parts), r  # each cell rounded to the ms
        assert re.fullmatch(r"\d+\.\d\dx", r[-1]) and abs(float(r[-1][:-1]) - total / base) <= 0.005, r
