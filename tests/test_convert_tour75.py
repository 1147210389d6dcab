"""Tour 75 (C) of the converters and tiling: masks, dota and geojson tiles mostly nodata give no record, and what is
drawn on nodata is left out, by levir-cd's rule (one function, ``tiling.mostly_void``); levir-cd names nodata as
such; windows are spread evenly, so a last one is no near copy of the one before."""

import json

import numpy as np
import pytest

from tests.test_convert_tour74b import convert_stats


def collar_tif(path, collar: int, width: int = 128, height: int = 64, count: int = 3):
    """A uint8 GeoTIFF ``path`` of ``width`` x ``height`` declaring nodata 0 in its first ``collar`` columns."""
    import rasterio
    from rasterio.transform import Affine

    image = np.full((count, height, width), 120, np.uint8)
    image[:, :, :collar] = 0
    with rasterio.open(path, "w", driver="GTiff", width=width, height=height, count=count, dtype="uint8",
                       crs="EPSG:32618", transform=Affine(30, 0, 300000, 0, -30, 4000000), nodata=0) as ds:
        ds.write(image)
    return path


def records(out) -> list[dict]:
    return [json.loads(line) for line in (out / "records.jsonl").read_text().splitlines()]


def test_masks_gives_no_record_of_a_tile_mostly_nodata_nor_a_class_drawn_on_it(tmp_path):
    """A Landsat-like collar: the label's class over the collar was traced and its tile written."""
    from PIL import Image

    collar_tif(tmp_path / "x.tif", 64)
    label = np.zeros((64, 128), np.uint8)
    label[8:24, 8:24] = 1  # on the collar (left tile, wholly nodata)
    label[8:24, 80:96] = 1  # on data (right tile)
    Image.fromarray(label).save(tmp_path / "x_mask.png")
    stats = convert_stats("masks", "--images", str(tmp_path / "x.tif"), "--labels", str(tmp_path / "x_mask.png"),
                          "--binary", "building", "--tile", "64", "--out", str(tmp_path / "o"))
    assert stats["notes"]["images_with_class_over_nodata"] == 1, stats["notes"]
    assert stats["notes"]["empty_images"] == 1 and stats["notes"]["tiles"] == 1, stats["notes"]  # the left: no class
    assert {r["meta"]["tile"][0] for r in records(tmp_path / "o")} == {64}
    # 40 columns of nodata in the left tile of 64: mostly nodata, no record, counted
    label[:] = 0
    label[8:24, 48:60] = 1
    Image.fromarray(label).save(tmp_path / "x_mask.png")
    collar_tif(tmp_path / "x.tif", 40)
    stats = convert_stats("masks", "--images", str(tmp_path / "x.tif"), "--labels", str(tmp_path / "x_mask.png"),
                          "--binary", "building", "--tile", "64", "--out", str(tmp_path / "o2"))
    assert stats["notes"]["windows_mostly_nodata"] == 1, stats["notes"]
    assert not (tmp_path / "o2" / "records.jsonl").exists() or not records(tmp_path / "o2")


def dota(tmp_path, collar: int):
    """A 128x64 GeoTIFF with a nodata collar and a DOTA label: a car on the collar, one on data at x 100."""
    src = tmp_path / "dota"
    src.mkdir(parents=True)
    collar_tif(src / "P1.tif", collar)
    (src / "P1.txt").write_text("10 10 20 10 20 20 10 20 small-vehicle 0\n100 40 110 40 110 50 100 50 small-vehicle 0\n")
    return src


