"""Rough-edge tour 56 of the dataset converters, continued (test_convert_tour56 reached its size)."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("rasterio")

from convert_helpers import convert, png  # noqa: E402


def test_a_16_bit_colour_label_keeps_its_values_in_the_unknown_value_report(tmp_path):
    """Colours are counted as one packed uint32 for speed; a 16-bit colour GeoTIFF label must not
    be packed as 8-bit (its (1, 300, 2) came out as (1, 44, 2))."""
    import rasterio

    png(tmp_path / "a.png", 8, 8)
    lab = np.zeros((3, 8, 8), np.uint16)
    lab[:, 2:6, 2:6] = np.array([0, 0, 255], np.uint16)[:, None, None]
    lab[:, 0, 0] = [1, 300, 2]
    with rasterio.open(tmp_path / "a_label.tif", "w", driver="GTiff", width=8, height=8, count=3, dtype="uint16") as ds:
        ds.write(lab)
    pal = tmp_path / "pal.json"
    pal.write_text('{"building": [0, 0, 255]}')
    stats, recs = convert(tmp_path / "o", "masks", "--images", str(tmp_path / "a.png"), "--labels",
                          str(tmp_path / "a_label.tif"), "--palette", str(pal))
    assert len(recs) == 1 and stats["skipped"] == {"unknown_label_value": 1}
    assert "value (1, 300, 2) on 1 pixels" in stats["skipped_examples"]["unknown_label_value"]


def test_a_whole_georeferenced_png_carries_its_crs_in_the_records_as_its_tiles_do(tmp_path):
    """Tiles of a PNG georeferenced by a sidecar carried crs and transform, the whole image did not."""
    import rasterio
    from rasterio.transform import from_origin

    src = tmp_path / "dota"
    src.mkdir()
    with rasterio.open(src / "G1.png", "w", driver="PNG", width=40, height=30, count=3, dtype="uint8",
                       crs="EPSG:32618", transform=from_origin(500000, 4000000, 0.5, 0.5)) as ds:
        ds.write(np.full((3, 30, 40), 60, np.uint8))
    (src / "G1.txt").write_text("5 5 25 5 25 20 5 20 ship 0\n")
    _, recs = convert(tmp_path / "o", "dota", "--src", str(src))
    assert {r["images"][0]["crs"] for r in recs} == {"EPSG:32618"}
    assert recs[0]["images"][0]["transform"] == [0.5, 0, 500000, 0, -0.5, 4000000]
