"""Review of tour 75 (C): ``--max-nodata`` sets the share of nodata a window may hold before it gets no record (0.5
dropped a SpaceNet edge chip's buildings with its fill); annotations lost to windows mostly nodata are counted once
each, not once per window; the nodata of a scene's windows is read with the file opened once; ``spread_starts`` at
and around one tile, and every pixel covered."""

import numpy as np
import pytest

from tests.test_convert_tour74b import convert_stats
from tests.test_convert_tour75 import collar_tif, dota, records


def test_max_nodata_keeps_a_tile_whose_objects_lie_in_its_data(tmp_path):
    """The left 64 px tile is 40 columns nodata (62.5%), with a car on its data at x 50: left out at 0.5."""
    src = dota(tmp_path, 40)
    (src / "P1.txt").write_text("50 10 60 10 60 20 50 20 small-vehicle 0\n100 40 110 40 110 50 100 50 small-vehicle 0\n")
    tiles = ("--tile", "64", "--overlap", "0")
    notes = convert_stats("dota", "--src", str(src), "--out", str(tmp_path / "a"), *tiles)["notes"]
    assert notes["windows_mostly_nodata"] == 1 and notes["objects_lost_in_windows_mostly_nodata"] == 1, notes
    for most in ("0.7", "1"):
        notes = convert_stats("dota", "--src", str(src), "--out", str(tmp_path / most), *tiles, "--max-nodata", most)
        assert "windows_mostly_nodata" not in notes["notes"], notes
        assert {r["meta"]["tile"][0] for r in records(tmp_path / most)} == {0, 64}
    notes = convert_stats("dota", "--src", str(src), "--out", str(tmp_path / "0"), *tiles, "--max-nodata", "0")
    assert notes["notes"]["windows_mostly_nodata"] == 1, notes  # 0: any nodata at all


def test_max_nodata_1_still_gives_no_record_of_a_window_wholly_nodata(tmp_path):
    src = dota(tmp_path, 64)  # the left tile is all fill, a car drawn on it
    notes = convert_stats("dota", "--src", str(src), "--out", str(tmp_path / "o"), "--tile", "64", "--overlap", "0",
                          "--max-nodata", "1")["notes"]
    assert notes["windows_mostly_nodata"] == 1 and notes["objects_lost_in_windows_mostly_nodata"] == 1, notes
    assert {r["meta"]["tile"][0] for r in records(tmp_path / "o")} == {64}


def test_masks_takes_max_nodata(tmp_path):
    from PIL import Image

    collar_tif(tmp_path / "x.tif", 40)
    label = np.zeros((64, 128), np.uint8)
    label[8:24, 48:60] = 1  # on the data of the left tile, 40 of 64 columns nodata
    Image.fromarray(label).save(tmp_path / "x_mask.png")
    args = ("masks", "--images", str(tmp_path / "x.tif"), "--labels", str(tmp_path / "x_mask.png"), "--binary",
            "building", "--tile", "64")
    assert convert_stats(*args, "--out", str(tmp_path / "a"))["notes"]["windows_mostly_nodata"] == 1
    notes = convert_stats(*args, "--out", str(tmp_path / "b"), "--max-nodata", "0.75")["notes"]
    assert "windows_mostly_nodata" not in notes and notes["tiles"] == 1, notes


@pytest.mark.parametrize("bad", ["1.5", "-0.1", "half"])
def test_max_nodata_out_of_range_is_a_usage_error_naming_it(tmp_path, capsys, bad):
    from data_gen.convert import main

    with pytest.raises(SystemExit) as e:
        main(["geojson", "--images", str(tmp_path), "--labels", str(tmp_path), "--out", str(tmp_path / "o"),
              "--max-nodata", bad])
    assert e.value.code == 2
    assert "--max-nodata" in (err := capsys.readouterr().err) and repr(bad) in err, err


def test_an_object_in_two_tiles_mostly_nodata_is_counted_once(tmp_path):
    """128 px at --tile 64 --overlap 16: windows at 0, 32, 64; a 90 px collar leaves the first two mostly nodata.
    A car at x 40 lies in both (one lost, it was counted twice); one at x 92 is cut by the second but written
    whole in the third (no loss, it was counted)."""
    src = dota(tmp_path, 90)
    (src / "P1.txt").write_text("40 10 50 10 50 20 40 20 small-vehicle 0\n92 40 100 40 100 50 92 50 small-vehicle 0\n")
    notes = convert_stats("dota", "--src", str(src), "--out", str(tmp_path / "o"), "--tile", "64", "--overlap",
                          "16")["notes"]
    assert notes["windows_mostly_nodata"] == 2 and notes["objects_lost_in_windows_mostly_nodata"] == 1, notes
    (det,) = [r for r in records(tmp_path / "o") if "det-box" in r["id"]]
    assert det["meta"]["tile"][0] == 64 and det["conversations"][1]["value"].count("<box>") == 1


