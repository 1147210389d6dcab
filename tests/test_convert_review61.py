"""Review 61 (converters): DIOR's two image folders, COCO file_name folders under a deeper --images,
and the UTF-16-without-BOM guess left alone on text and binary that is not UTF-16."""

from __future__ import annotations

import json

import numpy as np
from convert_helpers import convert, png

from data_gen.convert.common import read_lines

BOX = "<bndbox><xmin>11</xmin><ymin>11</ymin><xmax>30</xmax><ymax>30</ymax></bndbox>"


def test_dior_oriented_folder_finds_both_image_folders(tmp_path):
    """DIOR ships JPEGImages-trainval and JPEGImages-test; the default took the first in sort order
    (test) alone, so every trainval annotation was missing_image."""
    png(tmp_path / "JPEGImages-trainval" / "00001.jpg", 100, 80)
    png(tmp_path / "JPEGImages-test" / "11726.jpg", 100, 80)
    (tmp_path / "JPEGImages-test.zip").write_bytes(b"PK")  # the download beside the extracted folder
    obb = tmp_path / "Annotations" / "Oriented Bounding Boxes"
    obb.mkdir(parents=True)
    for stem in ("00001", "11726"):
        (obb / f"{stem}.xml").write_text(f"<annotation><filename>{stem}.jpg</filename><object><name>ship</name>"
                                         f"{BOX}</object></annotation>")
    stats, recs = convert(tmp_path / "out", "voc", "--src", str(obb), "--strict")
    assert stats["skipped"] == {} and stats["images"] == 2
    assert "images_without_label" not in stats["notes"]
    stats, _ = convert(tmp_path / "out2", "voc", "--src", str(tmp_path / "Annotations"))  # one level up, too
    assert stats["skipped"] == {} and stats["images"] == 2


def test_coco_file_name_folders_under_a_deeper_images_folder(tmp_path):
    """``--images`` a folder above the one file_name starts from (``images/train/a.png``, ``images/val/a.png``):
    ``val/a.png`` took the first ``a.png`` in sort order, train's, and its boxes were drawn on it."""
    png(tmp_path / "root" / "images" / "train" / "a.png", 100, 50)
    png(tmp_path / "root" / "images" / "val" / "a.png", 60, 40)
    data = {"images": [{"id": 1, "file_name": "train/a.png"}, {"id": 2, "file_name": "val/a.png"}],
            "categories": [{"id": 1, "name": "ship"}],
            "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [10, 10, 20, 20]},
                            {"id": 2, "image_id": 2, "category_id": 1, "bbox": [5, 5, 20, 20]}]}
    (tmp_path / "ann.json").write_text(json.dumps(data))
    stats, recs = convert(tmp_path / "out", "coco", "--ann", str(tmp_path / "ann.json"), "--images",
                          str(tmp_path / "root"))
    assert stats["images"] == 2 and stats["skipped"] == {}
    assert {(r["meta"]["width"], r["meta"]["height"]) for r in recs} == {(100, 50), (60, 40)}


def test_bomless_utf16_guess_leaves_other_bytes_alone(tmp_path):
    """The NUL-byte guess must not read UTF-8, Latin-1, UTF-32 or binary data as UTF-16."""
    cases = {
        "utf8": "10 10 40 10 40 40 10 40 plane 0\nP\u00e9 12 \u6e2f\n".encode(),
        "latin1": "10 10 40 10 40 40 10 40 pl\u00e9ne 0\n".encode("latin-1"),
        "utf8_nul_padded": b"10 10 40 10 40 40 10 40 plane 0\n" + b"\x00" * 3000,  # a write cut short
        "utf8_few_nuls": b"10 10 40 10 40 40 10 40 plane 0\n\x00a\x00b\n" * 20,
        "utf32le": "10 10 40 10 40 40 10 40 plane 0\n".encode("utf-32-le"),
        "random": np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes(),
        "uint32": np.arange(1024, dtype="<u4").tobytes(),
    }
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        assert read_lines(tmp_path / name).utf16 is False, name
    (tmp_path / "utf8").write_bytes(cases["utf8"])
    assert read_lines(tmp_path / "utf8") == ["10 10 40 10 40 40 10 40 plane 0", "P\u00e9 12 \u6e2f"]
    for enc in ("utf-16-le", "utf-16-be"):
        (tmp_path / enc).write_bytes("1 2 3 4 5 6 7 8 ship 0\r\n".encode(enc))
        assert read_lines(tmp_path / enc) == ["1 2 3 4 5 6 7 8 ship 0"] and read_lines(tmp_path / enc).utf16
