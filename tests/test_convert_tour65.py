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