def test_dota_leaves_out_an_object_on_nodata_and_a_tile_mostly_nodata(tmp_path):
    src = dota(tmp_path, 64)
    stats = convert_stats("dota", "--src", str(src), "--out", str(tmp_path / "o"))
    assert stats["notes"]["objects_over_nodata"] == 1, stats["notes"]
    det = [r for r in records(tmp_path / "o") if "det-box" in r["id"]]
    assert det[0]["conversations"][1]["value"].count("<box>") == 1, det  # the car on data alone
    src = dota(tmp_path / "t", 40)  # the left tile is 40 of 64 columns nodata, with a car on data at x 50
    (src / "P1.txt").write_text("50 10 60 10 60 20 50 20 small-vehicle 0\n100 40 110 40 110 50 100 50 small-vehicle 0\n")
    stats = convert_stats("dota", "--src", str(src), "--out", str(tmp_path / "t" / "o"), "--tile", "64",
                          "--overlap", "0")
    assert stats["notes"]["windows_mostly_nodata"] == 1 and stats["notes"]["objects_lost_in_windows_mostly_nodata"] == 1
    assert {r["meta"]["tile"][0] for r in records(tmp_path / "t" / "o")} == {64}
    assert "empty_images" not in stats["notes"], stats["notes"]  # counted once, as nodata


def test_geojson_leaves_out_a_footprint_drawn_on_the_collar(tmp_path):
    collar_tif(tmp_path / "x.tif", 64)
    x0, y0 = 300000, 4000000

    def square(px, py):  # 10 px square at pixel (px, py), in map coordinates (30 m pixels)
        ring = [[x0 + 30 * px, y0 - 30 * py], [x0 + 30 * (px + 10), y0 - 30 * py],
                [x0 + 30 * (px + 10), y0 - 30 * (py + 10)], [x0 + 30 * px, y0 - 30 * (py + 10)]]
        return {"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [ring + ring[:1]]}}

    gj = {"type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": "EPSG:32618"}},
          "features": [square(10, 10), square(100, 40)]}
    (tmp_path / "x.geojson").write_text(json.dumps(gj))
    stats = convert_stats("geojson", "--images", str(tmp_path / "x.tif"), "--labels", str(tmp_path / "x.geojson"),
                          "--out", str(tmp_path / "o"))
    assert stats["notes"]["objects_over_nodata"] == 1, stats["notes"]
    seg = [r for r in records(tmp_path / "o") if "-seg-" in r["id"]]
    assert seg[0]["conversations"][1]["value"].count("<poly>") == 1, seg


def test_levir_names_nodata_as_no_unlabelled_part(tmp_path):
    from data_gen.convert.levir import describe

    mask = np.zeros((10, 10), bool)
    mask[0, 5:] = True
    half = np.zeros((10, 10), bool)
    half[:, :5] = True
    assert describe(mask, "building", nodata=half).endswith("10.0% of the part of the image with data.")
    assert describe(mask, "building", half).endswith("10.0% of the labelled part of the image.")
    assert describe(mask, "building", half, half).endswith("of the labelled part of the image with data.")
    assert describe(mask, "building", np.zeros((10, 10), bool)).endswith("5.0% of the image.")


@pytest.mark.parametrize(("n", "tile", "overlap"), [(520, 256, 0), (1000, 256, 0), (712, 256, 32), (557, 200, 50),
                                                    (256, 255, 0), (4000, 1024, 200), (300, 100, 50)])
