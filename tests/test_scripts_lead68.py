"""The build script's SIGTERM handler is the caller's again after main() (it leaked into a whole test session:
a CI timeout's SIGTERM became SystemExit(143) inside whichever later test ran)."""
import signal

import pytest
from script_loader import load_script


def _mine(signum, frame):  # a caller's own handler
    raise AssertionError("not called")


@pytest.mark.parametrize("argv", [["--only", "nope"], ["--out", ""]])
def test_build_main_gives_the_callers_sigterm_handler_back(monkeypatch, tmp_path, argv):
    b = load_script("build_default_model", monkeypatch)
    before = signal.signal(signal.SIGTERM, _mine)
    try:
        with pytest.raises(SystemExit) as refused:  # usage errors: after the handler was installed or not
            b.main(argv)
        assert refused.value.code == 2
        assert signal.getsignal(signal.SIGTERM) is _mine
    finally:
        signal.signal(signal.SIGTERM, before)


def test_build_main_that_runs_gives_the_callers_sigterm_handler_back(monkeypatch, tmp_path):
    b = load_script("build_default_model", monkeypatch)
    seen = []
    monkeypatch.setattr(b, "run_build", lambda p, a, out, bc: seen.append(signal.getsignal(signal.SIGTERM)) or 0)
    before = signal.signal(signal.SIGTERM, _mine)
    try:
        assert b.main(["--out", str(tmp_path / "w")]) == 0
        assert seen and seen[0] is not _mine  # the build's own while it ran
        assert signal.getsignal(signal.SIGTERM) is _mine
    finally:
        signal.signal(signal.SIGTERM, before)


@pytest.mark.parametrize("script", ["probe_pointer_cells", "probe_sensor_word"])
@pytest.mark.parametrize("root, said", [("", "names no folder (an unset shell variable?)"),
                                        ("missing", "no such folder; give the folder"),
                                        ("file", "a file, not a folder")])
def test_probe_scripts_word_a_bad_image_root_as_rsvlm_eval_does(monkeypatch, tmp_path, capsys, script, root, said):
    """Both said "--image-root X is not a folder" of every case and took a blank one (an unset variable) as not
    given; now rsvlm eval's words, before any model is loaded."""
    (tmp_path / "file").write_text("")
    (tmp_path / "d.jsonl").write_text("")
    arg = {"": "", "missing": str(tmp_path / "missing"), "file": str(tmp_path / "file")}[root]
    with pytest.raises(SystemExit) as refused:
        load_script(script, monkeypatch).main(["--data", str(tmp_path / "d.jsonl"), "--image-root", arg])
    assert refused.value.code == 2 and said in capsys.readouterr().err


def test_a_sigterm_while_the_launcher_starts_is_passed_on_to_it(tmp_path):
    """launch.py installed its SIGTERM hand-on after starting the launcher: a scheduler's notice in between killed
    launch.py with the default action and left torchrun and its ranks running (seen under load in a test run)."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from script_loader import REPO

    script = tmp_path / "race.py"
    script.write_text(f"""
import os, signal, subprocess, sys
from pathlib import Path
sys.path[:0] = [{str(REPO / 'scripts')!r}, {str(REPO / 'tests')!r}]
from test_train_utils import make_records, recipe
import launch
tmp = Path({str(tmp_path)!r})
fake = tmp / "bin" / "torchrun"
fake.parent.mkdir()
fake.write_text("#!/bin/sh\\ntrap 'exit 1' TERM\\nwhile :; do sleep 0.05; done\\n")
fake.chmod(0o755)
os.environ["PATH"] = f"{{fake.parent}}:{{os.environ['PATH']}}"
cfg = tmp / "r.yaml"
cfg.write_text("# global_batch: 4\\n" + recipe(tmp, out_dir=str(tmp / "run")).read_text())
d = make_records(tmp / "d", n=4, ir_every=0)
real = subprocess.Popen
class Termed(real):  # the notice arrives the moment the launcher has started
    def __init__(self, *a, **k):
        super().__init__(*a, **k)
        if k.get("shell"):
            os.kill(os.getpid(), signal.SIGTERM)
launch.subprocess.Popen = Termed
sys.exit(launch.main([str(cfg), "--launcher", "torchrun", "--gpus-per-node", "1", f"data.train={{d}}"]))
""")
    log = tmp_path / "err.txt"
    with open(log, "w") as err_file:  # not a pipe: a stand-in left running would hold it open
        proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.DEVNULL, stderr=err_file,
                                start_new_session=True)
    try:
        proc.wait(timeout=240)
        deadline, left = time.time() + 30, True
        while left and time.time() < deadline:  # the stand-in's last `sleep` ends within 0.05 s
            try:
                os.killpg(proc.pid, 0)
                time.sleep(0.1)
            except ProcessLookupError:
                left = False
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    err = log.read_text()
    assert proc.returncode == 143, (proc.returncode, err[-2000:])
    assert "SIGTERM passed on to torchrun" in err and not left  # the launcher stopped too, none left running
