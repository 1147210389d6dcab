"""bench/ toured as a user (tour 70): det_decoding says what an empty cell means, train_throughput prints the
shared Markdown table, gpu_train leaves no files in the repository by default, the answering benches share
--model/--batch-size/--max-new-tokens, and every bench script answers --help."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from bench_helpers import det_checkpoint, det_records
from script_loader import load_bench
from test_bench_args import bench_main
from test_bench_tour51 import bench_module

REPO = Path(__file__).resolve().parents[1]


def test_det_decoding_names_an_empty_group_and_explains_a_dash(tmp_path, monkeypatch, capsys):
    """Records that all name a class: the 'all objects' column was '–', as a score with no reference is, and the
    table said neither what it meant."""
    data = det_records(tmp_path)  # with meta.width/height: else eval.detection refuses every record
    bench_main("det_decoding", monkeypatch, ["--data", str(data), "--model", str(det_checkpoint(tmp_path)), "--limit",
                                             "2", "--max-new-tokens", "8"])
    out = capsys.readouterr().out
    table = [[c.strip() for c in line.strip("|").split("|")] for line in out.splitlines() if line.startswith("| ")]
    head, body = table[0], table[1:]
    generic = head.index("'all objects' hbb / obb")
    assert len(body) == 4 and all(r[generic] == "n/a (no record)" for r in body), body
    hbb, obb = head.index("hbb"), head.index("obb")
    assert all(r[hbb] != "–" and r[obb] == "–" for r in body), body  # the references are hbb only
    assert ("\n–: no score; the scorer's reason:\n- obb, named class obb: eval.detection scored 2 records and gives no "
            "mAP50_obb") in out, out


def fake_arm(data, out, batching, steps, batch_size):
    return {"tokens_per_s": 100.0 if batching == "naive" else 250.0, "non_pad_fraction": 0.4 if batching == "naive"
            else 0.8, "tokens": 10, "seconds": 0.1, "cut": 0}


def test_train_throughput_prints_the_shared_markdown_table(monkeypatch, capsys):
    """Was: plain space-aligned columns, where every other bench prints a Markdown table (docs paste them)."""
    mod = bench_module("train_throughput", monkeypatch)
    monkeypatch.setattr(mod, "run", fake_arm)
    monkeypatch.setattr(mod, "make_data", lambda root, n, seed: root)
    monkeypatch.setattr(sys, "argv", ["train_throughput", "--steps", "2", "--n", "1"])
    mod.main()
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("|")]
    assert lines[:2] == ["| batching | tokens/s | non-pad | tokens | seconds | cut |", "|---|---|---|---|---|---|"]
    assert lines[2] == "| naive | 100 | 0.400 | 10 | 0.1 | 0 |"
    assert lines[4] == "| ratio grouped / naive | 2.50 | 2.00 |  |  |  |"


def test_gpu_train_writes_to_a_temporary_folder_not_the_repository_by_default(tmp_path, monkeypatch, capsys):
    """Was: --out defaulted to runs/gpu_bench inside the repository, so a run left data, a tokenizer and a
    config there."""
    import subprocess as sp

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(sp, "run", lambda cmd, env: sp.CompletedProcess(cmd, 1))  # training 'fails': no GPU run here
    before = (REPO / "runs" / "gpu_bench").exists()
    with pytest.raises(SystemExit, match="training exited with status 1"):
        bench_main("gpu_train", monkeypatch, ["--recipe", str(REPO / "configs/train/sft_tiny.yaml"), "--records", "2",
                                              "--answer-tokens", "4", "--peak-tflops", "1"])
    made = [p for p in tmp_path.iterdir() if p.name.startswith("gpu_train_")]
    assert len(made) == 1 and (made[0] / "config_recipe.yaml").is_file() and (made[0] / "data" / "train.jsonl").is_file()
    assert f"go to {made[0]}" in capsys.readouterr().err
    assert (REPO / "runs" / "gpu_bench").exists() == before


def test_gpu_train_usage_error_leaves_no_temporary_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with pytest.raises(SystemExit) as e:
        bench_main("gpu_train", monkeypatch, ["--recipe", str(tmp_path / "missing.yaml")])
    assert e.value.code == 2 and not list(tmp_path.iterdir())


ANSWERING = {"det_decoding": 200, "tta": 200, "constrained_decoding": 200, "missing_bands": 40}


@pytest.mark.parametrize("name, tokens", ANSWERING.items())
def test_answering_benches_declare_model_options_once_in_common(name, tokens):
    """Four scripts each declared --model, --batch-size and --max-new-tokens: now bench/common.model_options,
    with the same names, defaults and help."""
    src = (REPO / "bench" / f"{name}.py").read_text()
    assert '"--model"' not in src and '"--batch-size"' not in src and "model_options(ap" in src
    r = subprocess.run([sys.executable, str(REPO / "bench" / f"{name}.py"), "--help"], capture_output=True, text=True,
                       timeout=120)
    flat = " ".join(r.stdout.split())
    assert r.returncode == 0, r.stderr
    assert "--model MODEL checkpoint folder (default: the bundled model, rsvlm/assets/default_model)" in flat
    assert "--batch-size BATCH_SIZE records answered together (default 16)" in flat
    assert f"--max-new-tokens MAX_NEW_TOKENS answer length limit (default {tokens})" in flat


@pytest.mark.parametrize("script", sorted(p.name for p in (REPO / "bench").glob("*.py") if p.name != "common.py"))
def test_every_bench_script_answers_help(script, tmp_path):
    r = subprocess.run([sys.executable, str(REPO / "bench" / script), "--help"], capture_output=True, text=True,
                       timeout=120, cwd=tmp_path)
    assert r.returncode == 0 and r.stdout.startswith("usage:"), r.stdout + r.stderr
    assert not list(tmp_path.iterdir())


def test_tta_bench_says_what_a_dash_means(tmp_path, monkeypatch, capsys):
    """A set with no change record (most): the change column was '–' in every row and nothing said why."""
    from test_probe_pointer_cells import ground_records

    mod = bench_module("tta", monkeypatch)
    data = ground_records(tmp_path)
    monkeypatch.setattr(mod.inference, "load_model", lambda model, device: (None, None))
    monkeypatch.setattr(mod, "warm_up", lambda *a, **k: None)
    monkeypatch.setattr(mod.evaluate, "run", lambda model, proc, gt, pred, *a, **k: pred.write_text(""))
    monkeypatch.setattr(mod, "scores", lambda gt, pred: {k: mod.common.Headline(0.5) if k == "ground" else
                                                         mod.common.Headline(None, f"no {k}") for k in mod.SCORERS})
    monkeypatch.setattr(sys, "argv", ["tta", "--data", str(data)])
    mod.main()
    out = capsys.readouterr().out
    assert "| none | " in out and "| 0.500 | – |" in out
    assert "\n\n–: no score; the scorer's reason:\n- det: no det\n- det obb: no det obb\n- seg: no seg\n- change: no change\n(" in out



def test_gpu_train_prints_its_figures_as_a_markdown_table(tmp_path, monkeypatch, capsys):
    """Was: plain space-aligned columns, unlike every other bench's table."""
    bench_main_args = ["--recipe", str(REPO / "configs/train/sft_tiny.yaml"), "--steps", "9", "--batch-size", "1",
                       "--answer-tokens", "4", "--records", "4", "--profile-steps", "0", "--peak-tflops", "1",
                       "--out", str(tmp_path)]
    res = load_bench("gpu_train", monkeypatch, module="gpu_train").main(bench_main_args)
    table = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| ")]
    assert table[0] == "| tokens/s | samples/s | step s | GFLOP/sample | TFLOP/s | peak TFLOP/s | MFU | peak GiB |"
    assert table[1].startswith(f"| {res['tokens_per_s']:.0f} | {res['samples_per_s']:.2f} | ")



def test_tiling_declares_its_one_value_options_once_with_their_defaults(monkeypatch):
    """bench/tiling.py wrote 14 add_argument calls of one shape, each default twice (the value and its help): now a
    table (tiling.OPTIONS), each help said with the default it is given; --help shows the same options."""
    import argparse

    class Stop(argparse.ArgumentParser):
        def parse_args(self, *a, **k):
            raise SystemExit(self)

    mod = bench_module("tiling", monkeypatch)
    monkeypatch.setattr(mod, "Parser", Stop)
    with pytest.raises(SystemExit) as e:
        mod.main()
    acts = {a.option_strings[0]: a for a in e.value.code._actions if a.option_strings}
    for flag, kind, default, _ in mod.OPTIONS:
        assert acts[flag].type is kind and acts[flag].default == default, flag
        assert acts[flag].help.endswith(f"(default {default})"), flag
    assert acts["--tile"].default == 512 and acts["--seam-noise"].type is float and acts["--p1888-draws"].default == 3
