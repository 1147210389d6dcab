"""Stop 81 (G): a first bench run past --budget is said under the table; the build's log no longer holds each
eval.loc_error result JSON (it is in the --out file); --ship's refusal names the stage build_stages.MAKERS gives
OUT/final; require_out_file says when --out is a folder."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

import pytest
from script_loader import load_bench, load_script


def _budget(monkeypatch, budget: float, each: float, repeat: int) -> tuple[list[int], str]:
    common = load_bench("common", monkeypatch)
    clock = [0.0]
    monkeypatch.setattr(time, "perf_counter", lambda: clock[0])
    b = common.Budget(argparse.ArgumentParser(), budget)
    ran = []
    for r in b.runs(repeat):
        ran.append(r)
        clock[0] += each
    return ran, b.note()


def test_a_first_run_past_the_budget_is_said(monkeypatch):
    ran, note = _budget(monkeypatch, 120, 300, 1)  # was "": one run of --repeat 1, 180 s past the budget, unsaid
    assert ran == [0]
    assert note == ("the first run alone took 300 s, past --budget 120 s (a run begun is not stopped: fewer --turns "
                    "or --scenes fit)")
    ran, note = _budget(monkeypatch, 120, 300, 3)
    assert ran == [0] and note.startswith("best of 1 of --repeat 3 runs: another would have ended past --budget 120 s")
    assert note.endswith("; the first run alone took 300 s, past --budget 120 s (a run begun is not stopped: fewer "
                         "--turns or --scenes fit)")
    assert _budget(monkeypatch, 120, 100, 1) == ([0], "")  # within it
    assert _budget(monkeypatch, 0, 300, 1) == ([0], "")  # 0: no limit


def test_the_build_log_holds_no_loc_error_json(monkeypatch, tmp_path, capfd):
    load_script("build_stages", monkeypatch)
    report = load_script("build_report", monkeypatch)
    stages = sys.modules["build_stages"]
    seen = []

    class Proc:  # writes the result where --out says, and records where its stdout went
        def __init__(self, cmd, cwd=None, env=None, stdout=None):
            seen.append((cmd[2], stdout))
            (tmp_path / cmd[cmd.index("--out") + 1]).write_text(json.dumps({"all": {"mae_expected_bins": 2.0}}))

        def wait(self, timeout=None):
            return 0

    monkeypatch.setattr(stages.subprocess, "Popen", Proc)
    (tmp_path / "final").mkdir()
    (tmp_path / "final" / "config.yaml").write_text("")
    (tmp_path / "test.jsonl").write_text("")
    got = report.location_error(tmp_path / "final", tmp_path / "test.jsonl", tmp_path / "loc_error")
    assert got == {"real": {"mae_expected_bins": 2.0}, "shuffled": {"mae_expected_bins": 2.0}}
    assert seen == [("eval.loc_error", subprocess.DEVNULL)] * 2  # was None: its stdout, the JSON, in the log
    out = capfd.readouterr().out
    assert f"(its JSON: {tmp_path / 'loc_error.json'})" in out and "(its JSON:" in out.splitlines()[-1]


def test_only_the_echoing_module_is_quieted(monkeypatch, tmp_path, capfd):
    stages = load_script("build_stages", monkeypatch)
    (tmp_path / "echo_out.py").write_text("import sys\nprint('{\"all\": 1}')\nprint('note', file=sys.stderr)\n")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    monkeypatch.setattr(stages, "ECHOES_OUT", ("echo_out",))
    stages.run([sys.executable, "-m", "echo_out", "--out", str(tmp_path / "r.json")])
    got = capfd.readouterr()
    assert '{"all": 1}' not in got.out and "note" in got.err  # stdout left out, stderr's notes kept
    stages.run([sys.executable, "-m", "echo_out"])  # no --out: its stdout is the only copy
    assert '{"all": 1}' in capfd.readouterr().out
    monkeypatch.setattr(stages, "ECHOES_OUT", ())
    stages.run([sys.executable, "-m", "echo_out", "--out", str(tmp_path / "r.json")])
    assert '{"all": 1}' in capfd.readouterr().out


def test_ship_names_the_stage_that_makes_final(monkeypatch, tmp_path, capsys):
    build = load_script("build_default_model", monkeypatch)
    monkeypatch.setattr(build, "STAGES", {"one": lambda out, bc, scale: None})
    monkeypatch.setitem(sys.modules["build_stages"].MAKERS, "final", "assemble")  # the table, not a copy of it
    with pytest.raises(SystemExit) as e:
        build.main(["--out", str(tmp_path / "out"), "--only", "one", "--ship"])
    err = capsys.readouterr().err
    assert e.value.code == 2
    assert "no built model to ship, and assemble, the stage that makes it" in err
    assert "run the stages up to assemble first (or name assemble in --only too)" in err and "merge_chat" not in err


@pytest.mark.parametrize("out, says", [
    ("{tmp}", "--out {tmp}: give a file in an existing folder ({tmp} is a folder; name a file in it)"),
    ("{tmp}/no/r.json", "--out {tmp}/no/r.json: give a file in an existing folder (no folder {tmp}/no)"),
])
def test_out_says_which_is_wrong(tmp_path, capsys, out, says):
    from eval.model_args import require_out_file
    from rsvlm.argparsing import Parser

    with pytest.raises(SystemExit) as e:  # was 'give a file in an existing folder' for both, a folder's too
        require_out_file(Parser(prog="x"), out.format(tmp=tmp_path))
    assert e.value.code == 2 and capsys.readouterr().err.strip().endswith(says.format(tmp=tmp_path))
    require_out_file(Parser(prog="x"), str(tmp_path / "r.json"))  # a file in an existing folder: no error
