"""Review of tour 67 (area A, tiling): the nodata count under ``TileMerger(min_score=...)`` and flat boxes on a
1-px strip standing along y."""

from __future__ import annotations

import numpy as np
import pytest

NOTE = "object(s) lie wholly on nodata pixels (kept; the image has no data there)"


def _merged_on_nodata(min_score: float, scores: list) -> int:
    """How many of boxes scored ``scores``, all on the nodata left half of a 100x100 scene, the merger says."""
    from rsvlm.io import TileMerger

    valid = np.zeros((100, 100), bool)  # (h, w): data only in the right half
    valid[:, 50:] = True
    merger = TileMerger(min_score=min_score, scene_size=(100, 100))
    merger.validity.see((0, 0, 100, 100), valid)
    merger.add((0, 0, 100, 100), [{"kind": "box", "label": "ship", "coords": [2, 4 + 10 * i, 20, 10 + 10 * i],
                                   **({} if s is None else {"score": s})} for i, s in enumerate(scores)])
    assert len(merger.result()) == len(scores)  # all kept: --min-score is predict's
    return merger.n_on_nodata


def test_a_numeric_string_score_is_counted_by_its_number():
    """A tile object's score may be a numeric string (docs/cli.md); with min_score the merge met
    "'>=' not supported between instances of 'str' and 'float'"."""
    assert _merged_on_nodata(0.5, ["0.8", "0.3", 0.9, None]) == 3


def test_a_nan_score_is_counted_as_predicts_min_score_keeps_it():
    assert _merged_on_nodata(0.0, [float("nan"), 0.2]) == 2  # no --min-score: every object is kept
    assert _merged_on_nodata(0.1, [float("nan"), 0.2]) == 1  # predict's above_min_score drops a NaN score


@pytest.mark.parametrize("min_score", [float("nan"), "0.5", None])
def test_a_min_score_that_is_no_number_is_refused_naming_it(min_score):
    from rsvlm.io import TileMerger

    with pytest.raises(ValueError, match=r"min_score .*give a number, 0 to 1"):
        TileMerger(min_score=min_score)


@pytest.mark.parametrize("kind", ["box", "obb"])
@pytest.mark.parametrize("xs", [(0, 1), (1, 0), (0, 0), (1, 1)])
def test_a_car_on_a_1px_wide_column_is_one_object(kind, xs):
    """The strip standing along y (1x120, windows 1x96): a box flat in x at 0 in one window and 1 in the next."""
    from rsvlm.io import merge_tile_objects

    def obj(x, y0, y1):
        return {"kind": kind, "label": "car",
                "coords": [x, y0, x, y1] if kind == "box" else [[x, y0], [x, y1], [x, y1], [x, y0]]}

    views = [((0, 0, 1, 96), [obj(xs[0], 40, 60)]), ((0, 24, 1, 96), [obj(xs[1], 16, 36)])]  # y 40-60 in both
    objects = merge_tile_objects(views, scene_size=(1, 120))
    assert len(objects) == 1, objects
    c = objects[0]["coords"]
    ys = [c[1], c[3]] if kind == "box" else [p[1] for p in c]
    assert (min(ys), max(ys)) == (40, 60)



@pytest.fixture
def collar_tif(tmp_path):
    """A 200x200 GeoTIFF whose outer 60 px are nodata (0, declared)."""
    import rasterio
    from rasterio.transform import from_origin

    valid = np.zeros((200, 200), bool)  # (H, W)
    valid[60:-60, 60:-60] = True
    data = np.random.default_rng(2).integers(1, 255, (3, 200, 200), dtype=np.uint8) * valid  # (C, H, W)
    path = tmp_path / "collar.tif"
    with rasterio.open(path, "w", driver="GTiff", width=200, height=200, count=3, dtype="uint8", nodata=0,
                       crs="EPSG:32631", transform=from_origin(500000.0, 4000000.0, 10.0, 10.0)) as ds:
        ds.write(data)
    return path


def test_tiled_predict_still_says_a_nodata_object_min_score_keeps(ckpt, collar_tif, capsys, monkeypatch):
    """The counterpart of tour 67's test (no note where --min-score dropped the object): the note is not
    simply gone from tiled runs; the collar's box scored 0.2 is kept by --min-score 0.1 and said."""
    from rsvlm import inference as inf
    from rsvlm.cli import main

    boxes = ("<ref>ship</ref><box><loc_50><loc_50><loc_150><loc_150></box>"  # (10, 10, 30, 30): on the collar
             "<box><loc_450><loc_450><loc_550><loc_550></box>")  # (90, 90, 110, 110): on data

    def answerer(*a, **k):
        return lambda messages, images: [inf.Answer(boxes, [0.2, 0.9]) for _ in messages]

    monkeypatch.setattr(inf, "answerer", answerer)
    assert main(["predict", "--model", str(ckpt), "--image", str(collar_tif), "--max-new-tokens", "4",
                 "--device", "cpu", "--task", "det", "--tile", "200", "--min-score", "0.1"]) == 0
    err = capsys.readouterr().err
    assert f"1 {NOTE}" in err, err
