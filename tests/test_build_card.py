"""The build script: its model card (the plain scores and, from the eval_tta stage, the scores with
test-time augmentation), and what stopping a build does to its running stage."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time

import pytest
import torch
from script_loader import REPO, load_script

from rsvlm.config import load_config


def test_model_card_shows_the_scores_with_and_without_test_time_augmentation(tmp_path, monkeypatch):
    from safetensors.torch import save_file

    b = load_script("build_default_model", monkeypatch)
    bc = load_config(b.BuildConfig, b.CONFIGS / "build.yaml", [])
    assert bc.eval_tta in ("flip", "dihedral")  # the card's second table is the default
    (tmp_path / "final").mkdir()
    save_file({"w": torch.zeros(10, 10)}, str(tmp_path / "final" / "vision.safetensors"))
    (tmp_path / "data" / "test").mkdir(parents=True)
    (tmp_path / "data" / "test" / "test.jsonl").write_text("{}\n{}\n")
    (tmp_path / "eval").mkdir()

    def report(acc50: float) -> str:
        return json.dumps({"metrics": [{"task": "grounding", "metric": "acc50", "all": acc50, "optical": acc50}]})

    (tmp_path / "eval" / "report.json").write_text(report(0.25))
    card = b.write_card(tmp_path, bc, b.STAGES).read_text()
    assert "| Grounding (acc@0.5) | ≥ 0.80 | 0.250 |" in card and "(not scored)" in card
    (tmp_path / "eval" / "report_tta.json").write_text(report(0.375))
    card = b.write_card(tmp_path, bc, b.STAGES).read_text()
    assert card.index("| Grounding (acc@0.5) | ≥ 0.80 | 0.250 |") < card.index("| Grounding (acc@0.5) | ≥ 0.80 | 0.375 |")
    assert f"--tta {bc.eval_tta}" in card and "{{" not in card and card.count("(not scored)") == 1  # no chat yet
    (tmp_path / "eval" / "report_chat.json").write_text(report(0.125))
    (tmp_path / "data" / "test" / "chat.jsonl").write_text("{}\n")
    card = b.write_card(tmp_path, bc, b.STAGES).read_text()
    assert "| Grounding (acc@0.5) | ≥ 0.80 | 0.125 |" in card and "(1 conversations" in card
    assert "(not scored)" not in card
    with pytest.raises(ValueError, match="eval_tta"):
        b.stage_eval_tta(tmp_path, load_config(b.BuildConfig, b.CONFIGS / "build.yaml", ["eval_tta=sideways"]), 1.0)
    assert list(b.STAGES)[-2:] == ["eval", "eval_tta"]  # scoring only, after the model is built


def test_stopping_the_build_stops_the_running_stage(tmp_path):
    """`kill BUILD` (SIGTERM) ends the stage's process too, instead of leaving it training, orphaned,
    into the folder a restarted build resumes from; the stage gets no DONE marker."""
    pidfile = tmp_path / "stage.pid"
    stage = f"import os, time; open({str(pidfile)!r}, 'w').write(str(os.getpid())); time.sleep(120)"
    driver = tmp_path / "driver.py"
    driver.write_text(
        "import importlib.util, sys\n"
        f"spec = importlib.util.spec_from_file_location('bdm', {str(REPO / 'scripts' / 'build_default_model.py')!r})\n"
        "b = sys.modules['bdm'] = importlib.util.module_from_spec(spec); spec.loader.exec_module(b)\n"
        f"b.STAGES['slow'] = lambda out, bc, scale: b.run([sys.executable, '-c', {stage!r}])\n"
        f"sys.exit(b.main(['--out', {str(tmp_path / 'out')!r}, '--only', 'slow']))\n")
    build = subprocess.Popen([sys.executable, str(driver)], cwd=REPO)
    try:
        deadline = time.monotonic() + 180  # two interpreters and the build's imports, on a loaded machine
        while not (pidfile.is_file() and pidfile.read_text()):
            assert build.poll() is None and time.monotonic() < deadline, "the stage never started"
            time.sleep(0.1)
        child = int(pidfile.read_text())
        build.send_signal(signal.SIGTERM)
        assert build.wait(timeout=60) == 128 + signal.SIGTERM
        with pytest.raises(ProcessLookupError):  # terminated and reaped by the build
            os.kill(child, 0)
        assert not (tmp_path / "out" / "slow" / "DONE").exists()
    finally:
        build.kill()
        if pidfile.is_file() and pidfile.read_text():  # without the fix, the orphan would outlive the test
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(pidfile.read_text()), signal.SIGKILL)
