"""bench/ toured (stop 79): a table's CPU columns say they hold host CPU time, not a GPU's."""

from __future__ import annotations

import pytest
from bench_helpers import answers_x, det_asked
from script_loader import load_bench
from test_bench_args import bench_main


@pytest.mark.parametrize("cuda", [True, False])
def test_the_cpu_note_says_what_the_columns_hold_with_or_without_cuda(cuda, monkeypatch):
    """On a CUDA machine the CPU columns were read as the whole work's time: the model ran on the CPU all along."""
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
    common = load_bench("common", monkeypatch)
    note = common.cpu_note()
    assert note.startswith("CPU columns: host CPU time (time.process_time") and "a GPU's time is in none" in note
    assert ("a CUDA device is here, unused" if cuda else "no CUDA device here") in note


@pytest.mark.parametrize("bench", ["tta", "det_decoding"])
def test_decoding_benches_say_their_cpu_columns_are_host_time(bench, tmp_path, monkeypatch, capsys, ckpt):
    from test_probe_pointer_cells import ground_records

    data = ground_records(tmp_path)
    if bench == "det_decoding":
        det_asked(data, monkeypatch)
    answers_x(monkeypatch)
    bench_main(bench, monkeypatch, ["--data", str(data), "--model", str(ckpt)])
    out = capsys.readouterr().out
    table_end = max(i for i, line in enumerate(out.splitlines()) if line.startswith("|"))
    assert out.splitlines()[table_end + 1].startswith("CPU columns: host CPU time"), out


def test_load_time_says_its_cpu_column_is_the_loading_processs(monkeypatch, capsys):
    bench = load_bench("load_time", monkeypatch)
    monkeypatch.setattr(bench, "export", lambda rev, into: into)
    monkeypatch.setattr(bench, "measure", lambda src, model, repeats: {"load": 1.0, "cpu": 1.0, "rss_mb": 1.0})
    assert bench.main(["--repeats", "1"]) == 0
    assert "each child process loads the model on the CPU" in capsys.readouterr().out.splitlines()[-1]


def test_the_warm_up_says_how_many_records_it_answers(tmp_path, monkeypatch, capsys):
    """A --limit 2 run said "warm-up: the first 16 record(s)" (the batch size) and answered 2."""
    common = load_bench("common", monkeypatch)
    answered = []
    monkeypatch.setattr("rsvlm.evaluate.run", lambda *a, limit, **kw: answered.append(limit))
    data = tmp_path / "d.jsonl"
    data.write_text('{"id": "a"}\n{"id": "b"}\n')
    common.warm_up(None, None, data, tmp_path / "w.jsonl", 16, 8)
    assert capsys.readouterr().err == "warm-up: the first 2 records, untimed\n" and answered == [16]
    data.write_text('{"id": "a"}\n' * 40)
    common.warm_up(None, None, data, tmp_path / "w.jsonl", 16, 8)
    assert capsys.readouterr().err == "warm-up: the first 16 records, untimed\n"


def test_eval_start_writes_every_ratio_with_two_decimals(monkeypatch, capsys):
    """Its ratio column read 0.6 beside 0.84 (str of a rounded float), and None where the baseline took no time."""
    bench = load_bench("eval_start", monkeypatch, module="eval_start")
    times = iter([0.5, 0.3, 0.0, 0.2] * 8)
    monkeypatch.setattr(bench, "best", lambda fn, repeats: (next(times), fn()))
    bench.main(["--n", "8", "--repeats", "1"])
    cells = [line.strip("|").split("|")[-1].strip() for line in capsys.readouterr().out.splitlines()
             if line.startswith("| `python")]
    assert cells == ["0.60", "–"] * 4, cells
