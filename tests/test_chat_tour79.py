"""Tour 79 of chat and predict: a questions file with an old Mac's line ends (lone CRs); the hint a folder given
as an image gets where it holds change pairs, or images of several suffixes."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from setup_helpers import chat_piped, folder_error


def test_a_questions_file_with_lone_cr_line_ends_is_read_as_lines(ckpt, geotiff, monkeypatch, capsys):
    """It arrived as one line and was refused naming its \\x0d: no question asked, status 1."""
    assert chat_piped(ckpt, geotiff, monkeypatch, b"[cls] scene?\r/help\r\r[vqa] a ship?\r") == 0
    cap = capsys.readouterr()
    assert "control character" not in cap.out and "\\x0d" not in cap.out and "\r" not in cap.out, cap.out
    assert "(note: the line read holds 4 lines ended by a lone CR, an old Mac's line ends: each is read as a line)" \
        in cap.out, cap.out
    assert ">>> [cls] scene?\n" in cap.out and ">>> /help\n" in cap.out and ">>> [vqa] a ship?\n" in cap.out, cap.out
    assert "/image" in cap.out.split(">>> /help\n", 1)[1]  # /help ran: its command list follows
    assert "read failed" not in cap.err, cap.err


def test_a_failed_line_among_lone_cr_lines_is_counted_by_its_own_number(ckpt, geotiff, monkeypatch, capsys):
    assert chat_piped(ckpt, geotiff, monkeypatch, b"/help\r/nosuchcommand\r[cls] scene?") == 1
    cap = capsys.readouterr()
    assert "1 of 3 lines read failed: line 2 (/nosuchcommand)" in cap.err, cap.err


def test_windows_line_ends_are_not_taken_for_lone_crs():
    from rsvlm.chat import cr_lines

    assert cr_lines("[cls] scene?\r") == ["[cls] scene?\r"]
    assert cr_lines("[cls] scene?\r\r") == ["[cls] scene?\r\r"]
    assert cr_lines("a\rb\r") == ["a", "b"]
    assert cr_lines("a\r\rb") == ["a", "", "b"]


def png_file(path: Path, w: int = 16, h: int = 16, bands: int = 3) -> Path:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    px = np.random.default_rng(len(str(path))).integers(0, 255, (h, w, bands)[:3 if bands > 1 else 2], dtype=np.uint8)
    Image.fromarray(px).save(path)
    return path


def run_loop(said: str, tmp_path: Path) -> list[str]:
    """The hint's "for each pair" shell loop run by bash, rsvlm an echo: the commands it would run."""
    loop = said.split("for each pair: ", 1)[1].removesuffix(" (docs/cli.md)")
    out = subprocess.run(["bash", "-c", 'rsvlm() { echo "$*"; }; ' + loop], capture_output=True, text=True,
                         cwd=tmp_path, check=True).stdout
    return out.splitlines()


@pytest.mark.skipif(shutil.which("bash") is None, reason="the hint's loop is a bash one; no bash here")
def test_a_levir_cd_folder_of_a_b_and_label_gets_the_change_pair_usage(tmp_path):
    """LEVIR-CD's test/A, test/B, test/label: the hint offered A's images one by one (for f in A/*.png; do rsvlm
    predict --image "$f" …), each asked alone, the before image without its after."""
    root = tmp_path / "LEVIR-CD"
    for name in ("test_2.png", "test_10.png"):
        for sub in ("A", "B", "label"):
            png_file(root / "test" / sub / name, bands=1 if sub == "label" else 3)
    said = folder_error(root)
    a, b = root / "test" / "A", root / "test" / "B"
    assert "it holds change pairs (in test): 2 names in both A/ (before) and B/ (after)" in said, said
    assert (f"rsvlm predict --task change --image {a / 'test_2.png'} --image {b / 'test_2.png'};") in said, said
    assert "separate images" not in said
    assert run_loop(said, tmp_path) == [f"predict --task change --image {a / n} --image {b / n} ... --out {n}.json"
                                         for n in ("test_10.png", "test_2.png")]  # the shell's order


@pytest.mark.skipif(shutil.which("bash") is None, reason="the hint's loop is a bash one; no bash here")
def test_a_folder_of_pairs_by_name_gets_the_change_pair_usage(tmp_path):
    for name in ("x_A.png", "x_B.png", "y_A.tif", "y_B.tif", "z.png"):
        png_file(tmp_path / "pairs" / name)
    (tmp_path / "pairs" / "notes.txt").write_text("no raster")
    said = folder_error(tmp_path / "pairs")
    d = tmp_path / "pairs"
    assert "it holds 2 change pairs (*_A before, *_B after; 1 other raster beside them)" in said, said
    assert f"--image {d / 'x_A.png'} --image {d / 'x_B.png'};" in said, said
    assert run_loop(said, tmp_path) == [
        f"predict --task change --image {d / 'x_A.png'} --image {d / 'x_B.png'} ... --out {d / 'x'}.json",
        f"predict --task change --image {d / 'y_A.tif'} --image {d / 'y_B.tif'} ... --out {d / 'y'}.json"]


def test_the_real_levir_pair_gets_the_change_pair_usage(realdata):
    said = folder_error(realdata / "cd_levir")
    d = realdata / "cd_levir"
    assert (f"--image {d / 'test_7_0256_0512_A.png'} --image {d / 'test_7_0256_0512_B.png'};") in said, said


def test_separate_images_of_several_suffixes_get_a_loop_over_those_suffixes(tmp_path):
    """The loop's glob was DIR/* for a folder of .png and .tif: its notes.txt and labels.json were run too."""
    for name in ("a.png", "b.tif", "c.PNG"):
        png_file(tmp_path / name, 16 + len(name), 16)
    (tmp_path / "notes.txt").write_text("x")
    said = folder_error(tmp_path)
    assert f"(for f in {tmp_path}/*.PNG {tmp_path}/*.png {tmp_path}/*.tif; do rsvlm predict" in said, said


def test_chat_image_of_a_pair_folder_says_how_to_load_the_pair_in_the_chat(ckpt, tmp_path):
    """/image of a LEVIR-CD-style folder was told only of rsvlm predict's two --image."""
    from test_predict_edges import chat_repl

    for name in ("x_A.png", "x_B.png"):
        png_file(tmp_path / "pair dir" / name)
    repl, out = chat_repl(ckpt)
    d = tmp_path / "pair dir"
    assert repl.handle(f"/image '{d}'")
    said = out.getvalue()
    assert (f"; in this chat, load a pair as /image '{d / 'x_A.png'}', then /image '{d / 'x_B.png'}', and ask "
            "[change]") in said, said
    repl.handle(f"/image '{d / 'x_A.png'}'"), repl.handle(f"/image '{d / 'x_B.png'}'")  # the paths, pasted, load
    assert "(a pair: x_A.png before, x_B.png after" in out.getvalue(), out.getvalue()
