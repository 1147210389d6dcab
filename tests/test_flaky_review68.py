"""Review of stop 68's flaky-test fixes: the train tests' SIGTERM scheduler (``sigterm_once``) never ends the
whole session, even when its kill lands just as a run ended and put the default handler back."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from test_train_utils import sigterm_once

TESTS = Path(__file__).resolve().parent


def test_sigterm_once_holds_a_handler_for_its_block_and_puts_the_previous_back(tmp_path):
    before = signal.getsignal(signal.SIGTERM)
    with sigterm_once(tmp_path / "never", timeout_s=600):  # no kill is sent: the path never comes
        held = signal.getsignal(signal.SIGTERM)
    assert callable(held) and held is not before  # was the default: a late kill ended the session
    assert signal.getsignal(signal.SIGTERM) is before


def test_a_kill_that_lands_after_the_run_ended_does_not_end_the_process(tmp_path):
    """A run that wrote its first metrics line and ended (its own handler gone) before the scheduler's kill: the
    process took SIGTERM's default and died, ending a whole pytest session. Run in a child process, which the
    default would kill (status -15)."""
    code = f"""
import os, signal, sys, threading
sys.path.insert(0, {str(TESTS)!r})
from pathlib import Path
from test_train_utils import sigterm_once

path, sent, kill = Path({str(tmp_path / "metrics.jsonl")!r}), threading.Event(), os.kill

def killing(pid, sig):  # the scheduler thread's kill, seen
    kill(pid, sig)
    sent.set()

os.kill = killing
with sigterm_once(path):
    path.write_text("{{}}")  # the run's first line; then the run ends, its handler put back
    assert sent.wait(600), "no kill was sent"
print("survived")
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0 and proc.stdout.strip() == "survived", (proc.returncode, proc.stderr)
