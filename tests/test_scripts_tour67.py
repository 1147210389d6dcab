"""scripts/ and bench/ toured as a user (tour 67): bad numbers refused before any work; the GPU scripts' interpreter."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_bench_args import bench_main

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name, args", [
    ("count_assay", ["--scenes", "1", "--steps", "1"]),
    ("ground_assay", ["--scenes", "1", "--steps", "1"]),
    ("train_throughput", ["--steps", "2", "--n", "1"]),
])
def test_benches_refuse_a_negative_seed_as_a_usage_error(monkeypatch, capsys, name, args):
    """Was: the generator's (assays) or numpy's (train_throughput) ValueError traceback, after the start."""
    with pytest.raises(SystemExit) as e:
        bench_main(name, monkeypatch, [*args, "--seed", "-1"])
    assert e.value.code == 2 and "--seed -1: give 0 or more" in capsys.readouterr().err


def test_gpu_check_runs_the_interpreter_named_by_python(tmp_path):
    """gpu_smoke.sh runs every part with $PYTHON (say .venv/bin/python) but gpu_check.sh ran python3 from PATH:
    on a fresh GPU machine whose packages are in the venv, its part failed with ModuleNotFoundError."""
    import os
    import subprocess

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "nvidia-smi").write_text("#!/bin/sh\necho 'name, memory.total'\n")
    (bin_dir / "python3").write_text("#!/bin/sh\necho \"No module named 'torch'\"; exit 1\n")  # the system's
    (bin_dir / "venv-python").write_text('#!/bin/sh\necho "venv: $*"; case "$*" in *gpu_train.py*) exit 1;; esac\n')
    for f in bin_dir.iterdir():
        f.chmod(0o755)
    run = subprocess.run(["bash", str(REPO / "bench" / "gpu_check.sh"), str(tmp_path / "out")], cwd=REPO,
                         capture_output=True, text=True, timeout=60,
                         env={**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "LLMS": "lora",
                              "PYTHON": str(bin_dir / "venv-python")})
    assert run.returncode == 1, run.stdout + run.stderr
    assert "venv: bench/gpu_train.py --llm lora" in (tmp_path / "out" / "log_lora.txt").read_text()


def test_gpu_train_refuses_a_recipe_llm_of_unknown_vocabulary_before_writing(tmp_path, monkeypatch, capsys):
    """A recipe naming an LLM outside memory_plan's TOKENIZER_LEN ran with the byte tokenizer's 260 rows in
    place of the LLM's vocabulary (e.g. 128k): embeddings, LM head, FLOPs, memory and MFU all understated."""
    with pytest.raises(SystemExit) as e:
        bench_main("gpu_train", monkeypatch, ["--recipe", str(REPO / "configs/train/sft_tiny.yaml"),
                                              "--out", str(tmp_path / "out"),
                                              "model.llm.name_or_path=weights/llm/Llama-3.1-8B-Instruct"])
    err = capsys.readouterr().err
    assert e.value.code == 2 and "its LLM 'Llama-3.1-8B-Instruct'; give --base-vocab N" in err, err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("sub", ["default_model", "default_model/work", "samples"])
def test_build_refuses_a_work_folder_inside_the_package_assets(tmp_path, monkeypatch, capsys, sub):
    """`--out rsvlm/assets/default_model` wrote the stages' data and checkpoints into the bundled model (and the
    wheel); with --ship, the bundled folder, the build inside it, was renamed away and deleted."""
    from script_loader import load_script

    b = load_script("build_default_model", monkeypatch)
    monkeypatch.setattr(b, "ROOT", tmp_path)  # a stand-in repository: the real package is never written
    (tmp_path / "rsvlm/assets/default_model").mkdir(parents=True)
    (tmp_path / "rsvlm/assets/samples").mkdir()
    monkeypatch.setattr(b, "run_build", lambda *a: pytest.fail("the build ran"))
    with pytest.raises(SystemExit) as e:
        b.main(["--out", str(tmp_path / "rsvlm/assets" / sub), "--only", "data"])
    assert e.value.code == 2 and "inside the package's rsvlm/assets" in capsys.readouterr().err
    assert sorted(p.name for p in (tmp_path / "rsvlm/assets").rglob("*")) == ["default_model", "samples"]


def test_tta_bench_counts_the_answers_cut_at_the_token_limit(tmp_path, monkeypatch, capsys, ckpt):
    """Answers cut at --max-new-tokens were scored as written with no word in the table (rsvlm eval's note named
    a temporary file, gone by the end): a pass's low figure read as the fusion's."""
    from test_probe_pointer_cells import ground_records

    bench_main("tta", monkeypatch, ["--data", str(ground_records(tmp_path)), "--model", str(ckpt),
                                    "--max-new-tokens", "1"])
    lines = capsys.readouterr().out.splitlines()
    n = int(lines[0].split()[0])
    assert lines[2].endswith("| cut at --max-new-tokens |")
    rows = [line for line in lines if line.startswith("| ") and "---" not in line][1:]
    assert len(rows) == 5 and all(r.endswith(f"| {n} |") for r in rows), lines  # one token: every answer cut


def test_det_decoding_bench_counts_the_answers_cut_at_the_token_limit(tmp_path, monkeypatch, capsys):
    from bench_helpers import det_checkpoint, det_records

    data = det_records(tmp_path)  # unsized det records are refused (lead 70b)
    bench_main("det_decoding", monkeypatch, ["--data", str(data), "--model", str(det_checkpoint(tmp_path)), "--limit",
                                             "2", "--max-new-tokens", "1", "--min-objects", "1"])
    table = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| ")]
    assert table[0].endswith("| cut at --max-new-tokens |") and len(table) == 5
    assert all(r.endswith("| 2 |") for r in table[1:]), table  # one token: both answers cut in every pass


def test_pointer_probe_says_why_no_coordinate_was_read(tmp_path, monkeypatch, capsys, ckpt):
    """Every record's image missing (a --data copied without its images/): 'no coordinate in the first 4 record(s)'
    answers', though each answer holds a box; the unread records and the first missing image were unsaid."""
    import shutil

    from script_loader import load_script
    from test_probe_pointer_cells import ground_records

    probe = load_script("probe_pointer_cells", monkeypatch)
    data = ground_records(tmp_path)
    shutil.rmtree(tmp_path / "images")
    assert probe.main(["--model", str(ckpt), "--data", str(data)]) == 1
    err = capsys.readouterr().err
    assert "4 records not read (FileNotFoundError: 4), the first: FileNotFoundError: image not found" in err, err


def test_sensor_probe_names_the_record_whose_image_is_missing(tmp_path, monkeypatch, ckpt):
    """Was 'error: unreadable sample(s): [('r0|optical|optical', 'FileNotFoundError: ...'), (...)]', a list of
    tuples with variant ids, not saying which folder the images were looked for in."""
    import shutil

    from script_loader import load_script
    from test_scripts_probes import sensor_records

    probe = load_script("probe_sensor_word", monkeypatch)
    data = sensor_records(tmp_path)
    shutil.rmtree(tmp_path / "images")
    with pytest.raises(SystemExit) as e:
        probe.main(["--model", str(ckpt), "--data", str(data)])
    msg = str(e.value.code)
    assert msg.startswith("error: record '") and "FileNotFoundError: image not found" in msg and "[(" not in msg
    assert msg.endswith(f"relative image paths are read against --image-root {tmp_path}"), msg
