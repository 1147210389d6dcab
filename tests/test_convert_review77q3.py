"""Review 77 of Q3's converters round: masks' rule that a file in ``--labels`` named like a label less its suffix is
its image (6dad6098) matched stems across the whole tree, so a suffix-less label in one subfolder was dropped unsaid
where another held a suffixed label of its stem; and what it drops is counted now, never lost unsaid."""

from __future__ import annotations

import numpy as np
from convert_helpers import convert, png
from PIL import Image


def _mask(path):
    a = np.zeros((48, 64), np.uint8)
    a[10:30, 10:40] = 255
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(a).save(path)


def test_a_suffixless_label_in_another_subfolder_is_still_a_label(tmp_path):
    """labels/train/x.png and labels/val/x_mask.png are two labels; the rule read train/x.png as val's image and
    wrote 2 records of 3 labels with no word (it looks in a label's own folder alone now)."""
    for rel in ("train/x.png", "val/x_mask.png", "train/y.png"):
        _mask(tmp_path / "labels" / rel)
    for s in "xy":
        png(tmp_path / "imgs" / f"{s}.png", 64, 48)
    stats, recs = convert(tmp_path / "o", "masks", "--images", str(tmp_path / "imgs"), "--labels",
                          str(tmp_path / "labels"), "--binary", "ship")
    assert len(recs) == 3 and "files_in_labels_read_as_images" not in stats["notes"], stats


def test_a_file_taken_for_its_labels_image_is_counted(tmp_path):
    """One folder of labels holding x.png by x_mask.png (--images elsewhere): x.png is taken for the image, but a
    suffix-less label set that also holds a suffixed file of one stem lost it unsaid; it is counted and named."""
    for n in ("x.png", "x_mask.png", "y.png"):
        _mask(tmp_path / "labels" / n)
    for s in "xy":
        png(tmp_path / "imgs" / f"{s}.png", 64, 48)
    stats, recs = convert(tmp_path / "o", "masks", "--images", str(tmp_path / "imgs"), "--labels",
                          str(tmp_path / "labels"), "--binary", "ship")
    assert len(recs) == 2 and stats["notes"]["files_in_labels_read_as_images"] == 1, stats
    assert stats["notes_examples"]["files_in_labels_read_as_images"] == (
        f"{tmp_path / 'labels' / 'x.png'}: beside x_mask.png, taken for its image, not read as a label")


def test_the_image_beside_its_label_paired_from_there_is_not_counted(tmp_path):
    """HRSID's own run (--images above --labels): the .jpg beside its mask is the image paired, nothing to count."""
    _mask(tmp_path / "hr" / "x_mask.png")
    png(tmp_path / "hr" / "x.png", 64, 48)
    stats, recs = convert(tmp_path / "o", "masks", "--images", str(tmp_path), "--labels", str(tmp_path / "hr"),
                          "--binary", "ship")
    assert len(recs) == 1 and stats["skipped"] == {} and "files_in_labels_read_as_images" not in stats["notes"]


def test_images_under_labels_are_no_labels(tmp_path):
    """--labels ds --images ds/images: ds/images/x.png was read as a label too, its image itself (missing_image per
    image) before 6dad6098, which dropped it by its stem across the tree; looking in a label's own folder alone
    brought that back, so the files under --images are no labels."""
    for s in "xy":
        _mask(tmp_path / "ds" / "masks" / f"{s}_mask.png")
        png(tmp_path / "ds" / "images" / f"{s}.png", 64, 48)
    stats, recs = convert(tmp_path / "o", "masks", "--images", str(tmp_path / "ds" / "images"), "--labels",
                          str(tmp_path / "ds"), "--binary", "ship")
    assert len(recs) == 2 and stats["skipped"] == {} and stats["notes"] == {}, stats


def test_llava_records_of_absolute_paths_missing_do_not_blame_images(tmp_path, capsys):
    """An absolute image path is never looked for under --images, yet three such missing asked 'is --images the
    folder of the whole dataset?' (c6751072): only names read under --images count toward the warning."""
    import json

    from data_gen.__main__ import main

    rows = [{"id": s, "image": str(tmp_path / "gone" / f"{s}.png"), "conversations": [
        {"from": "human", "value": "<image>\nWhat is it?"}, {"from": "gpt", "value": "A harbour."}]} for s in "abc"]
    (tmp_path / "l.json").write_text(json.dumps(rows))
    (tmp_path / "imgs").mkdir()
    assert main(["convert", "llava", "--src", str(tmp_path / "l.json"), "--images", str(tmp_path / "imgs"),
                 "--out", str(tmp_path / "o"), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "warning" not in err and "no records written (3 missing_image)" in err, err
