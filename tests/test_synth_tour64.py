"""Tour 64 (helper G): ``python -m data_gen synth`` as a demanding user runs it."""

import shutil
from collections import namedtuple

import pytest

from data_gen.__main__ import main
from data_gen.synth.config import SynthConfig
from data_gen.synth.run import check_room

Usage = namedtuple("Usage", "total used free")


def test_a_run_the_disk_cannot_hold_is_refused_before_any_scene(tmp_path, monkeypatch, capsys):
    """--n 1000 --size 4096 (about 480 GB of images) ran until the disk filled, hours in; now refused up front,
    naming the scene count, size and modalities, with nothing written."""
    monkeypatch.setattr(shutil, "disk_usage", lambda p: Usage(10**12, 0, 50 * 10**9))
    out = tmp_path / "set"
    assert main(["synth", "--out", str(out), "--n", "1000", "--size", "4096", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "--n 1000 scenes of --size 4096 px" in err and "482" in err and "50.0 GB free" in err
    assert not out.exists()


def test_room_counts_the_images_a_rerun_rewrites(tmp_path, monkeypatch):
    cfg = SynthConfig(modalities=["ir"])
    cfg.scene.size, cfg.scene.pairs_fraction = 100, 0.0  # 2 B a px: 20 kB a scene
    monkeypatch.setattr(shutil, "disk_usage", lambda p: Usage(10**9, 0, 30_000))
    check_room(tmp_path, 1, cfg, 0)
    with pytest.raises(OSError, match="--n 2 scenes"):
        check_room(tmp_path, 2, cfg, 0)
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "s0-000000_ir.tif").write_bytes(b"\0" * 20_000)  # an earlier run's, rewritten
    check_room(tmp_path, 2, cfg, 0)


def test_room_counts_only_the_images_a_rerun_rewrites(tmp_path, monkeypatch):
    """Every file in images/ was counted as room a rerun frees, though one of another seed, another modality or
    a scene past --n is kept: a run that could not fit was let start."""
    cfg = SynthConfig(modalities=["ir"])
    cfg.scene.size, cfg.scene.pairs_fraction = 100, 0.0  # 2 B a px: 20 kB a scene
    monkeypatch.setattr(shutil, "disk_usage", lambda p: Usage(10**9, 0, 30_000))
    (tmp_path / "images").mkdir()
    for name in ("s7-000000_ir.tif", "s0-000000_msi.tif", "s0-000005_ir.tif", "s0-000000_ir.tif.bak"):
        (tmp_path / "images" / name).write_bytes(b"\0" * 20_000)
    with pytest.raises(OSError, match="--n 2 scenes"):
        check_room(tmp_path, 2, cfg, 0)
    (tmp_path / "images" / "s0-000001_ir_t1.tif").write_bytes(b"\0" * 20_000)  # a pair's frame of this run's
    check_room(tmp_path, 2, cfg, 0)


def test_room_is_not_refused_where_the_disk_gives_no_figures(tmp_path, monkeypatch):
    """A mount whose statvfs says 0 blocks in all (some FUSE file systems, which write anyway) had every run
    refused as one its disk could not hold, with no way past it."""
    cfg = SynthConfig(modalities=["ir"])
    monkeypatch.setattr(shutil, "disk_usage", lambda p: Usage(0, 0, 0))
    check_room(tmp_path, 1000, cfg, 0)
    monkeypatch.setattr(shutil, "disk_usage", lambda p: Usage(10**9, 10**9, 0))  # a full disk is still one
    with pytest.raises(OSError, match="0.0 GB free"):
        check_room(tmp_path, 1000, cfg, 0)


def test_ctrl_c_says_how_many_scenes_were_written_and_where_the_records_are(tmp_path, monkeypatch, capsys):
    """Ctrl-C said "no records files" beside the train/val/test.jsonl.partial it left, and not how far it got."""
    from data_gen.synth import run

    real = run.make_scene

    def make_scene(i, *args, **kw):
        if i == 3:
            raise KeyboardInterrupt  # as Ctrl-C's SIGINT would, in the fourth scene
        return real(i, *args, **kw)

    monkeypatch.setattr(run, "make_scene", make_scene)
    out = tmp_path / "set"
    assert main(["synth", "--out", str(out), "--n", "10", "--size", "32", "--modalities", "ir", "--no-progress"]) == 130
    err = capsys.readouterr().err
    assert f"interrupted: {out} holds an incomplete run (3 of 10 scenes done; its records only in " \
           "*.jsonl.partial" in err
    assert (out / "train.jsonl.partial").is_file() and not (out / "train.jsonl").exists()


def test_records_no_synth_run_wrote_are_not_replaced(tmp_path, capsys):
    """--out at a folder holding someone's own train.jsonl (a set made by hand, beside its images) replaced it
    with synth's records, unsaid; now refused, naming it, and the file is as it was. A synth folder reruns."""
    out = tmp_path / "mine"
    out.mkdir()
    (out / "train.jsonl").write_text('{"id": "precious"}\n')
    argv = ["synth", "--out", str(out), "--n", "2", "--size", "32", "--modalities", "ir", "--no-progress"]
    assert main(argv) == 2
    assert "holds train.jsonl that no synth run wrote" in capsys.readouterr().err
    assert (out / "train.jsonl").read_text() == '{"id": "precious"}\n' and not (out / "scenes").exists()
    (out / "train.jsonl").unlink()
    assert main(argv) == 0 and main(argv) == 0  # its own set: made, then made again in place


@pytest.mark.parametrize("module", ["build_report", "build_stages"])
def test_the_build_modules_run_by_hand_say_what_to_run(module):
    """``python scripts/build_report.py --help`` did nothing and said nothing, exit 0."""
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parent.parent / "scripts" / f"{module}.py"
    done = subprocess.run([sys.executable, str(script), "--help"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "python scripts/build_default_model.py --help" in done.stderr


def test_ctrl_c_is_said_on_python_3_10_too(tmp_path, monkeypatch, capsys):
    """The note of how far it got was KeyboardInterrupt.add_note, which Python 3.10 (requires-python >= 3.10)
    has not: Ctrl-C there was an AttributeError traceback."""
    from data_gen.synth import run

    class Interrupt310(KeyboardInterrupt):
        @property
        def add_note(self):  # as 3.10's KeyboardInterrupt: no such attribute
            raise AttributeError("'KeyboardInterrupt' object has no attribute 'add_note'")

    real = run.make_scene

    def make_scene(i, *args, **kw):
        if i == 2:
            raise Interrupt310
        return real(i, *args, **kw)

    monkeypatch.setattr(run, "make_scene", make_scene)
    out = tmp_path / "set"
    assert main(["synth", "--out", str(out), "--n", "5", "--size", "32", "--modalities", "ir", "--no-progress"]) == 130
    assert "(2 of 5 scenes done; its records only in *.jsonl.partial" in capsys.readouterr().err


def test_ctrl_c_after_the_records_were_written_does_not_say_they_were_not(tmp_path, monkeypatch, capsys):
    """Ctrl-C while the finished run looked for stale files (a scan of its folders, seconds at 100k scenes) said
    "its records only in *.jsonl.partial, no train/val/test.jsonl" beside the train.jsonl it had just written."""
    from data_gen.synth import run

    def leftovers(*args, **kw):
        raise KeyboardInterrupt

    monkeypatch.setattr(run, "_leftovers", leftovers)
    out = tmp_path / "set"
    assert main(["synth", "--out", str(out), "--n", "3", "--size", "32", "--modalities", "ir", "--no-progress"]) == 130
    err = capsys.readouterr().err
    assert f"interrupted: {out} holds a whole set" in err and "partial" not in err
    assert (out / "train.jsonl").is_file() and (out / "stats.json").is_file()
