"""Bench scripts and probes on odd but legitimate input, on a tiny checkpoint: the table on stdout,
progress and what was left out said, nothing lost without a word."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from script_loader import load_bench, load_script
from test_bench_args import bench_main
from test_probe_pointer_cells import ground_records

REPO = Path(__file__).resolve().parents[1]


def bench_module(name, monkeypatch):
    """bench/NAME.py as a module, not run (bench/ on sys.path, as when run as a script)."""
    return load_bench(name, monkeypatch)


def sar_records(root, bands_per_image):
    """``root/d.jsonl``: one SAR cls record per entry of ``bands_per_image`` (band names, or None
    for a missing image file), over random float32 GeoTIFFs."""
    import rasterio

    rows = []
    for i, bands in enumerate(bands_per_image):
        path = root / f"s{i}.tif"
        if bands is not None:
            arr = np.random.default_rng(i).random((len(bands), 32, 32), dtype=np.float32)  # (C,H,W)
            with rasterio.open(path, "w", driver="GTiff", width=32, height=32, count=len(bands), dtype="float32",
                               transform=rasterio.Affine(1, 0, 0, 0, -1, 32)) as ds:
                ds.write(arr)
        rows.append({"id": f"sar{i}", "task": "cls",
                     "images": [{"path": path.name, "modality": "sar", "bands": bands or ["VV", "VH"]}],
                     "conversations": [{"from": "human", "value": "<image>\n[cls] What scene is this?"},
                                       {"from": "gpt", "value": "harbor"}]})
    data = root / "d.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return data


def test_missing_bands_leaves_out_unusable_records_with_a_count(tmp_path, monkeypatch, capsys, ckpt):
    """A missing image and a VV-only image among the SAR records: the others are scored, the two
    counted below the table (was: a FileNotFoundError traceback after loading the model; a
    ValueError from ``bands.index`` for the VV-only one)."""
    data = sar_records(tmp_path, [["VV", "VH"], None, ["VV"], ["vv", "vh"]])
    bench_main("missing_bands", monkeypatch, ["--data", str(data), "--model", str(ckpt), "--max-new-tokens", "2"])
    out, err = capsys.readouterr()
    table = [line for line in out.splitlines() if line.startswith("| sar")]
    assert [line.split(" | ")[1:4] for line in table] == [
        ["VV, VH", "n/a (every band)", "2"], ["VV only", "copy", "2"], ["VV only", "mean", "2"],
        ["VH only", "copy", "2"], ["VH only", "mean", "2"]]
    assert ("left out: 2 sar records: 1 unreadable image, 1 image without a band of the stem (no every-band "
            "baseline)") in out
    assert "sar1: image not found" in out
    assert "no msi record" in err and "sar VV only, copy" in err  # progress and timings on stderr only
    assert "records in" not in out


def test_missing_bands_follows_the_models_stem_not_the_default_models(tmp_path, monkeypatch, capsys, ckpt):
    """The tiny model's MSI stem has 4 bands, not the default model's 6: the baseline is its 4
    and the 4-band reduced set, no smaller than the stem, is left out with a note (was: a
    ValueError traceback, 'B11' is not in list)."""
    import rasterio

    bands = ["B02", "B03", "B04", "B08"]
    with rasterio.open(tmp_path / "m.tif", "w", driver="GTiff", width=32, height=32, count=4, dtype="float32",
                       transform=rasterio.Affine(1, 0, 0, 0, -1, 32)) as ds:
        ds.write(np.random.default_rng(0).random((4, 32, 32), dtype=np.float32))
    rec = {"id": "msi0", "task": "cls", "images": [{"path": "m.tif", "modality": "msi", "bands": bands}],
           "conversations": [{"from": "human", "value": "<image>\n[cls] What scene is this?"},
                             {"from": "gpt", "value": "farmland"}]}
    (tmp_path / "d.jsonl").write_text(json.dumps(rec) + "\n")
    bench_main("missing_bands", monkeypatch,
               ["--data", str(tmp_path / "d.jsonl"), "--model", str(ckpt), "--max-new-tokens", "2"])
    out = capsys.readouterr().out
    rows = [line.split(" | ")[1:3] for line in out.splitlines() if line.startswith("| msi")]
    assert rows == [["all 4", "n/a (every band)"], ["B02 B03 B04", "copy"], ["B02 B03 B04", "mean"]]
    assert "left out: msi 10 m: B02 B03 B04 B08: the model's stem has bands" in out


def test_missing_bands_refuses_data_without_sar_or_msi_before_loading(tmp_path, monkeypatch, capsys):
    """Only optical records: one usage line, no model loaded (was: the model loaded, then a table of
    ten rows of 0 records)."""
    monkeypatch.setattr("rsvlm.inference.load_model", lambda *a, **k: pytest.fail("loaded the model"))
    data = ground_records(tmp_path)
    with pytest.raises(SystemExit) as e:
        bench_main("missing_bands", monkeypatch, ["--data", str(data)])
    assert e.value.code == 2
    assert f"--data {data}: no sar or msi record of task cls, count, vqa, ground" in capsys.readouterr().err


def test_tta_bench_shows_each_pass_on_stderr_and_the_table_on_stdout(tmp_path, monkeypatch, capsys, ckpt):
    from rsvlm.tta import MODES

    data = ground_records(tmp_path)
    bench_main("tta", monkeypatch, ["--data", str(data), "--model", str(ckpt), "--limit", "1",
                                    "--max-new-tokens", "2"])
    out, err = capsys.readouterr()
    n = len(MODES) + 1
    assert [f"pass {i} of {n}" in err for i in range(1, n + 1)] == [True] * n  # was: minutes without a word
    assert "1/1" in err  # the records' bar
    assert out.startswith(f"1 (the first, --limit; of 4) localisation records of {data} (ground 1)\n")  # each task's share
    assert "| none | " in out and "pass 1" not in out


def test_pointer_probe_shows_progress_on_stderr(tmp_path, monkeypatch, capsys, ckpt):
    probe = load_script("probe_pointer_cells", monkeypatch)
    assert probe.main(["--model", str(ckpt), "--data", str(ground_records(tmp_path))]) == 0
    out, err = capsys.readouterr()
    assert "probing cells" in err and "4/4" in err  # was: nothing until the table
    assert out.startswith("16 coordinates") and "probing" not in out


def test_sensor_probe_shows_progress_on_stderr(tmp_path, monkeypatch, capsys, ckpt):
    from test_scripts_probes import sensor_records

    probe = load_script("probe_sensor_word", monkeypatch)
    res = probe.main(["--model", str(ckpt), "--data", str(sensor_records(tmp_path))])
    out, err = capsys.readouterr()
    assert "scoring answers" in err and "32/32" in err  # 2 questions × 4 words × 4 answers
    assert res["n_questions"] == 2 and "scoring" not in out


def test_det_decoding_bench_shows_each_pass_on_stderr(tmp_path, monkeypatch, capsys):
    """Four decodings of every detection record: each pass is named with a bar on stderr (was:
    minutes without a word), the table alone on stdout."""
    from bench_helpers import det_checkpoint, det_records

    ckpt = det_checkpoint(tmp_path)
    data = det_records(tmp_path)  # sized: unsized det records are refused (lead 70b)
    rows = [json.loads(line) for line in data.read_text().splitlines()]
    for rec in rows[::2]:  # every other record asks for all objects, not a class
        rec["conversations"][0]["value"] = "<image>\n[det] List all objects."
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    bench_main("det_decoding", monkeypatch, ["--data", str(data), "--model", str(ckpt), "--limit", "2",
                                             "--max-new-tokens", "2", "--min-objects", "1"])
    out, err = capsys.readouterr()
    assert [f"pass {i} of 4" in err for i in (1, 2, 3, 4)] == [True] * 4 and "2/2" in err
    assert out.startswith("2 detection records of") and "| both | " in out and "pass 1" not in out


def test_count_assay_marks_the_priors_missing_figures_with_a_dash(tmp_path, monkeypatch, capsys):
    """The prior row has no tokens and no training: '–' as docs/benchmarks.md (h) shows it, not
    'nan', and null in --out, not a NaN strict JSON readers refuse. The scenes are stubbed."""
    import torch

    def counts(_):  # 4 records over 2 images: class 0 counted 0 and 1 time, class 1 counted 3 times
        return (torch.zeros(2, 3, 96, 96), torch.tensor([0, 0, 1, 1]), torch.tensor([0, 0, 1, 1]),
                torch.tensor([0, 1, 3, 3]), torch.zeros(2, 36, 7), [[], [(5, 5)], [], []])

    out = tmp_path / "rows.json"
    count_assay = bench_module("count_assay", monkeypatch)
    monkeypatch.setattr(count_assay, "make_scenes", lambda path, n, seed: path)
    monkeypatch.setattr(count_assay, "load_counts", counts)
    assert count_assay.main(["--scenes", "1", "--steps", "1", "--no-oracle", "--out", str(out)]) == 0
    prior = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("| prior"))
    assert prior.split(" | ")[3:] == ["0.750", "1.000", "0.000", "n/a (no test record)", "1.000", "–", "–",
                                      "– |"], prior  # no count-2 record: n/a (tour71, was '–')
    assert json.loads(out.read_text())[0]["final_loss"] is None


def test_chat_latency_marks_turns_without_a_decode_rate_with_a_dash(monkeypatch, capsys):
    """One new token per turn: no decode rate, '–' as docs/benchmarks.md (a) shows (was 'nan' and
    'nanx'); bitsandbytes' kernel line is silenced as in the CLI."""
    import logging

    logger = logging.getLogger("bitsandbytes.backends.cpu.ops")
    monkeypatch.setattr(logger, "level", logging.NOTSET)
    small = ["encoders.default.layers=1", "llm.config.num_hidden_layers=1", "encoders.default.image_size=64",
             "llm.config.hidden_size=64", "llm.config.intermediate_size=128", "llm.config.num_attention_heads=2",
             "llm.config.num_key_value_heads=2"]
    bench_main("chat_latency", monkeypatch, ["--turns", "2", "--new-tokens", "1", "--repeat", "1", *small])
    out, err = capsys.readouterr()
    assert "chat_latency turns:" in err and "/2 [" in err and "turns:" not in out  # was: minutes without a word
    rows = [line for line in out.splitlines() if line.startswith(("| 1 |", "| 2 |"))]
    assert len(rows) == 2 and all(r.endswith("| n/a (1 token) | n/a (1 token) | n/a (1 token) |") and "nan" not in r for r in rows), rows
    assert logger.level == logging.ERROR


