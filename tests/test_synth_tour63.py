"""Tour 63 of synthetic data, instruction building and the build scripts (helper G)."""

from __future__ import annotations

import pytest


def _painted_car_in_shadow() -> dict:
    return {"id": 1, "class": "small vehicle", "attributes": {"colour": "", "paint": "white", "size": "small",
                                                              "orientation": "horizontal"}}


@pytest.mark.parametrize("images, counted", [({"sar": "images/x_sar.tif"}, False),
                                             ({"sar": "images/x_sar.tif", "optical": "images/x_optical.png"}, True)])
def test_a_set_without_optical_images_has_no_colour_line(images, counted):
    # a SAR-only run printed "colour    4 object(s) in a frame have no colour word: their optical pixels …":
    # no record of it has colour words, there were no optical pixels to read
    from data_gen.instructions.stats import Stats, format_report

    stats = Stats()
    stats.add_scene({"scene_class": "parking lot", "pair": False,
                     "frames": [{"images": images, "objects": [_painted_car_in_shadow()]}]}, "train")
    report = stats.report()
    assert ("colour_words_dropped" in report) == counted
    assert ("colour    1 object in a frame" in format_report(report)) == counted


def test_records_per_image_0_is_scenes_only_in_synth_and_refused_by_rebuild(tmp_path, capsys):
    # synth wrote three empty records files without a word; rebuild of such a set (its own mix) wrote three
    # empty files again, replacing the prefix's earlier set
    from data_gen.__main__ import main

    out = tmp_path / "o"
    assert main(["synth", "--out", str(out), "--n", "2", "--size", "32", "--no-progress",
                 "instructions.records_per_image=0"]) == 0
    err = capsys.readouterr().err
    assert "note: instructions.records_per_image=0: scenes only" in err and "data_gen rebuild" in err
    assert len(list((out / "scenes").glob("*.json"))) == 2 and (out / "train.jsonl").read_text() == ""
    assert main(["rebuild", "--dir", str(out), "--prefix", "p_", "--no-progress"]) == 2
    assert "instructions.records_per_image is 0" in capsys.readouterr().err
    assert not (out / "p_train.jsonl").exists()
    assert main(["rebuild", "--dir", str(out), "--prefix", "p_", "--no-progress",
                 "instructions.records_per_image=1"]) == 0
    assert (out / "p_train.jsonl").read_text() or (out / "p_val.jsonl").read_text()


@pytest.mark.parametrize("extra, says", [
    # each was refused by the first synth run the data stage started, after the build had begun
    ("{data: [--seed, '5']}", "extra.data: '--seed': the build gives each synth run its own"),
    ("{data: [--seed=-1]}", "extra.data: '--seed=-1': the build gives each synth run its own"),
    ("{data: [--workers, '0']}", "extra.data: out of range: --workers 0 (give at least 1) (the train run"),
    ("{data: [--wokers, '2']}", "extra.data: unrecognized arguments: --wokers (--wokers is no option: did you mean"),
    ("{data: [--size, '8']}", "extra.data: --size 8 must be between 16 and 4096"),
    ("{data: [scene.size=-3]}", "extra.data: override 'scene.size=-3': scene.size -3 must be between 16 and 4096"),
    ("{data: [--size, '64', scene.size=96]}", "extra.data: scene.size is given twice"),
    ("{data: [--modalities, 'sar,foo']}", "extra.data: --modalities sar,foo: each must be"),
    ("{data: [--help]}", "extra.data: --help shows synth's options"),
])
def test_build_yaml_extra_data_options_are_checked_before_any_stage(monkeypatch, tmp_path, capsys, extra, says):
    from script_loader import load_script

    b = load_script("build_default_model", monkeypatch)
    ran = []
    monkeypatch.setattr(b, "STAGES", {n: (lambda name: lambda out, bc, scale: ran.append(name))(n) for n in b.STAGES})
    with pytest.raises(SystemExit) as e:
        b.main(["--out", str(tmp_path), "--only", "data", f"extra={extra}"])
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert e.value.code == 2 and says in err and ran == [], err
    ok = "{data: [--workers, '2', --no-progress, --size, '64', scene.size=64]}"
    assert b.main(["--out", str(tmp_path), "--only", "data", f"extra={ok}"]) == 0 and ran == ["data"]


