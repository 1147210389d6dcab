"""Rough edges of whole-scene tiling (rsvlm.io.tiles, predict --tile) met on large and odd scenes."""

import numpy as np
import pytest

pytest.importorskip("rasterio")


def _png_with_world_file(path, w=200, h=150):
    """An RGB PNG with a world file (.pgw): GDAL reads it, georeferenced, decoding rows from the top."""
    from PIL import Image

    rng = np.random.default_rng(1)
    Image.fromarray(rng.integers(0, 255, (h, w, 3), dtype=np.uint8)).save(path)
    path.with_suffix(".pgw").write_text("0.5\n0\n0\n-0.5\n500000.25\n4000000.25\n")  # A D B E C F
    return path


def _counting_reads(scene):
    """Counts ``scene.read`` calls: (windows asked for, the uncounted read)."""
    calls, read = [], scene.read

    def counted(window=None, **kw):  # share=False: io/rows.py's strips
        calls.append(window)
        return read(window, **kw)

    scene.read = counted
    return calls, read


def test_a_png_read_by_gdal_is_decoded_once_per_row_of_windows_not_per_window(tmp_path):
    """GDAL decodes a PNG from its first row at each read above its last; window by window, a
    40000 px wide 16-bit PNG took ~5 s a window (docs/benchmarks.md). Each row of windows is now
    cut from one strip, and the tiles are the windows a direct read gives."""
    from rsvlm.io import SceneReader, iter_windows, run_tiled

    path = _png_with_world_file(tmp_path / "scene.png")
    seen = []
    with SceneReader(path) as scene:
        assert scene.src.datasets[0].driver == "PNG"
        calls, read = _counting_reads(scene)
        run_tiled(scene, lambda ims: seen.extend(ims) or [[] for _ in ims], tile=64, overlap=0, batch_size=5,
                  progress=False)
        windows = iter_windows(200, 150, 64, 0)
        assert len(calls) == len({w[1] for w in windows}) == 3  # was one read per window: 12
        direct = [read(w) for w in windows]
    assert [im.window for im in seen] == windows
    for got, want in zip(seen, direct):
        assert np.array_equal(got.data, want.data) and got.data.flags.c_contiguous
        assert got.transform == pytest.approx(want.transform) and got.crs == want.crs
        assert (got.valid is None) == (want.valid is None)


def test_a_geotiff_is_still_read_window_by_window(geotiff):
    """Strips are for files decoded from the top only: a GeoTIFF's windows stay separate reads, so
    the memory of a tiled run does not grow with the scene's width."""
    from rsvlm.io import SceneReader, run_tiled

    with SceneReader(geotiff) as scene:
        calls, _ = _counting_reads(scene)
        run_tiled(scene, lambda ims: [[] for _ in ims], tile=32, overlap=0, progress=False)
    assert len(calls) == 6 and all(w[2] == 32 for w in calls)


@pytest.mark.parametrize("task, head", [("cls", "answers of 6 tiles: "), ("det", " from 6 tiles")])
def test_a_tiled_out_says_the_scenes_answer_not_null(ckpt, geotiff, tmp_path, capsys, task, head):
    """--out's "answer" was null for every tiled run: a script reading it got None where the
    untiled run gives text. It is now the line printed as the scene's answer."""
    import json

    from rsvlm.cli import main

    out = tmp_path / "r.json"
    assert main(["predict", "--model", str(ckpt), "--image", str(geotiff), "--task", task, "--max-new-tokens", "4",
                 "--device", "cpu", "--tile", "32", "--overlap", "0", "--out", str(out)]) == 0
    answer = json.loads(out.read_text())["answer"]
    assert isinstance(answer, str) and head in answer
    assert answer in capsys.readouterr().out


def test_a_rotated_box_cut_at_a_tile_corner_is_one_object():
    """A rotated vehicle across a tile's edge near its corner is a triangle in that tile; a box around
    the triangle has twice its area, so its overlap over the smaller area stayed below 0.5 and the
    piece was kept as a second vehicle (8 extra of 756 rotated vehicles in a parking-lot simulation)."""
    from data_gen.tiling import Window as CutWindow
    from data_gen.tiling import clip_object
    from rsvlm.io import iter_windows, merge_tile_objects

    car = {"kind": "obb", "label": "car", "coords": [[65.7, 58.9], [94.4, 67.7], [90.3, 81.1], [61.6, 72.3]]}
    per_tile = []
    for x0, y0, w, h in iter_windows(112, 112, 64, 16):  # the car is whole in the tile at (48, 48) only
        got, _ = clip_object(car, CutWindow(x0, y0, x0 + w, y0 + h), min_visible=0.0)
        per_tile.append(((x0, y0, w, h), got))
    assert sum(map(len, (objs for _, objs in per_tile))) == 3  # seen in three tiles, cut in two
    merged = merge_tile_objects(per_tile, scene_size=(112, 112))
    assert len(merged) == 1
    assert sorted(map(tuple, merged[0]["coords"])) == sorted(map(tuple, car["coords"]))  # the whole view kept


