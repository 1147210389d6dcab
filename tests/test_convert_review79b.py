"""Review of stop 79's second converter tour: a run finding no label file at all says a mask beside its image apart
(it was one more unlabelled image), an image with nothing to write is not counted as kept whole under --tile, and
DOTA's 7-number line names its field 8 too (a bad coordinate reads as that short line)."""

from __future__ import annotations

import numpy as np
import pytest
from convert_helpers import convert, dota_lines, png
from PIL import Image

from data_gen.convert.common import ConversionError


@pytest.mark.parametrize("fmt, said", [("dota", "labelTxt file"), ("voc", ".xml file")])
def test_no_label_file_at_all_says_a_mask_beside_its_image_apart(tmp_path, fmt, said):
    # "2 images under … (Misc_100.png, Misc_100_pixels0.png) have no labelTxt file": the mask counted as an image
    src = tmp_path / "s"
    png(src / "Misc_100.png", 40, 30)
    png(src / "Misc_100_pixels0.png", 40, 30, "L")
    png(src / "b.png", 40, 30)
    with pytest.raises(ConversionError) as e:
        convert(tmp_path / "o", fmt, "--src", str(src), "--images", str(src))
    assert str(e.value).endswith(f"2 images under {src} (Misc_100.png, b.png) have no {said}, and 1 mask beside its "
                                 "image (Misc_100_pixels0.png by Misc_100.png)")


def test_no_label_file_with_no_mask_says_no_more(tmp_path):
    src = tmp_path / "s"
    png(src / "c_mask.png", 40, 30)  # no c.png beside it: an image
    with pytest.raises(ConversionError) as e:
        convert(tmp_path / "o", "dota", "--src", str(src), "--images", str(src))
    assert str(e.value).endswith(f"1 image under {src} (c_mask.png) has no labelTxt file")


def test_a_masks_image_with_nothing_to_write_is_not_kept_whole(tmp_path):
    # a guard: an image whose label holds no class is not read, so not counted kept whole (dota's was, below)
    png(tmp_path / "a.png", 100, 80)
    Image.fromarray(np.zeros((80, 100), np.uint8)).save(tmp_path / "a_label.png")
    lab = np.zeros((80, 100), np.uint8)
    lab[10:30, 10:40] = 255
    png(tmp_path / "b.png", 100, 80)
    Image.fromarray(lab).save(tmp_path / "b_label.png")
    stats, recs = convert(tmp_path / "o", "masks", "--images", str(tmp_path), "--labels", str(tmp_path),
                          "--label-suffix", "_label", "--binary", "ship", "--tile", "100")
    assert stats["notes"]["images_without_objects_not_read"] == 1 and recs
    assert stats["notes"]["images_within_tile_kept_whole"] == 1
    assert stats["notes_examples"]["images_within_tile_kept_whole"] == "b.png: 100 x 80 px, --tile 100"


def test_a_dota_image_with_no_object_is_not_kept_whole(tmp_path):
    src = tmp_path / "d"
    for n in "ab":
        png(src / "images" / f"{n}.png", 100, 80)
    (src / "labelTxt").mkdir()
    (src / "labelTxt" / "a.txt").write_text("500 500 600 500 600 600 500 600 ship 0\n")  # outside: nothing written
    (src / "labelTxt" / "b.txt").write_text("10 10 40 10 40 30 10 30 ship 0\n")
    stats, _ = convert(tmp_path / "o", "dota", "--src", str(src), "--tile", "100")
    assert stats["notes"]["empty_images"] == 1 and stats["notes"]["images_within_tile_kept_whole"] == 1
    assert stats["notes_examples"]["images_within_tile_kept_whole"] == "b.png: 100 x 80 px, --tile 100"


def test_dota_seven_numbers_then_a_bad_field_names_field_8_too(tmp_path):
    # "1 … 7 abc ship 0" (y4 mistyped) was said a short line alone after stop 79; it was "field 8, 'abc'" before
    stats = dota_lines(tmp_path, ["1 2 30 2 30 20 1 abc ship 0"])
    assert stats["skipped_examples"]["unparsable_line"].endswith(  # stop 80: that reading alone, "ship" a class
        "unparsable_line (field 8, 'abc', is no number (x1 y1 … x4 y4: 8 numbers before the class): "
        "1 2 30 2 30 20 1 abc ship 0)")


def test_dota_seven_numbers_and_a_class_alone_is_a_short_line_alone(tmp_path):
    stats = dota_lines(tmp_path, ["1 2 30 2 30 20 1 ship 0"])
    assert "(7 numbers before the class, not 8 (4 corners x y): 1 2" in stats["skipped_examples"]["unparsable_line"]