def test_record_values_notes_each_one_value_option_as_its_type_reads_it():
    # given_twice read argparse's private parser._actions; a parser made with record_values notes its values
    import argparse

    from data_gen.argv import given_twice, record_values

    p = record_values(argparse.ArgumentParser())
    p.add_argument("--k", type=int)
    p.add_argument("--src", nargs="+")
    p.add_argument("--quiet", action="store_true")
    p.add_argument("rest", nargs="*")

    def said(words):
        q = record_values(argparse.ArgumentParser())
        for args, kw in (("--k",), {"type": int}), (("--src",), {"nargs": "+"}), (("--quiet",), {"action": "store_true"}):
            q.add_argument(*args, **kw)
        q.add_argument("rest", nargs="*")
        return given_twice(q, words, q.parse_args(words).rest, {"--k": "a.k"})

    assert said(["--k", "1", "--k=01", "--src", "a", "--src", "b", "--quiet", "--quiet", "a.k=1"]) is None
    assert said(["--k=1", "--k", "2"]) == "--k is given twice: '--k=1' and '--k 2'; which one is meant? (give it once)"
    assert said(["--k", "3", "a.k=4"]).startswith("a.k is given twice: '--k 3' and 'a.k=4'")
    p.parse_args(["--k", "5"])
    assert p.values_given == [("--k", 5)]


def test_synth_progress_on_a_stderr_that_is_no_terminal_is_lines_not_redraws(tmp_path, capsys):
    # a build's log (the data stage's synth) held the bar's \r redraws as one line growing with every scene
    from data_gen.__main__ import main

    assert main(["synth", "--out", str(tmp_path / "o"), "--n", "4", "--size", "32"]) == 0
    err = capsys.readouterr().err
    assert "\r" not in err and "synth: 4/4 scenes (100%) in" in err
    assert [ln.split(" scenes")[0] for ln in err.splitlines() if ln.startswith("synth: ")] == \
        ["synth: 4", "synth: 1/4", "synth: 2/4", "synth: 3/4", "synth: 4/4"]  # stop 79: what it makes, at once
    assert main(["synth", "--out", str(tmp_path / "o"), "--n", "4", "--size", "32", "--no-progress"]) == 0
    assert "synth:" not in capsys.readouterr().err


def test_synth_throughput_refuses_more_scenes_than_synth_makes_before_any_run(capsys, monkeypatch):
    # --n 20000000 passed its check (at least 1), ran the warm-up, then synthesize's ValueError was a traceback
    from script_loader import load_bench

    bench = load_bench("synth_throughput", monkeypatch)
    with pytest.raises(SystemExit) as e:
        bench.main(["--n", "20000000", "--size", "32"])
    err = capsys.readouterr().err
    assert e.value.code == 2 and "--n 20000000: at most 10000000 scenes a run" in err and "run 1 of" not in err


def test_make_samples_refuses_more_scenes_than_synth_makes_as_a_usage_line(tmp_path, monkeypatch, capsys):
    # --n 20000000 passed "--n 1 or more", then synthesize's ValueError was a traceback
    from script_loader import load_script

    samples = load_script("make_samples", monkeypatch)
    with pytest.raises(SystemExit) as e:
        samples.main(["--out", str(tmp_path / "out"), "--n", "20000000"])
    assert e.value.code == 2 and "--n 20000000: at most 10000000 scenes" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_rebuild_refuses_a_negative_seed_first_naming_the_option(tmp_path, capsys):
    # it printed "instructions from DIR/config.yaml", then "error: seed must be >= 0, got -1"
    from data_gen.__main__ import main

    (tmp_path / "scenes").mkdir()
    assert main(["rebuild", "--dir", str(tmp_path), "--seed", "-1", "--prefix", "a_"]) == 2
    out = capsys.readouterr()
    assert "error: --seed -1: seed must be >= 0" in out.err and "instructions from" not in out.out


@pytest.mark.parametrize("words, says", [(["--n", "0"], "error: out of range: --n 0 (give at least 1 scene, e.g. --n 100)\n"),
                                         (["--n", "2", "--seed", "-1"], "error: out of range: --seed -1 (give 0 or more)\n")])
def test_synth_names_the_option_out_of_range(tmp_path, capsys, words, says):
    # "need n >= 1, seed >= 0 and workers >= 1, got n=0, seed=0, workers=1": which of the three was it?
    from data_gen.__main__ import main

    assert main(["synth", "--out", str(tmp_path / "o"), "--no-progress", *words]) == 2
    assert capsys.readouterr().err.endswith(says)