def test_window_nodata_read_with_the_file_opened_once_is_the_whole_mask_cut(tmp_path):
    from data_gen.tiling import nodata_mask, nodata_reader, tile_windows

    whole = nodata_mask(collar_tif(tmp_path / "x.tif", 50))
    with nodata_reader(tmp_path / "x.tif") as read:
        for w in tile_windows(128, 64, 48, 8):
            assert (read(w) == whole[w.y0:w.y1, w.x0:w.x1]).all()
        assert (read() == whole).all()
    with nodata_reader(tmp_path / "x.png") as read:  # no raster suffix: nothing opened, no nodata
        assert read(None) is None


def test_mostly_void_at_a_set_share():
    from data_gen.tiling import mostly_void

    v = np.zeros((4, 4), bool)
    v[:3] = True  # 75%
    assert mostly_void(v) and mostly_void(v, 0.7) and not mostly_void(v, 0.75) and not mostly_void(v, 1.0)
    assert mostly_void(np.ones((4, 4), bool), 1.0)  # no data at all: never a record
    assert not mostly_void(np.zeros((4, 4), bool), 0.0) and mostly_void(v[:1, :1], 0.0)


def test_spread_starts_at_and_around_one_tile():
    from data_gen.convert.common import ConversionError
    from data_gen.convert.options import check_tiling
    from data_gen.tiling import near_duplicate_edges, spread_starts, tile_windows

    assert spread_starts(256, 256, 256) == [0] == spread_starts(100, 256, 200)  # the whole side, one window
    assert [(w.x0, w.width, w.height) for w in tile_windows(100, 300, 256)] == [(0, 100, 256), (0, 100, 256)]
    assert spread_starts(257, 256, 256) == [0, 1]  # just over: two near copies, noted
    assert near_duplicate_edges(tile_windows(257, 100, 256))
    for step in (0, -5, 300):  # an overlap of the tile or more: refused, not divided by zero or no windows
        with pytest.raises(ValueError, match=f"step={step}"):
            spread_starts(600, 256, step)
    with pytest.raises(ValueError, match="overlap"):
        tile_windows(600, 600, 256, 256)
    with pytest.raises(ConversionError, match="--overlap 256 must be smaller than --tile 256"):
        check_tiling(256, 256)


def test_every_pixel_is_covered_by_full_tiles_spread_evenly():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from data_gen.tiling import tile_windows

    @settings(max_examples=300, deadline=None)
    @given(st.integers(32, 300), st.data())
    def check(tile, data):
        overlap = data.draw(st.integers(0, tile // 2))
        width, height = data.draw(st.integers(1, 1500)), data.draw(st.integers(1, 1500))
        windows = tile_windows(width, height, tile, overlap)
        seen = np.zeros((height, width), np.int32)
        for w in windows:
            assert 0 <= w.x0 < w.x1 <= width and 0 <= w.y0 < w.y1 <= height
            assert (w.width, w.height) == (min(tile, width), min(tile, height))  # full size, never a sliver
            seen[w.y0:w.y1, w.x0:w.x1] += 1
        assert seen.min() >= 1  # every pixel
        xs = sorted({w.x0 for w in windows})
        gaps = np.diff(xs)
        if len(gaps):
            assert gaps.max() <= tile - overlap and gaps.max() - gaps.min() <= 1  # the overlap asked for; even

    check()


def test_levir_takes_max_nodata_and_keeps_its_void_rule(tmp_path):
    """A pair 40 of the left tile's 64 columns nodata, with change on its data; and a label half void (255)."""
    from PIL import Image

    for tag in ("A", "B"):
        collar_tif(tmp_path / f"x_{tag}.tif", 40)
    label = np.zeros((64, 128), np.uint8)
    label[8:24, 48:60] = 1  # 192 of the tile's 24 x 64 px with data: 12.5%
    Image.fromarray(label).save(tmp_path / "x_label.png")
    args = ("levir-cd", "--src", str(tmp_path), "--tile", "64")
    assert convert_stats(*args, "--out", str(tmp_path / "a"))["notes"]["windows_mostly_nodata"] == 1
    notes = convert_stats(*args, "--out", str(tmp_path / "b"), "--max-nodata", "0.7")["notes"]
    assert "windows_mostly_nodata" not in notes and notes["tiles"] == 2, notes
    said = [r["conversations"][1]["value"] for r in records(tmp_path / "b") if r["id"] == "levir-x-0-0-describe"]
    assert said == ["1 building area changed, covering 12.5% of the part of the image with data."], said
    label[:, 64:] = 255  # the right tile unlabelled: no record whatever --max-nodata
    Image.fromarray(label).save(tmp_path / "x_label.png")
    notes = convert_stats(*args, "--out", str(tmp_path / "c"), "--max-nodata", "1")["notes"]
    assert notes["windows_mostly_void"] == 1 and notes["tiles"] == 1, notes
