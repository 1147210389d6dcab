"""Stop 79, round 2, chat and predict: the change-pair folder hint counts both sides' unpaired rasters, and its
loop reaches pairs whose endings are written in another case (a shell glob is case-sensitive)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest
from setup_helpers import folder_error
from test_chat_tour79 import png_file, run_loop

bash = pytest.mark.skipif(shutil.which("bash") is None, reason="the hint's loop is a bash one; no bash here")


@bash
def test_an_after_image_of_no_before_one_in_pair_folders_is_counted(tmp_path):
    """B/y.png with no A/y.png was not said at all: '1 name in both' and nothing of the other."""
    for sub, names in (("A", ("x.png",)), ("B", ("x.png", "y.png", "z.tif"))):
        for name in names:
            png_file(tmp_path / "cd" / sub / name)
    said = folder_error(tmp_path / "cd")
    a, b = tmp_path / "cd" / "A", tmp_path / "cd" / "B"
    assert "it holds change pairs: 1 name in both A/ (before) and B/ (after); 2 rasters of B/ without one in A/, " \
           "passed over;" in said, said
    assert "[ -e" not in said, said  # the loop runs over A/'s images: each has its B/ one
    assert run_loop(said, tmp_path) == [f"predict --task change --image {a / 'x.png'} --image {b / 'x.png'} ... "
                                         "--out x.png.json"]


@bash
def test_unpaired_rasters_on_both_sides_are_both_counted(tmp_path):
    for sub, names in (("A", ("x.png", "p.png")), ("B", ("x.png", "q.png"))):
        for name in names:
            png_file(tmp_path / "cd" / sub / name)
    said = folder_error(tmp_path / "cd")
    assert "1 name in both A/ (before) and B/ (after); 1 raster of A/ without one in B/, passed over; 1 raster of " \
           "B/ without one in A/, passed over;" in said, said
    assert len(run_loop(said, tmp_path)) == 1


@bash
def test_pairs_by_name_in_two_letter_cases_are_all_looped_over(tmp_path):
    """x_A.png beside y_a.png: the loop's glob was *_A.png alone (the first pair's case), so y_a.png was never run."""
    for name in ("x_A.png", "x_B.png", "y_a.png", "y_b.png"):
        png_file(tmp_path / "pairs" / name)
    said = folder_error(tmp_path / "pairs")
    d = tmp_path / "pairs"
    assert "it holds 2 change pairs (*_A or *_a before, *_B or *_b after)" in said, said
    assert sorted(run_loop(said, tmp_path)) == [
        f"predict --task change --image {d / 'x_A.png'} --image {d / 'x_B.png'} ... --out {d / 'x'}.json",
        f"predict --task change --image {d / 'y_a.png'} --image {d / 'y_b.png'} ... --out {d / 'y'}.json"]


@bash
def test_a_pair_whose_two_endings_differ_in_case_is_looped_over_as_written(tmp_path):
    """x_a.png beside x_B.png (and y_A.tif beside y_B.TIF): the after name is built as it is written."""
    for name in ("x_a.png", "x_B.png", "y_A.tif", "y_B.TIF", "w_A.tif", "w_B.tif"):
        png_file(tmp_path / "pairs" / name)
    said = folder_error(tmp_path / "pairs")
    d = tmp_path / "pairs"
    assert "it holds 3 change pairs" in said, said
    assert sorted(run_loop(said, tmp_path)) == [
        f"predict --task change --image {d / 'w_A.tif'} --image {d / 'w_B.tif'} ... --out {d / 'w'}.json",
        f"predict --task change --image {d / 'x_a.png'} --image {d / 'x_B.png'} ... --out {d / 'x'}.json",
        f"predict --task change --image {d / 'y_A.tif'} --image {d / 'y_B.TIF'} ... --out {d / 'y'}.json"]


def _chat_piped(ckpt, image, data: bytes, tmp_path) -> subprocess.CompletedProcess:
    """``rsvlm chat`` as a separate process, ``data`` piped to it, its stdin and stdout strict UTF-8 (a UTF-8
    locale's, where Python does not surrogate-escape)."""
    env = {**os.environ, "PYTHONIOENCODING": "utf-8:strict", "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", "rsvlm.cli", "chat", "--model", str(ckpt), "--device", "cpu", "--image",
                           str(image), "--max-new-tokens", "2"], input=data, capture_output=True, env=env,
                          cwd=tmp_path, timeout=300)


def test_a_strict_stdin_line_not_utf8_loses_none_of_the_lines_after_it(ckpt, geotiff, tmp_path):
    """A Latin-1 byte on a strict stdin: the decode error threw away the read-ahead buffer, so '[cls] scene?' after
    it was never read ('1 of 1 line read failed'), silently; now the line alone is refused and the next is asked."""
    run = _chat_piped(ckpt, geotiff, b"[vqa] caf\xe9?\n[cls] scene?\n/quit\n", tmp_path)
    out, err = run.stdout.decode(), run.stderr.decode()
    assert run.returncode == 1, (out, err[-2000:])
    assert "Traceback" not in out + err, err
    assert ">>> [vqa] caf\\xe9?\nerror: the question is not UTF-8 text (byte 0xe9 at byte 9)" in out, out
    assert ">>> [cls] scene?\n" in out, out  # read and asked
    assert "rsvlm chat: 1 of 3 lines read failed: line 1 ([vqa] caf\\xe9?)" in err, err


def test_a_byte_not_utf8_is_shown_as_its_escape():
    """'\\udce9' (a surrogate-escaped byte) was printed as it is: a strict stdout raised UnicodeEncodeError."""
    from rsvlm.answer_shown import first_control, shown

    assert shown("caf\udce9 \x1b[2J") == "caf\\xe9 \\x1b[2J"
    assert first_control("caf\udce9") is None  # such a line is refused as not UTF-8 (tokens.py), not as a control


def test_an_empty_piped_stdin_is_said(ckpt, geotiff, tmp_path):
    """rsvlm chat < empty.txt loaded the model and ended, status 0, with no word of having read nothing."""
    run = _chat_piped(ckpt, geotiff, b"", tmp_path)
    assert run.returncode == 0, run.stderr.decode()[-2000:]
    assert "rsvlm chat: its standard input was empty: no line read, nothing asked" in run.stderr.decode()
    run = _chat_piped(ckpt, geotiff, b"\n", tmp_path)  # a blank line was read: not said
    assert run.returncode == 0 and "was empty" not in run.stderr.decode()
