"""Review 79 of chat and predict: a change-pair folder's loop and the before images that have no after one."""
from __future__ import annotations

import shutil

import pytest
from setup_helpers import folder_error
from test_chat_tour79 import png_file, run_loop

pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="the hint's loop is a bash one; no bash here")


def test_a_before_image_of_no_after_one_in_pair_folders_is_counted_and_passed_over(tmp_path):
    """A/y.png with no B/y.png: '1 names in both', and the loop ran rsvlm predict on B/y.png, which is not there."""
    for sub, names in (("A", ("x.png", "y.png")), ("B", ("x.png",))):
        for name in names:
            png_file(tmp_path / "cd" / sub / name)
    said = folder_error(tmp_path / "cd")
    a, b = tmp_path / "cd" / "A", tmp_path / "cd" / "B"
    assert "it holds change pairs: 1 name in both A/ (before) and B/ (after); 1 raster of A/ without one in B/, " \
           "passed over;" in said, said
    assert run_loop(said, tmp_path) == [f"predict --task change --image {a / 'x.png'} --image {b / 'x.png'} ... "
                                         "--out x.png.json"]


def test_a_before_image_of_no_after_one_by_name_is_passed_over(tmp_path):
    for name in ("x_A.png", "x_B.png", "z_A.png"):
        png_file(tmp_path / "pairs" / name)
    said = folder_error(tmp_path / "pairs")
    d = tmp_path / "pairs"
    assert "it holds 1 change pair (*_A before, *_B after; 1 other raster beside them)" in said, said
    assert run_loop(said, tmp_path) == [f"predict --task change --image {d / 'x_A.png'} --image {d / 'x_B.png'} ... "
                                         f"--out {d / 'x'}.json"]


def test_pair_folders_of_whole_pairs_get_no_test_in_their_loop(tmp_path):
    for sub in ("A", "B"):
        png_file(tmp_path / "cd" / sub / "x.png")
    said = folder_error(tmp_path / "cd")
    assert "1 name in both A/ (before) and B/ (after); give a pair" in said and "[ -e" not in said, said
