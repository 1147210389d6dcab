"""Tiling follow-ups: converters cut tiles from one decode, strips read in one call, predict's notes."""

from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.convert_helpers import convert


def _noise_png(path: Path, w: int, h: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.random.default_rng(3).integers(0, 255, (h, w, 3), dtype=np.uint8)).save(path)
    return path


def _counting_opens(monkeypatch) -> Counter:
    """Counts PIL opens by file name (a tile's decode starts with one)."""
    opened: Counter = Counter()
    real_open = Image.open

    def counted(fp, *a, **k):
        opened[Path(fp).name if isinstance(fp, (str, Path)) else None] += 1
        return real_open(fp, *a, **k)

    monkeypatch.setattr(Image, "open", counted)
    return opened


def _assert_same_tiles(out: Path, src: Path) -> None:
    """Every tile written is the crop of ``src`` that its name says (NAME_X0_Y0[_TAG].png)."""
    whole = np.asarray(Image.open(src).convert("RGB"))
    tiles = sorted((out / "images").glob("*.png"))
    assert tiles
    for t in tiles:
        x0, y0 = (int(v) for v in t.stem.split("_")[1:3])
        tile = np.asarray(Image.open(t))
        assert np.array_equal(tile, whole[y0:y0 + tile.shape[0], x0:x0 + tile.shape[1]])


def test_dota_tiles_of_one_png_come_from_one_decode(tmp_path, monkeypatch):
    """The detection converters decoded the whole PNG again for each tile (15.5 s against 5.9 s
    for the 20 tiles of a 4000 x 3000 DOTA scene at --tile 1024)."""
    src = tmp_path / "dota"
    _noise_png(src / "P1.png", 120, 100)
    (src / "P1.txt").write_text("".join(f"{x} {y} {x + 12} {y} {x + 12} {y + 10} {x} {y + 10} small-vehicle 0\n"
                                        for x in (5, 45, 85) for y in (5, 45, 80)))
    opened = _counting_opens(monkeypatch)
    stats, recs = convert(tmp_path / "o", "dota", "--src", str(src), "--tile", "40", "--overlap", "0")
    assert stats["notes"]["tiles"] == 9 and recs
    assert opened["P1.png"] <= 2  # its size, then one decode for all tiles (was 1 + 9)
    monkeypatch.undo()
    _assert_same_tiles(tmp_path / "o", src / "P1.png")


def test_masks_tiles_of_one_png_come_from_one_decode(tmp_path, monkeypatch):
    _noise_png(tmp_path / "img" / "s1.png", 180, 120)
    lab = np.zeros((120, 180), np.uint8)
    lab[::7, ::5] = 1  # something in every tile
    (tmp_path / "lab").mkdir()
    Image.fromarray(lab).save(tmp_path / "lab" / "s1.png")
    opened = _counting_opens(monkeypatch)
    stats, _ = convert(tmp_path / "o", "masks", "--images", str(tmp_path / "img"), "--labels", str(tmp_path / "lab"),
                       "--binary", "water", "--tile", "60")
    assert stats["notes"]["tiles"] == 6
    assert opened["s1.png"] <= 3  # image and label once each, the image once more for its tiles (was 2 + 6)
    monkeypatch.undo()
    _assert_same_tiles(tmp_path / "o", tmp_path / "img" / "s1.png")


def test_levir_tiles_of_each_image_come_from_one_decode(tmp_path, monkeypatch):
    cd = tmp_path / "cd"
    a, b = _noise_png(cd / "A" / "p1.png", 128, 128), _noise_png(cd / "B" / "p1.png", 128, 128)
    Image.fromarray(np.full((128, 128), 255, np.uint8)).save((cd / "label").mkdir() or cd / "label" / "p1.png")
    opened = _counting_opens(monkeypatch)
    stats, recs = convert(tmp_path / "o", "levir-cd", "--src", str(cd), "--tile", "32")
    assert stats["notes"]["tiles"] == 16 and len({r["images"][0]["path"] for r in recs}) == 16
    assert opened["p1.png"] <= 2 * 2 + 1  # A and B: size and one decode each; the label once (was 3 + 32)
    monkeypatch.undo()
    for tag, image in (("A", a), ("B", b)):
        whole = np.asarray(Image.open(image))
        for t in (tmp_path / "o" / "images").glob(f"*_{tag}.png"):
            x0, y0 = (int(v) for v in t.stem.split("_")[1:3])
            assert np.array_equal(np.asarray(Image.open(t)), whole[y0:y0 + 32, x0:x0 + 32])


