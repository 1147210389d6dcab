"""Front door, chat REPL, overlays and tiling, lead 72 (round 2)."""

import numpy as np
import pytest
from PIL import Image
from test_predict_edges import chat_repl

from rsvlm.cli import main

BOX = "<ref>ship</ref><box><loc_400><loc_400><loc_599><loc_599></box>"


def _boxes_everywhere(monkeypatch, answer=None):
    """Every answerer the run makes answers each question with one box (``answer``: an ``Answer`` in its place)."""
    from rsvlm import inference as inf
    from rsvlm.answering import Answer

    monkeypatch.setattr(inf, "answerer", lambda *a, **k: lambda msgs, imgs: [answer or Answer(BOX, [0.9])
                                                                             for _ in msgs])


def test_a_tiled_tta_note_calls_the_window_a_tile_window(ckpt, tmp_path, monkeypatch, capsys):
    """``--tile 6 --tta crops`` said "the 6x6 px image is too small for distinct corner crops (…, repeats the whole
    image …)" of a 12x12 image: the 6x6 px is each tile window's."""
    path = tmp_path / "small.png"
    Image.fromarray(np.full((12, 12, 3), 90, np.uint8)).save(path)
    _boxes_everywhere(monkeypatch)
    assert main(["predict", "--model", str(ckpt), "--image", str(path), "--prompt", "[det] Detect all ships.",
                 "--device", "cpu", "--tile", "6", "--overlap", "0", "--tta", "crops"]) == 0
    err = capsys.readouterr().err
    assert "the 6x6 px tile window is too small for distinct corner crops" in err, err
    assert "repeats the whole tile window or another crop" in err and "px image" not in err, err


def test_a_tiled_grounding_question_is_said_answered_within_each_tile():
    """It said each tile gives "the largest object of each tile, not of the scene" of any [ground] question, "the
    leftmost tank" too."""
    from rsvlm.predict_tiles import tile_note

    note = tile_note("ground", "--prompt's [ground]")
    assert note.startswith("--tile asks each window on its own, so --prompt's [ground] is answered per tile: each tile "
                           "answers it of its own pixels"), note
    assert "largest object" not in note and "the scene's" in note, note


def test_chat_refuses_a_question_in_the_python_sessions_words(ckpt, geotiff):
    """Chat kept its own copy of ``ChatSession.ask``'s checks (``inference.question_problem``): its [regcap]
    refusal had drifted from the session's. Refused alike, the tag alone checked as the question it asks."""
    from rsvlm import inference as inf

    repl, out = chat_repl(ckpt)
    repl.load_image([str(geotiff), "optical"])
    for typed, asks in (("[regcap] What is this?", None), ("[regcap]", inf.DEFAULT_PROMPTS["regcap"]),
                        ("[vqa] What is in <box>10,10,50,50</box>?", None)):
        out.truncate(0), out.seek(0)
        assert repl.ask(typed) is None
        why = inf.question_problem(asks or typed)
        assert why and out.getvalue().startswith(f"error: {why}"), out.getvalue()
    assert not repl.session.stats and "standard question" not in out.getvalue()
    assert repl.ask("[count]") is not None and "a tag alone asks the task's standard question" in out.getvalue()


def _plain_then_views(monkeypatch, plain, view):
    """The first answer asked is ``plain``, every later one (the --tta views) ``view``."""
    from rsvlm import inference as inf

    asked = []

    def answerer(*a, **k):
        return lambda msgs, imgs: [asked.append(1) or (plain if len(asked) == 1 else view) for _ in msgs]

    monkeypatch.setattr(inf, "answerer", answerer)


