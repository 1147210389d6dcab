"""bench/ toured (stop 78): the decoding benches time CPU beside wall, so their ratios hold on a loaded machine."""

from __future__ import annotations

from pathlib import Path

import pytest
from bench_helpers import answers_x, det_asked
from test_bench_args import bench_main


def table_rows(out: str, header: str) -> list[dict[str, str]]:
    lines = [line for line in out.splitlines() if line.startswith("|")]
    head = [c.strip() for c in lines[0].strip("|").split("|")]
    assert head[0] == header, lines[0]
    return [dict(zip(head, (c.strip() for c in line.strip("|").split("|")))) for line in lines[2:]]


@pytest.mark.parametrize("bench", ["tta", "det_decoding"])
def test_decoding_benches_give_cpu_seconds_and_their_ratio_beside_wall(bench, tmp_path, monkeypatch, capsys, ckpt):
    """The plain pass waited 0.5 s on others' load: its wall time (the ratios' 1) read high and every '× plain'
    low (flip 10.5x one run, 4.4x the next on the same records); the CPU columns do not move with it."""
    from test_probe_pointer_cells import ground_records

    data = ground_records(tmp_path)
    if bench == "det_decoding":  # the same records asked as [det] with their sizes
        det_asked(data, monkeypatch)
    answers_x(monkeypatch, wait_s=0.5)
    bench_main(bench, monkeypatch, ["--data", str(data), "--model", str(ckpt)])
    rows = table_rows(capsys.readouterr().out, "--tta" if bench == "tta" else "decoding")
    plain = rows[0]
    assert float(plain["s / record"]) >= 0.5 / 4 > float(plain["CPU s / record"]), plain
    assert float(plain["× plain CPU"]) == 1.0
    assert all(float(r["× plain"]) < 1 for r in rows[1:]), rows  # the wall ratio misled: the others did no less work
    assert all(r["× plain CPU"] not in ("", "–") for r in rows[1:]), rows


def test_answer_memory_refuses_a_baseline_without_rsvlm(tmp_path, monkeypatch, capsys):
    """A --baseline folder holding no rsvlm/ ran this checkout's rsvlm as the baseline (PYTHONPATH falls through
    to it): every ratio read about 1.00x, unsaid. Now refused before the files are written."""
    (tmp_path / "old" / "eval").mkdir(parents=True)  # eval/ alone: git archive COMMIT eval
    (tmp_path / "old" / "eval" / "__init__.py").write_text("")
    with pytest.raises(SystemExit) as e:
        bench_main("answer_memory", monkeypatch, ["--baseline", str(tmp_path / "old"), "--lines", "10"])
    assert e.value.code == 2 and f"--baseline {tmp_path / 'old'}: no rsvlm/ in it" in capsys.readouterr().err


def test_answer_memory_without_a_baseline_says_what_its_dashes_mean(monkeypatch, capsys):
    bench_main("answer_memory", monkeypatch, ["--lines", "50", "--repeats", "1", "--cases", "answered_ids"])
    out = capsys.readouterr().out
    assert "| answered_ids | one file | – |" in out and "–: no --baseline DIR given" in out


@pytest.mark.parametrize("recipe, tiny_said", [("configs/train/recipes/qwen2.5-1.5b-sft.yaml", True),
                                               ("configs/train/sft_tiny.yaml", False)])
def test_gpu_train_without_cuda_says_it_trains_on_the_cpu(recipe, tiny_said, tmp_path, monkeypatch, capsys):
    """Run as docs/benchmarks.md gives it on a machine without CUDA, the 1.5B recipe's training started on the CPU
    and went on for minutes with nothing said; now a note says so before the work (stopped here after it)."""
    import torch
    from script_loader import load_bench

    mod = load_bench("gpu_train", monkeypatch)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(mod, "make_data", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("stopped")))
    repo = Path(mod.__file__).resolve().parents[1]
    with pytest.raises(RuntimeError, match="stopped"):
        mod.main(["--recipe", str(repo / recipe), "--llm", "lora", "--steps", "12", "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    precision = "bf16" if tiny_said else "fp32"  # review 78: it said float32 of the bf16 recipe too
    assert f"note: no CUDA device: the run trains on the CPU ({precision})" in err
    assert ("--recipe configs/train/sft_tiny.yaml checks it quickly" in err) == tiny_said
