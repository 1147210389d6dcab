"""Tour 64 (converters): a COCO box-only annotation before the same box with its polygon."""

from __future__ import annotations

import json

from convert_helpers import convert, objs, png


def test_coco_box_alone_before_the_same_box_with_its_polygon_is_written_once(tmp_path):
    """A box-only annotation, then the same car's box with its polygon: the box alone was kept (only a box alone
    *after* the polygon one was taken for a copy), so [det] held the car twice, one of them a ground truth no
    prediction could match, and no [ground] record came (two cars). The polygon one is kept, the box alone counted."""
    png(tmp_path / "imgs" / "a.png", 64, 48)
    box, poly = [4, 4, 20, 12], [[4, 4, 24, 4, 24, 16, 4, 16]]
    anns = [{"id": 7, "image_id": 1, "category_id": 1, "bbox": box},
            {"id": 8, "image_id": 1, "category_id": 1, "bbox": box, "segmentation": poly},
            {"id": 9, "image_id": 1, "category_id": 1, "bbox": [30, 20, 10, 10]}]  # another car, box only
    ann = tmp_path / "a.json"
    ann.write_text(json.dumps({"images": [{"id": 1, "file_name": "a.png"}], "annotations": anns,
                               "categories": [{"id": 1, "name": "car"}]}))
    stats, recs = convert(tmp_path / "out", "coco", "--ann", str(ann), "--images", str(tmp_path / "imgs"))
    count = {r["id"]: len(objs(r)) for r in recs}
    assert count == {"coco-a-det-box": 2, "coco-a-seg-car": 1}, count
    assert stats["skipped"] == {"duplicate_object": 1}
    assert stats["skipped_examples"]["duplicate_object"] == (
        f"{ann}: annotations[0] (id 7): duplicate_object (the same car box as {ann}: annotations[1] (id 8))")
