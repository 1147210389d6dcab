"""Tiled predict, tour 76: windows largely nodata are said once per run, as an untiled read says its share."""

import json

import numpy as np
import pytest

from rsvlm.cli import main
from rsvlm.io.nodata_objects import ValidityMap
from rsvlm.predict_tiles import nodata_windows_note

B10 = "ir_landsat8/LC08_L1TP_016037_20170813_20170814_01_RT_B10.TIF"


def _collar_tif(path, side: int = 64, cols: int = 40):
    """A georeferenced RGB GeoTIFF whose first ``cols`` columns are nodata (0): at --tile 32 --overlap 0 the left
    windows are wholly nodata (skipped) and the right ones 25 % nodata (8 of their 32 columns)."""
    import rasterio
    from rasterio.transform import from_origin

    data = np.full((3, side, side), 120, np.uint8)  # (C, H, W)
    data[:, :, :cols] = 0
    with rasterio.open(path, "w", driver="GTiff", width=side, height=side, count=3, dtype="uint8", nodata=0,
                       crs="EPSG:32631", transform=from_origin(500000.0, 4000000.0, 0.5, 0.5)) as ds:
        ds.write(data)
    return path


def _predict(ckpt, path, *extra) -> int:
    return main(["predict", "--model", str(ckpt), "--image", str(path), "--task", "det", "--device", "cpu", *extra])


def test_the_validity_map_counts_windows_over_a_share_but_not_wholly_nodata():
    seen = ValidityMap()
    third = np.ones((4, 6), bool)
    third[:, :2] = False  # 33 % nodata
    half = np.ones((4, 6), bool)
    half[:2] = False  # 50 %
    seen.see((0, 0, 6, 4), third)
    seen.see((6, 0, 6, 4), half)
    seen.see((12, 0, 6, 4), np.zeros((4, 6), bool))  # wholly nodata: not asked, not counted
    seen.see((18, 0, 6, 4), None)  # all valid
    seen.see((24, 0, 6, 4), np.eye(4, 6, dtype=bool) | True)  # all valid, as a mask
    assert seen.n_asked == 4
    assert seen.mostly_nodata(0.25) == (2, 0.5, (6, 0, 6, 4))
    assert seen.mostly_nodata(0.4) == (1, 0.5, (6, 0, 6, 4))
    assert seen.mostly_nodata(0.6) == (0, 0.0, None)
    assert ValidityMap().mostly_nodata(0.25) == (0, 0.0, None)


def test_the_note_names_the_count_the_share_and_the_worst_window():
    seen = ValidityMap()
    nearly = np.zeros((100, 100), bool)
    nearly[0, 0] = True  # 99.99 % nodata: not called 100 %
    seen.see((0, 0, 100, 100), nearly)
    seen.see((100, 0, 100, 100), np.ones((100, 100), bool))
    note = nodata_windows_note(seen)
    assert note.startswith("note: 1 of the 2 windows asked is 25% or more nodata (the worst 99%, window "
                           "(0, 0, 100, 100) (x0, y0, w, h);"), note
    assert "the model sees nodata as 0" in note and "only windows wholly nodata are skipped" in note, note
    seen.see((200, 0, 100, 100), nearly)
    assert nodata_windows_note(seen).startswith("note: 2 of the 3 windows asked are 25% or more"), nodata_windows_note(seen)
    clear, edge = ValidityMap(), np.ones((4, 4), bool)
    edge.flat[:3] = False  # 3 of 16: 19 %, under the untiled note's 25 %
    clear.see((0, 0, 4, 4), edge)
    assert nodata_windows_note(clear) is None
    edge.flat[3] = False  # 4 of 16: 25 %, as the untiled note counts it (share >= NODATA_SHARE)
    clear.see((4, 0, 4, 4), edge)
    assert nodata_windows_note(clear).startswith("note: 1 of the 2 windows asked is 25% or more nodata (the worst 25%")


def test_a_tiled_run_says_once_how_many_windows_are_largely_nodata(ckpt, tmp_path, capsys):
    """A tiled run said nothing of windows 25 % or more nodata, which the model sees as black; an untiled one
    says the image's share. Now once, in --out's notes too."""
    path = _collar_tif(tmp_path / "collar.tif")
    out = tmp_path / "o.json"
    assert _predict(ckpt, path, "--tile", "32", "--overlap", "0", "--out", str(out)) == 0
    got = capsys.readouterr()
    err = got.err
    said = [line for line in err.splitlines() if "or more nodata" in line]
    assert said == ["[collar.tif] note: 2 of the 2 windows asked are 25% or more nodata (the worst 25%, window "
                    "(32, 0, 32, 32) (x0, y0, w, h); its nodata value or mask, alpha 0 or no usable value): the model "
                    "sees nodata as 0, the bottom of each band's stretch (black), and cannot tell it from dark ground; "
                    "only windows wholly nodata are skipped; crop the image to its valid area"], err
    assert "from 2 tiles (2 tiles all nodata, not asked)" in got.out, got.out
    assert said[0] in json.loads(out.read_text())["notes"]


def test_windows_under_the_share_and_a_one_window_run_get_no_window_note(ckpt, tmp_path, capsys):
    path = _collar_tif(tmp_path / "thin.tif", cols=36)  # the right windows: 4 of 32 columns, 12.5 %
    assert _predict(ckpt, path, "--tile", "32", "--overlap", "0") == 0
    assert "or more nodata" not in capsys.readouterr().err
    path = _collar_tif(tmp_path / "one.tif")  # one window, the scene: its read says its share, not this note
    assert _predict(ckpt, path, "--tile", "128") == 0
    err = capsys.readouterr().err
    assert "% of the image is nodata" in err and "or more nodata" not in err, err


def test_the_real_landsat_thermal_band_tiled_is_told_its_collar_windows(realdata, ckpt, capsys):
    """Landsat-8 B10 (255x259, a tilted collar, 32 % nodata untiled): at --tile 64 its windows asked are up to
    70 % nodata."""
    path = realdata / B10
    if not path.is_file():
        pytest.skip(f"{path} not found")
    assert _predict(ckpt, path, "--tile", "64") == 0
    said = [line for line in capsys.readouterr().err.splitlines() if "or more nodata" in line]
    assert len(said) == 1 and said[0].startswith(f"[{path.name}] note: 14 of the 30 windows asked are 25% or more "
                                                 "nodata (the worst 70%, window"), said
