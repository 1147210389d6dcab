"""Lead 69 (helper A3): ``predict --on-nodata drop`` leaves objects drawn wholly on nodata (a transparent or
nodata part of the scene, the model's guesses) out of the table, ``--out``, ``--geojson`` and ``--vis``, tiled
and untiled, and says how many; ``keep`` (the default) is as before."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import usage_error
from PIL import Image

from rsvlm.cli import build_parser, main

KEPT = "wholly on nodata pixels (kept; the image has no data there)"
LEFT_OUT = "note: 1 object wholly on nodata pixels left out (--on-nodata drop; the image has no data there)"
# of a 200 px image: (10, 10, 30, 30) on the collar, (90, 90, 110, 110) on data
BOXES = ("<ref>ship</ref><box><loc_50><loc_50><loc_150><loc_150></box>"
         "<box><loc_450><loc_450><loc_550><loc_550></box>")


@pytest.fixture
def collared(tmp_path):
    """A 200x200 georeferenced GeoTIFF whose outer 60 px are nodata (0, declared)."""
    import rasterio
    from rasterio.transform import from_origin

    valid = np.zeros((200, 200), bool)
    valid[60:-60, 60:-60] = True
    data = np.random.default_rng(1).integers(1, 255, (3, 200, 200), dtype=np.uint8) * valid  # (C, H, W)
    path = tmp_path / "collar.tif"
    with rasterio.open(path, "w", driver="GTiff", width=200, height=200, count=3, dtype="uint8", nodata=0,
                       crs="EPSG:32631", transform=from_origin(500000.0, 4000000.0, 10.0, 10.0)) as ds:
        ds.write(data)
    return path


@pytest.fixture
def boxes_answered(monkeypatch):
    """Every question (each tile's too) answered with ``BOXES``."""
    from rsvlm import inference as inf

    def answerer(*a, **k):
        return lambda messages, images: [inf.Answer(BOXES, []) for _ in messages]

    monkeypatch.setattr(inf, "answerer", answerer)


def _predict(ckpt, image, tmp_path, *extra, name="r"):
    out, geo, vis = (tmp_path / f"{name}.{e}" for e in ("json", "geojson", "png"))
    assert main(["predict", "--model", str(ckpt), "--image", str(image), "--max-new-tokens", "4", "--device", "cpu",
                 "--task", "det", "--out", str(out), "--geojson", str(geo), "--vis", str(vis), *extra]) == 0
    return json.loads(out.read_text()), json.loads(geo.read_text()), np.asarray(Image.open(vis))


def _reaches_data(box) -> bool:  # brute force: the box reaches the collar's inside, [60, 140) both ways
    x0, y0, x1, y1 = box
    return x1 > 60 and x0 < 140 and y1 > 60 and y0 < 140


@pytest.mark.parametrize("tile", [[], ["--tile", "200"], ["--tile", "128", "--overlap", "56"]])
def test_on_nodata_drop_leaves_the_collar_s_objects_out_of_every_output(ckpt, collared, tmp_path, capsys,
                                                                         boxes_answered, tile):
    """Objects on nodata were kept with a note alone: a user had to filter --out (and could not --vis)."""
    kept, kept_geo, kept_vis = _predict(ckpt, collared, tmp_path, *tile, name="keep")
    capsys.readouterr()
    result, geo, vis = _predict(ckpt, collared, tmp_path, *tile, "--on-nodata", "drop")
    err = capsys.readouterr().err
    on_data = [o for o in kept["objects"] if _reaches_data(o["coords"])]
    assert on_data and len(on_data) < len(kept["objects"])  # the keep run has both kinds
    assert result["objects"] == on_data
    assert len(geo["features"]) == len(on_data) < len(kept_geo["features"])
    assert (vis != kept_vis).any()  # the collar's box is not drawn
    n = len(kept["objects"]) - len(on_data)
    note = f"[collar.tif] {LEFT_OUT.replace('1 object', f'{n} object' + 's' * (n != 1))}"
    assert note in result["notes"] and note in geo["notes"] and note in err, err
    assert KEPT not in err and not any(KEPT in x for x in result["notes"])  # the merger's "kept" is not said


def test_on_nodata_keep_is_the_default_and_keeps_them(ckpt, collared, tmp_path, capsys, boxes_answered):
    result, geo, _ = _predict(ckpt, collared, tmp_path, "--on-nodata", "KEEP")
    assert len(result["objects"]) == len(geo["features"]) == 2
    assert "[collar.tif] note: 1 object lies " + KEPT in result["notes"]
    assert build_parser().parse_args(["predict", "--image", "a.png", "--task", "det"]).on_nodata == "keep"


def test_on_nodata_takes_keep_or_drop(capsys):
    err = usage_error(["predict", "--image", "a.png", "--task", "det", "--on-nodata", "hide"], capsys)
    assert "--on-nodata: invalid choice: 'hide' (choose from 'keep', 'drop')" in err, err


def test_which_objects_lie_on_nodata_whole_and_tiled():
    from rsvlm.io.nodata_objects import ValidityMap, count_on_nodata, on_nodata

    valid = np.zeros((100, 100), bool)  # (H, W)
    valid[:, 50:] = True
    objects = [{"kind": "box", "coords": [5, 5, 20, 20]}, {"kind": "box", "coords": [45, 5, 55, 20]},
               {"kind": "point", "coords": [80, 80]}]
    assert on_nodata(objects, valid) == [True, False, False] and count_on_nodata(objects, valid) == 1
    assert on_nodata(objects, None) == [False] * 3
    seen, dropping = ValidityMap(), ValidityMap(drop=True)
    for m in (seen, dropping):
        m.see((0, 0, 50, 100), valid[:, :50])
        m.see((50, 0, 50, 100), valid[:, 50:])
    assert seen.on_nodata(objects) == dropping.on_nodata(objects) == [True, False, False]
    assert seen.count(objects) == 1 and dropping.count(objects) == 0  # none kept: the caller leaves it out