def test_neighbours_poking_into_a_cut_view_window_stay_apart():
    """Parked cars whose boxes overlap by a few pixels, one cut by a tile edge: the cut one is not
    taken for a piece of its neighbour, whatever the edge covers of it."""
    from rsvlm.io import merge_tile_objects

    a = {"kind": "box", "label": "car", "coords": [20, 10, 64, 24]}  # cut by tile A's right edge at x = 64
    b = {"kind": "box", "label": "car", "coords": [62, 10, 100, 24]}  # whole in tile B, 2 px into tile A
    merged = merge_tile_objects([((0, 0, 64, 64), [a]), ((48, 0, 64, 64), [{**b, "coords": [14, 10, 52, 24]}])],
                                scene_size=(112, 64))
    assert len(merged) == 2


def test_the_tiles_of_one_png_are_cut_from_one_decode(tmp_path, monkeypatch):
    """crop_to_file decoded a PNG whole for every tile (0.55 s a tile of a 4000 px DOTA image);
    ``cropper`` decodes it once and writes the same tiles."""
    from PIL import Image

    from data_gen.tiling import crop_to_file, cropper, tile_windows

    src = tmp_path / "scene.png"
    Image.fromarray(np.random.default_rng(2).integers(0, 255, (90, 120, 3), dtype=np.uint8)).save(src)
    windows = tile_windows(120, 90, 64, 16)
    for k, win in enumerate(windows):
        crop_to_file(src, win, tmp_path / f"one_{k}.png")
    opened = []
    real_open = Image.open
    monkeypatch.setattr(Image, "open", lambda *a, **k: opened.append(a[0]) or real_open(*a, **k))
    with cropper(src) as crop:
        assert [crop(win, tmp_path / f"many_{k}.png") for k, win in enumerate(windows)] == [{}] * len(windows)
        with pytest.raises(ValueError, match="written as .png"):
            crop(windows[0], tmp_path / "tile.tif")
    assert len(windows) == 6 and len(opened) == 1
    for k in range(len(windows)):
        assert np.array_equal(np.asarray(Image.open(tmp_path / f"one_{k}.png")),
                              np.asarray(Image.open(tmp_path / f"many_{k}.png")))


def test_an_overlap_over_half_the_tile_is_noted_with_its_tile_count_before_the_model_loads(geotiff, tmp_path, capsys):
    """--overlap 500 --tile 512 ran a 10980 px scene as 763,876 tiles without a word (and made
    every window first); the count is now said up front, counted without making the windows."""
    from rsvlm.cli import main
    from rsvlm.io import iter_windows
    from rsvlm.io.tiles import n_windows

    args = ["predict", "--model", str(tmp_path / "no-model"), "--image", str(geotiff), "--task", "det", "--tile", "32"]
    assert main(args + ["--overlap", "24"]) == 2  # the missing model is found after the note
    err = capsys.readouterr().err
    assert "--overlap 24 is over half of --tile 32: windows start every 8 px, 45 tiles for this 96x64 scene" in err
    assert "each pixel in up to 16 of them" in err
    main(args + ["--overlap", "16"])
    assert "over half" not in capsys.readouterr().err
    assert n_windows(96, 64, 32, 24) == len(iter_windows(96, 64, 32, 24)) == 45
    assert n_windows(10980, 10980, 512, 500) == 763_876


def test_overlap_0_for_shapes_says_nothing_now_that_seams_join_pieces(geotiff, tmp_path, capsys):
    """--overlap 0 gave 888 boxes for 777 parked cars (tile 128, a parking-lot simulation): the
    halves of a car on a seam did not overlap, so nothing merged them, and predict said so. Seams now
    join the pieces of every shape (io/seams.py), so a note that they come out as two would be false."""
    from rsvlm.cli import main

    args = ["predict", "--model", str(tmp_path / "no-model"), "--image", str(geotiff), "--tile", "32", "--overlap"]
    for task in ("det", "seg", "cls"):
        main(args + ["0", "--task", task])
        assert "--overlap 0" not in capsys.readouterr().err
