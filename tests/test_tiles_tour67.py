"""Tour 67 (area A, tiling): what a demanding user of ``--tile`` still tripped over."""

from __future__ import annotations

import numpy as np
import pytest

NOTE = "object(s) lie wholly on nodata pixels (kept; the image has no data there)"


@pytest.fixture
def collared(tmp_path):
    """A 200x200 GeoTIFF whose outer 60 px are nodata (0, declared)."""
    import rasterio
    from rasterio.transform import from_origin

    valid = np.zeros((200, 200), bool)  # (H, W)
    valid[60:-60, 60:-60] = True
    data = np.random.default_rng(1).integers(1, 255, (3, 200, 200), dtype=np.uint8) * valid  # (C, H, W)
    path = tmp_path / "collar.tif"
    with rasterio.open(path, "w", driver="GTiff", width=200, height=200, count=3, dtype="uint8", nodata=0,
                       crs="EPSG:32631", transform=from_origin(500000.0, 4000000.0, 10.0, 10.0)) as ds:
        ds.write(data)
    return path


def test_merger_counts_on_nodata_only_what_min_score_keeps():
    """The nodata note counted objects that --min-score then dropped: "2 object(s) lie wholly on nodata"
    above a table holding none of them."""
    from rsvlm.io import TileMerger

    valid = np.zeros((100, 100), bool)  # (h, w): data only in the right half
    valid[:, 50:] = True
    boxes = [([5, 5, 20, 20], 0.9), ([25, 5, 40, 20], 0.2), ([5, 60, 20, 80], None), ([60, 60, 80, 80], 0.1)]
    for min_score, want in ((0.0, 3), (0.5, 2), (0.95, 1)):  # the unscored one is kept by --min-score: counted
        merger = TileMerger(min_score=min_score, scene_size=(100, 100))
        merger.validity.see((0, 0, 100, 100), valid)
        merger.add((0, 0, 100, 100), [{"kind": "box", "label": "ship", "coords": c, **({"score": s} if s else {})}
                                      for c, s in boxes])
        objects = merger.result()
        assert len(objects) == 4  # the merger keeps them all: --min-score is predict's
        assert merger.n_on_nodata == want
        assert [n for n in merger.notes if NOTE in n] == [f"note: {want} {NOTE}"]


def test_tiled_predict_says_no_nodata_object_that_min_score_dropped(ckpt, collared, tmp_path, capsys, monkeypatch):
    from rsvlm import inference as inf
    from rsvlm.cli import main

    boxes = ("<ref>ship</ref><box><loc_50><loc_50><loc_150><loc_150></box>"  # (10, 10, 30, 30): on the collar
             "<box><loc_450><loc_450><loc_550><loc_550></box>")  # (90, 90, 110, 110): on data

    def answerer(*a, **k):
        return lambda messages, images: [inf.Answer(boxes, [0.2, 0.9]) for _ in messages]

    monkeypatch.setattr(inf, "answerer", answerer)
    assert main(["predict", "--model", str(ckpt), "--image", str(collared), "--max-new-tokens", "4",
                 "--device", "cpu", "--task", "det", "--tile", "200", "--min-score", "0.5"]) == 0
    err = capsys.readouterr().err
    assert NOTE not in err, err  # the collar's box scored 0.2: dropped, not said to lie on nodata


@pytest.mark.parametrize("drawn", [[(40, 0, 60, 1), (16, 0, 36, 0)], [(40, 0, 60, 0), (16, 1, 36, 1)],
                                   [(40, 1, 60, 1), (16, 0, 36, 1)]])
@pytest.mark.parametrize("kind", ["box", "obb"])
def test_a_car_on_a_1px_strip_is_one_object_however_its_flat_box_is_drawn(drawn, kind):
    """On a 712x1 strip (windows 96x1) a model draws a car's box from y 0 to 1, 0 to 0 or 1 to 1: all the
    one pixel row. Widened about its line, a flat box met the next tile's 1 px apart and both were kept."""
    from rsvlm.io import merge_tile_objects

    def obj(c):
        x0, y0, x1, y1 = c
        return {"kind": kind, "label": "car",
                "coords": list(c) if kind == "box" else [[x0, y0], [x1, y0], [x1, y1], [x0, y1]]}

    (a, b) = drawn
    views = [((0, 0, 96, 1), [obj(a)]), ((24, 0, 96, 1), [obj(b)])]  # the same car, x 40-60
    objects = merge_tile_objects(views, scene_size=(120, 1))
    assert len(objects) == 1, objects
    xs = [objects[0]["coords"][0], objects[0]["coords"][2]] if kind == "box" else [p[0] for p in objects[0]["coords"]]
    assert min(xs) == 40 and max(xs) == 60


def test_flat_boxes_of_two_cars_on_a_strip_stay_two():
    from rsvlm.io import merge_tile_objects

    views = [((0, 0, 96, 1), [{"kind": "box", "label": "car", "coords": [40, 0, 60, 0]}]),
             ((24, 0, 96, 1), [{"kind": "box", "label": "car", "coords": [40, 1, 60, 1]}])]  # x 64-84: another
    assert len(merge_tile_objects(views, scene_size=(120, 1))) == 2
