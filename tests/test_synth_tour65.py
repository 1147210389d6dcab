"""Tour 65 of data_gen synth / rebuild: splits asked for that got no scene, progress in a log file."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import REPO


def test_a_split_asked_for_that_rounds_to_no_scene_is_said(tmp_path, capsys):
    # --n 2 with the default split.val=0.1, split.test=0.1 wrote empty val.jsonl and test.jsonl, unsaid:
    # the report's split line named train only
    from data_gen.__main__ import main

    assert main(["synth", "--out", str(tmp_path / "two"), "--n", "2", "--size", "32", "--no-progress"]) == 0
    err = capsys.readouterr().err
    for name in ("val", "test"):
        assert f"note: split.{name}=0.1 of 2 scenes rounds to none: {name}.jsonl is empty" in err
        assert (tmp_path / "two" / f"{name}.jsonl").read_text() == ""
    assert main(["synth", "--out", str(tmp_path / "three"), "--n", "3", "--size", "32", "--no-progress"]) == 0
    assert "rounds to none" not in capsys.readouterr().err  # one scene each from 3 on
    assert main(["synth", "--out", str(tmp_path / "nov"), "--n", "2", "--size", "32", "--no-progress",
                 "split.val=0", "split.test=0"]) == 0
    assert "rounds to none" not in capsys.readouterr().err  # none asked for


def test_synth_progress_in_a_log_file_is_one_line_a_tenth(tmp_path):
    # `python -m data_gen synth … 2> log.txt`: the tenth lines only, no tqdm line beside them
    log = tmp_path / "log.txt"
    with open(log, "w") as err:
        done = subprocess.run([sys.executable, "-m", "data_gen", "synth", "--out", str(tmp_path / "o"), "--n", "10",
                               "--size", "32", "split.val=0", "split.test=0"], cwd=REPO, stdout=subprocess.DEVNULL,
                              stderr=err, env={"PATH": "/usr/bin:/bin", "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"})
    assert done.returncode == 0
    lines = [ln for ln in log.read_text().splitlines() if "synth" in ln and "scene" in ln]
    # stop 79: first, at once, what the run makes (a 4096-px scene's first tenth line came after 72 s)
    assert [ln.split(" scenes")[0] for ln in lines] == ["synth: 10", *(f"synth: {i}/10" for i in range(1, 11))], lines
    assert "\r" not in log.read_text() and "it/s" not in log.read_text() and "scene/s" not in log.read_text()


def test_rebuild_and_preview_of_a_folder_without_scenes_name_the_folder_meant(tmp_path, capsys):
    # --dir out/scenes, or a converted set's folder, said only "no scene JSON files under D/scenes"
    from data_gen.__main__ import main
    from data_gen.synth.preview import main as preview

    assert main(["synth", "--out", str(tmp_path / "s"), "--n", "1", "--size", "32", "--no-progress"]) == 0
    conv = tmp_path / "conv"
    conv.mkdir()
    (conv / "records.jsonl").write_text("")
    (tmp_path / "bare").mkdir()
    capsys.readouterr()
    for folder, says in ((tmp_path / "s" / "scenes", f"holds scene JSON files itself; give the folder above it, "
                                                      f"{tmp_path / 's'}"),
                         (conv, "holds records (records.jsonl) but no scenes"),
                         (tmp_path / "bare", "--dir takes the output folder of `python -m data_gen synth`")):
        assert main(["rebuild", "--dir", str(folder), "--prefix", "p_", "--no-progress"]) == 2
        assert says in capsys.readouterr().err
        assert preview(["--dir", str(folder), "--out", str(tmp_path / "pv")]) == 2
        assert says in capsys.readouterr().err and not (tmp_path / "pv").exists()
    assert main(["rebuild", "--dir", str(tmp_path / "s"), "--prefix", "p_", "--no-progress"]) == 0


@pytest.mark.parametrize("unbuffered", ["", "1"])
def test_rebuild_piped_into_a_reader_that_left_writes_its_records_and_ends_quietly(tmp_path, unbuffered):
    # `rebuild … | head -2` with the reader gone: each line written at once (PYTHONUNBUFFERED) said "error: [Errno
    # 32] Broken pipe", exit 2, and wrote no records; buffered, the lines flushed at exit said "Exception ignored …
    # BrokenPipeError", exit 120, for records that were written
    import os

    from data_gen.synth.run import synthesize

    synthesize(tmp_path, 2, seed=0, progress=False, verbose=False)
    read, write = os.pipe()
    os.close(read)  # the reader has gone: every write raises BrokenPipeError
    env = {"PATH": "/usr/bin:/bin", "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1", "PYTHONUNBUFFERED": unbuffered}
    try:
        done = subprocess.run([sys.executable, "-m", "data_gen", "rebuild", "--dir", str(tmp_path), "--prefix", "p_"],
                              cwd=REPO, stdout=write, stderr=subprocess.PIPE, text=True, env=env)
    finally:
        os.close(write)
    assert done.returncode == 0 and "rror" not in done.stderr, done.stderr
    synths = (tmp_path / "train.jsonl").read_text()
    assert (tmp_path / "p_train.jsonl").read_text() == synths.replace('{"id":"', '{"id":"p_') != ""  # ids: the prefix


def test_tasks_option_makes_records_of_the_named_tasks_only_and_names_one_that_is_none(tmp_path, capsys):
    # `--tasks det,foo` was "unrecognized arguments: --tasks", with no word of how to pick tasks
    import json

    from data_gen.__main__ import main

    out = tmp_path / "o"
    assert main(["synth", "--out", str(out), "--n", "3", "--size", "32", "--no-progress", "--tasks", "Det, ground"]) == 0
    recs = [json.loads(ln) for s in ("train", "val", "test") for ln in (out / f"{s}.jsonl").read_text().splitlines()]
    assert recs and {r["task"] for r in recs} <= {"det", "ground"}
    capsys.readouterr()
    assert main(["synth", "--out", str(tmp_path / "p"), "--n", "3", "--no-progress", "--tasks", "det,cont"]) == 2
    err = capsys.readouterr().err
    assert "--tasks 'det,cont': 'cont' is no task (did you mean 'count'?); tasks are cls," in err
    assert not (tmp_path / "p").exists()
    assert main(["rebuild", "--dir", str(out), "--prefix", "c_", "--no-progress", "--tasks", "[count]"]) == 0
    assert "with --tasks [count]" in capsys.readouterr().out
    recs = [json.loads(ln) for ln in (out / "c_train.jsonl").read_text().splitlines()]
    assert recs and {r["task"] for r in recs} == {"count"}
    assert main(["rebuild", "--dir", str(out), "--prefix", "d_", "--no-progress", "--tasks", " , "]) == 2
    assert "--tasks ' , ' names no task" in capsys.readouterr().err


def test_every_geometry_written_parses_back_and_encodes_to_the_same_text(tmp_path):
    # every turn of a set of every task (points of [count] and the change masks too): decoded with no problem,
    # and its shapes encoded again are the text written (no shape the codec would write otherwise)
    import json
    from collections import Counter

    from data_gen.synth.config import SynthConfig
    from data_gen.synth.run import synthesize
    from rsvlm.config import from_dict
    from rsvlm.geometry import decode, encode

    cfg = from_dict(SynthConfig, {"scene": {"size": 64, "pairs_fraction": 0.5},
                                  "instructions": {"all_tasks": True, "point_count_share": 0.5}})
    synthesize(tmp_path, 8, seed=5, cfg=cfg, progress=False, verbose=False)
    shapes = Counter()
    for split in ("train", "val", "test"):
        for line in (tmp_path / f"{split}.jsonl").read_text().splitlines():
            r = json.loads(line)
            w, h = r["meta"]["width"], r["meta"]["height"]
            for turn in r["conversations"]:
                got = decode(turn["value"], w, h)
                assert got.problems == [], (r["id"], turn["value"][:120], got.problems)
                if got.objects:
                    assert encode(got.objects, w, h) in turn["value"], (r["id"], turn["value"][:120])
                    shapes.update(f"{r['task']}/{o['kind']}" for o in got.objects)
    assert {"det/box", "det/obb", "ground/box", "regcap/box", "seg/poly", "seg/mask", "count/point"} <= set(shapes)


def test_an_instructions_command_names_the_commands_that_make_records(capsys):
    # `python -m data_gen instructions` (the natural guess) said only "unknown command 'instructions'"
    from data_gen.__main__ import main

    assert main(["instructions", "--dir", "x"]) == 2
    err = capsys.readouterr().err
    assert "unknown command 'instructions'; instruction records are written by 'synth'" in err
    assert "'rebuild'" in err and "'chat'" in err
    assert main(["synt"]) == 2 and "did you mean 'synth'?" in capsys.readouterr().err


def test_the_build_checks_extra_data_tasks_as_synth_reads_them():
    # extra.data [--tasks, det]: the warmup and multi configs weight ground alone, so the check read det at 0
    # and refused a build whose synth runs would make det records (a named task at 0 gets 1)
    from conftest import load_script

    stages = load_script("build_stages")
    bc = stages.BuildConfig()
    assert stages.check_data_extra(["--tasks", "det"], bc) is None
    assert "'foo' is no task" in stages.check_data_extra(["--tasks", "det,foo"], bc)


def test_a_command_error_after_its_stdout_reader_left_keeps_its_exit_status(tmp_path):
    # main() flushed stdout into a gone reader and answered 0 for a command that had failed (exit 2, its
    # error said on stderr) or was interrupted (130): `synth … | head` looked as if it had worked
    import os

    code = ("import sys, data_gen.__main__ as m\n"
            "def failed(argv):\n    print('report line'); print('error: it failed', file=sys.stderr); return 2\n"
            "m.rebuild_main = failed\nsys.exit(m.main(['rebuild']))")
    read, write = os.pipe()
    os.close(read)
    try:
        done = subprocess.run([sys.executable, "-c", code], cwd=REPO, stdout=write, stderr=subprocess.PIPE, text=True,
                              env={"PATH": "/usr/bin:/bin", "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)})
    finally:
        os.close(write)
    assert (done.returncode, done.stderr) == (2, "error: it failed\n")


def test_tasks_help_says_the_default_mix_and_a_zero_weight_named(capsys):
    # synth's --help said "default: every task" where a config (data_warmup.yaml) weights ground alone, and
    # neither help said that a task named at weight 0 is made at weight 1
    from data_gen.__main__ import main

    for cmd in ("synth", "rebuild"):
        with pytest.raises(SystemExit):
            main([cmd, "--help"])
        said = " ".join(capsys.readouterr().out.split())
        assert "(1 where that is 0); default: the config's mix" in said and "every task" not in said, said


def test_a_set_made_with_tasks_is_the_set_of_those_weights_byte_for_byte(tmp_path):
    # --tasks det,count is the config's mix with every other task at 0, same bytes run after run
    from data_gen.__main__ import main

    common = ["--n", "3", "--size", "32", "--seed", "4", "--no-progress"]
    assert main(["synth", "--out", str(tmp_path / "a"), *common, "--tasks", "det,count"]) == 0
    assert main(["synth", "--out", str(tmp_path / "b"), *common, "--tasks", "count, DET"]) == 0
    zero = [f"instructions.task_weights.{t}=0" for t in ("cls", "vqa", "cap", "ground", "regcap", "seg", "change")]
    assert main(["synth", "--out", str(tmp_path / "c"), *common, *zero]) == 0
    for name in ("train.jsonl", "val.jsonl", "test.jsonl", "stats.json", "config.yaml"):
        got = {(tmp_path / d / name).read_bytes() for d in "abc"}
        assert len(got) == 1, name
    assert (tmp_path / "a" / "train.jsonl").read_text()
