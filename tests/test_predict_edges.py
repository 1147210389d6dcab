"""Rough edges of `rsvlm predict` and `rsvlm chat` a user meets with bad inputs and outputs."""

import json
import re
from pathlib import Path

import numpy as np
import pytest

from rsvlm.cli import main

REPO = Path(__file__).resolve().parents[1]


def chat_repl(ckpt, **kw):
    """A chat REPL on the tiny checkpoint (``kw``: ChatREPL's options) writing into a StringIO: (repl, out)."""
    import io

    from rsvlm import inference as inf
    from rsvlm.chat import ChatREPL

    model, processor = inf.load_model(str(ckpt), "cpu")
    out = io.StringIO()
    return ChatREPL(model, processor, out=out, max_new_tokens=3, **kw), out




def predict_det(ckpt, image, *extra):
    return main(["predict", "--model", str(ckpt), "--image", str(image), "--task", "det", "--max-new-tokens", "4",
                 "--device", "cpu", *extra])


def test_bad_output_paths_are_refused_before_the_model_runs(geotiff, tmp_path, capsys):
    missing = tmp_path / "no-model"  # the checks come first: the model is never looked for
    assert predict_det(missing, geotiff, "--out", str(tmp_path)) == 2  # a folder: was an IsADirectoryError traceback
    assert f"--out {tmp_path} is a folder" in capsys.readouterr().err
    (tmp_path / "file").write_text("x")
    assert predict_det(missing, geotiff, "--geojson", str(tmp_path / "file" / "r.geojson")) == 2
    assert "--geojson" in capsys.readouterr().err
    assert predict_det(missing, geotiff, "--vis", str(tmp_path / "overlay")) == 2  # PIL's ValueError after the run
    assert "unknown image extension" in capsys.readouterr().err


def test_outputs_in_new_folders_are_all_written(ckpt, geotiff, tmp_path, capsys):
    out, gj, vis = tmp_path / "a" / "r.json", tmp_path / "b" / "r.geojson", tmp_path / "c" / "r.png"
    assert predict_det(ckpt, geotiff, "--out", str(out), "--geojson", str(gj), "--vis", str(vis)) == 0
    assert json.loads(gj.read_text())["type"] == "FeatureCollection"  # its folder was not made before
    assert out.is_file() and vis.is_file()


def test_geojson_of_an_image_without_crs_is_refused_before_the_model_runs(tmp_path, capsys):
    from PIL import Image

    png = tmp_path / "plain.png"
    Image.fromarray(np.zeros((32, 48, 3), np.uint8)).save(png)
    out = tmp_path / "r.json"  # was written, then --geojson failed after the answer and --vis never ran
    assert predict_det(tmp_path / "no-model", png, "--geojson", str(tmp_path / "r.geojson"), "--out", str(out)) == 2
    err = capsys.readouterr().err
    assert "--geojson" in err and "plain.png is not georeferenced" in err and "not an rsvlm checkpoint" not in err
    assert not out.exists()


def test_chat_vis_and_geojson_errors_leave_the_session_running(ckpt, geotiff, tmp_path):

    from rsvlm import geometry
    from rsvlm import inference as inf

    repl, out = chat_repl(ckpt)
    repl.load_image([str(geotiff), "optical"])
    answer = geometry.encode([{"kind": "box", "label": "ship", "coords": [8.0, 8.0, 40.0, 30.0]}], 96, 64)
    repl.last = {"question": "[det] ships", **inf.locate(answer, repl.images[-1])}
    for line in (f"/vis {tmp_path}", f"/vis {tmp_path / 'overlay'}", f"/geojson {tmp_path}"):
        assert repl.handle(line)  # each was a traceback that ended the chat
    said = out.getvalue()
    assert f"error: /vis {tmp_path}:" in said and "unknown image extension" in said
    assert f"error: /geojson {tmp_path}:" in said
    assert repl.handle(f"/geojson {tmp_path / 'new' / 'r.geojson'}")  # a new folder is made, as /vis does
    assert json.loads((tmp_path / "new" / "r.geojson").read_text())["features"]


