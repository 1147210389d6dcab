"""Stop 77 (round 3), records: rsvlm.data.overlap reads a Windows backslash image name as its slash one, as
records resolve it, so one image named both ways is one image."""

from __future__ import annotations

import pytest
from test_overlap51 import checkpoint, rec, write_jsonl

from rsvlm.data.overlap import OverlapConfig, overlap_report

NAMES = pytest.mark.parametrize("train_name, test_name", [("imgs\\a.png", "imgs/a.png"), ("imgs/a.png", "imgs\\a.png"),
                                                          ("imgs\\sub\\a.png", "./imgs/sub//a.png")])


@NAMES
def test_a_backslash_name_is_the_slash_one_where_the_images_are_absent(train_name, test_name, tmp_path):
    """Was None: imgs\\a.png in training and imgs/a.png in the test set (images not on this machine) were two."""
    train = write_jsonl(tmp_path / "data/train.jsonl", [rec("t0", train_name), rec("t1", "imgs/other.png")])
    model = checkpoint(tmp_path / "run/final", str(train))
    test = [rec("x0", "imgs/b.png"), rec("x1", test_name)]
    line = overlap_report(model, test, tmp_path / "data", OverlapConfig(content=False))
    assert line is not None and line.startswith("1 of 2 test records share"), line
    assert "by image path 1" in line and "first: id x1, image path" in line, line


@NAMES
def test_a_backslash_name_is_the_slash_one_where_the_image_is_there(train_name, test_name, tmp_path):
    image = tmp_path / "data" / test_name.replace("\\", "/")
    image.parent.mkdir(parents=True)
    image.write_bytes(b"png" * 10)
    train = write_jsonl(tmp_path / "data/train.jsonl", [rec("t0", train_name)])
    model = checkpoint(tmp_path / "run/final", str(train))
    line = overlap_report(model, [rec("x0", test_name)], tmp_path / "data", OverlapConfig(content=False))
    assert line is not None and "by image path 1" in line, line


def test_a_posix_file_named_with_backslashes_stays_its_own(tmp_path):
    """Where a file really is named imgs\\a.png beside imgs/a.png (other bytes), the two are not one image."""
    (tmp_path / "data/imgs").mkdir(parents=True)
    (tmp_path / "data/imgs/a.png").write_bytes(b"one" * 10)
    (tmp_path / "data/imgs\\a.png").write_bytes(b"two" * 10)
    train = write_jsonl(tmp_path / "data/train.jsonl", [rec("t0", "imgs\\a.png")])
    model = checkpoint(tmp_path / "run/final", str(train))
    assert overlap_report(model, [rec("x0", "imgs/a.png")], tmp_path / "data") is None
    line = overlap_report(model, [rec("x0", "imgs\\a.png")], tmp_path / "data")
    assert line is not None and "by image path 1" in line, line
