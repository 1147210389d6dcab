"""Converters, stop 52: COCO rings of fewer than 3 points are counted, and never cost the annotation's box."""
import json

from convert_helpers import convert, objs, png


def test_coco_short_rings_are_counted_and_the_box_is_kept(tmp_path):
    png(tmp_path / "imgs" / "a.png", 100, 50)
    data = {"images": [{"id": 1, "file_name": "a.png", "width": 100, "height": 50}],
            "categories": [{"id": 1, "name": "ship"}, {"id": 2, "name": "plane"}, {"id": 3, "name": "tank"}],
            "annotations": [
                # a box and a 2-point ring: the box was lost with the ring (the annotation skipped as degenerate)
                {"id": 1, "image_id": 1, "category_id": 1, "bbox": [10, 10, 20, 20], "segmentation": [[10, 10, 30, 30]]},
                # a good ring and a 2-point one: the short one was dropped without a count
                {"id": 2, "image_id": 1, "category_id": 2, "bbox": [50, 5, 20, 20],
                 "segmentation": [[50, 5, 70, 5, 70, 25, 50, 25], [60, 10, 61, 11]]},
                # no box and no usable ring: still degenerate
                {"id": 3, "image_id": 1, "category_id": 3, "segmentation": [[1, 1, 2, 2]]}]}
    (tmp_path / "ann.json").write_text(json.dumps(data))
    stats, recs = convert(tmp_path / "out", "coco", "--ann", str(tmp_path / "ann.json"), "--images", str(tmp_path / "imgs"))
    assert stats["skipped"] == {"degenerate": 1}
    assert stats["notes"]["polygon_ring_under_3_points_dropped"] == 2  # one beside each kept annotation
    by = {r["id"]: r for r in recs}
    assert sorted(o["label"] for o in objs(by["coco-a-det-box"])) == ["plane", "ship"]
    assert len(objs(by["coco-a-seg-plane"])) == 1 and "coco-a-seg-ship" not in by  # the ship has no polygon