def test_a_tiff_scene_is_still_cropped_with_its_georeferencing(tmp_path):
    """The cropper passes GeoTIFFs on to rasterio window by window, georeferencing kept."""
    pytest.importorskip("rasterio")
    from rsvlm.io.sources import open_raster

    src = tmp_path / "dota"
    src.mkdir()
    with open_raster(src / "P2.tif", "w", driver="GTiff", width=80, height=60, count=3, dtype="uint8",
                     crs="EPSG:32631", transform=(0.5, 0, 500000, 0, -0.5, 4000000)) as ds:
        ds.write(np.random.default_rng(4).integers(0, 255, (3, 60, 80), dtype=np.uint8))
    (src / "P2.txt").write_text("5 5 20 5 20 20 5 20 ship 0\n50 40 70 40 70 55 50 55 ship 0\n")
    _, recs = convert(tmp_path / "o", "dota", "--src", str(src), "--tile", "40", "--overlap", "0")
    tiles = {tuple(r["meta"]["tile"]): r["images"][0] for r in recs}
    assert tiles[(0, 0, 40, 40)]["transform"] == [0.5, 0, 500000, 0, -0.5, 4000000]
    assert tiles[(40, 20, 80, 60)]["transform"] == [0.5, 0, 500020, 0, -0.5, 3999990]
    assert all(t["crs"] == "EPSG:32631" for t in tiles.values())


BOX = "<box><loc_100><loc_100><loc_300><loc_300></box>"


def _fake_answerer(monkeypatch, past: bool = True):
    """``inference.answerer`` answering each prompt of its first batch with one box (flagged past the
    context where ``past``), of a later batch (the views of --tta) with a box that does not parse;
    past the context a later batch is plain prompts too: every call answers as the first."""
    from rsvlm import inference as inf

    calls = []

    def answerer(*a, **k):
        def generate(msgs, inputs):
            calls.append(len(msgs))
            if len(calls) == 1 or past:
                return [inf.Answer(BOX, [0.9], past_context=past) for _ in msgs]
            return [inf.Answer("<box><loc_100><loc_100>", []) for _ in msgs]

        return generate

    monkeypatch.setattr(inf, "answerer", answerer)
    return calls


def _predict(ckpt, image, out, *more, task: str = "det"):
    from rsvlm.cli import main

    return main(["predict", "--model", str(ckpt), "--image", str(image), "--task", task, "--device", "cpu",
                 "--out", str(out), *more])


def test_predict_marks_an_answer_past_the_context_in_out(ckpt, geotiff, tmp_path, monkeypatch, capsys):
    """eval marks "past_context": true on such rows; predict wrote nothing of it in --out."""
    import json

    _fake_answerer(monkeypatch)
    out = tmp_path / "r.json"
    assert _predict(ckpt, geotiff, out) == 0
    result = json.loads(out.read_text())
    assert result["past_context"] is True
    assert any("1 of the 1 answer ran past the LLM's context" in n for n in result["notes"])
    assert "ran past the LLM's context" in capsys.readouterr().err


def test_predict_marks_each_tile_past_the_context_and_counts_them_once(ckpt, geotiff, tmp_path, monkeypatch, capsys):
    import json

    _fake_answerer(monkeypatch)
    out = tmp_path / "r.json"
    assert _predict(ckpt, geotiff, out, "--tile", "32", "--overlap", "0") == 0
    result = json.loads(out.read_text())
    assert [t.get("past_context") for t in result["tiles"]] == [True] * 6
    err = capsys.readouterr().err
    assert err.count("ran past the LLM's context") == 1 and "6 of the 6 answers" in err
    assert '"past_context": true in --out\'s tiles' in err


def test_predict_says_the_tta_view_answers_left_out_of_the_fusion(ckpt, geotiff, tmp_path, monkeypatch, capsys):
    """tta.Fused.note (view answers that did not parse, counted as finding nothing) went nowhere in
    predict, untiled or tiled; eval and chat say it."""
    import json

    _fake_answerer(monkeypatch, past=False)
    out = tmp_path / "r.json"
    assert _predict(ckpt, geotiff, out, "--tta", "flip") == 0
    result = json.loads(out.read_text())
    assert [n for n in result["notes"] if "could not be fused" in n and "does not parse" in n]
    assert result["past_context"] is False
    assert "could not be fused" in capsys.readouterr().err

    _fake_answerer(monkeypatch, past=False)
    assert _predict(ckpt, geotiff, out, "--tta", "flip", "--tile", "32", "--overlap", "0", "--batch-size", "8") == 0
    result = json.loads(out.read_text())
    assert all("could not be fused" in t["tta_note"] for t in result["tiles"]) and len(result["tiles"]) == 6
    # named by the scene since stop 78, as a tiled run's other notes are
    assert [n for n in result["notes"] if n.startswith(f"[{geotiff.name}] note: 6 of 6 tiles fused without some view answers")]
    assert not any("past_context" in t for t in result["tiles"])


