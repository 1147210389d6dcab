"""Front door, chat REPL, overlays and tiling, tour 72."""

import numpy as np
from conftest import REPO

from rsvlm.cli import main


def _collar_tif(path, side: int = 64):
    """A georeferenced RGB GeoTIFF whose left half is nodata (0)."""
    import rasterio
    from rasterio.transform import from_origin

    data = np.full((3, side, side), 120, np.uint8)  # (C, H, W)
    data[:, :, : side // 2] = 0
    with rasterio.open(path, "w", driver="GTiff", width=side, height=side, count=3, dtype="uint8", nodata=0,
                       crs="EPSG:32631", transform=from_origin(500000.0, 4000000.0, 0.5, 0.5)) as ds:
        ds.write(data)
    return path


def test_a_one_tile_run_is_not_told_to_read_the_image_tiled(ckpt, tmp_path, capsys):
    """A scene no larger than --tile is read whole as its one window: its nodata note advised "or read it tiled
    (rsvlm predict --tile SIZE skips windows wholly nodata)" to a run given --tile."""
    path = _collar_tif(tmp_path / "collar.tif")
    assert main(["predict", "--model", str(ckpt), "--image", str(path), "--task", "det", "--device", "cpu",
                 "--tile", "128"]) == 0
    err = capsys.readouterr().err
    assert "50% of the image is nodata" in err, err
    assert "read it tiled" not in err and "give a --tile smaller than the scene" in err, err


def test_a_tiled_word_answer_titles_its_overlay_with_the_tally_alone():
    """The tiled tally read "answer: answers of 6 tiles: 'lake' x5, …" on the overlay."""
    from rsvlm.output_options import overlay_title

    tally = "answers of 6 tiles: 'lake' x5, 'forest' x1"
    assert overlay_title("[cls] What scene?", tally, tiled=True) == f"[cls] What scene?\n{tally}"
    assert overlay_title("[cls] What scene?", "lake") == "[cls] What scene?\nanswer: lake"


def test_the_tiled_overlay_of_a_word_task_is_titled_with_the_tally(ckpt, tmp_path, monkeypatch):
    import rsvlm.io as rio

    titles = []
    monkeypatch.setattr(rio, "draw_overlay", lambda base, objects, out, **kw: titles.append(kw["title"]))
    path = _collar_tif(tmp_path / "s.tif")
    assert main(["predict", "--model", str(ckpt), "--image", str(path), "--task", "cls", "--device", "cpu",
                 "--tile", "32", "--overlap", "0", "--vis", str(tmp_path / "v.png")]) == 0
    assert len(titles) == 1 and "\nanswers of " in titles[0] and "answer: answers" not in titles[0], titles


def test_the_tile_memory_refusal_numbers_its_windows_and_bands(tmp_path, monkeypatch):
    """It said "1 window(s) … of 1 band(s) … do not fit"."""
    import rasterio

    import rsvlm.io.budget as budget
    from rsvlm.io.read import SceneReader
    from rsvlm.predict_tiles import window_problem

    path = tmp_path / "one.tif"
    with rasterio.open(path, "w", driver="GTiff", width=64, height=64, count=1, dtype="uint16") as ds:
        ds.write(np.ones((1, 64, 64), np.uint16))
    monkeypatch.setattr(budget, "available_bytes", lambda *a, **k: 1000)
    with SceneReader(str(path), "sar") as scene:
        err = window_problem(scene, 64, 0, 8, "one.tif")
    assert "--tile 64: 1 window of one.tif at once, each 64x64 px of 1 band of uint16, does not fit in memory" in err, err


def test_the_tile_memory_check_is_made_again_once_the_model_is_loaded(ckpt, geotiff, monkeypatch, capsys):
    """The check before the model loads compared the windows with the memory free then; the model then took its
    share. Checked again once it is loaded, against what is free then."""
    import rsvlm.inference as inf
    import rsvlm.io.budget as budget

    free = {"bytes": 10**12}
    monkeypatch.setattr(budget, "available_bytes", lambda *a, **k: free["bytes"])
    load = inf.load_model

    def loading(*a, **k):  # the model takes all but 20 kB
        free["bytes"] = 20_000
        return load(*a, **k)

    monkeypatch.setattr(inf, "load_model", loading)
    assert main(["predict", "--model", str(ckpt), "--image", str(geotiff), "--task", "det", "--device", "cpu",
                 "--tile", "64", "--overlap", "0", "--batch-size", "2"]) == 2
    err = capsys.readouterr().err
    assert "do not fit in the memory free once the model was loaded (the read needs about" in err, err


def test_tile_answers_known_to_be_cut_are_said_cut_not_may_be_cut(monkeypatch):
    """A tile's answer the token limit is known to have cut (``Answer.cut_known``) was counted among "N of M tile
    answers reached the token limit …; they may be cut", as one it only reached."""
    import types

    from rsvlm import inference as inf
    from rsvlm.answering import Answer
    from rsvlm.data.conversation import PromptConfig
    from rsvlm.io.read import RSImage
    from rsvlm.predict_tiles import tile_predictor, tile_run_notes

    box = "<ref>ship</ref><box><loc_400><loc_400><loc_599><loc_599></box>"
    said = iter([Answer(box, [0.9], cut=True, cut_known=True), Answer(box, [0.9], cut=True), Answer(box, [0.9])])
    monkeypatch.setattr(inf, "answerer", lambda *a, **k: lambda msgs, imgs: [next(said) for _ in msgs])
    img = RSImage(data=np.zeros((3, 32, 32), np.float32), modality="optical", bands=["R", "G", "B"], path="a.png")
    tiles: list = []
    tile_predictor(None, types.SimpleNamespace(prompt=PromptConfig()), "[det] Detect ships.", 64, tiles)([img] * 3)
    assert [(t.get("cut"), t.get("cut_known")) for t in tiles] == [(True, True), (True, None), (None, None)]
    notes: list = []
    tile_run_notes(tiles, types.SimpleNamespace(max_new_tokens=64, out="o.json"), None, lambda s, *a: notes.append(s))
    assert notes[0].startswith("note: 1 of 3 tile answers was cut short by the token limit (64 tokens)"), notes
    assert notes[0].endswith("(\"cut_known\" in --out's tiles)"), notes
    assert notes[1].startswith("note: 1 of 3 tile answers reached the token limit (64 tokens); it may be cut"), notes
    assert len(notes) == 2, notes


def test_an_image_read_as_it_lies_not_north_up_says_so_on_its_overlay(ckpt, tmp_path, monkeypatch):
    """A Sentinel-1 GRD's descending pass lies mirrored; predict's notes said so on stderr, and its overlay, drawn as
    its pixels lie, looked like a map the wrong way round. A south-up GeoTIFF (rows running south to north) here."""
    import rasterio
    from rasterio.transform import Affine

    import rsvlm.io as rio

    path = tmp_path / "south_up.tif"
    with rasterio.open(path, "w", driver="GTiff", width=48, height=48, count=3, dtype="uint8", crs="EPSG:32631",
                       transform=Affine(0.5, 0, 500000.0, 0, 0.5, 4000000.0)) as ds:  # e > 0: rows run north
        ds.write(np.full((3, 48, 48), 90, np.uint8))
    titles = []
    monkeypatch.setattr(rio, "draw_overlay", lambda base, objects, out, **kw: titles.append(kw["title"]))
    assert main(["predict", "--model", str(ckpt), "--image", str(path), "--task", "cls", "--device", "cpu",
                 "--vis", str(tmp_path / "v.png")]) == 0
    last = titles[0].splitlines()[-1]
    assert last.startswith("drawn as read, not north-up: its rows run south to north"), titles
    assert "(" not in last, last


def test_a_pairs_overlay_names_which_image_lies_turned():
    import types

    from rsvlm.output_options import overlay_title

    turned = types.SimpleNamespace(notes=["the image is not north-up: mirrored (one axis reversed), its top facing "
                                          "north (11°) and its right west (281°) (an affine fitted to its 210 GCPs: "
                                          "1, 2, 3, 4); its pixels are read as they lie, so top and left …"])
    plain = types.SimpleNamespace(notes=["modality inferred as sar"])
    assert overlay_title("[change] What changed?", "new buildings", images=(plain, turned)).splitlines() == [
        "[change] What changed?", "answer: new buildings",
        "after: drawn as read, not north-up: mirrored, its top facing north and its right west"]
    assert overlay_title("[det] Ships?", None, images=(plain,)) == "[det] Ships?"


def test_a_dim_unstretched_ir_image_is_drawn_stretched_and_others_as_read():
    """An 8-bit SIRST frame (values 19-103 of 255, read as value/255 with no stretch) was drawn near-black through
    the inferno map; its overlay background is drawn over its own 2-98 percentiles. A bright one, and one the reader
    stretched (kelvin: the same colours in every scene), are drawn as read. The model's data is not touched."""
    from rsvlm.io.image import RSImage
    from rsvlm.io.vis import to_display_rgb

    ramp = np.linspace(0.08, 0.4, 64 * 64, dtype=np.float32).reshape(1, 64, 64)  # (C, H, W) dim
    dim = RSImage(data=ramp.copy(), modality="ir", bands=["ir"], path="dim.png")
    grey = to_display_rgb(dim, ir_cmap="grey")[..., 0]
    assert grey.max() == 255 and grey.min() == 0, (grey.min(), grey.max())  # was 20 to 102
    assert np.array_equal(dim.data, ramp)
    bright = RSImage(data=ramp * 2.5, modality="ir", bands=["ir"], path="bright.png")  # 0.2 to 1.0
    assert to_display_rgb(bright, ir_cmap="grey")[..., 0].min() == round(0.2 * 255)
    kelvin = RSImage(data=ramp.copy(), modality="ir", bands=["B10"], path="b10.tif",
                     stretch=[[250.0, 330.0]])
    assert to_display_rgb(kelvin, ir_cmap="grey")[..., 0].max() == round(0.4 * 255)


def test_a_modality_word_beside_a_file_of_that_name_is_the_modality_and_said(ckpt, tmp_path, monkeypatch):
    """``/image scene.tif sar`` in a folder holding a file named ``sar`` was refused as "one image at a time, got 2
    files"; and ``/image --modality sar scene.tif`` there took the file ``sar`` as the path, its advice naming it."""
    import shutil

    from test_predict_edges import chat_repl

    from rsvlm.chat_commands import option_words

    monkeypatch.chdir(tmp_path)
    shutil.copy(REPO / "rsvlm/assets/samples/harbour_sar.tif", "scene.tif")
    (tmp_path / "sar").write_bytes(b"not an image")
    assert option_words(["--modality", "sar", "scene.tif"]) == \
        "/image takes the modality and bands without option names: /image scene.tif sar"
    repl, out = chat_repl(ckpt)
    assert repl.load_image(["scene.tif", "sar"]), out.getvalue()
    said = out.getvalue()
    assert "note: 'sar' read as the modality (a file of that name is here too: /image ./sar loads it)" in said, said
    assert repl.images[-1].modality == "sar" and "one image at a time" not in said, said
