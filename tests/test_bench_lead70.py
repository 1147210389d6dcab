"""Stop 70, bench round 2: one table writer for every bench (common.markdown_table), missing_bands's marks each
saying one thing, and tests loading bench scripts through script_loader.load_bench."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from script_loader import load_bench
from test_bench_args import bench_main
from test_bench_tour51 import sar_records

REPO = Path(__file__).resolve().parents[1]


def test_markdown_table_aligns_escapes_and_refuses_a_short_row(monkeypatch):
    common = load_bench("common", monkeypatch)
    assert common.markdown_table(["a", "b"], [["x", "1"]], align="lr").splitlines() == [
        "| a | b |", "|---|---:|", "| x | 1 |"]
    assert common.markdown_table(["path"], [["a|b"]]).splitlines()[-1] == "| a\\|b |"  # was: read as two cells
    with pytest.raises(ValueError, match=r"a row of 1 cells in a table of 2 columns: \['x'\]"):
        common.markdown_table(["a", "b"], [["x"]])


def test_every_bench_prints_its_tables_through_the_one_helper():
    """Thirteen scripts wrote their own '|---|' lines beside common.markdown_table (eval_start.py the last)."""
    rule = re.compile(r"\|\s*-{3}|-{3}:?\s*\|")  # '|---' and '--- |' (synth_throughput's ' --- |' pieces)
    own = [f"{p.relative_to(REPO)}:{i}" for p in sorted((REPO / "bench").rglob("*.py")) if p.name != "common.py"
           for i, line in enumerate(p.read_text().splitlines(), 1) if rule.search(line)]
    assert own == []


def test_missing_bands_marks_the_every_band_row_apart_from_a_missing_score(tmp_path, monkeypatch, capsys, ckpt):
    """The every-band row's fill was '–', the mark the note under the table explains as 'no score'; and the note
    spoke of hbb and obb, which no missing_bands column scores, and gave a command to run for the reason: it gives
    the scorer's reason now (eval.common.headline_results)."""
    data = sar_records(tmp_path, [["VV", "VH"], ["VV", "VH"]])
    bench_main("missing_bands", monkeypatch, ["--data", str(data), "--model", str(ckpt), "--max-new-tokens", "2"])
    out = capsys.readouterr().out
    rows = [[c.strip() for c in line.strip("|").split("|")] for line in out.splitlines() if line.startswith("| sar")]
    assert [r[2] for r in rows] == ["n/a (every band)", "copy", "mean", "copy", "mean"], rows
    assert all(r[5:] == ["–", "–", "–"] for r in rows), rows  # cls records only: count, vqa and ground unscored
    note = out[out.index("\n–: "):]
    assert "\n- vqa: eval.vqa refused the records: " in note and "no records of task vqa (found {'cls': 2})" in note
    assert "hbb" not in note and "obb" not in note


@pytest.mark.parametrize("args, says", [
    (["--baseline", "nosuchrev"], "--baseline nosuchrev: not a commit of"),  # was: git archive's traceback
    (["--repeats", "0"], "--repeats 0: give 1 or more"),  # was: an IndexError after exporting the baseline
    (["--model", "{tmp}/missing"], "--model {tmp}/missing: no such folder; give a checkpoint folder"),
])
def test_load_time_refuses_a_bad_option_before_any_load(tmp_path, monkeypatch, capsys, args, says):
    bench = load_bench("load_time", monkeypatch)
    monkeypatch.setattr(bench, "measure", lambda *a: pytest.fail("measured despite a bad option"))
    monkeypatch.setattr(bench, "export", lambda rev, into: into)
    with pytest.raises(SystemExit) as e:
        bench.main([a.format(tmp=tmp_path) for a in args])
    err = capsys.readouterr().err
    assert e.value.code == 2 and says.format(tmp=tmp_path) in err and "Traceback" not in err, err
