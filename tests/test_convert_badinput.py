"""Converters fed what a user gets wrong: truncated images, folders that are not there, entries
missing keys, re-runs into the same output folder. Each must name the input or count the skip."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from convert_helpers import convert, png

from data_gen.convert import convert as run_convert
from data_gen.convert.common import ConversionError


def truncated(path: Path, w: int = 64, h: int = 48) -> Path:
    """An image whose header is intact but whose pixel data stops early."""
    png(path, w, h)
    from PIL import Image

    Image.effect_noise((w, h), 50).convert("RGB").save(path)  # noise: compressed data worth cutting
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def test_truncated_image_is_skipped_and_counted(tmp_path):
    src = tmp_path / "dota"
    truncated(src / "a.png")
    png(src / "b.png", 64, 48)
    for stem in "ab":
        (src / f"{stem}.txt").write_text("10 10 40 10 40 30 10 30 plane 0\n")
    stats, records = convert(tmp_path / "o", "dota", "--src", str(src))
    assert stats["skipped"] == {"unreadable_image": 1}
    assert str(src / "a.png") in stats["skipped_examples"]["unreadable_image"]
    assert {r["images"][0]["path"] for r in records} == {"images/b.png"}

    (tmp_path / "q.txt").write_text("a.png:is there a plane?yes\na.png:how many planes?1\nb.png:any ship?no\n")
    stats, records = convert(tmp_path / "o2", "rsivqa", "--src", str(tmp_path / "q.txt"), "--images", str(src))
    assert stats["skipped"] == {"unreadable_image": 2} and len(records) == 1  # counted per line

    cls = tmp_path / "cls"
    truncated(cls / "forest" / "f_1.png")
    png(cls / "river" / "r_1.png", 8, 8)
    stats, records = convert(tmp_path / "o3", "folder", "--src", str(cls))
    assert stats["skipped"] == {"unreadable_image": 1} and len(records) == 1


@pytest.mark.parametrize("fmt", ["coco", "rsivqa", "llava", "dota"])
def test_missing_image_folder_is_an_error_naming_it(tmp_path, fmt):
    (tmp_path / "a.json").write_text(json.dumps({"images": [], "annotations": []}))
    (tmp_path / "q.txt").write_text("a.png:is there a plane?yes\n")
    (tmp_path / "l.json").write_text(json.dumps([{"id": 1, "image": "a.png", "conversations": []}]))
    (tmp_path / "a.txt").write_text("10 10 40 10 40 30 10 30 plane 0\n")
    nowhere = tmp_path / "nowhere"
    src = {"coco": ["--ann", str(tmp_path / "a.json")], "rsivqa": ["--src", str(tmp_path / "q.txt")],
           "llava": ["--src", str(tmp_path / "l.json")], "dota": ["--src", str(tmp_path)]}[fmt]
    with pytest.raises(ConversionError, match=str(nowhere)):
        run_convert([fmt, "--out", str(tmp_path / "o"), *src, "--images", str(nowhere)])
