"""Converters, stop 69 review of round 3: a colour binary GeoTIFF's nodata is where every colour band is it, and
``--classes`` with ``;`` or ``|`` is refused with a hint that pastes into a shell."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
from convert_helpers import convert, objs, png, same_ring

SHAPE = [[10, 10], [40, 10], [40, 30], [10, 30]]


@pytest.mark.parametrize("colour", [(0, 255, 0), (255, 0, 0)], ids=["green", "red"])
def test_a_colour_binary_geotiffs_nodata_is_where_every_band_is_it(tmp_path, colour):
    # read by its brightest band, a green class under nodata 255 was nodata too: refused as "its only value besides 0
    # is 255, its GeoTIFF nodata" (a red one was so by its red band before); a white collar alone is no data
    bands = np.zeros((3, 48, 64), np.uint8)  # (C, H, W)
    bands[:, 10:30, 10:40] = np.array(colour, np.uint8)[:, None, None]
    bands[:, :, 56:] = 255  # a collar of no data, white in every band
    png(tmp_path / "img" / "a.png", 64, 48)
    (tmp_path / "lab").mkdir()
    with rasterio.open(tmp_path / "lab" / "a_mask.tif", "w", driver="GTiff", width=64, height=48, count=3,
                       dtype="uint8", photometric="RGB", nodata=255) as ds:
        ds.write(bands)
    stats, recs = convert(tmp_path / "o", "masks", "--images", str(tmp_path / "img"), "--labels",
                          str(tmp_path / "lab"), "--binary", "building", "--no-progress")
    assert not stats["skipped"] and stats["notes"]["label_pixels_nodata"] == 8 * 48
    (obj,) = objs(recs[0])
    assert same_ring(obj["coords"], SHAPE, 64)


@pytest.mark.parametrize("classes,hint", [
    ("ship;", "--classes ship"),  # a trailing ';' was one class 'ship;' of none, every ship left out
    ("large vehicle;ship", "--classes 'large vehicle,ship'"),  # quoted: unquoted it was two arguments
    ("ship;harbor,plane", "--classes ship,harbor,plane"),  # a guard: its commas kept
])
def test_classes_with_a_semicolon_are_refused_with_a_hint_a_shell_takes(tmp_path, capsys, classes, hint):
    from data_gen.convert import main

    png(tmp_path / "d" / "images" / "a.png", 100, 80)
    (tmp_path / "d" / "labelTxt").mkdir()
    (tmp_path / "d" / "labelTxt" / "a.txt").write_text("10 10 40 10 40 30 10 30 ship 0\n")
    assert main(["dota", "--src", str(tmp_path / "d"), "--out", str(tmp_path / "o"), "--classes", classes]) == 2
    assert f"separate classes by commas: {hint}\n" in capsys.readouterr().err
