"""scripts/launch.py refuses numbers that would only fail once every rank has started."""

from __future__ import annotations

import pytest
from script_loader import REPO, load_script


def test_a_global_batch_of_zero_is_refused(tmp_path, monkeypatch, capsys):
    launch = load_script("launch", monkeypatch)
    recipe = tmp_path / "r.yaml"
    recipe.write_text("# global_batch: 0\n" + (REPO / "configs/train/sft_tiny.yaml").read_text())
    assert launch.main([str(recipe), "--gpus-per-node", "1", "--dry-run"]) == 2  # was: grad_accum=0, exit 0
    err = capsys.readouterr().err
    assert f"{recipe}: no '# global_batch: N' header comment with N >= 1" in err and "grad_accum" not in err


@pytest.mark.parametrize("port", ["0", "99999", "-1"])
def test_a_master_port_out_of_range_is_a_usage_error(monkeypatch, capsys, port):
    launch = load_script("launch", monkeypatch)
    with pytest.raises(SystemExit) as e:  # was: printed and run as it was
        launch.main([str(REPO / "configs/train/recipes/geochat-7b-sft.yaml"), "--master-port", port, "--dry-run"])
    assert e.value.code == 2 and f"--master-port {port}: give a TCP port, 1 to 65535" in capsys.readouterr().err


def test_ctrl_c_lets_the_launcher_stop_its_ranks_without_a_traceback(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    fake = tmp_path / "bin" / "torchrun"  # stops the way torchrun does on SIGINT: after its ranks
    fake.parent.mkdir()
    fake.write_text(f"#!/bin/sh\ntrap 'sleep 1; echo stopped > {tmp_path}/mark; exit 1' INT\n"
                    f"echo up > {tmp_path}/up\nwhile :; do sleep 0.1; done\n")
    fake.chmod(0o755)
    recipe = tmp_path / "r.yaml"
    recipe.write_text("# global_batch: 4\n" + (REPO / "configs/train/sft_tiny.yaml").read_text())
    from test_train_utils import make_records

    sft_record = make_records(tmp_path / "d", n=4, ir_every=0)  # one global batch: launch.py reads the records too
    proc = subprocess.Popen([sys.executable, str(REPO / "scripts/launch.py"), str(recipe), "--launcher", "torchrun",
                             "--gpus-per-node", "1", f"out_dir={tmp_path / 'run'}",  # launch.py checks out_dir
                             f"data.train={sft_record}"],  # and the records file
                            env={**os.environ, "PATH": f"{fake.parent}:{os.environ['PATH']}"},
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        deadline = time.monotonic() + 120
        while not (tmp_path / "up").exists():
            assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read()
            time.sleep(0.1)
        os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C in a terminal reaches the whole group
        err = proc.communicate(timeout=60)[1]
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130 and "Traceback" not in err, err  # was: a KeyboardInterrupt traceback
    assert (tmp_path / "mark").read_text() == "stopped\n"  # was: SIGKILLed by subprocess.call, ranks orphaned


def test_a_grad_accum_override_is_refused_since_the_launcher_sets_it(monkeypatch, capsys):
    launch = load_script("launch", monkeypatch)
    recipe = str(REPO / "configs/train/recipes/qwen2.5-1.5b-sft.yaml")
    # was: printed 'grad_accum 2 → global batch 128' and ran grad_accum=2 grad_accum=4, a global batch of 256
    assert launch.main([recipe, "--gpus-per-node", "8", "--dry-run", "grad_accum=4"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "grad_accum=4: the launcher sets grad_accum" in captured.err
    assert launch.main([recipe, "--gpus-per-node", "8", "--dry-run", "batch_size=4"]) == 0
    assert "grad_accum=4 batch_size=4" in capsys.readouterr().out  # 4 × 4 × 8 = 128, as the header says


@pytest.mark.parametrize("flag", ["--nodes", "--gpus-per-node"])
def test_a_count_of_nodes_or_gpus_below_one_is_a_usage_error_naming_the_flag(monkeypatch, capsys, flag):
    launch = load_script("launch", monkeypatch)
    with pytest.raises(SystemExit) as e:
        launch.main([str(REPO / "configs/train/recipes/geochat-7b-sft.yaml"), flag, "0", "--dry-run"])
    assert e.value.code == 2 and f"{flag} 0: give 1 or more" in capsys.readouterr().err


def test_too_few_records_for_one_global_batch_are_refused_before_any_rank_starts(tmp_path, monkeypatch, capsys,
                                                                                  sft_record):
    """Each rank refused it (inputs.check_enough_records) once the launcher had started them all."""
    launch = load_script("launch", monkeypatch)
    recipe = tmp_path / "r.yaml"
    recipe.write_text("# global_batch: 4\n" + (REPO / "configs/train/sft_tiny.yaml").read_text())
    monkeypatch.setattr(launch.subprocess, "Popen", lambda *a, **k: pytest.fail("a launcher started"))
    code = launch.main([str(recipe), "--launcher", "torchrun", "--gpus-per-node", "1", f"out_dir={tmp_path / 'run'}",
                        f"data.train={sft_record}"])
    err = capsys.readouterr().err
    assert code == 2 and "batch_size=4" in err and "1 usable record," in err, err
