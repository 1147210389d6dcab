"""scripts/build_default_model.py as a user meets it: bad arguments are one usage line before any
stage runs, a failed or interrupted stage is one line saying how to resume, and --ship never
deletes the bundled model when there is nothing to ship."""

from __future__ import annotations

import sys

import pytest
from script_loader import load_script


@pytest.fixture
def build(monkeypatch):
    b = load_script("build_default_model", monkeypatch)
    ran = []
    monkeypatch.setattr(b, "STAGES", {"one": lambda out, bc, scale: ran.append(scale), "two": b.STAGES["eval_tta"]})
    b.ran = ran
    return b


@pytest.mark.parametrize("args, says", [
    (["--only"], "--only: expected at least one argument"),  # was: every stage, a two-hour build
    (["--budget-minutes", "0"], "--budget-minutes: '0': give a number of minutes above 0"),  # was: the reference
    (["--budget-minutes", "-5"], "--budget-minutes: '-5': give a number of minutes above 0"),  # was: negative steps
    (["--config", "{tmp}/missing.yaml"], "config file not found: {tmp}/missing.yaml"),  # was: a ConfigError traceback
    (["bogus=1"], "override 'bogus=1' (command line): unknown key 'bogus'"),
    (["eval_tta=sideways"], "eval_tta must be none or one of"),  # was: found by the last stage, after the build
    (["--out", "{tmp}/file"], "--out {tmp}/file: is a file"),  # was: a FileExistsError traceback
])
def test_bad_arguments_are_one_usage_line_before_any_stage(build, tmp_path, capsys, args, says):
    (tmp_path / "file").write_text("")
    args = [a.format(tmp=tmp_path) for a in args]
    out = [] if "--out" in args else ["--out", str(tmp_path / "out")]
    with pytest.raises(SystemExit) as e:
        build.main([*out, *args])
    err = capsys.readouterr().err.strip().splitlines()
    assert e.value.code == 2 and says.format(tmp=tmp_path) in err[-1], err
    assert build.ran == []


def test_a_failed_or_interrupted_stage_is_one_line_saying_how_to_resume(build, tmp_path, capsys, monkeypatch):
    def fails(out, bc, scale):
        build.run([sys.executable, "-c", "raise SystemExit(3)"])

    def interrupted(out, bc, scale):
        raise KeyboardInterrupt

    for stage, code, says in ((fails, 1, "exited with status 3"), (interrupted, 130, "interrupted")):
        monkeypatch.setitem(build.STAGES, "one", stage)
        assert build.main(["--out", str(tmp_path / "out"), "--only", "one"]) == code
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and says in err[0] and "the same command resumes" in err[0], err
        assert not (tmp_path / "out" / "one" / "DONE").exists()


def test_ship_without_a_built_model_keeps_the_bundled_one(build, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(build, "ROOT", tmp_path)
    bundled = tmp_path / "rsvlm" / "assets" / "default_model"
    bundled.mkdir(parents=True)
    (bundled / "config.yaml").write_text("bundled\n")
    with pytest.raises(SystemExit) as e:  # refused before the stages run (stop 80): was found after them
        build.main(["eval_tta=none", "--out", str(tmp_path / "out"), "--only", "one", "--ship"])
    assert e.value.code == 2 and build.ran == []
    assert (bundled / "config.yaml").read_text() == "bundled\n"  # was: deleted, then a FileNotFoundError
    assert "no built model to ship, and merge_chat, the stage that makes it, is not among" in capsys.readouterr().err



def test_an_oversized_model_is_refused_before_the_bundled_one_is_replaced(build, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(build, "ROOT", tmp_path)
    bundled = tmp_path / "rsvlm" / "assets" / "default_model"
    bundled.mkdir(parents=True)
    (bundled / "config.yaml").write_text("bundled\n")
    final = tmp_path / "out" / "final"
    final.mkdir(parents=True)
    (final / "config.yaml").write_text("built\n")
    with (final / "vision.safetensors").open("wb") as f:
        f.truncate(51 * 2**20)  # sparse: 51 MB on paper
    assert build.main(["eval_tta=none", "--out", str(tmp_path / "out"), "--only", "two", "--ship"]) == 1
    assert (bundled / "config.yaml").read_text() == "bundled\n"  # was: replaced, then a RuntimeError
    assert "exceeds the package's 50 MB limit; not shipped" in capsys.readouterr().err
