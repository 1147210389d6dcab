"""Tour 67 (area A, tiling): what a demanding user of ``--tile`` still tripped over."""

from __future__ import annotations

import numpy as np
import pytest
from test_nodata_tour66 import NOTE, collared  # noqa: F401  (collared: a fixture)


def merged_on_half_nodata(min_score: float, boxes: list) -> object:
    """A ``TileMerger(min_score=...)`` after ``result`` of ``boxes`` ((coords, score or None) each) in one 100x100
    window whose left half is nodata; all are kept, --min-score being predict's."""
    from rsvlm.io import TileMerger

    valid = np.zeros((100, 100), bool)  # (h, w): data only in the right half
    valid[:, 50:] = True
    merger = TileMerger(min_score=min_score, scene_size=(100, 100))
    merger.validity.see((0, 0, 100, 100), valid)
    merger.add((0, 0, 100, 100), [{"kind": "box", "label": "ship", "coords": c, **({} if s is None else {"score": s})}
                                  for c, s in boxes])
    assert len(merger.result()) == len(boxes)
    return merger


def test_merger_counts_on_nodata_only_what_min_score_keeps():
    """The nodata note counted objects that --min-score then dropped: "2 object(s) lie wholly on nodata"
    above a table holding none of them."""
    boxes = [([5, 5, 20, 20], 0.9), ([25, 5, 40, 20], 0.2), ([5, 60, 20, 80], None), ([60, 60, 80, 80], 0.1)]
    for min_score, want in ((0.0, 3), (0.5, 2), (0.95, 1)):  # the unscored one is kept by --min-score: counted
        merger = merged_on_half_nodata(min_score, boxes)
        assert merger.n_on_nodata == want
        assert [n for n in merger.notes if NOTE in n] == [f"note: {want} {'object lies' if want == 1 else 'objects lie'} {NOTE}"]


@pytest.mark.parametrize("min_score, said", [("0.5", False), ("0.1", True)])
def test_tiled_predict_says_a_nodata_object_only_where_min_score_keeps_it(ckpt, collared, capsys,  # noqa: F811
                                                                          monkeypatch, min_score, said):
    """The collar's box scored 0.2: --min-score 0.5 drops it, and it was still said to lie on nodata;
    --min-score 0.1 keeps it, and it is said (the note is not simply gone from tiled runs)."""
    from rsvlm import inference as inf
    from rsvlm.cli import main

    boxes = ("<ref>ship</ref><box><loc_50><loc_50><loc_150><loc_150></box>"  # (10, 10, 30, 30): on the collar
             "<box><loc_450><loc_450><loc_550><loc_550></box>")  # (90, 90, 110, 110): on data

    def answerer(*a, **k):
        return lambda messages, images: [inf.Answer(boxes, [0.2, 0.9]) for _ in messages]

    monkeypatch.setattr(inf, "answerer", answerer)
    path, _ = collared
    assert main(["predict", "--model", str(ckpt), "--image", str(path), "--max-new-tokens", "4",
                 "--device", "cpu", "--task", "det", "--tile", "200", "--min-score", min_score]) == 0
    err = capsys.readouterr().err
    assert (f"note: 1 object lies {NOTE}" in err) if said else (NOTE not in err), err


# each view's drawing across the strip (from, to): 0 to 1, 0 to 0 or 1 to 1, all its one pixel row
@pytest.mark.parametrize("across", [((0, 1), (0, 0)), ((0, 0), (1, 1)), ((1, 1), (0, 1)), ((1, 1), (0, 0)),
                                    ((0, 0), (0, 0)), ((1, 1), (1, 1))])
@pytest.mark.parametrize("kind", ["box", "obb"])
@pytest.mark.parametrize("along_y", [False, True])
def test_a_car_on_a_1px_strip_is_one_object_however_its_flat_box_is_drawn(across, kind, along_y):
    """On a 120x1 strip (windows 96x1), or one standing along y (1x120, windows 1x96), a model draws a car's
    box across it from 0 to 1, 0 to 0 or 1 to 1. Widened about its line, a flat box met the next tile's 1 px
    apart and both were kept."""
    from rsvlm.io import merge_tile_objects

    def xy(along, across):
        return (across, along) if along_y else (along, across)

    def obj(along, across):
        (x0, y0), (x1, y1) = xy(along[0], across[0]), xy(along[1], across[1])
        return {"kind": kind, "label": "car",
                "coords": [x0, y0, x1, y1] if kind == "box" else [[x0, y0], [x1, y0], [x1, y1], [x0, y1]]}

    views = [((*xy(0, 0), *xy(96, 1)), [obj((40, 60), across[0])]),  # the same car, 40-60 along the strip
             ((*xy(24, 0), *xy(96, 1)), [obj((16, 36), across[1])])]
    objects = merge_tile_objects(views, scene_size=xy(120, 1))
    assert len(objects) == 1, objects
    c, i = objects[0]["coords"], int(along_y)
    along = [c[i], c[i + 2]] if kind == "box" else [p[i] for p in c]
    assert (min(along), max(along)) == (40, 60)


def test_flat_boxes_of_two_cars_on_a_strip_stay_two():
    from rsvlm.io import merge_tile_objects

    views = [((0, 0, 96, 1), [{"kind": "box", "label": "car", "coords": [40, 0, 60, 0]}]),
             ((24, 0, 96, 1), [{"kind": "box", "label": "car", "coords": [40, 1, 60, 1]}])]  # x 64-84: another
    assert len(merge_tile_objects(views, scene_size=(120, 1))) == 2
