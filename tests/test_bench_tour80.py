"""Stop 80: chat_latency and constrained_decoding stop repeating once --budget is spent, and bench/tta.py answers
its first 8 localisation records by default, so each ends in about 3 min on 2 loaded cores (they timed out at
load 7-8)."""

from __future__ import annotations

import argparse
import time

import pytest
from script_loader import load_bench
from test_bench_args import bench_main
from test_bench_tour56 import TINY


def budget_runs(monkeypatch, budget: float, each: float, repeat: int = 3,
                ap: argparse.ArgumentParser | None = None) -> tuple[list[int], str]:
    """The runs ``common.Budget`` lets through when each takes ``each`` seconds of a stand-in clock, and its note
    (``ap``: the bench's parser; default one with no options)."""
    common = load_bench("common", monkeypatch)
    clock = [0.0]
    monkeypatch.setattr(time, "perf_counter", lambda: clock[0])
    b = common.Budget(ap or argparse.ArgumentParser(), budget)
    ran = []
    for r in b.runs(repeat):
        ran.append(r)
        clock[0] += each
    return ran, b.note()


def test_budget_lets_a_run_start_only_where_it_is_expected_to_end_within_it(monkeypatch):
    ran, note = budget_runs(monkeypatch, 120, 50)  # after 2 runs, 100 s + 50 s would pass 120 s
    assert ran == [0, 1]
    assert note == ("best of 2 of --repeat 3 runs: another would have ended past --budget 120 s (a loaded machine; "
                    "--budget 0 runs them all)")
    ran, note = budget_runs(monkeypatch, 120, 500)  # the first always runs
    assert ran == [0] and note.startswith("best of 1 of --repeat 3 runs")
    assert budget_runs(monkeypatch, 0, 500) == ([0, 1, 2], "")  # 0: no limit
    assert budget_runs(monkeypatch, 1000, 1) == ([0, 1, 2], "")


@pytest.mark.parametrize("value", ["-1", "nan"])
def test_a_negative_budget_is_a_usage_error(monkeypatch, capsys, value):
    with pytest.raises(SystemExit) as e:
        bench_main("chat_latency", monkeypatch, ["--budget", value])
    assert e.value.code == 2 and "--budget" in capsys.readouterr().err


def test_chat_latency_stops_repeating_past_its_budget_and_says_so(monkeypatch, capsys):
    """Both paths are timed in every run, so the ratio of the runs that fit is still one run's."""
    bench_main("chat_latency", monkeypatch, ["--turns", "2", "--new-tokens", "2", "--repeat", "3",
                                             "--budget", "0.000001", *TINY])
    out = capsys.readouterr().out
    assert "best of 1 of --repeat 3 runs: another would have ended past --budget 1e-06 s" in out
    assert "| 2 |" in out and "mean TTFT cached" in out


def test_tta_bench_takes_its_first_8_localisation_records_unless_told_all(tmp_path, monkeypatch, capsys):
    import json

    with pytest.raises(SystemExit):
        bench_main("tta", monkeypatch, ["--help"])
    assert "(default 8: the five passes" in " ".join(capsys.readouterr().out.split())

    tta = load_bench("tta", monkeypatch)
    rec = {"id": "r", "task": "ground", "images": [{"path": "a.png"}],
           "conversations": [{"from": "human", "value": "<image>\n[ground] x"}, {"from": "gpt", "value": "y"}]}
    data = tmp_path / "d.jsonl"
    data.write_text("".join(json.dumps({**rec, "id": f"r{i}"}) + "\n" for i in range(30)))
    assert tta.every_or_count("all") is None and tta.every_or_count("7") == 7
    taken, held = tta.localisation_subset(data, tmp_path / "loc.jsonl", 8)
    assert (taken.total(), held) == (8, 30)
    assert tta.localisation_subset(data, tmp_path / "loc.jsonl", None)[0].total() == 30


def test_tta_bench_says_its_records_are_the_first_of_more(tmp_path, monkeypatch, capsys, ckpt):
    from test_probe_pointer_cells import ground_records

    bench_main("tta", monkeypatch, ["--data", str(ground_records(tmp_path)), "--model", str(ckpt), "--limit", "2",
                                    "--max-new-tokens", "4"])
    assert "2 (the first, --limit; of 4) localisation records of" in capsys.readouterr().out
