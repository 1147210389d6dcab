"""Stop 80 (P6): chat_latency's bar counts the turns of the runs --budget let through, and det_decoding's --limit
takes 'all' as bench/tta.py's does."""

from __future__ import annotations

import json

import pytest
from bench_helpers import det_records
from script_loader import load_bench
from test_bench_args import bench_main
from test_bench_tour56 import TINY


def test_chat_latency_bar_counts_only_the_runs_the_budget_let_through(monkeypatch, capsys):
    # one run of 3 (2 turns each) fit: the log's last bar line read "33% 2/6"
    bench_main("chat_latency", monkeypatch, ["--turns", "2", "--new-tokens", "2", "--repeat", "3",
                                             "--budget", "0.000001", *TINY])
    bars = [ln for ln in capsys.readouterr().err.splitlines() if ln.startswith("chat_latency turns:")]
    assert bars and "100% 2/2 " in bars[-1] and "/6" not in bars[-1], bars


def test_chat_latency_bar_counts_every_run_without_a_cut(monkeypatch, capsys):
    bench_main("chat_latency", monkeypatch, ["--turns", "2", "--new-tokens", "2", "--repeat", "2", "--budget", "0",
                                             *TINY])
    bars = [ln for ln in capsys.readouterr().err.splitlines() if ln.startswith("chat_latency turns:")]
    assert bars and "100% 4/4 " in bars[-1], bars


def test_det_decoding_limit_reads_all_or_a_count(monkeypatch):
    """One reading in bench/common.py for tta's and det_decoding's --limit (det_decoding held a copy of tta's)."""
    common = load_bench("common", monkeypatch)
    assert common.every_or_count("all") is None and common.every_or_count(" ALL ", "det records") is None
    assert common.every_or_count("3") == 3
    for name in ("det_decoding", "tta"):  # imported from bench/common.py, not a copy of its own
        assert load_bench(name, monkeypatch).every_or_count.__module__ == "common", name


@pytest.mark.parametrize("value", ["0", "-2", "x", "1.5", ""])
def test_det_decoding_refuses_a_limit_that_is_no_count_naming_it(tmp_path, monkeypatch, capsys, value):
    (tmp_path / "f.jsonl").write_text("")
    with pytest.raises(SystemExit) as e:
        bench_main("det_decoding", monkeypatch, ["--data", str(tmp_path / "f.jsonl"), "--limit", value])
    err = capsys.readouterr().err
    assert e.value.code == 2 and f"--limit: {value!r}: give a count of det records (1 or more) or 'all'" in err, err


def test_det_decoding_limit_all_takes_every_record(tmp_path, monkeypatch, capsys):
    """Through main: the records' size check, before the model loads, counts all 4 under --limit all."""
    data = det_records(tmp_path)
    rows = [json.loads(line) for line in data.read_text().splitlines()]
    del rows[3]["meta"]["width"]  # the last record: out of --limit 3, in 'all'
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    with pytest.raises(SystemExit) as e:
        bench_main("det_decoding", monkeypatch, ["--data", str(data), "--limit", "all"])
    assert e.value.code == 2 and "1 of 4 det records has no meta.width" in capsys.readouterr().err

    import rsvlm.inference

    def no_load(*a, **k):
        raise AssertionError("the model was loaded")

    monkeypatch.setattr(rsvlm.inference, "load_model", no_load)
    with pytest.raises(AssertionError, match="the model was loaded"):  # --limit 3: the records taken are sized
        bench_main("det_decoding", monkeypatch, ["--data", str(data), "--limit", "3"])