def _counting_dataset_reads(monkeypatch) -> list:
    """Each rasterio ``DatasetReader.read`` call's indexes."""
    from rasterio.io import DatasetReader

    calls, real_read = [], DatasetReader.read
    monkeypatch.setattr(DatasetReader, "read", lambda self, indexes=None, **k: calls.append(indexes)
                        or real_read(self, indexes, **k))
    return calls


def test_the_bands_of_one_file_are_read_in_one_call(tmp_path, monkeypatch):
    """A 3-band PNG that GDAL reads was read a band at a time, each band decoding the strip's rows
    again; one call reads them all, the same arrays (dtype, band order, any order asked)."""
    rasterio = pytest.importorskip("rasterio")
    from rsvlm.io.sources import RasterioSource

    data = np.random.default_rng(5).integers(0, 65535, (3, 40, 50), dtype=np.uint16)  # (C, H, W)
    with rasterio.open(tmp_path / "s.png", "w", driver="PNG", width=50, height=40, count=3, dtype="uint16") as ds:
        ds.write(data)
    src = RasterioSource([str(tmp_path / "s.png")])
    calls = _counting_dataset_reads(monkeypatch)
    try:
        for order in ([0, 1, 2], [2, 0], [1, 1, 2]):
            calls.clear()
            raw, valid = src.read((5, 4, 30, 20), order, None)
            assert len(calls) == 1  # was one per band
            assert raw.dtype == np.uint16 and np.array_equal(raw, data[order, 4:24, 5:35]) and valid is None
        raw, _ = src.read_decimated(25, [0, 1, 2], None)
        assert raw.shape == (3, 20, 25) and len(calls) == 2
    finally:
        src.close()


def test_bands_in_separate_files_keep_their_order_and_masks(tmp_path, monkeypatch):
    """One read per band file, in the order asked; each file's nodata mask still and-ed in."""
    rasterio = pytest.importorskip("rasterio")
    from rsvlm.io.sources import RasterioSource

    rng = np.random.default_rng(6)
    names = []
    for k, nodata in enumerate((None, 0, None)):
        band = rng.integers(1, 255, (1, 16, 20), dtype=np.uint8)
        if nodata is not None:
            band[0, :4] = nodata
        names.append(str(tmp_path / f"b{k}.tif"))
        with rasterio.open(names[-1], "w", driver="GTiff", width=20, height=16, count=1, dtype="uint8",
                           nodata=nodata, crs="EPSG:32631", transform=(1, 0, 0, 0, -1, 0)) as ds:
            ds.write(band)
    want = np.stack([rasterio.open(n).read(1) for n in names])  # (3, 16, 20)
    src = RasterioSource(names)
    calls = _counting_dataset_reads(monkeypatch)
    try:
        raw, valid = src.read((0, 0, 20, 16), [2, 1, 0], None)
    finally:
        src.close()
    assert np.array_equal(raw, want[[2, 1, 0]]) and len(calls) == 3
    assert valid is not None and not valid[:4].any() and valid[4:].all()


def _tile_pixels(out: Path) -> dict:
    """{(x0, y0): (C, h, w) pixels} of the PNG tiles a converter wrote, as GDAL reads them (bits kept)."""
    from rsvlm.io.sources import open_raster

    got = {}
    for t in (out / "images").glob("*.png"):
        with open_raster(t) as ds:
            got[tuple(int(v) for v in t.stem.split("_")[-2:])] = ds.read()
    return got


def test_a_png_past_pils_pixel_limit_is_tiled_from_strips(tmp_path, monkeypatch):
    """A DOTA-v2 scene past PIL's decompression-bomb limit passed the size check (read by GDAL) and
    then crashed --tile with PIL's DecompressionBombError, naming no file."""
    pytest.importorskip("rasterio")
    src = tmp_path / "dota"
    whole = np.asarray(Image.open(_noise_png(src / "P9.png", 120, 90)))  # (H, W, 3)
    (src / "P9.txt").write_text("10 10 30 10 30 25 10 25 ship 0\n80 60 100 60 100 80 80 80 ship 0\n")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 2000)  # 120 x 90 is past twice that
    stats, recs = convert(tmp_path / "o", "dota", "--src", str(src), "--tile", "64", "--overlap", "8")
    assert stats["notes"]["tiles"] == 3 and recs  # the second ship's top fifth in the tile above it too
    for (x0, y0), px in _tile_pixels(tmp_path / "o").items():
        assert px.shape == (3, 64, 64) and np.array_equal(np.moveaxis(px, 0, -1), whole[y0:y0 + 64, x0:x0 + 64])