def synth_stub(monkeypatch):
    """``python -m data_gen synth`` replaced by four ground records in ``--out``/test.jsonl."""
    import subprocess

    def synth(cmd, **kw):
        out = Path(cmd[cmd.index("--out") + 1])
        ground_records(out).rename(out / "test.jsonl")
        return subprocess.CompletedProcess(cmd, 0)

    monkeypatch.setattr(subprocess, "run", synth)


def test_constrained_decoding_shows_each_run_on_stderr(tmp_path, monkeypatch, capsys, ckpt):
    synth_stub(monkeypatch)
    bench_main("constrained_decoding", monkeypatch, ["--model", str(ckpt), "--scenes", "1", "--repeat", "1",
                                                     "--max-new-tokens", "2"])
    out, err = capsys.readouterr()
    assert "run 1 of 1, free" in err and "run 1 of 1, held" in err and "4/4" in err  # was: silence
    assert out.startswith("4 records of 1 scene (seed") and "| ground | 4 |" in out and "run 1" not in out


def test_constrained_decoding_with_every_free_answer_empty_still_prints_its_tables(tmp_path, monkeypatch, capsys,
                                                                                    ckpt):
    synth_stub(monkeypatch)

    def run(model, processor, data, out, *a, constrain=True, **kw):
        rows = [json.loads(line) for line in data.read_text().splitlines()]
        out.write_text("".join(json.dumps({"id": r["id"], "task": r["task"],
                                           "answer": "<box><loc_1><loc_2><loc_3><loc_4></box>" if constrain else ""})
                               + "\n" for r in rows))

    monkeypatch.setattr("rsvlm.evaluate.run", run)
    bench_main("constrained_decoding", monkeypatch, ["--model", str(ckpt), "--scenes", "1", "--repeat", "1"])
    out = capsys.readouterr().out  # was: a ZeroDivisionError after the runs, the ratios' line unprinted
    assert "| free | 0 |" in out and "the free answers are all empty" in out


