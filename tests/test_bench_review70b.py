"""Review of stop 70's bench round 2: markdown_table refuses an align it cannot follow, eval_start prints through
it too, load_bench undoes what it sets, and the det records the bench tests share."""

from __future__ import annotations

import json
import sys

import pytest
from bench_helpers import det_records
from script_loader import REPO, load_bench


def test_markdown_table_refuses_an_align_it_cannot_follow(monkeypatch):
    """Was: a separator cell per letter (three under two columns) and any letter but 'r' taken as left."""
    common = load_bench("common", monkeypatch)
    for align in ("lrr", "lc"):
        with pytest.raises(ValueError, match=f"align '{align}': one letter a column, l or r, for a table of 2 columns"):
            common.markdown_table(["a", "b"], [["x", "1"]], align=align)
    assert common.markdown_table(["a", "b"], [], align="r").splitlines() == ["| a | b |", "|---:|---|"]


def test_eval_start_prints_its_table_through_the_shared_writer(tmp_path, monkeypatch, capsys):
    """bench/eval_start.py wrote its own '|---|' line, the last bench to (same text now)."""
    bench = load_bench("eval_start", monkeypatch, module="eval_start")
    written = []
    monkeypatch.setattr(bench, "markdown_table", lambda head, rows: written.append(head) or
                        load_bench("common", monkeypatch).markdown_table(head, rows))
    bench.main(["--n", "8", "--repeats", "1"])
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("|")]
    assert written and lines[:2] == ["| scorer (its records) | every record's shapes decoded (baseline) s | now s | "
                                     "now / baseline |", "|---|---|---|---|"]
    assert len(lines) == 10 and lines[2].startswith("| `python -m eval.vqa` (1) | "), lines


def test_load_bench_undoes_its_path_and_module_after_the_test():
    path = list(sys.path)
    with pytest.MonkeyPatch.context() as mp:
        mod = load_bench("common", mp, module="bench_common_review70b")
        assert sys.modules["bench_common_review70b"] is mod and sys.path[0] == str(REPO / "bench")
    assert "bench_common_review70b" not in sys.modules and sys.path == path


@pytest.mark.parametrize("sizes", [True, False])
def test_det_records_asks_for_ships_with_or_without_image_sizes(tmp_path, sizes):
    recs = [json.loads(line) for line in det_records(tmp_path, sizes=sizes).read_text().splitlines()]
    assert len(recs) == 4 and {r["task"] for r in recs} == {"det"}
    assert all(r["conversations"][0]["value"] == "<image>\n[det] Detect every ship." and
               r["conversations"][1]["value"].startswith("<ref>ship</ref><box>") for r in recs), recs
    assert all(("width" in r.get("meta", {})) is sizes and ("height" in r.get("meta", {})) is sizes for r in recs)
