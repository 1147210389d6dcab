"""Stop 82 (G): the benches' and probes' --out as typed. ``type=Path`` dropped the ``/`` of ``--out r/``, so
require_out_file never saw it and a file named r was written after the work (geometry_codec, answer_memory,
count_assay, ground_assay); answer_memory checked its --out not at all; ``--out -`` wrote a file named ``-``
where the table is already printed on standard output (benches and probes alike): now refused before the work."""

from __future__ import annotations

import json

import pytest
from script_loader import load_bench, load_script
from test_probe_pointer_cells import ground_records

BENCHES = {  # the arguments each needs to reach its --out check; nothing is run past it
    "answer_memory": ["--lines", "10", "--repeats", "1"],
    "count_assay": ["--scenes", "1", "--steps", "1"],
    "ground_assay": ["--scenes", "1", "--steps", "1"],
    "geometry_codec": ["--realdata", "."],
    "loc_learning": ["--steps", "1", "--every", "1"],
}


@pytest.mark.parametrize("name", sorted(BENCHES))
@pytest.mark.parametrize("out, says", [
    ("r/", "--out r/ ends in '/', a folder's name: give a file in it, such as r/result.json"),
    ("-", "--out -: the table is printed on standard output; give a file for the JSON"),
    ("no/r.json", "--out no/r.json: give a file in an existing folder (no folder no)"),
])
def test_bench_out_is_refused_before_the_work(tmp_path, monkeypatch, capsys, name, out, says):
    monkeypatch.chdir(tmp_path)
    mod = load_bench(name, monkeypatch)
    for work in ("write_files", "make_scenes", "load_masks", "run_seed"):  # the first work of each, were it reached
        if hasattr(mod, work):
            monkeypatch.setattr(mod, work, lambda *a, **k: pytest.fail("went on to the work"))
    with pytest.raises(SystemExit) as e:
        mod.main([*BENCHES[name], "--out", out])
    err = capsys.readouterr().err
    assert e.value.code == 2 and says in err, err
    assert not list(tmp_path.iterdir())  # no file named r or -


def test_answer_memory_writes_its_figures_to_out(tmp_path, monkeypatch, capsys):
    """A real run of the smallest size: the JSON holds the figures the table printed."""
    mod = load_bench("answer_memory", monkeypatch)
    out = tmp_path / "figures.json"
    assert mod.main(["--lines", "20", "--ranks", "2", "--repeats", "1", "--cases", "check_out,answered_ids",
                     "--out", str(out)]) == 0
    got = json.loads(out.read_text())
    assert got["lines"] == 20 and [f["case"] for f in got["figures"]] == ["check_out", "answered_ids"]
    assert "| check_out | one file |" in capsys.readouterr().out
    assert [p.name for p in tmp_path.iterdir()] == ["figures.json"]  # no temp file left beside it


@pytest.mark.parametrize("probe", ["probe_pointer_cells", "probe_sensor_word"])
def test_probe_out_dash_is_refused_before_the_model_loads(tmp_path, monkeypatch, capsys, probe):
    mod = load_script(probe, monkeypatch)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("rsvlm.inference.load_model", lambda *a, **k: pytest.fail("loaded the model"))
    data = ground_records(tmp_path)
    with pytest.raises(SystemExit) as e:
        mod.main(["--data", str(data), "--out", "-"])
    err = capsys.readouterr().err
    assert e.value.code == 2 and "--out -: the " in err and "printed on standard output; give a file" in err, err
    assert not (tmp_path / "-").exists()  # was a file named -