def test_a_16_bit_colour_png_keeps_its_bits_in_its_tiles(tmp_path):
    """PIL reads 16-bit colour as 8 bits: tiles of such a scene were written 8-bit, unsaid, while the
    untiled record keeps the 16-bit file; GDAL now cuts them, bits kept."""
    rasterio = pytest.importorskip("rasterio")
    data = np.random.default_rng(7).integers(0, 65535, (3, 50, 70), dtype=np.uint16)  # (C, H, W)
    (tmp_path / "img").mkdir()
    with rasterio.open(tmp_path / "img" / "s2.png", "w", driver="PNG", width=70, height=50, count=3,
                       dtype="uint16") as ds:
        ds.write(data)
    lab = np.zeros((50, 70), np.uint8)
    lab[::6, ::6] = 1
    (tmp_path / "lab").mkdir()
    Image.fromarray(lab).save(tmp_path / "lab" / "s2.png")
    stats, _ = convert(tmp_path / "o", "masks", "--images", str(tmp_path / "img"), "--labels", str(tmp_path / "lab"),
                       "--binary", "water", "--tile", "32", "--overlap", "0")
    tiles = _tile_pixels(tmp_path / "o")
    assert stats["notes"]["tiles"] == len(tiles) == 6
    for (x0, y0), px in tiles.items():
        assert px.dtype == np.uint16 and np.array_equal(px, data[:, y0:y0 + 32, x0:x0 + 32])


def test_a_scene_of_many_tiles_shows_their_progress(tmp_path, monkeypatch):
    """The converters' bar counts images: a DOTA-v2 scene's hundreds of tiles (minutes) sat at 0/1."""
    import tqdm

    bars, real = [], tqdm.tqdm

    def recorded(*a, **k):
        bars.append(k)
        return real(*a, **k)

    monkeypatch.setattr(tqdm, "tqdm", recorded)
    src = tmp_path / "dota"
    _noise_png(src / "P3.png", 200, 120)
    (src / "P3.txt").write_text("10 10 50 10 50 40 10 40 ship 0\n")
    stats, _ = convert(tmp_path / "o", "dota", "--src", str(src), "--tile", "40", "--overlap", "0")
    tiles = [b for b in bars if b.get("unit") == " tiles"]
    assert [b["desc"] for b in tiles] == ["tiles of P3.png"] and not tiles[0]["disable"]
    assert stats["notes"]["empty_images"] == 13  # 15 windows went by, two with the ship (cut at x 40)


def test_a_tiles_short_text_answer_under_tta_is_its_views_vote(ckpt, geotiff, tmp_path, monkeypatch):
    """--tile --tta asked every view of a word tile, then kept the plain answer and threw the vote away
    (untiled, and in eval, the vote is the answer)."""
    import json

    from rsvlm import inference as inf

    calls = []

    def answerer(*a, **k):
        def generate(msgs, inputs):
            calls.append(len(msgs))
            return [inf.Answer("forest" if len(calls) == 1 else "lake", []) for _ in msgs]

        return generate

    monkeypatch.setattr(inf, "answerer", answerer)
    out = tmp_path / "r.json"
    assert _predict(ckpt, geotiff, out, "--tta", "flip", "--tile", "32", "--overlap", "0", "--batch-size", "8",
                    task="cls") == 0
    result = json.loads(out.read_text())
    assert len(calls) == 4  # the plain prompts, then 3 mirror views
    assert [t["answer"] for t in result["tiles"]] == ["lake"] * 6 and result["answer"].endswith("'lake' x6")


def test_a_poly_whose_rings_are_an_array_is_tiled_and_shifted():
    """Rings as a numpy array (``poly_rings`` reads them): ``obj.get("rings") or ...`` raised numpy's
    "truth value is ambiguous" in data_gen.tiling's clip and io.tiles' shift into the scene."""
    from data_gen.tiling import Window, clip_object, tile_objects
    from rsvlm.io.tiles import _shift

    outer, hole = [[0, 0], [10, 0], [10, 10], [0, 10]], [[4, 4], [6, 4], [6, 6], [4, 6]]
    obj = {"kind": "poly", "label": "lake", "coords": outer, "rings": np.array([outer, hole], dtype=float)}
    inside, why = clip_object(obj, Window(0, 0, 20, 20))
    assert why is None and inside[0]["coords"] == [[0.0, 0.0], [10.0, 0.0], [10.0, 10.0], [0.0, 10.0]]
    assert inside[0]["rings"][1] == [[4.0, 4.0], [6.0, 4.0], [6.0, 6.0], [4.0, 6.0]]
    per_window, counts = tile_objects([obj], [Window(0, 0, 8, 10), Window(5, 0, 13, 10)])
    assert counts == {"cut": 0, "lost": 0, "outside": 0} and all(len(objs) == 1 for objs in per_window)
    shifted = _shift(obj, 100, 50, (100, 50, 20, 20))
    assert shifted["rings"][1] == [[104.0, 54.0], [106.0, 54.0], [106.0, 56.0], [104.0, 56.0]]
