"""Review 74 (chat, round 2): a piped chat's status and line count read from a real stdin (CRLF, a last line with no
newline); the read-only refusal is root's alone (out_paths.read_only), and predict's --vis/--out/--geojson get it."""

import io
import os
import sys

import pytest


@pytest.fixture
def locked(tmp_path):
    """A folder no one may write (``chmod a-w``); its mode restored after."""
    folder = tmp_path / "data"
    folder.mkdir()
    folder.chmod(0o555)
    yield folder
    folder.chmod(0o755)


def test_a_piped_chat_counts_crlf_lines_and_a_last_one_without_its_newline(ckpt, geotiff, monkeypatch, capsys):
    from rsvlm.cli import main

    # read through input() from a stdin as a file gives it: "\r\n" kept, no newline after the last line
    monkeypatch.setattr(sys, "stdin", io.StringIO("[cls] scene?\r\n\r\n/frob\r\nquit\r\n/vis"))
    assert main(["chat", "--model", str(ckpt), "--image", str(geotiff), "--device", "cpu",
                 "--max-new-tokens", "2"]) == 1
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err == "rsvlm chat: 2 of 5 lines read failed: line 3 (/frob), line 5 (/vis)", err


def test_a_piped_chat_of_questions_a_blank_and_quit_ends_at_eof_with_status_0(ckpt, geotiff, monkeypatch, capsys):
    from rsvlm.cli import main

    monkeypatch.setattr(sys, "stdin", io.StringIO("[cls] scene?\n\n  \nquit\nexit\n/help\n/reset\n[vqa]\n"))
    assert main(["chat", "--model", str(ckpt), "--image", str(geotiff), "--device", "cpu",
                 "--max-new-tokens", "2"]) == 0
    assert "failed" not in capsys.readouterr().err


def test_read_only_is_roots_check_alone(locked, tmp_path, monkeypatch):
    # mode bits are no proof for others (an ACL, a Windows folder's read-only flag): their write says why
    from rsvlm.out_paths import read_only, refused

    monkeypatch.setattr(os, "geteuid", lambda: 1000, raising=False)
    assert read_only(locked / "x.png") is None and refused(locked / "x.png") is None
    monkeypatch.delattr(os, "geteuid", raising=False)  # Windows
    assert read_only(locked / "x.png") is None
    monkeypatch.setattr(os, "geteuid", lambda: 0, raising=False)
    assert refused(locked / "sub" / "x.png").startswith(f"{locked} is read-only (dr-xr-xr-x): no one may write there")
    assert read_only(locked) is None  # an existing folder: the caller says "a folder; give a file name"
    (tmp_path / "f").write_bytes(b"")
    (tmp_path / "f").chmod(0o444)
    assert read_only(tmp_path / "f" / "x.png") is None  # a file where a folder goes: the caller says so
    assert read_only(tmp_path / "f").startswith("it is read-only (-r--r--r--)")  # chat's /vis, /geojson
    assert refused(tmp_path / "f") is None  # eval rescoring a finished --out made a-w: read again, not written
    assert read_only(tmp_path / "new.png") is None  # a writable folder
    fd = os.open(tmp_path / "f", os.O_WRONLY)  # as /dev/stdout is where a shell sent it: written into, not refused
    try:
        assert read_only(f"/proc/self/fd/{fd}") is None
    finally:
        os.close(fd)


@pytest.mark.parametrize("option", ["--vis", "--out", "--geojson"])
def test_predict_as_root_writes_nothing_into_a_read_only_folder(ckpt, geotiff, locked, monkeypatch, capsys, option):
    # root passes os.access and the append test: predict --vis put an overlay into a chmod a-w folder
    from rsvlm.cli import main

    monkeypatch.setattr(os, "geteuid", lambda: 0, raising=False)
    target = locked / ("o.png" if option == "--vis" else "o.json")
    assert main(["predict", "--model", str(ckpt), "--image", str(geotiff), "--task", "cls", "--device", "cpu",
                 "--max-new-tokens", "2", option, str(target)]) == 2
    err = capsys.readouterr().err
    assert f"{option} {target}: {locked} is read-only (dr-xr-xr-x)" in err, err
    assert "loading model" not in err and not list(locked.iterdir())
