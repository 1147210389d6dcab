"""Tour 70 of the front door (rsvlm predict / chat) and tiling."""

from __future__ import annotations

import json

import pytest

from rsvlm.cli import main
from tests.conftest import usage_error
from tests.predict_helpers import scored_boxes


@pytest.mark.parametrize("value", ["inf", "nan", "1e3", "64.5"])
def test_a_tile_that_is_no_whole_number_says_what_tile_takes(value, capsys):
    """``--tile inf`` was argparse's bare "invalid int value: 'inf'"."""
    err = usage_error(["predict", "--image", "a.tif", "--task", "det", "--tile", value], capsys)
    assert f"argument --tile: expected a whole number of pixels >= 1 (the side of each window; 96: the bundled " \
           f"model's input), got '{value}'" in err, err


def test_an_overlap_that_is_no_whole_number_says_what_overlap_takes(capsys):
    err = usage_error(["predict", "--image", "a.tif", "--task", "det", "--tile", "96", "--overlap", "1.5"], capsys)
    assert "argument --overlap: expected a whole number of pixels >= 0" in err and "'1.5'" in err, err


def test_the_geojson_note_is_not_said_before_a_refused_model(geotiff, tmp_path, capsys):
    """``--out o.geojson`` said "note: o.geojson written as GeoJSON", then refused the missing --model: nothing
    was written."""
    out = tmp_path / "o.geojson"
    assert main(["predict", "--model", str(tmp_path / "no-model"), "--image", str(geotiff), "--task", "det",
                 "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "no-model" in err and "written as GeoJSON" not in err, err


def test_the_tiled_line_counts_the_objects_written_not_those_min_score_left_out(ckpt, geotiff, tmp_path,
                                                                                monkeypatch, capsys):
    """"6 object(s) from 6 tiles" was printed (and put in --out's "answer") where --min-score kept 2."""
    scored_boxes(monkeypatch)
    out = tmp_path / "t.json"
    assert main(["predict", "--model", str(ckpt), "--image", str(geotiff), "--task", "det", "--device", "cpu",
                 "--tile", "32", "--overlap", "0", "--min-score", "0.5", "--out", str(out)]) == 0
    res = json.loads(out.read_text())
    line = "2 objects from 6 tiles (6 found; 4 below --min-score 0.5)"
    assert res["answer"] == line and len(res["objects"]) == 2
    assert capsys.readouterr().out.splitlines()[0] == line


def test_the_tiled_line_is_unchanged_where_nothing_is_left_out(ckpt, geotiff, tmp_path, monkeypatch, capsys):
    scored_boxes(monkeypatch)
    assert main(["predict", "--model", str(ckpt), "--image", str(geotiff), "--task", "det", "--device", "cpu",
                 "--tile", "32", "--overlap", "0"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "6 objects from 6 tiles"


def test_the_tiled_line_counts_out_the_objects_on_nodata_that_on_nodata_drop_leaves_out(ckpt, tmp_path,
                                                                                        monkeypatch, capsys):
    import numpy as np
    import rasterio
    from rasterio.transform import from_origin

    path = tmp_path / "collar.tif"
    data = np.full((3, 64, 96), 120, np.uint8)  # (C, H, W)
    data[:, :, :16] = 0  # a nodata collar down the left: each left tile's box [4, 4, 12, 12] lies wholly on it
    with rasterio.open(path, "w", driver="GTiff", width=96, height=64, count=3, dtype="uint8", nodata=0,
                       crs="EPSG:32631", transform=from_origin(500000.0, 4000000.0, 0.5, 0.5)) as ds:
        ds.write(data)
    scored_boxes(monkeypatch)
    out = tmp_path / "t.json"
    assert main(["predict", "--model", str(ckpt), "--image", str(path), "--task", "det", "--device", "cpu",
                 "--tile", "32", "--overlap", "0", "--on-nodata", "drop", "--out", str(out)]) == 0
    line = "4 objects from 6 tiles (6 found; 2 wholly on nodata left out by --on-nodata drop)"
    assert json.loads(out.read_text())["answer"] == line
    assert capsys.readouterr().out.splitlines()[0] == line


def test_a_tile_whose_windows_do_not_fit_in_memory_is_refused_before_the_model(geotiff, tmp_path, monkeypatch,
                                                                                capsys):
    """``--tile 60000`` on a 60000 px scene loaded the model, then said "not enough memory to read the whole
    scene at once … read it in windows (rsvlm predict --tile 512 …)", to one who had given --tile."""
    import rsvlm.io.budget as budget

    monkeypatch.setattr(budget, "available_bytes", lambda *a, **k: 20_000)  # a 1-px read fits, a 64x64 window not
    assert main(["predict", "--model", str(tmp_path / "no-model"), "--image", str(geotiff), "--task", "det",
                 "--tile", "64", "--overlap", "0", "--batch-size", "8"]) == 2
    err = capsys.readouterr().err
    assert "rsvlm predict: --tile 64: 2 windows of scene.tif at once, each 64x64 px of 3 bands of " in err, err
    assert "do not fit in memory" in err and "give a smaller --tile" in err and "no-model" not in err, err


@pytest.mark.parametrize("command", ["predict", "chat"])
def test_an_image_of_dash_says_images_are_not_read_from_standard_input(command, capsys):
    """``--image -`` (an image piped in) was "image not found: -"."""
    err = usage_error([command, "--image", "-", *(["--task", "det"] if command == "predict" else [])], capsys)
    assert "argument --image: '-' (standard input): an image is read from a file, not from standard input" in err, err
