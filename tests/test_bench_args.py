"""Benchmark scripts refuse a bad argument with one usage line before writing gigabytes of scenes."""
import subprocess
import sys
from pathlib import Path

import pytest
from script_loader import load_bench

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
    monkeypatch.setattr(sys, "argv", [name, *argv])
    mod = load_bench(name, monkeypatch)
    return mod.main(argv) if "argv" in mod.main.__code__.co_varnames else mod.main()


@pytest.mark.parametrize("args, says", [
    (["--steps", "10"], "--steps 10: give at least 11"),  # was: the whole run, then 'no logged step after step 10'
    (["--steps", "0"], "--steps 0: give at least 11"),  # was: a CalledProcessError traceback
    (["--batch-size", "0"], "--batch-size 0: give 1 or more"),
    (["--profile-steps", "-1"], "--profile-steps -1: give 0"),
    (["--recipe", "{tmp}/missing.yaml"], "config file not found: {tmp}/missing.yaml"),  # was: a ConfigError traceback
    (["bogus=1"], "override 'bogus=1' (command line): unknown key 'bogus'"),
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


@pytest.mark.parametrize("name, args, says", [
    ("chat_latency", ["--turns", "1"], "--turns 1: give 2 or more"),  # was: ZeroDivisionError after the runs
    ("chat_latency", ["bogus=1"], "override 'bogus=1': unknown key 'bogus'"),  # was: a ConfigError traceback
    ("constrained_decoding", ["--scenes", "0"], "--scenes 0: give 1 or more"),  # was: CalledProcessError
    ("constrained_decoding", ["--model", "{tmp}"], "--model {tmp}: not an rsvlm checkpoint"),
    ("det_decoding", ["--data", "{tmp}"], "--data {tmp}: is a folder; give the JSONL file"),  # was: IsADirectoryError
    ("det_decoding", ["--data", "{tmp}/f.jsonl", "--limit", "0"], "--limit: '0': give a count of det records"),  # 0 meant all
    ("tta", ["--data", "{tmp}/missing.jsonl"], "--data {tmp}/missing.jsonl: no such file"),
    ("missing_bands", ["--data", "{tmp}/f.jsonl", "--model", "{tmp}"], "--model {tmp}: not an rsvlm checkpoint"),
    ("geometry_codec", ["--realdata", "{tmp}", "--budgets", "16,x"], "--budgets '16,x': give location-token"),
    ("loc_learning", ["--every", "0"], "--every 0: give 1 or more"),  # was: ZeroDivisionError
    ("loc_learning", ["--steps", "1", "--every", "1", "--out", "{tmp}"], "--out {tmp}: give a file"),  # after the work
    ("synth_throughput", ["--workers", "0"], "--workers 0: give 1 or more"),  # was: synthesize's ValueError
    ("synth_throughput", ["--size", "0"], "--size 0 must be between 16 and 4096"),
    ("train_throughput", ["--steps", "0"], "--steps 0: give 2 or more"),  # was: a ValueError from rsvlm.train
    ("ground_assay", ["--scene", "bogus=1"], "--scene: override 'scene.bogus=1': unknown key"),
    ("count_assay", ["--scenes", "-1"], "--scenes -1: give 1 or more"),
])
def test_bench_scripts_refuse_bad_arguments_in_one_usage_line(tmp_path, monkeypatch, capsys, name, args, says):
    (tmp_path / "f.jsonl").write_text("")
    with pytest.raises(SystemExit) as e:
        bench_main(name, monkeypatch, [a.format(tmp=tmp_path) for a in args])
    err = capsys.readouterr().err
    assert e.value.code == 2 and says.format(tmp=tmp_path) in err and "Traceback" not in err, err[-2000:]


@pytest.mark.parametrize("name, text, says", [
    ("tta", "", "--data {data}: no ground, det, seg or change record"),  # was: ZeroDivisionError after the passes
    ("tta", "{{not json\n", "--data: {data}:1: not valid JSON"),  # was: a JSONDecodeError traceback
    ("det_decoding", "", "--data {data}: no det record"),  # was: KeyError 'all'
    ("missing_bands", "{{not json\n", "--data: {data}:1: not valid JSON"),
])
def test_bench_scripts_name_a_data_file_they_cannot_use(tmp_path, monkeypatch, capsys, name, text, says):
    data = tmp_path / "d.jsonl"
    data.write_text(text.format())
    with pytest.raises(SystemExit) as e:
        bench_main(name, monkeypatch, ["--data", str(data)])
    err = capsys.readouterr().err
    assert e.value.code == 2 and says.format(data=data) in err and "Traceback" not in err, err[-2000:]