def test_ctrl_c_in_a_bench_is_one_line_and_130(monkeypatch, capsys):
    """Was a KeyboardInterrupt traceback from deep in torch or synthesize's pool (seen: SIGINT to loc_learning and
    synth_throughput midway), exit 130 unsaid; every bench but B's eval_start ends through run_script."""
    from pathlib import Path

    common = load_bench("common", monkeypatch, "common")
    monkeypatch.setattr("sys.argv", ["bench/loc_learning.py"])

    def stopped():
        raise KeyboardInterrupt

    assert common.run_script(stopped) == 130
    err = capsys.readouterr().err
    assert "loc_learning.py: interrupted (Ctrl-C) before its table" in err and "Traceback" not in err
    assert common.run_script(lambda: {"a": 1}) == 0 and common.run_script(lambda: 2) == 2  # gpu_train returns its result
    benches = sorted(p for p in (Path(common.__file__).parent).glob("*.py") if p.name not in ("common.py", "eval_start.py"))
    assert len(benches) > 15
    assert [p.name for p in benches if not p.read_text().rstrip().endswith("run_script(main))")] == []


def test_ctrl_c_says_where_kept_files_are(tmp_path, monkeypatch, capsys):
    """--keep DIR after Ctrl-C held the files made so far without a word, and the rerun was refused as not empty."""
    common = load_bench("common", monkeypatch, "common")
    keep = tmp_path / "keep"
    keep.mkdir()
    with pytest.raises(KeyboardInterrupt), common.work_dir(keep, "tta") as work:
        (work / "records.jsonl").write_text("{}\n")
        raise KeyboardInterrupt
    err = capsys.readouterr().err
    assert f"tta: interrupted; the files made so far are kept in {keep}" in err
    assert (keep / "records.jsonl").is_file()  # kept, not removed: they were the run's


@pytest.mark.parametrize("out", ["", "  "])
def test_make_samples_refuses_an_empty_out(tmp_path, monkeypatch, capsys, out):
    """``--out "$DIR"`` with DIR unset drew the scenes and wrote the four samples and ground_truth.json into the
    current folder (seen: make_samples.py --out '' in a scratch folder)."""
    monkeypatch.chdir(tmp_path)
    mod = load_script("make_samples", monkeypatch)
    with pytest.raises(SystemExit) as e:
        mod.main(["--out", out, "--n", "1"])
    err = capsys.readouterr().err
    assert e.value.code == 2 and f"--out {out!r}: names no folder (an unset shell variable?)" in err, err
    assert not list(tmp_path.iterdir())


def test_export_step_refuses_an_empty_out(tmp_path, monkeypatch, capsys):
    """``--out ''`` was Path(''), the current folder: an empty one took the export, unsaid (read off the code)."""
    monkeypatch.chdir(tmp_path)
    mod = load_script("export_step", monkeypatch)
    (tmp_path / "runs").mkdir()
    with pytest.raises(SystemExit) as e:
        mod.main([str(tmp_path / "runs"), "--out", ""])
    err = capsys.readouterr().err
    assert e.value.code == 2 and "--out '': names no folder (an unset shell variable?)" in err, err
    assert [p.name for p in tmp_path.iterdir()] == ["runs"]


def test_shrunk_read_keeps_no_half_scene_in_its_dir(tmp_path, monkeypatch):
    """Ctrl-C while shrunk_read made its scene in --dir left the file half written (seen: 4464 of 6000 rows zero
    after SIGINT at 9 s), and the next run with that --dir took it as made and measured it."""
    import argparse

    mod = load_bench("shrunk_read", monkeypatch)

    def stopped(path, *a):
        path.write_bytes(b"II*\0 half a scene")
        raise KeyboardInterrupt

    args = argparse.Namespace(layouts="tiled", kind="rgb", dir=tmp_path, size=64, side=32)
    monkeypatch.setattr(mod, "make_scene", stopped)
    with pytest.raises(KeyboardInterrupt):
        mod.scenes(args, tmp_path)
    assert not list(tmp_path.iterdir())  # the scene was there, half written; its part file is removed too
    made = []
    monkeypatch.setattr(mod, "make_scene", lambda path, *a: made.append(path) or path.write_bytes(b"whole"))
    monkeypatch.setattr(mod, "run_child", lambda *a: (_ for _ in ()).throw(RuntimeError("measured")))
    with pytest.raises(RuntimeError, match="measured"):
        mod.scenes(args, tmp_path)
    assert len(made) == 1 and (tmp_path / "scene_64_tiled.tif").read_bytes() == b"whole"  # made again, then renamed
