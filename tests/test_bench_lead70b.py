"""bench/ (lead 70b): the tokenizer check of 21d7fc8f has a bench that reproduces its figure, and det_decoding
refuses records without image sizes before loading the model."""

from __future__ import annotations

import json

import pytest
from bench_helpers import det_records
from script_loader import load_bench
from test_bench_args import bench_main


def test_tokenizer_check_prints_both_ways_on_a_tiny_vocabulary(monkeypatch, capsys):
    """The figure of docs/benchmarks/load_time.md came from a scratch script that was not kept."""
    assert bench_main("tokenizer_check", monkeypatch, ["--size", "50", "--repeats", "2"]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("|")]
    rows = [[c.strip() for c in line.strip("|").split("|")] for line in lines]
    assert rows[0] == ["vocabulary", "ids checked up to", "old (before 21d7fc8f) CPU ms", "now CPU ms",
                       "ratio (old/now)"]
    assert len(rows) == 3 and rows[2][0].startswith("synthetic, 50 entries + ") and rows[2][1] == "50", rows
    assert rows[2][4].endswith("x") and float(rows[2][4][:-1]) >= 0


def test_tokenizer_check_ways_agree(monkeypatch):
    """Both ways give the same verdict, one past the last id that is not rsvlm's, wherever rsvlm's tokens sit."""
    mod = load_bench("tokenizer_check", monkeypatch)
    vocab = mod.synthetic_vocab(30)
    assert mod.own_old(vocab) == mod.own_now(vocab) == 30
    first_special = next(t for t, i in vocab.items() if i == 30)
    shuffled = {**vocab, first_special: 5000, "tok_0": 4000}  # a plain entry past rsvlm's tokens
    assert mod.own_old(shuffled) == mod.own_now(shuffled) == 4001


@pytest.mark.parametrize("bad", [0, -3])
def test_tokenizer_check_refuses_a_size_below_one(monkeypatch, capsys, bad):
    with pytest.raises(SystemExit) as e:
        bench_main("tokenizer_check", monkeypatch, ["--size", str(bad)])
    assert e.value.code == 2 and f"--size {bad}: give 1 or more" in capsys.readouterr().err


def test_det_decoding_refuses_records_without_sizes_before_loading(tmp_path, monkeypatch, capsys):
    """Was: the model loaded, every pass answered, then each score a dash with eval.detection's reason."""
    import rsvlm.inference

    data = det_records(tmp_path)
    rows = [json.loads(line) for line in data.read_text().splitlines()]
    for rec in rows[1:3]:
        del rec["meta"]["width"]
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))

    def no_load(*a, **k):
        raise AssertionError("the model was loaded")

    monkeypatch.setattr(rsvlm.inference, "load_model", no_load)
    with pytest.raises(SystemExit) as e:
        bench_main("det_decoding", monkeypatch, ["--data", str(data)])
    err = capsys.readouterr().err
    assert e.value.code == 2, err
    msg = err.strip().splitlines()[-1]
    assert f"--data {data}: 2 of 4 det records have no meta.width/meta.height (first: id {rows[1]['id']!r})" in msg
    assert "add each image's size to the record's meta, or leave those records out" in msg
    with pytest.raises(AssertionError, match="the model was loaded"):  # --limit 1: the one record taken is sized
        bench_main("det_decoding", monkeypatch, ["--data", str(data), "--limit", "1"])
