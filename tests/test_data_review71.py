"""Review of data tour 71: a 16-bit label of a grey palette's own codes beside one code the palette lacks."""

from __future__ import annotations

import json

import numpy as np
import pytest
from convert_helpers import convert, objs, png, png16


@pytest.mark.parametrize("channels", [1, 2])
def test_a_stray_code_beside_the_palettes_own_16_bit_codes_squashes_none_of_them(tmp_path, channels):
    # codes 256 and 512 were read as they are only where every value was the palette's: one stray 768 (nine pixels)
    # turned the label to 8 bits, 1/2/3, every pixel unknown_label_value and no record, the example naming "value 1"
    png(tmp_path / "images" / "a.png", 64, 48)
    a = np.zeros((48, 64, channels), np.uint16)
    a[10:30, 10:40, 0], a[35:45, 5:20, 0], a[0:3, 0:3, 0] = 256, 512, 768
    if channels == 2:
        a[..., 1] = 65535  # opaque: read through GDAL
    png16(tmp_path / "labels" / "a_mask.png", a)
    (tmp_path / "p.json").write_text(json.dumps({"building": 256, "road": 512}))
    stats, recs = convert(tmp_path / "o", "masks", "--images", str(tmp_path / "images"), "--labels",
                          str(tmp_path / "labels"), "--palette", str(tmp_path / "p.json"), "--no-progress")
    assert sorted(o["label"] for r in recs for o in objs(r)) == ["building", "road"]
    assert "labels_16_bit_read_as_8_bit" not in stats["notes"]
    assert stats["skipped"] == {"unknown_label_value": 1}
    assert "value 768 on 9 pixels" in stats["skipped_examples"]["unknown_label_value"]


def test_a_widened_mask_under_a_palette_naming_neither_reading_is_read_in_8_bits(tmp_path):
    # 0/65535 under a palette of 1: neither reading names it; the 8-bit one (255) is said, as before the palette was
    # consulted
    png(tmp_path / "images" / "a.png", 64, 48)
    a = np.zeros((48, 64, 1), np.uint16)
    a[10:30, 10:40] = 65535
    png16(tmp_path / "labels" / "a_mask.png", a)
    (tmp_path / "p.json").write_text(json.dumps({"building": 1}))
    stats, recs = convert(tmp_path / "o", "masks", "--images", str(tmp_path / "images"), "--labels",
                          str(tmp_path / "labels"), "--palette", str(tmp_path / "p.json"), "--no-progress")
    assert recs == []
    assert stats["notes"].get("labels_16_bit_read_as_8_bit") == 1
    assert "value 255 on 600 pixels" in stats["skipped_examples"]["unknown_label_value"]
