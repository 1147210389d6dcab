"""Review of stop 77's converters round 2 (P4): a GeoTIFF is not counted as an image not looked at for a collar
(its nodata says); one not looked at is counted once however many tiles; the rsivqa warning's "…" is of more
names, not more lines; the collar look moved out of tiling.py (at its 500-line cap), tiling.border_said kept."""

from __future__ import annotations

import json

import numpy as np
from convert_helpers import convert
from PIL import Image

from data_gen import tiling
from data_gen.__main__ import main
from tests.test_convert_tour77b import rsivqa_argv


def _geotiff(path, h: int, w: int, dtype: str) -> None:
    import rasterio
    from rasterio.transform import from_origin

    a = np.full((3, h, w), 120, dtype)
    a[:, : h // 7] = 0  # a black band at the top: a PNG's would be a collar
    with rasterio.open(path, "w", driver="GTiff", width=w, height=h, count=3, dtype=dtype, crs="EPSG:32633",
                       transform=from_origin(500000, 4000000, 1, 1)) as ds:
        ds.write(a)
    path.with_suffix(".txt").write_text(f"{w // 2} {h // 2} {w // 2 + 40} {h // 2} {w // 2 + 40} {h // 2 + 20} "
                                        f"{w // 2} {h // 2 + 20} ship 0\n")


def test_a_geotiff_is_not_counted_as_not_looked_at_for_a_collar(tmp_path):
    """b485fc68 counted a GeoTIFF over 2**22 px ('not decoded for the look alone (--tile looks at the tiler's
    decode ...)', tiled or not) and one PIL cannot open (3-band float) as images_not_looked_at_for_a_collar: its own
    nodata says, and no --tile ever looked at it."""
    d = tmp_path / "d"
    d.mkdir()
    _geotiff(d / "big.tif", 2000, 2100, "uint8")
    _geotiff(d / "f32.tif", 200, 210, "float32")
    for out, tile in (("o", ()), ("t", ("--tile", "1024"))):
        stats, recs = convert(tmp_path / out, "dota", "--src", str(d), "--no-progress", *tile)
        assert recs and "images_not_looked_at_for_a_collar" not in stats["notes"], stats["notes"]
        assert "images_with_constant_border" not in stats["notes"]


def test_an_image_not_looked_at_is_counted_once_however_many_tiles(tmp_path):
    """A sidecar-georeferenced PNG over 2**22 px, tiled: the tiler reads it in GDAL strips, so it is not looked at,
    counted once for its 6 tiles; as --modality sar, not at all (the look is optical's)."""
    d = tmp_path / "d"
    d.mkdir()
    a = np.full((2000, 2100), 120, np.uint8)
    a[:200] = 0
    Image.fromarray(a).save(d / "P1.png", compress_level=1)
    (d / "P1.pgw").write_text("1\n0\n0\n-1\n500000\n4000000\n")
    (d / "P1.txt").write_text("1000 1000 1040 1000 1040 1020 1000 1020 ship 0\n"
                              "100 1500 140 1500 140 1520 100 1520 ship 0\n")
    stats, _ = convert(tmp_path / "o", "dota", "--src", str(d), "--tile", "1024", "--no-progress")
    assert stats["notes"]["images_not_looked_at_for_a_collar"] == 1, stats["notes"]
    assert stats["notes_examples"]["images_not_looked_at_for_a_collar"].startswith("P1.png: 2100x2000 px, over 2**22")
    stats, _ = convert(tmp_path / "s", "dota", "--src", str(d), "--tile", "1024", "--modality", "sar",
                       "--no-progress")
    assert "images_not_looked_at_for_a_collar" not in stats["notes"]


def _rsivqa(tmp_path, names: list[str]) -> dict:
    assert main(rsivqa_argv(tmp_path, names)) == 0
    return json.loads((tmp_path / "o" / "stats.json").read_text())


def test_the_rsivqa_warning_says_more_names_not_more_lines(tmp_path):
    """Five questions of one missing image said '(b.jpg, …)', as if more images were missing."""
    stats = _rsivqa(tmp_path, ["b.jpg"] * 5 + ["a.png"])
    said = [k for k in stats["notes"] if k.startswith("5 of 6 lines name an image not under --images")]
    assert len(said) == 1 and "(b.jpg), skipped as missing_image" in said[0], stats["notes"]


def test_the_rsivqa_warning_names_three_and_says_there_are_more(tmp_path):
    stats = _rsivqa(tmp_path / "m", ["b.jpg", "c.jpg", "b.jpg", "d.jpg", "e.jpg", "a.png"])
    said = [k for k in stats["notes"] if k.startswith("5 of 6 lines")]
    assert len(said) == 1 and "(b.jpg, c.jpg, d.jpg, …), skipped" in said[0], stats["notes"]


def test_the_collar_look_left_tiling_and_border_said_still_says_it(tmp_path):
    """tiling.py was at its 500-line cap: the converters' look (border_look, note_border) is convert.collar's."""
    from pathlib import Path

    from data_gen.convert import collar

    assert len(Path(tiling.__file__).read_text().splitlines()) <= 470
    a = np.zeros((80, 100, 3), np.uint8)
    a[10:70, 10:90] = 120  # ground inside a black frame
    Image.fromarray(a).save(tmp_path / "s.png")
    said = tiling.border_said(tmp_path / "s.png")
    assert said.startswith("s.png: 3200 px (40.0%) of value 0 join its edge") and said == collar.border_look(
        tmp_path / "s.png")[0]