def test_windows_are_spread_evenly_and_cover_every_pixel(n, tile, overlap):
    """The last window was shifted back alone: 520 px at 256 gave windows at 256 and 264, near copies."""
    from data_gen.tiling import spread_starts, tile_windows

    starts = spread_starts(n, tile, tile - overlap)
    assert starts[0] == 0 and starts[-1] == n - tile  # flush with both edges: every pixel covered
    gaps = np.diff(starts)
    assert (gaps <= tile - overlap).all() and gaps.max() - gaps.min() <= 1  # the overlap asked for, or more; even
    assert len(starts) == -(-(n - tile) // (tile - overlap)) + 1  # as many windows as before
    windows = tile_windows(n, n // 2 + 1, tile, overlap)
    assert all(w.width == tile for w in windows)


def test_a_last_window_is_no_near_copy_past_one_tile():
    from data_gen.tiling import spread_starts, tile_windows

    assert spread_starts(520, 256, 256) == [0, 132, 264]  # was [0, 256, 264]
    assert [w.x0 for w in tile_windows(520, 100, 256)] == [0, 132, 264]  # the converters' windows
    assert spread_starts(256, 255, 255) == [0, 1]  # just over one tile: unavoidable, noted (near_duplicate_edges)


def test_the_nodata_rule_is_one_function():
    from data_gen.tiling import mostly_void, over_nodata

    void = np.zeros((4, 4), bool)
    void[:, :2] = True
    assert not mostly_void(void) and not mostly_void(None)
    void[0, 2] = True
    assert mostly_void(void)
    assert over_nodata({"kind": "box", "coords": [0, 0, 2, 4]}, void)
    assert not over_nodata({"kind": "box", "coords": [0, 0, 3, 4]}, void)
    assert over_nodata({"kind": "point", "coords": [1.5, 3.2]}, void)


def test_masks_on_the_real_landsat_collar_leaves_out_tiles_of_fill(realdata, tmp_path):
    """RGB.byte.tif (791x718, 33% nodata collar): a label of one class everywhere was written over the fill."""
    from PIL import Image

    image = realdata / "msi_landsat7" / "RGB.byte.tif"
    Image.fromarray(np.ones((718, 791), np.uint8)).save(tmp_path / "RGB.byte_mask.png")
    stats = convert_stats("masks", "--images", str(image), "--labels", str(tmp_path / "RGB.byte_mask.png"),
                          "--binary", "land", "--tile", "256", "--out", str(tmp_path / "o"))
    notes = stats["notes"]
    assert notes["images_with_class_over_nodata"] == 1 and notes["windows_mostly_nodata"] >= 1, notes
    assert notes["tiles"] + notes["windows_mostly_nodata"] == 12, notes  # 4 x 3 windows


def test_masks_names_the_default_suffix_a_wrong_label_suffix_hid(tmp_path, capsys):
    """detectree's X_response.tif under --label-suffix _mask said "give --label-suffix", not which."""
    from PIL import Image

    from data_gen.convert import main

    for name in ("a_img.png", "a_response.png"):
        Image.fromarray(np.zeros((8, 8), np.uint8)).save(tmp_path / name)
    assert main(["masks", "--images", str(tmp_path), "--labels", str(tmp_path), "--binary", "tree",
                 "--label-suffix", "_mask", "--out", str(tmp_path / "o"), "--no-progress"]) == 2
    assert (f"{tmp_path} holds stems ending with _response, a default label suffix: leave --label-suffix out"
            in capsys.readouterr().err)


def test_geojson_on_the_real_landsat_collar_leaves_out_footprints_on_fill(realdata, tmp_path):
    """Footprints every 60 px over RGB.byte.tif: those on its collar were written as buildings on black fill."""
    import rasterio

    image = realdata / "msi_landsat7" / "RGB.byte.tif"
    with rasterio.open(image) as ds:
        t, crs, fill = ds.transform, ds.crs.to_string(), ds.dataset_mask() == 0  # (H, W)
    feats, on_fill = [], 0
    for py in range(20, fill.shape[0] - 30, 60):
        for px in range(20, fill.shape[1] - 30, 60):
            ring = [list(t @ (x, y)) for x, y in ((px, py), (px + 20, py), (px + 20, py + 20), (px, py + 20), (px, py))]
            feats.append({"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [ring]}})
            on_fill += bool(fill[py:py + 20, px:px + 20].all())
    (tmp_path / "f.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": feats,
                                                    "crs": {"type": "name", "properties": {"name": crs}}}))
    stats = convert_stats("geojson", "--images", str(image), "--labels", str(tmp_path / "f.geojson"),
                          "--out", str(tmp_path / "o"))
    assert on_fill == stats["notes"]["objects_over_nodata"] == 41, stats["notes"]
    (seg,) = [r for r in records(tmp_path / "o") if "-seg-" in r["id"]]
    assert seg["conversations"][1]["value"].count("<poly>") == len(feats) - on_fill == 115
