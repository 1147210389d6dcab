"""Stop 81 (G): a first bench run past --budget is said under the table, naming the bench's size option; the
build's log no longer holds each eval.loc_error result JSON (loc_error prints it only without an --out file);
--ship's refusal names the stage build_stages.MAKERS gives OUT/final; require_out_file says when --out is a folder."""

from __future__ import annotations

import json
import sys

import pytest
from script_loader import load_script
from test_bench_tour80 import budget_runs

from rsvlm.argparsing import Parser


@pytest.mark.parametrize("size", ["turns", "scenes", None])
def test_a_first_run_past_the_budget_is_said(monkeypatch, size):
    ap = Parser(prog="bench")
    if size:  # the bench's size option (chat_latency's --turns, constrained_decoding's --scenes)
        ap.add_argument(f"--{size}", type=int, default=4)
    fit = f": fewer --{size} fit" if size else ""  # was "fewer --turns or --scenes fit" whatever the bench
    ran, note = budget_runs(monkeypatch, 120, 300, 1, ap)  # was "": one run of --repeat 1, 180 s past the budget, unsaid
    assert ran == [0]
    assert note == f"the first run alone took 300 s, past --budget 120 s (a run begun is not stopped{fit})"
    ran, note = budget_runs(monkeypatch, 120, 300, 3, ap)
    assert ran == [0] and note.startswith("best of 1 of --repeat 3 runs: another would have ended past --budget 120 s")
    assert note.endswith(f"; the first run alone took 300 s, past --budget 120 s (a run begun is not stopped{fit})")
    assert budget_runs(monkeypatch, 120, 100, 1, ap) == ([0], "")  # within it
    assert budget_runs(monkeypatch, 0, 300, 1, ap) == ([0], "")  # 0: no limit


def test_the_build_log_holds_no_loc_error_json(monkeypatch, tmp_path, capfd, ckpt):
    """The build's eval.loc_error runs wrote each result JSON, about 65 lines, into the build's log too; loc_error
    now prints it only where there is no --out file, as the scorers do, and says where it went. One real
    ``python -m eval.loc_error`` run through build_stages.run, as build_report.location_error runs it."""
    import numpy as np
    from PIL import Image

    from rsvlm import geometry

    stages = load_script("build_stages", monkeypatch)
    Image.fromarray(np.zeros((32, 32, 3), np.uint8)).save(tmp_path / "a.png")
    box = geometry.encode([{"kind": "box", "label": "ship", "coords": [4, 4, 20, 20]}], 32, 32)
    (tmp_path / "test.jsonl").write_text(json.dumps({
        "id": "r0", "task": "ground", "meta": {"width": 32, "height": 32},
        "images": [{"path": "a.png", "modality": "optical"}],
        "conversations": [{"from": "human", "value": "<image>\n[ground] the ship"}, {"from": "gpt", "value": box}]}) + "\n")
    out = tmp_path / "loc_error.json"
    capfd.readouterr()
    stages.run(stages.py("-m", "eval.loc_error", "--model", str(ckpt), "--data", str(tmp_path / "test.jsonl"),
                         "--tasks", "ground,det", "--device", "cpu", "--out", str(out)), env_threads=2)
    log = capfd.readouterr().out
    assert json.loads(out.read_text())["all"]["n"] == 4  # the JSON is in its --out file
    assert log.splitlines()[-1] == f"result written to {out}", log
    assert "mae_bins" not in log and "{" not in log, log  # was the result's JSON, too


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
