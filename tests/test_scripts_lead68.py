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