def test_gpu_check_fails_when_a_training_run_fails(tmp_path):
    """Both runs fail (stand-ins for nvidia-smi and python3 on PATH): exit 1 naming them (was: exit
    0 after printing the logs' tails, as if the figures were there)."""
    import os
    import subprocess

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "nvidia-smi").write_text("#!/bin/sh\necho 'name, memory.total'\n")
    (bin_dir / "python3").write_text('#!/bin/sh\ncase "$*" in *gpu_train.py*) echo "CUDA error"; exit 1;; '
                                     '*) echo "torch x";; esac\n')
    for f in bin_dir.iterdir():
        f.chmod(0o755)
    run = subprocess.run(["bash", str(REPO / "bench" / "gpu_check.sh"), str(tmp_path / "out")], cwd=REPO,
                         capture_output=True, text=True, timeout=60,
                         env={**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"})
    assert run.returncode == 1, run.stdout + run.stderr
    assert f"gpu_check: --llm lora full failed; see {tmp_path / 'out'}/log_lora.txt" in run.stderr
    assert "CUDA error" in (tmp_path / "out" / "log_full.txt").read_text()


def test_train_throughput_keeps_the_trainings_own_lines_off_the_table(monkeypatch, capsys):
    """What the training runs print (DeepSpeed's 'Setting accelerator to CPU' goes to stdout) lands on
    stderr with the progress; stdout holds the table alone (was: the warning above it)."""
    def run(data, out, batching, steps, batch_size):
        print("[WARNING] Setting accelerator to CPU.")
        return {"tokens_per_s": 100.0 if batching == "naive" else 200.0, "non_pad_fraction": 0.5, "tokens": 10,
                "seconds": 0.1, "cut": 0}

    mod = bench_module("train_throughput", monkeypatch)
    monkeypatch.setattr(mod, "run", run)
    monkeypatch.setattr(sys, "argv", ["train_throughput", "--steps", "2", "--n", "1"])
    mod.main()
    out, err = capsys.readouterr()
    assert "accelerator" not in out and err.count("Setting accelerator to CPU") == 2
    assert out.splitlines()[-1] == "| ratio grouped / naive | 2.00 | 1.00 |  |  |  |"


def band_file_records(tmp_path):
    """ground_records with the first image given as one PNG per band (``band_files``, no ``path``)."""
    from PIL import Image

    data = ground_records(tmp_path)
    rows = [json.loads(line) for line in data.read_text().splitlines()]
    rgb = np.asarray(Image.open(tmp_path / rows[0]["images"][0]["path"]))  # (H,W,3)
    for b, name in enumerate("RGB"):
        Image.fromarray(rgb[..., b]).save(tmp_path / "images" / f"band_{name}.png")
    rows[0]["images"][0] = {"band_files": [f"images/band_{n}.png" for n in "RGB"], "modality": "optical",
                            "bands": list("RGB")}
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return data


def test_tta_bench_reads_images_given_as_band_files(tmp_path, monkeypatch, capsys, ckpt):
    """Was: a KeyError 'path' traceback; with a path beside them, the band files were read against the
    temporary copy's folder, so the record was answered empty and scored wrong."""
    data = band_file_records(tmp_path)
    bench_main("tta", monkeypatch, ["--data", str(data), "--model", str(ckpt), "--limit", "1",
                                    "--max-new-tokens", "2"])
    out, err = capsys.readouterr()
    assert "| none | " in out and "unreadable" not in err and "answered empty" not in err, err[-2000:]


def test_det_decoding_reads_images_given_as_band_files(tmp_path, monkeypatch):
    from rsvlm.data.conversation import PromptConfig

    det_decoding = bench_module("det_decoding", monkeypatch)

    data = band_file_records(tmp_path)
    rows = [json.loads(line) for line in data.read_text().splitlines()]
    for r in rows:
        r["task"] = "det"
        r["conversations"][0]["value"] = "<image>\n[det] Detect every ship."
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    (tmp_path / "sets").mkdir()
    sets = det_decoding.detection_sets(data, tmp_path / "sets", PromptConfig(), None)
    first = json.loads(sets["all"].read_text().splitlines()[0])["images"][0]
    assert first["band_files"] == [str(tmp_path / "images" / f"band_{n}.png") for n in "RGB"]


@pytest.mark.parametrize("args, says", [
    (["--tile", "0"], "--tile 0: give 1 or more"),  # was: run_tiled's ValueError traceback, after the scene
    (["--tile", "256", "--overlap", "256"], "--overlap 256: give 0 or more and less than --tile 256"),
    (["--overlap", "-1"], "--overlap -1: give 0 or more"),
    (["--batch", "0"], "--batch 0: give 1 or more"),
    (["--repeat", "0"], "--repeat 0: give 1 or more"),  # was: StatisticsError after every timing round
    (["--threads", "0"], "--threads 0: give 1 or more"),  # was: set_num_threads' RuntimeError
    (["--timing-size", "0"], "--timing-size 0: give 1 or more"),
    (["--sizes", "2000,-5"], "--sizes '2000,-5': give whole pixel sides"),
])
def test_tiling_bench_refuses_bad_numbers_before_writing_a_scene(tmp_path, monkeypatch, capsys, args, says):
    with pytest.raises(SystemExit) as e:
        bench_main("tiling", monkeypatch, ["--workdir", str(tmp_path), *args])
    assert e.value.code == 2 and says in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_constrained_decoding_says_why_the_test_scenes_could_not_be_made(tmp_path, monkeypatch, capsys, ckpt):
    import subprocess

    with pytest.raises(SystemExit) as e:  # was: a CalledProcessError traceback after loading the model
        bench_main("constrained_decoding", monkeypatch, ["--seed", "-1"])
    assert e.value.code == 2 and "--seed -1: give 0 or more" in capsys.readouterr().err
    monkeypatch.setattr(subprocess, "run", lambda cmd, **kw: subprocess.CompletedProcess(cmd, 1, "", "disk full\n"))
    with pytest.raises(SystemExit) as e:
        bench_main("constrained_decoding", monkeypatch, ["--model", str(ckpt)])
    assert e.value.code == "constrained_decoding: data_gen synth failed:\ndisk full\n"


def test_geometry_codec_names_a_realdata_folder_it_cannot_use(tmp_path, monkeypatch, capsys):
    """A --realdata given but absent was 'skipped' with exit 0 (a typo passed for a skip); one
    without the files was a RasterioIOError traceback."""
    (tmp_path / "cd_levir").mkdir()
    (tmp_path / "cd_levir" / "test_7_0256_0512_label.png").write_bytes(b"")
    for args, says in ((["--realdata", str(tmp_path / "nope")], f"--realdata {tmp_path / 'nope'}: no such folder"),
                       (["--realdata", str(tmp_path)], f"--realdata {tmp_path}: missing bldg_spacenet4/sample_geotiff")):
        with pytest.raises(SystemExit) as e:
            bench_main("geometry_codec", monkeypatch, args)
        err = capsys.readouterr().err
        assert e.value.code == 2 and says in err and "cd_levir" not in err, err


@pytest.mark.parametrize("name", ["ground_assay", "count_assay"])
def test_assays_refuse_an_encoder_file_they_cannot_load_in_one_usage_line(tmp_path, monkeypatch, capsys, name):
    """A pickle renamed, or safetensors of something else: one line before any scene is made (were
    SafetensorError / ValueError tracebacks)."""
    import torch
    from safetensors.torch import save_file

    (tmp_path / "model.bin").write_bytes(b"\x80\x04K\x01.")  # a pickle: never unpickled
    save_file({"w": torch.ones(2)}, str(tmp_path / "other.safetensors"))
    for f, says in (("model.bin", "header"), ("other.safetensors", "open_clip vision tower")):  # vision.py words it (817f430)
        with pytest.raises(SystemExit) as e:
            bench_main(name, monkeypatch, ["--encoder", f"x={tmp_path / f}", "--scenes", "1", "--steps", "1"])
        err = capsys.readouterr().err
        assert e.value.code == 2 and "not an encoder this assay can load" in err and says in err, err[-1500:]
        assert "Traceback" not in err and "making" not in err


def test_constrained_decoding_counts_records_it_could_not_answer_apart(tmp_path, monkeypatch, capsys, ckpt):
    """A record rsvlm eval could not answer is written with answer "" and an "error": it was counted
    as an answer without problems, the failure unsaid."""
    synth_stub(monkeypatch)

    def run(model, processor, data, out, *a, constrain=True, **kw):
        rows = [json.loads(line) for line in data.read_text().splitlines()]
        out.write_text("".join(json.dumps({"id": r["id"], "task": r["task"], "answer": "<box><loc_1>",
                                           **({"answer": "", "error": "image not found: a.png"} if i == 0 else {})})
                               + "\n" for i, r in enumerate(rows)))

    monkeypatch.setattr("rsvlm.evaluate.run", run)
    bench_main("constrained_decoding", monkeypatch, ["--model", str(ckpt), "--scenes", "1", "--repeat", "1"])
    out = capsys.readouterr().out
    assert "| ground | 4 | 3 | 3 |" in out
    assert "1 record not answered free (counted in neither column; first: " in out and "image not found: a.png" in out
    assert "1 record not answered held" in out


def test_synth_throughput_says_each_run_and_runs_one_worker_once(monkeypatch, capsys):
    """The pipeline runs (minutes at the documented sizes) were silent, and --workers 1 ran the
    baseline twice per round. synthesize is stubbed."""
    import data_gen.synth.run

    calls = []

    def synthesize(out, n, seed, cfg, workers, **kw):
        calls.append(workers)
        return {"seconds": 1.0, "cpu_seconds": 1.0}

    monkeypatch.setattr(data_gen.synth.run, "synthesize", synthesize)
    assert bench_main("synth_throughput", monkeypatch, ["--n", "3", "--workers", "1", "--repeat", "2"]) == 0
    out, err = capsys.readouterr()
    assert calls == [1, 1, 1] and "run 2 of 2, 3 scenes, 1 worker" in err and "rasterising" in err  # a warm-up, 2 runs
    assert "| 1 worker | 1.00 | 3 |" in out and "synth_throughput:" not in out
