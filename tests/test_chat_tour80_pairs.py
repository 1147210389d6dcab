"""Stop 80: a change-pair folder's loop runs each pair once on a case-insensitive disk too (x_A.png/x_B.png beside
y_A.png/y_b.png had two loops over *_A.png: where y_B.png is y_b.png, each pair was asked twice into one output)."""
from __future__ import annotations

import shutil
import subprocess
from collections import Counter

import pytest
from setup_helpers import folder_error
from test_chat_tour79 import png_file

pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="the hint's loop is a bash one; no bash here")

# [ -e PATH ] as a case-insensitive disk answers it (macOS's, Windows'): a name in any case is there
NO_CASE = '[() { ls -1 "${2%/*}" | grep -qixF -- "${2##*/}"; }; '


def looped(said: str, tmp_path, no_case: bool) -> list[str]:
    """The commands the hint's loop runs (rsvlm an echo), its existence tests case-insensitive where ``no_case``."""
    loop = said.split("for each pair: ", 1)[1].removesuffix(" (docs/cli.md)")
    out = subprocess.run(["bash", "-c", (NO_CASE if no_case else "") + 'rsvlm() { echo "$*"; }; ' + loop],
                         capture_output=True, text=True, cwd=tmp_path, check=True).stdout
    return out.splitlines()


def outputs(commands: list[str]) -> Counter:
    return Counter(c.rsplit("--out ", 1)[1] for c in commands)


@pytest.mark.parametrize("no_case", [False, True], ids=["case-sensitive", "case-insensitive"])
def test_afters_written_in_two_cases_beside_one_before_ending_run_each_pair_once(tmp_path, no_case):
    d = tmp_path / "pairs"
    for name in ("x_A.png", "x_B.png", "y_A.png", "y_b.png", "z_A.tif", "z_B.tif"):
        png_file(d / name)
    said = folder_error(d)
    assert "it holds 3 change pairs (*_A before, *_B or *_b after)" in said, said
    assert said.count("for f in ") == 2, said  # *_A.png (two ways of after) and *_A.tif: each before file once
    ran = looped(said, tmp_path, no_case)
    assert outputs(ran) == Counter({f"{d / 'x'}.json": 1, f"{d / 'y'}.json": 1, f"{d / 'z'}.json": 1}), ran
    if not no_case:  # each after as it is written
        assert sorted(ran) == [
            f"predict --task change --image {d / 'x_A.png'} --image {d / 'x_B.png'} ... --out {d / 'x'}.json",
            f"predict --task change --image {d / 'y_A.png'} --image {d / 'y_b.png'} ... --out {d / 'y'}.json",
            f"predict --task change --image {d / 'z_A.tif'} --image {d / 'z_B.tif'} ... --out {d / 'z'}.json"]


@pytest.mark.parametrize("no_case", [False, True], ids=["case-sensitive", "case-insensitive"])
def test_an_unpaired_before_image_among_two_ways_of_after_is_passed_over(tmp_path, no_case):
    d = tmp_path / "pairs"
    for name in ("x_A.png", "x_B.png", "y_A.png", "y_b.png", "w_A.png"):
        png_file(d / name)
    said = folder_error(d)
    assert "1 other raster beside them" in said, said
    ran = looped(said, tmp_path, no_case)
    assert outputs(ran) == Counter({f"{d / 'x'}.json": 1, f"{d / 'y'}.json": 1}), ran


def test_one_after_way_over_two_suffixes_is_still_one_loop(tmp_path):
    d = tmp_path / "pairs"
    for name in ("x_A.png", "x_B.png", "y_A.tif", "y_B.tif"):
        png_file(d / name)
    said = folder_error(d)
    assert f"for f in {d}/*_A.png {d}/*_A.tif; do rsvlm predict --task change --image \"$f\" --image " \
           "\"${f%_A.*}_B.${f##*.}\"" in said, said
    assert len(looped(said, tmp_path, True)) == 2


def test_a_folder_of_images_with_one_that_does_not_open_says_so_and_offers_a_good_one(tmp_path):
    """A text file named a_broken.png among photos of several sizes was counted as one of 'the 3 separate images'
    and offered as the example to give; it is counted apart and named, and the example is a file that opens."""
    d = tmp_path / "photos"
    png_file(d / "b.png", 16, 16)
    png_file(d / "c.png", 24, 20)
    (d / "a_broken.png").write_text("not an image")
    said = folder_error(d)
    assert f"give one of its images, e.g. {d / 'b.png'}; they are 2 separate images (3-band, of 2 sizes), and 1 " \
           "file that does not open as a raster (a_broken.png: rsvlm predict refuses it in the loop, the others go on)" \
        in said, said
    assert f"for f in {d}/*.png; do" in said, said  # the loop still takes every file: each run stands alone
