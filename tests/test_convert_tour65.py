"""Tour 65 (converters): COCO crowd regions beside instances, wrapper folders, LEVIR-CD labels that are no mask."""

from __future__ import annotations

import json

import pytest
from convert_helpers import convert, objs, png

from data_gen.convert.common import ConversionError


def test_coco_crowd_region_is_never_merged_with_an_instance_of_the_same_box(tmp_path):
    """A box-only car and a crowd region (``iscrowd: 1``) of the same box with a polygon: the car was taken for a
    copy of the crowd (``duplicate_object``), so [det] held one object, flagged difficult: the car was never scored.
    Both are written now, only the crowd region difficult."""
    png(tmp_path / "imgs" / "a.png", 64, 48)
    box = [4, 4, 20, 12]
    anns = [{"id": 7, "image_id": 1, "category_id": 1, "bbox": box, "iscrowd": 0},
            {"id": 8, "image_id": 1, "category_id": 1, "bbox": box, "iscrowd": 1,
             "segmentation": [[4, 4, 24, 4, 24, 16, 4, 16]]}]
    ann = tmp_path / "a.json"
    ann.write_text(json.dumps({"images": [{"id": 1, "file_name": "a.png"}], "annotations": anns,
                               "categories": [{"id": 1, "name": "car"}]}))
    stats, recs = convert(tmp_path / "out", "coco", "--ann", str(ann), "--images", str(tmp_path / "imgs"))
    det = {r["id"]: r for r in recs}["coco-a-det-box"]
    assert len(objs(det)) == 2 and len(det["meta"]["difficult"]) == 1
    assert stats["skipped"] == {} and stats["notes"]["difficult_objects"] == 1


def test_folder_reads_through_a_single_wrapper_folder_of_class_folders(tmp_path):
    """EuroSAT's zip unpacks to ``2750/AnnualCrop/AnnualCrop_1.jpg``: the folder converter took ``2750`` for the one
    class of every image. A single top folder holding every image in class folders is read through, and said."""
    for c in ("AnnualCrop", "Forest"):
        for k in (1, 2):
            png(tmp_path / "src" / "EuroSAT" / "2750" / c / f"{c}_{k}.jpg", 64, 64)
    stats, recs = convert(tmp_path / "out", "folder", "--src", str(tmp_path / "src"))
    assert sorted(r["conversations"][-1]["value"] for r in recs) == ["annual crop"] * 2 + ["forest"] * 2
    assert stats["notes"]["wrapper_folders_descended"] == 2


def test_folder_keeps_one_class_of_band_file_scenes_as_it_is(tmp_path):
    """Scenes of one class given as band files in folders of their own are no wrapper: the class stays ``forest``."""
    for scene in ("s1", "s2"):
        for b in ("B02", "B03"):
            png(tmp_path / "src" / "forest" / scene / f"{b}.png", 32, 32, mode="L")
    stats, recs = convert(tmp_path / "out", "folder", "--src", str(tmp_path / "src"))
    assert [r["conversations"][-1]["value"] for r in recs] == ["forest"] * 2
    assert "wrapper_folders_descended" not in stats["notes"]
