"""Front door, tour 73: progress units read as words, the unscored note of a plain answer kept under --tta, an
all-nodata scene refused under --tile before the model loads."""

import io

import numpy as np
import pytest

from rsvlm.cli import main
from rsvlm.progress import bar

POLY = "<ref>building</ref><poly><loc_100><loc_100><loc_600><loc_100><loc_600><loc_600><loc_100><loc_600></poly>"


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def _shown(b, n: int, elapsed: float) -> str:
    """What bar ``b`` draws at count ``n`` after ``elapsed`` seconds (tqdm's own formatting of its state)."""
    return b.format_meter(**{**b.format_dict, "n": n, "elapsed": elapsed, "rate": None})


@pytest.mark.parametrize("stream", [io.StringIO, _Terminal], ids=["lines", "terminal"])
def test_a_plain_word_unit_reads_as_words_fast_and_slow(stream):
    """``unit="record"`` read "13.3record/s", and callers wrote " records" to get words, whose slow bar read
    "2.80s/ records": a plain word is plural per second and singular per item."""
    with bar(total=100, desc="reading", unit="record", file=stream()) as b:
        assert "30.00 records/s" in _shown(b, 30, 1.0)
        assert "2.00 s/record" in _shown(b, 5, 10.0)
    with bar(total=10, unit="batch", file=stream()) as b:
        assert "3.00 batches/s" in _shown(b, 3, 1.0) and "5.00 s/batch" in _shown(b, 2, 10.0)


@pytest.mark.parametrize("stream", [io.StringIO, _Terminal], ids=["lines", "terminal"])
def test_old_style_and_default_units_are_shown_as_given(stream):
    with bar(total=100, unit=" records", file=stream()) as b:
        assert "30.00 records/s" in _shown(b, 30, 1.0)
    with bar(total=100, file=stream()) as b:
        assert "30.00it/s" in _shown(b, 30, 1.0) and "2.00s/it" in _shown(b, 5, 10.0)


def test_a_line_mode_bar_writes_its_unit_as_words():
    log = io.StringIO()
    with bar(desc="inferring", unit="file", file=log) as b:
        b.update(5)
    assert log.getvalue().startswith("inferring: 5 files [") and " files/s]" in log.getvalue(), log.getvalue()


def test_a_plain_answer_kept_under_tta_is_not_called_a_fused_vote(ckpt, geotiff, monkeypatch, capsys):
    """With --tta on, a polygon without a score was said to be "fused over the --tta views" even where no view's
    answer was fused (the plain answer kept): its missing score is a shape-to-score mismatch."""
    from rsvlm import inference as inf
    from rsvlm import tta
    from rsvlm.answering import Answer

    monkeypatch.setattr(inf, "answerer", lambda *a, **k: lambda msgs, imgs: [Answer(POLY, []) for _ in msgs])
    monkeypatch.setattr(tta, "fused_answers", lambda *a, **k: [None])  # every view refused: the plain answer kept
    assert main(["predict", "--model", str(ckpt), "--image", str(geotiff), "--task", "seg", "--device", "cpu",
                 "--tta", "flip"]) == 0
    err = capsys.readouterr().err
    assert "did not match the model's per-shape scores" in err and "pixel vote" not in err, err


def test_chat_calls_a_plain_answer_kept_under_tta_no_fused_vote(ckpt, geotiff, monkeypatch):
    from test_predict_edges import chat_repl

    from rsvlm import inference as inf
    from rsvlm.tta import MODES, FuseConfig

    repl, out = chat_repl(ckpt, tta=FuseConfig(views=MODES["flip"]))
    assert repl.load_image([str(geotiff)]), out.getvalue()
    monkeypatch.setattr(repl, "fused", lambda *a, **k: inf.Answer(POLY, None))  # the plain answer, kept
    repl.ask("[seg] Segment the buildings.")
    said = out.getvalue()
    assert "did not match" in said and "pixel vote" not in said, said


def _nodata_tif(path, side: int):
    import rasterio
    from rasterio.transform import from_origin

    with rasterio.open(path, "w", driver="GTiff", width=side, height=side, count=3, dtype="uint8", nodata=0,
                       crs="EPSG:32631", transform=from_origin(500000.0, 4000000.0, 1, 1)) as ds:
        ds.write(np.zeros((3, side, side), np.uint8))  # (C, H, W) all nodata
    return path


def test_tile_refuses_an_all_nodata_scene_before_the_model_loads(tmp_path, monkeypatch, capsys):
    """Untiled, a scene of nothing but nodata is refused; --tile loaded the model, skipped each window and exited 0."""
    from rsvlm import inference as inf

    def no_model(*a, **k):
        raise AssertionError("the model was loaded")

    monkeypatch.setattr(inf, "load_model", no_model)
    img = _nodata_tif(tmp_path / "empty.tif", 200)
    assert main(["predict", "--model", str(tmp_path / "m"), "--image", str(img), "--task", "det", "--tile", "64"]) == 2
    err = capsys.readouterr().err
    assert f"rsvlm predict: {img}: every pixel is nodata" in err and "nothing to ask about" in err, err


