"""Benchmark scripts refuse a bad argument with one usage line before writing gigabytes of scenes."""
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("args, says", [
    (["--workdir", "{tmp}/missing"], "--workdir {tmp}/missing: no such folder"),
    (["--sizes", "2k,5k"], "--sizes '2k,5k': give whole pixel sides"),
])
def test_tiling_bench_refuses_bad_arguments(tmp_path, args, says):
    args = [a.format(tmp=tmp_path) for a in args]
    r = subprocess.run([sys.executable, str(REPO / "bench" / "tiling.py"), *args], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 2
    assert says.format(tmp=tmp_path) in r.stderr and "Traceback" not in r.stderr
    assert not list(tmp_path.rglob("*.tif"))


def bench_main(name, monkeypatch, argv):
    """bench/NAME.py's main on ``argv`` in this process (bench/ on sys.path, as when run as a script)."""
    import importlib.util

    monkeypatch.syspath_prepend(str(REPO / "bench"))
    monkeypatch.setattr(sys, "argv", [name, *argv])
    spec = importlib.util.spec_from_file_location(f"bench_{name}", REPO / "bench" / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.main(argv) if "argv" in mod.main.__code__.co_varnames else mod.main()


@pytest.mark.parametrize("args, says", [
    (["--steps", "10"], "--steps 10: give at least 11"),  # was: the whole run, then 'no logged step after step 10'
    (["--steps", "0"], "--steps 0: give at least 11"),  # was: a CalledProcessError traceback
    (["--batch-size", "0"], "--batch-size 0: give 1 or more"),
    (["--profile-steps", "-1"], "--profile-steps -1: give 0"),
    (["--recipe", "{tmp}/missing.yaml"], "config file not found: {tmp}/missing.yaml"),  # was: a ConfigError traceback
    (["bogus=1"], "override 'bogus=1': unknown key 'bogus'"),
    (["--out", "{tmp}/file"], "--out {tmp}/file: is a file"),
])
def test_gpu_bench_refuses_bad_arguments_before_training(tmp_path, monkeypatch, capsys, args, says):
    (tmp_path / "file").write_text("")
    args = [a.format(tmp=tmp_path) for a in args]
    out = [] if "--out" in args else ["--out", str(tmp_path / "out")]
    with pytest.raises(SystemExit) as e:
        bench_main("gpu_train", monkeypatch, [*out, *args])
    assert e.value.code == 2 and says.format(tmp=tmp_path) in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
