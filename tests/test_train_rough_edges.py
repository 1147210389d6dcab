"""What a user meets when training and its maintenance commands go wrong: one clear line, nothing lost."""

from __future__ import annotations

import json
from pathlib import Path

from test_train_utils import make_records, recipe

from rsvlm.train import main as train_main


def _metrics_steps(out: Path) -> list[int]:
    return [json.loads(line)["step"] for line in (out / "metrics.jsonl").read_text().splitlines()]


def test_a_fresh_run_refuses_an_out_dir_that_holds_a_run(tmp_path, capsys):
    data = make_records(tmp_path / "d", n=8, ir_every=0)
    out = tmp_path / "run"
    argv = ["--config", str(recipe(tmp_path)), f"data.train={data}", f"out_dir={out}", "log.progress=false",
            "max_steps=2", "batch_size=4", "ckpt.every=1", "ckpt.keep=5"]
    assert train_main(argv) == 0
    before = (out / "final" / "vision.safetensors").read_bytes()
    capsys.readouterr()
    assert train_main(argv) == 2  # no ckpt.resume: refused like a config error, the finished run kept
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert str(out) in err and "ckpt.resume=auto" in err and "overwrite=true" in err and "Traceback" not in err
    assert (out / "final" / "vision.safetensors").read_bytes() == before
    assert _metrics_steps(out) == [1, 2]

    assert train_main([*argv, "max_steps=1", "overwrite=true"]) == 0  # replaces the old run's outputs
    assert _metrics_steps(out) == [1]
    assert sorted(p.name for p in (out / "checkpoints").iterdir()) == ["step_000001"]


def test_resume_drops_the_metrics_lines_logged_after_its_checkpoint(tmp_path, capsys):
    data = make_records(tmp_path / "d", n=8, ir_every=0)
    out = tmp_path / "run"
    argv = ["--config", str(recipe(tmp_path)), f"data.train={data}", f"out_dir={out}", "log.progress=false",
            "max_steps=3", "batch_size=4", "ckpt.every=1", "ckpt.keep=5"]
    assert train_main(argv) == 0
    assert train_main([*argv, f"ckpt.resume={out / 'checkpoints' / 'step_000001'}"]) == 0
    assert _metrics_steps(out) == [1, 2, 3]  # steps 2 and 3 once each, not twice
    assert "dropped 2 lines logged after step 1" in capsys.readouterr().err

    fresh = tmp_path / "fresh"  # auto with nothing to resume from says so
    assert train_main([*argv, f"out_dir={fresh}", "max_steps=1", "ckpt.resume=auto"]) == 0
    assert "no checkpoint in" in capsys.readouterr().err