def test_a_view_answer_known_cut_is_said_cut_short_and_out_says_cut_known(ckpt, geotiff, tmp_path, monkeypatch,
                                                                        capsys):
    """A --tta view answer the token limit is known to have cut (``Fused.cut_known``) was said "a view answer fused
    into it reached the token limit …; it may be cut"; the untiled --out had "cut" and no "cut_known" (--tile's
    tiles had both)."""
    import json

    from rsvlm.answering import Answer

    _plain_then_views(monkeypatch, Answer(BOX, [0.9]), Answer(BOX, [0.8], cut=True, cut_known=True))
    out = tmp_path / "o.json"
    assert main(["predict", "--model", str(ckpt), "--image", str(geotiff), "--prompt", "[det] Detect all ships.",
                 "--device", "cpu", "--tta", "flip", "--max-new-tokens", "40", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "a view answer fused into it was cut short by the token limit (40 tokens)" in err, err
    assert "may be cut" not in err, err
    result = json.loads(out.read_text())
    assert (result["cut"], result["cut_known"]) == (True, True), result
    _plain_then_views(monkeypatch, Answer(BOX, [0.9], cut=True), None)  # reached the limit: may be cut
    assert main(["predict", "--model", str(ckpt), "--image", str(geotiff), "--prompt", "[det] Detect all ships.",
                 "--device", "cpu", "--out", str(out)]) == 0
    result = json.loads(out.read_text())
    assert (result["cut"], result["cut_known"]) == (True, False), result


def test_a_tiles_view_answer_known_cut_is_counted_cut_short(monkeypatch):
    """A tile whose --tta view answer the limit is known to have cut was counted "may be cut" (no "cut_known"):
    only its own answer's was known."""
    import types

    from rsvlm.answering import Answer
    from rsvlm.data.conversation import PromptConfig
    from rsvlm.io.read import RSImage
    from rsvlm.predict_tiles import tile_predictor
    from rsvlm.tta import MODES, FuseConfig

    _plain_then_views(monkeypatch, Answer(BOX, [0.9]), Answer(BOX, [0.8], cut=True, cut_known=True))
    img = RSImage(data=np.zeros((3, 32, 32), np.float32), modality="optical", bands=["R", "G", "B"], path="a.png")
    tiles: list = []
    tile_predictor(None, types.SimpleNamespace(prompt=PromptConfig()), "[det] Detect ships.", 64, tiles,
                   tta=FuseConfig(views=MODES["flip"]))([img])
    assert (tiles[0].get("cut"), tiles[0].get("cut_known")) == (True, True), tiles


def test_chat_says_a_view_answer_known_cut_was_cut_short(ckpt, geotiff, monkeypatch):
    from rsvlm.answering import Answer
    from rsvlm.tta import MODES, FuseConfig

    repl, out = chat_repl(ckpt, tta=FuseConfig(views=MODES["flip"]))
    repl.load_image([str(geotiff), "optical"])
    repl.ask("[det] Detect all ships.")
    view = Answer(BOX, [0.8], cut=True, cut_known=True)
    _plain_then_views(monkeypatch, view, view)  # no plain answer is asked: each is a view
    out.truncate(0), out.seek(0)
    repl.fused(BOX, [0.9])
    assert "note: a view answer was cut short by the token limit (3 tokens)" in out.getvalue(), out.getvalue()


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("modality, bands", [("optical", ["R", "G", "B"]), ("msi", ["B2", "B3", "B4", "B8"]),
                                             ("sar", ["VV"])])
def test_an_unmasked_nan_pixel_is_drawn_black_and_alone_without_a_warning(modality, bands):
    """A NaN the reader did not mask gave numpy's "invalid value encountered in cast"; in an msi image it made the
    display range NaN, and the whole overlay black."""
    from rsvlm.io.image import RSImage
    from rsvlm.io.vis import to_display_rgb

    data = np.linspace(0, 1, len(bands) * 64, dtype=np.float32).reshape(len(bands), 8, 8)  # (C, H, W)
    holed = data.copy()
    holed[:, 2, 3] = np.nan
    valid = np.ones((8, 8), bool)
    valid[2, 3] = False
    drawn = to_display_rgb(RSImage(data=holed, modality=modality, bands=bands, path="a.tif"))
    masked = to_display_rgb(RSImage(data=data, modality=modality, bands=bands, path="a.tif", valid=valid))
    assert (drawn[2, 3] == 0).all() and np.array_equal(drawn, masked)  # as if the reader had masked it


def test_a_word_task_of_a_scene_whose_tiles_are_all_nodata_is_no_object_count(ckpt, tmp_path, capsys):
    """``--task cls --tile`` on a scene of nodata printed "0 object(s) from 0 tiles (9 tiles all nodata, not asked)", a
    shape count, for a word task (its tally needed a tile asked); since tour 73 it is refused, as untiled."""
    import rasterio
    from rasterio.transform import from_origin

    path, out = tmp_path / "nodata.tif", tmp_path / "o.json"
    with rasterio.open(path, "w", driver="GTiff", width=64, height=64, count=3, dtype="uint8", nodata=0,
                       crs="EPSG:32631", transform=from_origin(500000.0, 4000000.0, 1, 1)) as ds:
        ds.write(np.zeros((3, 64, 64), np.uint8))
    assert main(["predict", "--model", str(ckpt), "--image", str(path), "--task", "cls", "--device", "cpu",
                 "--tile", "32", "--overlap", "0", "--out", str(out)]) == 2  # refused as untiled (tour 73); was 0
    said = capsys.readouterr()
    assert said.out == "" and "object" not in said.err and "every pixel is nodata" in said.err, said
    assert not out.exists()
