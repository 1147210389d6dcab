"""Stop 80 (P6): the pixels of many files named as masks are read under a bar, and DOTA's field-8 reading knows a
``--classes`` name in another case or with an ``s`` or ``es`` more or less."""

from __future__ import annotations

import numpy as np
import pytest
from convert_helpers import convert, png
from PIL import Image


def dota_with_masks(root, n: int, *extra: str) -> dict:
    """``convert dota`` over ``n`` 16x16 images each with an ``_gt`` mask beside it, one label file (image 0's)."""
    m = np.zeros((16, 16), np.uint8)
    m[4:10, 2:12] = 255
    for i in range(n):
        png(root / "d" / "images" / f"p{i}.png", 16, 16)
        Image.fromarray(m).save(root / "d" / "images" / f"p{i}_gt.png")
    (root / "d" / "labelTxt").mkdir()
    (root / "d" / "labelTxt" / "p0.txt").write_text("1 1 12 1 12 12 1 12 ship 0\n")
    stats, _ = convert(root / "o", "dota", "--src", str(root / "d"), *extra)
    return stats


def test_many_files_named_as_masks_are_read_under_a_bar(tmp_path, capsys):
    # 1000 left-out x_gt.png files took 2.9-3.7 s to tell from photos, after the converter's bar had ended, unsaid
    stats = dota_with_masks(tmp_path, 201)
    assert stats["notes"]["masks_beside_their_images_left_out"] == 201
    lines = [ln for ln in capsys.readouterr().err.splitlines() if ln.startswith("files named as masks:")]
    assert len(lines) == 1 and "201/201" in lines[0] and "files/s" in lines[0], lines


def test_few_files_named_as_masks_or_no_progress_draw_no_bar(tmp_path, capsys):
    dota_with_masks(tmp_path / "few", 200)
    assert "files named as masks" not in capsys.readouterr().err
    dota_with_masks(tmp_path / "quiet", 201, "--no-progress")
    assert "files named as masks" not in capsys.readouterr().err


def test_an_error_without_label_files_reads_many_masks_under_a_bar(tmp_path, capsys):
    from data_gen.convert.common import ConversionError
    from data_gen.convert.mostmissing import unlabelled_said

    m = np.zeros((16, 16), np.uint8)
    m[4:10, 2:12] = 255
    for i in range(201):
        png(tmp_path / f"p{i}.png", 16, 16)
        Image.fromarray(m).save(tmp_path / f"p{i}_gt.png")
    said = unlabelled_said(sorted(tmp_path.iterdir()), tmp_path, "labelTxt file")
    assert said.endswith("have no labelTxt file, and 201 masks beside their images (p0_gt.png by p0.png)")
    assert "files named as masks: 100% 201/201" in capsys.readouterr().err
    assert unlabelled_said(sorted(tmp_path.iterdir()), tmp_path, "labelTxt file", progress=False) == said
    assert "files named as masks" not in capsys.readouterr().err
    with pytest.raises(ConversionError, match="201 masks beside their images"):
        convert(tmp_path / "o", "dota", "--src", str(tmp_path), "--no-progress")
    assert "files named as masks" not in capsys.readouterr().err


MISTYPED = "field 8, 'abc', is no number (x1 y1 … x4 y4: 8 numbers before the class)"
SHORT = "7 numbers before the class, not 8 (4 corners x y)"


@pytest.mark.parametrize("classes, line, said", [
    ("boats", "1 2 30 2 30 20 1 abc boat 0", MISTYPED),  # was: 7 numbers, the class "abc boat"
    ("boat", "1 2 30 2 30 20 1 abc boats 0", MISTYPED),
    ("BOATS", "1 2 30 2 30 20 1 abc Boat 0", MISTYPED),
    ("bus", "1 2 30 2 30 20 1 abc buses 0", MISTYPED),
    ("boats", "1 2 30 2 30 20 1 boat 0", SHORT),  # the class begins at field 8
    ("boats", "1 2 30 2 30 20 1 abc car 0", SHORT),  # no known class either way
    ("", "1 2 30 2 30 20 1 abc planes 0", MISTYPED),  # DOTA's plane (no --classes: DOTA's classes)
])
def test_dota_field_8_knows_a_class_in_any_case_and_number(tmp_path, classes, line, said):
    png(tmp_path / "d" / "images" / "a.png", 100, 80)
    (tmp_path / "d" / "labelTxt").mkdir()
    (tmp_path / "d" / "labelTxt" / "a.txt").write_text(line + "\n")
    chosen = ["--classes", classes] if classes else []
    stats, _ = convert(tmp_path / "o", "dota", "--src", str(tmp_path / "d"), *chosen)
    assert stats["skipped"] == {"unparsable_line": 1}
    assert stats["skipped_examples"]["unparsable_line"] == (
        f"{tmp_path / 'd' / 'labelTxt' / 'a.txt'}:1: unparsable_line ({said}: {line})")