class _Trap:
    """Unpickling this makes a folder: proof that a file was unpickled."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        import os

        return os.mkdir, (str(self.marker),)


def test_compare_checkpoints_refuses_pickled_files_without_loading_them(tmp_path, capsys):
    import torch
    from conftest import load_script

    marker = tmp_path / "unpickled"
    for name in ("a.pt", "b.bin"):
        torch.save({"w": _Trap(marker)}, tmp_path / name)
    (tmp_path / "fake.safetensors").write_bytes((tmp_path / "a.pt").read_bytes())
    compare = load_script("compare_checkpoints")
    assert compare.main([str(tmp_path / "a.pt"), str(tmp_path / "b.bin")]) == 2
    assert compare.main([str(tmp_path / "fake.safetensors"), str(tmp_path / "fake.safetensors")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and "a.pt: not a .safetensors file" in err[0] and "fake.safetensors" in err[1]
    assert not marker.exists()


def test_memory_plan_names_a_bad_config_in_one_line(tmp_path, capsys):
    import pytest
    from conftest import load_script

    plan = load_script("memory_plan")
    binary = tmp_path / "w.pt"
    binary.write_bytes(b"\x80\x02}q\x00.")
    for bad in (tmp_path / "nope.yaml", binary):
        assert plan.main([str(bad)]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and str(bad) in err[0], err
    with pytest.raises(SystemExit):
        plan.main(["--seq-len", "0"])
    assert "--seq-len: must be >= 1" in capsys.readouterr().err


def test_resume_from_a_half_written_or_wrong_folder_names_what_it_lacks(tmp_path, capsys):
    import shutil

    from conftest import load_script

    data = make_records(tmp_path / "d", n=8, ir_every=0)
    out = tmp_path / "run"
    argv = ["--config", str(recipe(tmp_path)), f"data.train={data}", "log.progress=false", "max_steps=2",
            "batch_size=4", "ckpt.every=1"]
    assert train_main([*argv, f"out_dir={out}"]) == 0
    half = tmp_path / "half"
    shutil.copytree(out / "checkpoints" / "step_000001", half)
    (half / "optimizer.safetensors").unlink()
    capsys.readouterr()
    for folder, why in ((half, "lacks optimizer.safetensors (a half-written"), (out, f"step folders are in {out / 'checkpoints'}"),
                        (out / "final", "a model folder (a run's final/ or an export)")):  # 009b7c8f: was only
        # "not a step folder"; it now says what final/ is (and names the latest step folder, init_from)
        assert train_main([*argv, f"out_dir={tmp_path / 'again'}", f"ckpt.resume={folder}"]) == 2  # was 1
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "ckpt.resume" in err[0] and why in err[0], err
        assert not (tmp_path / "again").exists()  # refused before anything is written
    export = load_script("export_step")
    assert export.main([str(out / "final"), "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert "not a step folder" in err and "DeepSpeed" not in err


def test_deepspeed_without_a_launcher_says_how_to_start_it(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("RANK", raising=False)
    data = make_records(tmp_path / "d", n=8, ir_every=0)
    assert train_main(["--config", str(recipe(tmp_path)), f"data.train={data}", f"out_dir={tmp_path / 'ds'}",
                       "dist.deepspeed=configs/deepspeed/zero2.json"]) == 2  # was an mpi4py traceback
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "needs a launcher" in err[0], err


def test_too_many_bad_samples_names_each_once_and_says_why(tmp_path, capsys):
    import ast

    data = make_records(tmp_path / "d", n=5, ir_every=0)
    # every image but rec0's missing: with none there the run is refused up front (NoImageFound, lead70)
    lines = data.read_text().splitlines(keepends=True)
    data.write_text(lines[0] + "".join(line.replace("images/", "gone/") for line in lines[1:]))
    argv = ["--config", str(recipe(tmp_path)), f"data.train={data}", f"out_dir={tmp_path / 'run'}",
            "log.progress=false", "max_steps=2", "batch_size=4"]
    assert train_main(argv) == 1
    last = capsys.readouterr().err.strip().splitlines()[-1]
    ids = ast.literal_eval(last.split("first ids: ")[1].split("]")[0] + "]")
    assert sorted(ids) == [f"rec{i}" for i in range(1, 5)]  # each once, though every epoch re-read them
    assert "image not found" in last and "gone" in last


def test_average_checkpoints_refuses_folders_without_safetensors_weights(tmp_path, capsys):
    import torch
    from conftest import load_script

    marker = tmp_path / "unpickled"
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "config.yaml").write_text("{}\n")
        torch.save({"w": _Trap(marker)}, tmp_path / name / "pytorch_model.bin")
    average = load_script("average_checkpoints")
    assert average.main([str(tmp_path / "a"), str(tmp_path / "b"), "--out", str(tmp_path / "avg")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "pytorch_model.bin" in err[0], err
    assert not (tmp_path / "avg").exists() and not marker.exists()  # was: "wrote avg", a copy with no weights averaged


def test_a_bad_config_value_names_its_key_and_touches_nothing(tmp_path, capsys):
    out = tmp_path / "run"
    for override, key in (("model.trainable.llm=lorra", "model.trainable.llm"), ("max_steps=0", "max_steps")):
        assert train_main(["--config", str(recipe(tmp_path)), "data.train=x.jsonl", f"out_dir={out}", override]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        said = f"rsvlm train: override {override!r} (command line): {key} must"  # was f"rsvlm train: {key} must"
        assert len(err) == 1 and err[0].startswith(said), err
    assert not out.exists()  # refused before out_dir is made


def test_resuming_past_max_steps_says_so(tmp_path, capsys):
    data = make_records(tmp_path / "d", n=8, ir_every=0)
    argv = ["--config", str(recipe(tmp_path)), f"data.train={data}", f"out_dir={tmp_path / 'run'}",
            "log.progress=false", "batch_size=4", "ckpt.every=1"]
    assert train_main([*argv, "max_steps=2"]) == 0
    capsys.readouterr()
    assert train_main([*argv, "max_steps=1", "ckpt.resume=auto"]) == 0  # was a silent "done: 2 steps"
    assert "at step 2, past max_steps=1" in capsys.readouterr().err


def test_a_device_that_is_not_there_or_not_a_device_is_one_line(tmp_path, capsys):
    import pytest
    import torch

    argv = ["--config", str(recipe(tmp_path)), f"data.train={make_records(tmp_path / 'd', n=4)}", "log.progress=false"]
    assert train_main([*argv, f"out_dir={tmp_path / 'a'}", "device=gpu"]) == 2  # was: trained on the CPU
    assert "device must be auto, cpu or cuda, got 'gpu'" in capsys.readouterr().err
    if torch.cuda.is_available():
        pytest.skip("a CUDA device is visible")
    assert train_main([*argv, f"out_dir={tmp_path / 'b'}", "device=cuda"]) == 2  # was a RuntimeError traceback
    assert "no CUDA device is visible" in capsys.readouterr().err.strip().splitlines()[-1]


def test_the_qlora_recipe_without_its_llm_names_the_folder(tmp_path, capsys):
    """Its placeholder LLM path is plainly local: it read as the hub name 'runs/tiny_llm' and
    tried to download it (an OSError traceback offline)."""
    data = make_records(tmp_path / "d", n=4)
    assert train_main(["--config", str(recipe(tmp_path, "qlora_tiny.yaml")), f"data.train={data}",
                       f"out_dir={tmp_path / 'q'}", "log.progress=false"]) == 2  # preflight's refusal (was 1)
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "runs/tiny_llm not found" in err[0], err


def test_step_folders_hold_no_pickle_and_older_ones_still_resume(tmp_path):
    import torch

    from rsvlm.train import checkpoint as ckpt

    data = make_records(tmp_path / "d", n=8, ir_every=0)
    out = tmp_path / "run"
    argv = ["--config", str(recipe(tmp_path)), f"data.train={data}", f"out_dir={out}", "log.progress=false",
            "batch_size=4", "ckpt.every=1", "ckpt.keep=5"]
    assert train_main([*argv, "max_steps=2"]) == 0
    step = out / "checkpoints" / "step_000001"
    assert not [p.name for p in step.iterdir() if p.suffix in (".pt", ".bin", ".pkl")]
    m = torch.nn.Linear(3, 2)
    opt = torch.optim.AdamW(m.parameters())
    m(torch.ones(1, 3)).sum().backward()
    opt.step()
    ckpt.save_optimizer(tmp_path, opt)
    again = torch.optim.AdamW(m.parameters())
    ckpt.load_optimizer(tmp_path, again)
    for a, b in zip(opt.state_dict()["state"].values(), again.state_dict()["state"].values()):
        assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    old = tmp_path / "old"  # a folder saved before: optimizer.pt, read weights only
    old.mkdir()
    torch.save(opt.state_dict(), old / "optimizer.pt")
    third = torch.optim.AdamW(m.parameters())
    ckpt.load_optimizer(old, third)
    assert torch.equal(third.state_dict()["state"][0]["exp_avg"], opt.state_dict()["state"][0]["exp_avg"])
    for name in ("optimizer.safetensors", "optimizer.json"):
        (step / name).unlink()
    (step / "optimizer.pt").write_bytes((old / "optimizer.pt").read_bytes())
    ckpt.check_step_folder(step, 0, deepspeed=False)  # complete: the old optimizer file counts


def test_export_and_average_refuse_a_folder_that_holds_files(tmp_path, capsys):
    from conftest import load_script

    used = tmp_path / "used"
    used.mkdir()
    (used / "junk.safetensors").write_bytes(b"")  # would be read as part of the written model
    assert load_script("export_step").main([str(tmp_path), "--out", str(used)]) == 2
    a, b = tmp_path / "a", tmp_path / "b"  # two inputs that do not hold --out (both are refused)
    a.mkdir(), b.mkdir()
    assert load_script("average_checkpoints").main([str(a), str(b), "--out", str(used)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and all(f"{used}: already exists and is not empty" in e for e in err), err


def test_ctrl_c_says_where_to_continue_without_a_traceback(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    from test_train_utils import REPO

    data = make_records(tmp_path / "d", n=8, ir_every=0)
    out = tmp_path / "run"
    proc = subprocess.Popen([sys.executable, "-m", "rsvlm.train", "--config", str(recipe(tmp_path)),
                             f"data.train={data}", f"out_dir={out}", "log.progress=false", "max_steps=100000",
                             "batch_size=4", "ckpt.every=1", "slow_step_s=1"],
                            cwd=REPO, env={**os.environ, "OMP_NUM_THREADS": "1", "PYTHONFAULTHANDLER": "1"},
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            # a suite run as a background job (nohup … &) inherits SIGINT ignored, and
                            # Python then never raises KeyboardInterrupt: the child slept on, Ctrl-C unseen
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.time() + 240
    # any step folder: step_000001 may be pruned (ckpt.keep) before this loop looks on a fast machine
    while not any((out / "checkpoints").glob("step_??????")) and proc.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    saved = any((out / "checkpoints").glob("step_??????"))
    proc.send_signal(signal.SIGINT)
    try:
        err = proc.communicate(timeout=120)[1]
    except subprocess.TimeoutExpired:  # say where it hangs (faulthandler's stacks)
        proc.send_signal(signal.SIGABRT)
        raise AssertionError(f"no exit 120 s after Ctrl-C (a step folder {'was' if saved else 'was not'} saved "
                             f"first); the stacks:\n{proc.communicate(timeout=60)[1][-6000:]}") from None
    assert proc.returncode == 130 and "Traceback" not in err, err[-2000:]
    assert "interrupted; continue from" in err and "ckpt.resume=auto" in err


def test_export_step_prints_no_bitsandbytes_hub_noise(tmp_path):
    import os
    import subprocess
    import sys

    from test_train_utils import REPO

    data = make_records(tmp_path / "d", n=4, ir_every=0)
    out = tmp_path / "run"
    assert train_main(["--config", str(recipe(tmp_path)), f"data.train={data}", f"out_dir={out}",
                       "log.progress=false", "max_steps=1", "batch_size=4", "ckpt.every=1"]) == 0
    run = subprocess.run([sys.executable, "scripts/export_step.py", str(out / "checkpoints" / "step_000001"),
                          "--out", str(tmp_path / "x")], cwd=REPO, env={**os.environ, "OMP_NUM_THREADS": "1"},
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0 and "kernels-community" not in run.stderr, run.stderr[-2000:]


def test_a_missing_records_file_is_refused_before_the_model_is_built(tmp_path, capsys, monkeypatch):
    import rsvlm.train.loop as loop

    def no_build(*a, **k):
        raise AssertionError("the model was built before the data was looked for")

    monkeypatch.setattr(loop, "build_model", no_build)
    argv = ["--config", str(recipe(tmp_path)), f"out_dir={tmp_path / 'run'}", "log.progress=false"]
    assert train_main([*argv, f"data.train={tmp_path / 'nope.jsonl'}"]) == 2  # was exit 1 after the build
    assert f"data.train: records file not found: {tmp_path / 'nope.jsonl'}" in capsys.readouterr().err
    (tmp_path / "set").mkdir()
    for name in ("stats.json", "train.jsonl"):
        (tmp_path / "set" / name).write_text("{}")
    assert train_main([*argv, f"data.train={tmp_path / 'set'}"]) == 2  # was exit 1, after the build
    assert "is a folder; give a JSONL file in it (train.jsonl)" in capsys.readouterr().err  # stats.json is no records
    data = make_records(tmp_path / "d", n=8, ir_every=0)
    assert train_main([*argv, f"data.train={data}", f"data.extra=[{{path: {tmp_path / 'x.jsonl'}}}]"]) == 2
    assert f"data.extra[0].path: records file not found: {tmp_path / 'x.jsonl'}" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()
