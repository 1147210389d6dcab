"""Review of tour 72's docs work (``--imports --baseline HEAD``, once taken and ignored, is now one case of
test_docs_tour72's refusal test): docs/benchmarks/load_time.md's
"Stop 72" table reads as the script writes it (its columns, each row's parts summing to its total, the ratio
over the baseline row)."""

from __future__ import annotations

import re
from pathlib import Path

from script_loader import load_bench

REPO = Path(__file__).resolve().parents[1]


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
