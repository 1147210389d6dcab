"""Tour 66 (helper N): objects drawn wholly on a nodata collar are kept and said, tiled and untiled; --tta's
"None." in place of a plain answer's shapes (``Fused.voted_out``) said by tiled predict and written by eval."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import eval_record, write_jsonl
from PIL import Image

from rsvlm.cli import main

COLLAR = 60  # px of nodata (0) on every side of the 200 x 200 scene
NOTE = "wholly on nodata pixels (kept; the image has no data there)"  # after "1 object lies", "2 objects lie"


@pytest.fixture
def collared(tmp_path):
    """A 200x200 GeoTIFF whose outer 60 px are nodata (0, declared), and its validity (H, W)."""
    import rasterio
    from rasterio.transform import from_origin

    valid = np.zeros((200, 200), bool)
    valid[COLLAR:-COLLAR, COLLAR:-COLLAR] = True
    data = np.random.default_rng(1).integers(1, 255, (3, 200, 200), dtype=np.uint8) * valid  # (C, H, W)
    path = tmp_path / "collar.tif"
    with rasterio.open(path, "w", driver="GTiff", width=200, height=200, count=3, dtype="uint8", nodata=0,
                       crs="EPSG:32631", transform=from_origin(500000.0, 4000000.0, 10.0, 10.0)) as ds:
        ds.write(data)
    return path, valid


def _on_nodata(obj, valid) -> bool:  # brute force: every pixel of the box is nodata
    x0, y0, x1, y1 = obj["coords"]
    return not valid[int(np.floor(y0)):int(np.ceil(y1)), int(np.floor(x0)):int(np.ceil(x1))].any()


def test_tiled_objects_on_the_collar_are_kept_and_counted_once_per_merged_object(collared):
    from rsvlm.io import TileMerger, run_tiled

    path, valid = collared
    scene_boxes = [(10, 10, 30, 30), (52, 10, 58, 30), (110, 110, 130, 130), (40, 40, 70, 70)]  # 2 on nodata

    def predict(tiles):  # each tile draws the scene boxes it holds whole (52..58 is in two windows)
        out = []
        for t in tiles:
            x, y, w, h = t.window
            out.append([{"kind": "box", "label": "ship", "coords": [b[0] - x, b[1] - y, b[2] - x, b[3] - y]}
                        for b in scene_boxes if b[0] >= x and b[1] >= y and b[2] <= x + w and b[3] <= y + h])
        return out

    merger = TileMerger()
    objects = run_tiled(path, predict, tile=100, overlap=50, merger=merger, progress=False)
    assert len(objects) == 4  # kept, every one
    want = sum(_on_nodata(o, valid) for o in objects)
    assert want == 2 and merger.n_on_nodata == want  # (52, 10) seen by two windows: one object
    assert [n for n in merger.notes if NOTE in n] == [f"note: 2 objects lie {NOTE}"]


def test_a_scene_without_nodata_has_no_such_note(geotiff):
    from rsvlm.io import TileMerger, run_tiled

    merger = TileMerger()
    run_tiled(geotiff, lambda ts: [[{"kind": "box", "coords": [1, 1, 5, 5]}] for _ in ts], tile=32, overlap=0,
              merger=merger, progress=False)
    assert merger.n_on_nodata == 0 and not [n for n in merger.notes if NOTE in n]


def test_a_mask_is_read_by_its_pixels_not_its_box():
    from rsvlm.io.nodata_objects import ValidityMap, count_on_nodata

    valid = np.zeros((20, 20), bool)
    valid[0, 19] = True  # one valid pixel in the box of the mask below, none under it
    mask = np.zeros((20, 20), bool)
    mask[np.arange(20), np.arange(20)] = True  # the diagonal
    obj = {"kind": "mask", "mask": mask, "offset": [0, 0]}
    from rsvlm.io.georef import mask_array

    assert mask_array(obj)[0].sum() == 20
    assert count_on_nodata([obj], valid) == 1
    seen = ValidityMap()
    seen.see((0, 0, 20, 20), valid)
    assert seen.count([obj]) == 1
    valid[5, 5] = True  # now a pixel under it holds data
    assert count_on_nodata([obj], valid) == 0


def _stub_answers(monkeypatch, answer):
    from rsvlm import inference as inf

    calls = []

    def answerer(*a, **k):
        def generate(messages, images):
            calls.append(1)
            return [inf.Answer(answer(len(calls)), []) for _ in messages]
        return generate

    monkeypatch.setattr(inf, "answerer", answerer)


BOXES = ("<ref>ship</ref><box><loc_50><loc_50><loc_150><loc_150></box>"  # (10, 10, 30, 30) of 200 px: collar
         "<box><loc_450><loc_450><loc_550><loc_550></box>")  # (90, 90, 110, 110): data


@pytest.mark.parametrize("tiled", [False, True])
def test_predict_says_the_objects_on_nodata_once(ckpt, collared, tmp_path, capsys, monkeypatch, tiled):
    """A box on the collar was kept with no word, tiled and untiled."""
    path, _ = collared
    _stub_answers(monkeypatch, lambda n: BOXES)
    out = tmp_path / "r.json"
    tile = ["--tile", "200"] if tiled else []  # one window, the whole scene: the same two boxes
    assert main(["predict", "--model", str(ckpt), "--image", str(path), "--max-new-tokens", "4", "--device", "cpu",
                 "--task", "det", "--out", str(out), *tile]) == 0
    err = capsys.readouterr().err
    assert err.count(NOTE) == 1 and f"note: 1 object lies {NOTE}" in err, err
    result = json.loads(out.read_text())
    assert len(result["objects"]) == 2  # kept
    assert [n for n in result["notes"] if NOTE in n] == [f"[collar.tif] note: 1 object lies {NOTE}"], result["notes"]


POLY = "<ref>ship</ref><poly><loc_100><loc_100><loc_500><loc_100><loc_500><loc_500></poly>"
VOTED = "test-time augmentation: \"None.\" in place of the plain answer's 1 shape, voted out: "


def test_tiled_tta_says_the_tiles_whose_shapes_were_voted_out(ckpt, geotiff, tmp_path, capsys, monkeypatch):
    """--tile --tta: "None." in place of each tile's outline said nothing of why (untiled predict did)."""
    _stub_answers(monkeypatch, lambda n: POLY if n == 1 else "None.")  # the first batch's plain answers: ships
    out = tmp_path / "r.json"
    assert main(["predict", "--model", str(ckpt), "--image", str(geotiff), "--max-new-tokens", "4", "--device",
                 "cpu", "--task", "seg", "--tta", "flip", "--tile", "48", "--overlap", "0", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    result = json.loads(out.read_text())
    n = len(result["tiles"])
    assert n == 4 and all(t["tta_voted_out"].startswith(VOTED) for t in result["tiles"])
    lines = [ln for ln in err.splitlines() if "tta_voted_out" in ln]
    assert len(lines) == 1 and f"note: {n} of {n} tiles answered \"None.\"" in lines[0], err
    assert f"first: {VOTED}" in lines[0] and any("tta_voted_out" in x for x in result["notes"])


def test_eval_writes_why_tta_voted_a_plain_answer_out(ckpt, tmp_path, capsys, monkeypatch):
    Image.fromarray(np.full((32, 32, 3), 90, np.uint8)).save(tmp_path / "a.png")
    data = write_jsonl(tmp_path / "t.jsonl", [eval_record("a", "seg", "[seg] the ships", POLY, width=32, height=32)])
    _stub_answers(monkeypatch, lambda n: POLY if n == 1 else "None.")
    out = tmp_path / "p.jsonl"
    assert main(["eval", "--model", str(ckpt), "--data", data, "--out", str(out), "--max-new-tokens", "8",
                 "--device", "cpu", "--tta", "flip"]) == 0
    (row,) = [json.loads(line) for line in out.read_text().splitlines()]
    assert row["answer"] == "None." and row["tta_voted_out"].startswith(VOTED), row
    assert "tta_note" not in row
    err = capsys.readouterr().err
    assert "left out of their --tta fusion" not in err  # not counted as views left out
    # and said at the end of the run, as tta_skipped and tta_unasked are (the key alone went unsaid)
    assert '1 record answered "None." where the plain answer had shapes, voted out by the --tta views ' \
           "(first: a; why: 'tta_voted_out' in" in err


def test_the_tiled_map_agrees_with_the_whole_scene_s_mask():
    """``ValidityMap`` (windows' masks, rows unpacked per object) against the scene's mask read whole."""
    from rsvlm.io.nodata_objects import ValidityMap, count_on_nodata
    from rsvlm.io.windows import iter_windows

    rng = np.random.default_rng(3)
    valid = rng.random((50, 70)) > 0.97  # (H, W): sparse data, so that some objects miss it
    valid[:, :20] = True  # a window or two of data alone
    seen = ValidityMap()
    for x, y, w, h in iter_windows(70, 50, 16, 4):
        seen.see((x, y, w, h), None if valid[y:y + h, x:x + w].all() else valid[y:y + h, x:x + w])
    objects = []
    for _ in range(300):
        x0, y0 = rng.integers(0, 66), rng.integers(0, 46)
        x1, y1 = x0 + rng.integers(1, 5), y0 + rng.integers(1, 5)
        objects.append({"kind": "box", "coords": [float(x0), float(y0), float(x1), float(y1)]})
        objects.append({"kind": "mask", "mask": rng.random((y1 - y0, x1 - x0)) > 0.5, "offset": [int(x0), int(y0)]})
    each = [count_on_nodata([o], valid) for o in objects]
    assert 0 < sum(each) < len(objects)
    assert [seen.count([o]) for o in objects] == each


def test_a_shrunk_read_scales_each_axis_on_its_own(ckpt, tmp_path, capsys, monkeypatch):
    """A 6000x500 scene is read 2048x171: its width's ratio (0.3413) put a box on scene row 497 (data) in the
    read's row 169 (nodata) where its height's (0.342) puts it in row 170, so the box was said on nodata."""
    import rasterio
    from rasterio.transform import from_origin

    path = tmp_path / "strip.tif"
    data = np.full((3, 500, 6000), 100, np.uint8)
    data[:, :496] = 0  # nodata above scene row 496
    with rasterio.open(path, "w", driver="GTiff", width=6000, height=500, count=3, dtype="uint8", nodata=0,
                       crs="EPSG:32631", transform=from_origin(500000.0, 4000000.0, 10.0, 10.0)) as ds:
        ds.write(data)
    # (123, 497.25, 183, 497.75) on data, and (123, 100, 183, 150) on nodata
    _stub_answers(monkeypatch, lambda n: "<ref>ship</ref><box><loc_20><loc_994><loc_30><loc_995></box>"
                  "<box><loc_20><loc_200><loc_30><loc_300></box>")
    out = tmp_path / "r.json"
    assert main(["predict", "--model", str(ckpt), "--image", str(path), "--max-new-tokens", "4", "--device", "cpu",
                 "--task", "det", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "read shrunk from 6000x500 to 2048x171" in json.dumps(json.loads(out.read_text())["notes"]) + err
    assert f"note: 1 object lies {NOTE}" in err, err


def test_a_mask_on_a_shrunk_read_is_read_by_its_pixels():
    """A mask's pixels at another scale: was the box around its outline (vectorised), so a diagonal mask whose
    box held a valid pixel was not counted."""
    from rsvlm.io.nodata_objects import count_on_nodata

    mask = np.zeros((40, 40), bool)
    mask[np.arange(40), np.arange(40)] = True  # the diagonal, in the scene's pixels
    obj = {"kind": "mask", "mask": mask, "offset": [0, 0]}
    valid = np.zeros((20, 20), bool)  # the scene read at half its size
    valid[0, 19] = True  # in the mask's box, off its pixels
    assert count_on_nodata([obj], valid, (0.5, 0.5)) == 1
    valid[10, 10] = True  # scene pixel (20, 20) of the diagonal holds data
    assert count_on_nodata([obj], valid, 0.5) == 0