def test_tile_refuses_an_all_nodata_scene_too_large_for_the_sample_once_its_windows_are_read(ckpt, tmp_path, capsys):
    """A scene larger than the stretch's sample is not refused from the decimated read (a small valid patch may fall
    between samples); each window wholly nodata, the run asks nothing and writes nothing, status 2 (was 0)."""
    img = _nodata_tif(tmp_path / "empty.tif", 1100)
    out = tmp_path / "o.json"
    assert main(["predict", "--model", str(ckpt), "--image", str(img), "--task", "det", "--tile", "600", "--device",
                 "cpu", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "every pixel is nodata" in err and "in each of its 4 tiles: nothing to ask about; nothing written" in err, err
    assert not out.exists()


@pytest.mark.parametrize("gcps,line", [
    (((0, 0, 10, 80), (100, 0, 30, 80), (0, 100, 10, 90)),
     "drawn as read, orientation unknown: its GCPs have no CRS, and read as longitude and latitude or as a local "
     "grid they lie differently"),
    (((0, 0, 10, 80), (100, 0, 30, 80)), "drawn as read, orientation unknown: too few GCPs, or all on one line, to fit one to"),
], ids=["ambiguous", "unchecked"])
def test_an_overlay_of_gcps_of_unknown_orientation_says_so(gcps, line):
    """A not-north-up image's overlay says how it lies; one whose GCPs leave that unknown said nothing, and looked
    like a map."""
    from types import SimpleNamespace

    from rasterio.control import GroundControlPoint

    from rsvlm.io.georef import gcp_orientation_note
    from rsvlm.output_options import overlay_title

    note = gcp_orientation_note([GroundControlPoint(row=r, col=c, x=x, y=y) for c, r, x, y in gcps], None)
    assert overlay_title("[det] Detect all ships.", None, images=(SimpleNamespace(notes=[note]),)) == (
        "[det] Detect all ships.\n" + line)


def test_chat_says_what_stays_loaded_after_an_image_that_fails(ckpt, geotiff, tmp_path):
    """A /image that failed mid-session said its error alone; the next question went to the image loaded before,
    unsaid, and the user took the new one for loaded."""
    from test_predict_edges import chat_repl

    repl, out = chat_repl(ckpt)
    bad = tmp_path / "cut.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 40)  # a PNG's signature, then nothing it can decode
    repl.handle(f"/image {bad}")
    assert out.getvalue().startswith("error: ") and "loaded" not in out.getvalue(), out.getvalue()  # none was
    repl.handle(f"/image {geotiff}")
    repl.handle(f"/image {bad}")
    assert out.getvalue().rstrip().endswith("(scene.tif still loaded: the next question asks about it)"), out.getvalue()


def test_counts_are_written_in_the_singular_and_the_plural():
    """"1 object(s) from 1 tile", "1 of 1 object(s) have no score", "1 of the 1 answer(s) … their ends are
    unreliable": one is singular, more plural."""
    from rsvlm.answering import context_note
    from rsvlm.output_options import above_min_score, unscored_note
    from rsvlm.predict_tiles import shapes_line
    from rsvlm.progress import counted

    assert [counted(n, w) for n, w in ((1, "tile"), (0, "tile"), (2, "batch"), (3, "entry"), (2, "day"))] == [
        "1 tile", "0 tiles", "2 batches", "3 entries", "2 days"]
    assert shapes_line({"tiles": [{}], "objects": [{}], "nodata_tiles": 1}, 1, 0, 0) == (
        "1 object from 1 tile (1 tile all nodata, not asked)")
    assert shapes_line({"tiles": [{}, {}], "objects": [], "nodata_tiles": 0}, 0, 0, 0) == "0 objects from 2 tiles"
    assert unscored_note([{"kind": "box"}]).startswith("1 of 1 object has no score: ")
    assert unscored_note([{"kind": "box"}]).endswith("; --min-score keeps it")
    assert unscored_note([{"kind": "poly"}, {"kind": "box"}], fused=True).startswith(
        "2 of 2 objects have no score: 1 polygon or mask fused over the --tta views is a pixel vote, which carries no "
        "score; 1 other: ")
    assert above_min_score([{"score": 0.1}], 0.5)[1] == "1 of 1 object scored below --min-score 0.5 dropped"
    assert context_note(1, 1, 9).startswith("1 of the 1 answer ran past the LLM's context of 9 tokens")
    assert "its end is unreliable; a lower --max-new-tokens stops it short" in context_note(1, 1, 9)
    assert context_note(2, 3, 9).startswith("2 of the 3 answers ran past") and "their ends are" in context_note(2, 3, 9)


def test_an_ir_window_the_reader_stretched_is_drawn_as_read_though_it_says_no_stretch_note():
    """The overlay told a stretched ir read from a dim unstretched one by its "stretch (" note, which a window read
    with the scene's scaling passed on does not say: it was drawn over its own percentiles, unlike the scene's other
    windows. ``RSImage.stretch`` says it."""
    from rsvlm.io.image import RSImage
    from rsvlm.io.vis import to_display_rgb

    ramp = np.linspace(0.08, 0.4, 64 * 64, dtype=np.float32).reshape(1, 64, 64)  # (C, H, W) dim
    window = RSImage(data=ramp, modality="ir", bands=["ir"], path="w.tif", stretch=[[2000.0, 9000.0]], notes=[])
    assert to_display_rgb(window, ir_cmap="grey")[..., 0].max() == round(0.4 * 255)  # was 255: stretched again


def test_an_empty_prompt_is_said_empty_not_a_missing_task(geotiff, capsys):
    """``--prompt "$Q"`` with Q unset: "the following arguments are required: --task", as if no --prompt were given;
    a prompt of spaces was told it is empty."""
    assert main(["predict", "--image", str(geotiff), "--prompt", ""]) == 2
    err = capsys.readouterr().err
    assert "rsvlm predict: --prompt is empty; give the question, or --task alone" in err and "required" not in err, err