def test_tile_and_batch_size_below_one_are_refused(geotiff, tmp_path, capsys):
    missing = tmp_path / "no-model"
    assert predict_det(missing, geotiff, "--tile", "0") == 2  # was read as no --tile: the scene shrunk whole
    assert "--tile must be > 0" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:  # a usage error, with --tile or not (was a ValueError traceback)
        predict_det(missing, geotiff, "--batch-size", "0")
    assert e.value.code == 2 and "argument --batch-size: must be at least 1, got 0" in capsys.readouterr().err
    predict_det(missing, geotiff, "--overlap", "8")  # without --tile: said, not silently dropped
    assert "--overlap 8 ignored" in capsys.readouterr().err


def _collar_tif(path, w=96, h=64):
    """A GeoTIFF whose left two thirds are nodata (0), as a scene's collar."""
    import rasterio
    from rasterio.transform import from_origin

    data = np.zeros((3, h, w), np.uint8)  # (C, H, W)
    data[:, :, 2 * w // 3:] = np.random.default_rng(1).integers(1, 255, (3, h, w - 2 * w // 3), dtype=np.uint8)
    with rasterio.open(path, "w", driver="GTiff", width=w, height=h, count=3, dtype="uint8", nodata=0,
                       crs="EPSG:32631", transform=from_origin(500000.0, 4000000.0, 0.5, 0.5)) as ds:
        ds.write(data)
    return path


def test_tiled_predict_skips_and_counts_nodata_tiles(ckpt, tmp_path, capsys):
    out = tmp_path / "t.json"
    assert predict_det(ckpt, _collar_tif(tmp_path / "collar.tif"), "--tile", "32", "--overlap", "0",
                    "--out", str(out)) == 0
    res = json.loads(out.read_text())
    assert res["nodata_tiles"] == 4 and len(res["tiles"]) == 2  # 6 windows; the model was asked about 2
    assert "from 2 tiles (4 tiles all nodata, not asked)" in capsys.readouterr().out


def test_an_image_with_no_valid_pixel_is_refused(ckpt, tmp_path, capsys):

    from PIL import Image


    png = tmp_path / "clear.png"  # fully transparent: read, then answered as if it were a black scene
    Image.fromarray(np.zeros((32, 48, 4), np.uint8)).save(png)
    assert predict_det(ckpt, png, "--task", "cls") == 2
    assert "clear.png: every pixel is nodata" in capsys.readouterr().err
    repl, out = chat_repl(ckpt)
    repl.load_image([str(png)])
    assert "error:" in out.getvalue() and "every pixel is nodata" in out.getvalue() and not repl.images
    assert predict_det(ckpt, _collar_tif(tmp_path / "collar.tif"), "--task", "cls") == 0  # some valid pixels: asked


def test_chat_with_an_unreadable_image_on_the_command_line_exits_2(ckpt, tmp_path, capsys):
    bad = tmp_path / "cut.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 20)  # it said the error, then chatted on without an image
    assert main(["chat", "--model", str(ckpt), "--image", str(bad), "--device", "cpu"]) == 2
    err = capsys.readouterr().err  # one 'rsvlm chat: …' line on stderr, before the model loads
    assert "cut.png" in err and err.startswith("rsvlm chat: "), err


def test_an_image_naming_no_file_is_an_error_and_spaces_after_commas_are_allowed(ckpt, geotiff, tmp_path, capsys):

    from rsvlm import inference as inf

    for text in (",", ""):  # both were an IndexError traceback (in chat, one that ended the session)
        assert predict_det(tmp_path / "no-model", text) == 2
        assert "names no file" in capsys.readouterr().err
    repl, out = chat_repl(ckpt)
    assert repl.handle("/image ,") and "error: image ',' names no file" in out.getvalue()
    spec = inf.ImageSpec.parse(f"{geotiff}, {geotiff}", bands="R, G,B")  # "image not found:  /…/scene.tif"
    assert spec.files == [str(geotiff)] * 2 and spec.bands == ["R", "G", "B"]


def test_a_change_pair_of_two_modalities_is_flagged(ckpt, geotiff, tmp_path, capsys):
    import rasterio
    from rasterio.transform import from_origin

    sar = tmp_path / "vv.tif"  # same grid as the optical scene, one float band: sar
    with rasterio.open(sar, "w", driver="GTiff", width=96, height=64, count=1, dtype="float32", crs="EPSG:32631",
                       transform=from_origin(500000.0, 4000000.0, 0.5, 0.5)) as ds:
        ds.write(np.random.default_rng(0).uniform(0.01, 1, (1, 64, 96)).astype(np.float32))
    assert predict_det(ckpt, sar, "--image", str(geotiff), "--task", "change", "--missing-bands", "copy") == 0
    err = capsys.readouterr().err
    assert "[pair] warning: the pair mixes modalities (sar and optical)" in err  # was answered without a word
    after = tmp_path / "after.tif"  # the same ground in another file: nothing to flag (the same file twice is)
    after.write_bytes(geotiff.read_bytes())
    assert predict_det(ckpt, geotiff, "--image", str(after), "--task", "change") == 0
    assert "[pair]" not in capsys.readouterr().err


def test_notes_about_band_files_name_the_set_not_its_last_file(ckpt, tmp_path, capsys):
    import rasterio
    from rasterio.transform import from_origin

    files = []
    for band in ("B02", "B03", "B04", "B08"):
        files.append(tmp_path / f"T_{band}.tif")
        with rasterio.open(files[-1], "w", driver="GTiff", width=32, height=32, count=1, dtype="uint16",
                           crs="EPSG:32633", transform=from_origin(0, 32, 10, 10)) as ds:
            ds.write(np.random.default_rng(0).integers(1, 3000, (1, 32, 32), dtype=np.uint16))
    assert predict_det(ckpt, ",".join(map(str, files)), "--task", "cls") == 0
    err = capsys.readouterr().err
    assert "[T_B02.tif…T_B08.tif (4 files)] modality inferred as msi" in err
    assert "[T_B08.tif]" not in err  # "[T_B08.tif] B11 missing" read as a fault of the B08 file


def test_tiled_text_answers_are_tallied_not_dropped(ckpt, geotiff, capsys):
    from rsvlm.predict import tile_answers

    assert predict_det(ckpt, geotiff, "--task", "cls", "--tile", "32", "--overlap", "0") == 0
    out = capsys.readouterr().out  # was "0 object(s) from 6 tiles" and no answer at all
    assert "answers of 6 tiles: " in out and "(--out keeps each tile's answer)" in out
    assert "object(s) from" not in out  # a word task has no objects to count
    tiles = [{"answer": a} for a in ["lake", "forest", "lake"] + [f"x{i}" for i in range(12)]]
    assert tile_answers(tiles).startswith("answers of 15 tiles: 'lake' x2, 'forest' x1")
    assert tile_answers(tiles).endswith(", and 4 other answers")


def test_a_prompt_tagged_for_another_task_is_flagged(geotiff, tmp_path, capsys):
    assert predict_det(tmp_path / "no-model", geotiff, "--prompt", "[cls] What scene is this?") == 2  # --task det
    assert "--task det and --prompt's [cls] name two tasks" in capsys.readouterr().err  # refused since stop 67
    predict_det(tmp_path / "no-model", geotiff, "--prompt", "[det] Find the ships.")
    assert "warning" not in capsys.readouterr().err


def test_the_object_table_keeps_the_precision_of_degrees():
    from rsvlm.tables import objects_table

    box = {"kind": "box", "label": "ship", "coords": [10.0, 10.0, 30.0, 20.0],
           "map_coords": [[77.95392, 10.41151], [77.96012, 10.41151], [77.96012, 10.40612], [77.95392, 10.40612]]}
    row = objects_table([box]).splitlines()[1]  # a GCP-referenced Sentinel-1 scene maps to lon/lat
    assert "(77.953920,10.411510)" in row and "(77.960120,10.406120)" in row  # all four were (78.0,10.4)
    utm = dict(box, map_coords=[[500006.0, 3999995.0]] * 4)
    assert "(500006.00,3999995.00)" in objects_table([utm])


def test_long_table_cells_are_cut_between_coordinates():
    from rsvlm.tables import objects_table

    ring = [[float(i), float(i % 3)] for i in range(40)]
    utm = [[793152.25 + i, 2050084.97] for i in range(40)]
    row = objects_table([{"kind": "poly", "label": "field", "coords": ring, "map_coords": utm}]).splitlines()[1]
    _, _, _, pixel, mapped = re.split(r"\s{2,}", row)
    assert pixel.endswith(") …") and mapped.endswith(") …")  # was cut mid-number: "(793152.25,204"
    assert len(pixel) <= 60 and len(mapped) <= 100
    box = {"kind": "box", "label": "ship", "coords": [1.0, 1.0, 3.0, 3.0], "map_coords": utm[:4]}
    assert objects_table([box]).splitlines()[1].endswith("(793155.25,2050084.97)")  # a box's 4 corners whole


def test_a_tile_far_larger_than_the_input_gets_the_hint_a_whole_scene_gets(ckpt, tmp_path, capsys):
    import rasterio
    from rasterio.transform import from_origin

    path = tmp_path / "big.tif"  # 200x150 against the tiny model's 32 px input
    with rasterio.open(path, "w", driver="GTiff", width=200, height=150, count=3, dtype="uint8", crs="EPSG:32631",
                       transform=from_origin(500000.0, 4000000.0, 0.5, 0.5)) as ds:
        ds.write(np.random.default_rng(3).integers(0, 255, (3, 150, 200), dtype=np.uint8))
    assert predict_det(ckpt, path, "--tile", "100000", "--max-new-tokens", "2") == 0  # one window: the scene, shrunk
    assert "--tile 100000: each window is shrunk to the model's 32 px input" in capsys.readouterr().err
    assert predict_det(ckpt, path, "--tile", "64", "--max-new-tokens", "2") == 0
    assert "shrunk" not in capsys.readouterr().err


def test_objects_left_out_of_geojson_are_counted(ckpt, geotiff, tmp_path):

    from rsvlm import inference as inf

    repl, out = chat_repl(ckpt)
    repl.load_image([str(geotiff), "optical"])
    objects = [{"kind": "box", "label": "ship", "coords": [8.0, 8.0, 40.0, 30.0]},
               {"kind": "poly", "label": "pier", "coords": [[1.0, 1.0], [5.0, 5.0]]}]  # two vertices: no shape
    repl.last = {"question": "[seg] piers", "objects": inf.with_map_coords(objects, repl.images[-1], [])}
    repl.handle(f"/geojson {tmp_path / 'r.geojson'}")
    assert "(1 feature; 1 object without a shape left out)" in out.getvalue()  # was "(1 features)" alone
    assert len(json.loads((tmp_path / "r.geojson").read_text())["features"]) == 1


def test_ctrl_c_in_a_tiled_run_writes_the_tiles_done(ckpt, geotiff, tmp_path, monkeypatch, capsys):
    import rsvlm.predict as predict

    made = predict.tile_predictor

    def interrupted_after_one_batch(*a, **k):
        fn, calls = made(*a, **k), []

        def run(tiles):
            calls.append(len(tiles))
            if len(calls) == 2:
                raise KeyboardInterrupt
            return fn(tiles)
        return run

    monkeypatch.setattr(predict, "tile_predictor", interrupted_after_one_batch)
    out = tmp_path / "t.json"
    try:
        rc = predict_det(ckpt, geotiff, "--tile", "32", "--overlap", "0", "--batch-size", "2", "--out", str(out))
    except KeyboardInterrupt:
        pytest.fail("Ctrl-C ended predict with a traceback, the first batch's answers lost")
    assert rc == 130
    res = json.loads(out.read_text())
    assert res["stopped"] == "stopped (Ctrl-C) after 2 of 6 tiles" and len(res["tiles"]) == 2
    assert "writing what they found" in capsys.readouterr().err


def test_a_third_image_in_chat_starts_a_new_set(ckpt, geotiff):
    import io

    from rsvlm import inference as inf
    from rsvlm.chat import ChatREPL

    model, processor = inf.load_model(str(ckpt), "cpu")
    out = io.StringIO()
    repl = ChatREPL(model, processor, out=out, max_new_tokens=3)
    for _ in range(3):
        repl.load_image([str(geotiff), "optical"])
    assert len(repl.images) == len(repl.unsent) == 1  # all three went to the model in one turn
    assert "a third image: the pair is dropped" in out.getvalue()
    repl.load_image([str(geotiff), "optical"])
    assert len(repl.unsent) == 2


def test_a_merged_mask_keeps_its_pixels_in_the_json():
    from rsvlm.predict import jsonable, mask_rle

    m = np.zeros((3, 4), bool)
    m[0, 0], m[1, 1:3], m[2, 3] = True, True, True
    assert mask_rle(m) == {"size": [3, 4], "counts": [0, 1, 4, 2, 4, 1]}
    assert mask_rle(np.zeros((2, 2), bool))["counts"] == [4]
    obj = jsonable({"kind": "mask", "mask": m, "offset": [10, 20], "coords": {"box": [10, 20, 14, 23]}})
    counts = obj["mask"]["counts"]  # the merged mask of a tiled run was dropped from --out: only its box was left
    flat = np.repeat(np.arange(len(counts)) % 2 == 1, counts)
    np.testing.assert_array_equal(flat.reshape(3, 4), m)


def test_outputs_that_would_overwrite_each_other_or_an_input_are_refused(tmp_path, capsys):
    from PIL import Image

    png = tmp_path / "scene.png"
    Image.fromarray(np.zeros((16, 16, 3), np.uint8)).save(png)
    before = png.read_bytes()
    assert predict_det(tmp_path / "no-model", png, "--vis", str(png)) == 2  # the overlay replaced the image
    assert "--vis" in capsys.readouterr().err and png.read_bytes() == before
    r = tmp_path / "r.json"
    assert predict_det(tmp_path / "no-model", png, "--out", str(r), "--geojson", str(tmp_path / "." / "r.json")) == 2
    assert "--out and --geojson name the same file" in capsys.readouterr().err


def test_chat_vis_never_overwrites_a_loaded_image(ckpt, tmp_path):

    from PIL import Image

    from rsvlm import geometry
    from rsvlm import inference as inf

    png = tmp_path / "scene.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (32, 32, 3), dtype=np.uint8)).save(png)
    before = png.read_bytes()
    repl, out = chat_repl(ckpt)
    repl.load_image([str(png)])
    answer = geometry.encode([{"kind": "box", "label": "ship", "coords": [4.0, 4.0, 20.0, 20.0]}], 32, 32)
    repl.last = {"question": "[det] ships", **inf.locate(answer, repl.images[-1])}
    repl.handle(f"/vis {png}")
    assert "is a loaded image: it would be overwritten" in out.getvalue() and png.read_bytes() == before


def test_ctrl_c_during_the_mirror_views_keeps_the_chat_and_the_streamed_answer(ckpt, geotiff):
    import io

    from rsvlm import inference as inf
    from rsvlm.chat import ChatREPL
    from rsvlm.tta import MODES, FuseConfig

    model, processor = inf.load_model(str(ckpt), "cpu")
    out = io.StringIO()
    repl = ChatREPL(model, processor, out=out, max_new_tokens=4, tta=FuseConfig(views=MODES["flip"]))
    repl.load_image([str(geotiff), "optical"])

    def interrupted(*args, **kwargs):  # fused(answer, scores, cut, past_context)
        raise KeyboardInterrupt

    repl.fused = interrupted  # Ctrl-C while the other views are asked
    try:
        answer = repl.ask("[cls] What scene?")
    except KeyboardInterrupt:
        pytest.fail("Ctrl-C during the views ended the chat with a traceback")
    assert answer is not None and repl.last is not None and "(stopped: the answer streamed above stands)" in out.getvalue()


def test_chat_image_takes_bands_without_a_modality(ckpt, tmp_path):

    import rasterio


    path = tmp_path / "rgbn.tif"
    with rasterio.open(path, "w", driver="GTiff", width=32, height=32, count=4, dtype="uint16") as ds:
        ds.write(np.random.default_rng(2).integers(0, 4000, (4, 32, 32), dtype=np.uint16))
    repl, out = chat_repl(ckpt)
    repl.handle(f"/image {path} R,G,B,NIR")  # was "unknown modality 'R,G,B,NIR'"
    assert repl.images and repl.images[0].bands == ["R", "G", "B", "NIR"] and repl.images[0].modality == "msi"
    repl.handle(f"/image {path} MSI B,G,R,NIR")
    assert repl.images[-1].bands == ["B", "G", "R", "NIR"] and "error" not in out.getvalue()


def test_chat_paths_starting_with_a_tilde_are_the_home_folder(ckpt, geotiff, tmp_path, monkeypatch):

    from rsvlm import geometry
    from rsvlm import inference as inf

    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    repl, out = chat_repl(ckpt)
    (tmp_path / "s.tif").write_bytes(geotiff.read_bytes())
    repl.handle("/image ~/s.tif optical")  # chat has no shell to expand ~: "image not found: ~/s.tif"
    assert repl.images and "error" not in out.getvalue()
    answer = geometry.encode([{"kind": "box", "label": "ship", "coords": [8.0, 8.0, 40.0, 30.0]}], 96, 64)
    repl.last = {"question": "[det] ships", **inf.locate(answer, repl.images[-1])}
    repl.handle("/geojson ~/out/r.geojson")
    assert (tmp_path / "out" / "r.geojson").is_file() and not (tmp_path / "~").exists()  # not a folder named ~
    assert inf.ImageSpec.parse("~/a.tif,~/b.tif").files == [str(tmp_path / "a.tif"), str(tmp_path / "b.tif")]


def test_a_device_this_machine_lacks_is_a_one_line_error(ckpt, geotiff, capsys):
    import torch

    from rsvlm.inference import check_device

    assert check_device("cpu") == "cpu"
    with pytest.raises(ValueError, match="'gpu' is not a device"):
        check_device("gpu")
    assert main(["predict", "--model", str(ckpt), "--image", str(geotiff), "--task", "cls", "--device", "gpu"]) == 2
    assert "rsvlm predict: --device 'gpu' is not a device" in capsys.readouterr().err  # was a RuntimeError traceback
    if not torch.cuda.is_available():
        assert main(["chat", "--model", str(ckpt), "--device", "cuda"]) == 2
        assert "no CUDA GPU is usable here" in capsys.readouterr().err


def test_chat_refuses_a_change_question_about_one_image(ckpt, geotiff):


    repl, out = chat_repl(ckpt)
    repl.load_image([str(geotiff), "optical"])
    assert repl.ask("[change] What changed?") is None and not repl.session.messages  # was answered ("None.")
    assert "compares two images" in out.getvalue()
    repl.load_image([str(geotiff), "optical"])
    assert repl.ask("[change] What changed?") is not None


def test_too_many_modality_or_bands_values_name_the_option(geotiff, tmp_path, capsys):
    missing = tmp_path / "no-model"
    assert predict_det(missing, geotiff, "--modality", "optical", "--modality", "sar") == 2
    assert "2 --modality values for 1 --image arguments" in capsys.readouterr().err  # was "2 values for 1 …"
    assert predict_det(missing, geotiff, "--bands", "R,G,B", "--bands", "B,G,R") == 2
    assert "2 --bands values" in capsys.readouterr().err


def test_tiling_a_question_with_one_answer_per_scene_says_so(geotiff, tmp_path, capsys):
    predict_det(tmp_path / "no-model", geotiff, "--task", "ground", "--tile", "32")
    assert "--task ground is answered per tile" in capsys.readouterr().err  # one "largest ship" per window
    predict_det(tmp_path / "no-model", geotiff, "--tile", "32")  # det: shapes merge across tiles
    assert "answered per tile" not in capsys.readouterr().err


def test_chat_vis_before_any_answer_says_so(ckpt, geotiff, tmp_path):


    repl, out = chat_repl(ckpt)
    repl.load_image([str(geotiff), "optical"])
    repl.handle(f"/vis {tmp_path / 'v.png'}")  # said "no geometry in the last answer" of no answer at all
    assert "no answer to write yet: ask a question first" in out.getvalue()


def test_ctrl_c_before_an_untiled_answer_is_a_clean_stop(ckpt, geotiff, tmp_path, monkeypatch, capsys):
    import rsvlm.predict as predict

    def interrupted(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(predict, "ask", interrupted)
    try:
        rc = predict_det(ckpt, geotiff, "--out", str(tmp_path / "r.json"))
    except KeyboardInterrupt:
        pytest.fail("Ctrl-C ended predict with a traceback")
    assert rc == 130 and "stopped (Ctrl-C) before the answer; nothing written" in capsys.readouterr().err


def test_tiled_vis_draws_on_the_scene_overview(ckpt, geotiff, tmp_path, monkeypatch):
    """Above 8192 px the overlay was skipped; now the scene is read shrunk to the overlay's size
    (here a 32 px cap stands in for 4096 px)."""
    from PIL import Image

    import rsvlm.predict as predict

    monkeypatch.setattr(predict, "VIS_MAX_SIDE", 32)
    vis = tmp_path / "v.png"
    assert predict_det(ckpt, geotiff, "--tile", "32", "--vis", str(vis)) == 0
    assert Image.open(vis).width == 32  # the 96x64 scene drawn at the cap
