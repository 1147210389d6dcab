"""Front door, chat REPL and tiling, tour 71."""

import subprocess
import sys

from conftest import REPO


def test_an_epilogs_rest_double_backticks_read_as_plain_text_in_help():
    """039332d6 stripped reST ``x`` from descriptions only: export_step's --help bottom text (its module
    docstring) still showed ``init_from``."""
    out = subprocess.run([sys.executable, str(REPO / "scripts/export_step.py"), "--help"], capture_output=True,
                         text=True, check=True).stdout
    assert "(init_from, model.llm.name_or_path)" in out
    assert "``" not in out


def test_a_large_first_image_that_becomes_a_pair_is_told_to_be_cropped_not_tiled(ckpt, tmp_path):
    """The first large /image was told "rsvlm predict --tile N looks at it window by window"; once a second
    /image made a pair (which --tile refuses) that advice stood unsaid-against for the before image."""
    import numpy as np
    from PIL import Image
    from test_predict_edges import chat_repl

    repl, out = chat_repl(ckpt)
    Image.fromarray(np.full((600, 600, 3), 90, np.uint8)).save(tmp_path / "before.png")  # (H, W, C)
    Image.fromarray(np.full((64, 64, 3), 90, np.uint8)).save(tmp_path / "after.png")
    for name in ("before.png", "after.png"):
        assert repl.load_image([str(tmp_path / name)])
    first, second = out.getvalue().split("loaded after.png")
    assert "looks at it window by window" in first
    assert "note: before.png, now the pair's before image: 600x600 px shrunk whole" in second, second
    assert "crop it to the part that matters (a pair is not tiled)" in second and "--tile" not in second, second


def test_a_small_first_image_of_a_pair_gets_no_second_size_note(ckpt, tmp_path):
    """The before image's note is said again only where a pair changes its advice."""
    import numpy as np
    from PIL import Image
    from test_predict_edges import chat_repl

    repl, out = chat_repl(ckpt)
    for name in ("before.png", "after.png"):
        Image.fromarray(np.full((64, 64, 3), 90, np.uint8)).save(tmp_path / name)  # (H, W, C)
        assert repl.load_image([str(tmp_path / name)])
    assert "now the pair's before image" not in out.getvalue()


def test_an_output_name_too_long_is_refused_naming_the_option_before_the_model_runs(ckpt, tmp_path, capsys):
    """``--out`` (and --vis, --geojson) with a 300-character name ended predict with a traceback, OSError
    "File name too long" from a stat: now a message naming the option and the name's length."""
    from rsvlm.cli import main

    image = tmp_path / "a.png"
    _save_blank(image)
    for option, ext in (("--out", ".json"), ("--vis", ".png"), ("--geojson", ".geojson")):
        long = str(tmp_path / ("a" * 300 + ext))
        code = main(["predict", "--model", str(ckpt), "--image", str(image), "--task", "det", option, long])
        err = capsys.readouterr().err
        assert code == 2, err
        assert f"{option} {long}: the name aaaaaaaaaaaaaaaaaaaa… is {300 + len(ext)} bytes long" in err, err
        assert "give a shorter name" in err and "Traceback" not in err, err


def test_an_output_under_a_regular_file_says_to_give_a_path_in_a_folder(ckpt, tmp_path, capsys):
    from rsvlm.cli import main

    image = tmp_path / "a.png"
    _save_blank(image)
    (tmp_path / "somefile.txt").write_text("x")
    vis = str(tmp_path / "somefile.txt" / "out.png")
    assert main(["predict", "--model", str(ckpt), "--image", str(image), "--task", "det", "--vis", vis]) == 2
    err = capsys.readouterr().err
    assert f"--vis {vis}: cannot make its folder {tmp_path / 'somefile.txt'}" in err, err
    assert "is a file); give a path in a folder" in err, err


def _save_blank(path):
    import numpy as np
    from PIL import Image

    Image.fromarray(np.full((64, 64, 3), 90, np.uint8)).save(path)  # (H, W, C)


def _scene(width: int, height: int, bands: int = 3, dtype: str = "uint8", driver: str = "GTiff"):
    from types import SimpleNamespace

    return SimpleNamespace(width=width, height=height, indexes=list(range(bands)),
                           src=SimpleNamespace(dtype=dtype, datasets=[SimpleNamespace(driver=driver)]),
                           modality="optical", cfg=SimpleNamespace(ir_kelvin=None))


def test_the_tile_memory_check_counts_the_batch_as_it_is_held_not_each_window_at_its_reads_peak(monkeypatch):
    """8 windows were counted each with its raw values and scaling temporaries (13 bytes a pixel and band for
    uint8), about 3x what run_tiled holds: 7 windows scaled (4 bytes) and the one being read. A machine with room
    for the batch as held was refused it."""
    import rsvlm.io.budget as budget
    from rsvlm.predict_tiles import window_problem

    px = 96 * 96 * 3
    held = 7 * px * 4 + px * (1 + budget.SCALED_BYTES) + budget.BLOCK_CACHE
    assert budget.batch_bytes(96, 96, 3, "uint8", 8) == held
    monkeypatch.setattr(budget, "available_bytes", lambda *a, **k: held)
    assert window_problem(_scene(800, 800), 96, 0, 8, "s.tif") is None
    monkeypatch.setattr(budget, "available_bytes", lambda *a, **k: held - 1)
    assert "8 windows of s.tif at once" in window_problem(_scene(800, 800), 96, 0, 8, "s.tif")


def test_the_tile_memory_check_counts_a_pngs_row_strip(monkeypatch):
    """A file decoded from its start is read a row of windows at a time, as a strip the scene's width: the
    strip's read is what the check counts, not one window's (a 40000 px wide PNG passed at --tile 96)."""
    import rsvlm.io.budget as budget
    from rsvlm.predict_tiles import window_problem

    monkeypatch.setattr(budget, "available_bytes", lambda *a, **k: budget.batch_bytes(96, 96, 3, "uint8", 1, 40000) - 1)
    assert window_problem(_scene(40000, 96, driver="GTiff"), 96, 0, 1, "s.tif") is None
    err = window_problem(_scene(40000, 96, driver="PNG"), 96, 0, 1, "s.png")
    assert "1 window of s.png at once, each 96x96 px of 3 bands of uint8 (read a row of windows at a time, " \
        "as a 40000x96 px strip), does not fit" in err, err


def test_a_region_with_tile_is_refused_before_the_tile_note_says_how_it_would_be_asked(tmp_path, capsys):
    """``--task regcap --region … --tile 256`` first noted "--task regcap is answered per tile: a region the question
    gives is read in each tile's pixels", read the image, then refused "--region is for --task regcap, of the whole
    image (not --tile)", naming no way on."""
    from rsvlm.cli import main

    image = tmp_path / "a.png"
    _save_blank(image)
    code = main(["predict", "--image", str(image), "--task", "regcap", "--region", "10,10,20,20", "--tile", "32"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.startswith("rsvlm predict: --region 10,10,20,20 is in the whole image's pixels, and --tile asks each "
                          "window on its own: leave --tile out to ask about that region, or give it as a <box> in "
                          "--prompt, read in each tile's frame"), err
    assert "answered per tile" not in err and "modality inferred" not in err, err


def test_chat_vis_to_stdout_is_not_told_of_predicts_geojson(ckpt):
    """``/vis -`` was told "(rsvlm predict --geojson - writes GeoJSON there)": about GeoJSON, for an overlay image."""
    from test_predict_edges import chat_repl

    repl, out = chat_repl(ckpt)
    repl.handle("/vis -")
    repl.handle("/geojson -")
    vis, geojson = out.getvalue().splitlines()
    assert vis == "error: /vis -: the chat writes it to a file (/vis out.png [R,G,B]); its standard output is the " \
        "conversation", vis
    assert geojson.endswith("(rsvlm predict --geojson - writes GeoJSON there)"), geojson


def test_chat_vis_under_a_regular_file_says_to_give_a_path_in_a_folder(ckpt, tmp_path):
    from test_predict_edges import chat_repl

    repl, out = chat_repl(ckpt)
    _save_blank(tmp_path / "a.png")
    (tmp_path / "somefile.txt").write_text("x")
    assert repl.load_image([str(tmp_path / "a.png")])
    repl.handle("[det]")
    repl.handle(f"/vis {tmp_path / 'somefile.txt' / 'o.png'}")
    assert f"{tmp_path / 'somefile.txt'} is a file, not a folder; give a path in a folder" in out.getvalue(), \
        out.getvalue()


def test_the_tile_memory_check_counts_ttas_view_of_each_window(monkeypatch):
    """--tta copies a mirror view of every window of the batch at once while the model runs (and the last view's
    copies are still held as the next's are made: test_front_review71), more than the read's peak, which was all
    the check counted."""
    import rsvlm.io.budget as budget
    from rsvlm.predict_tiles import window_problem

    px = 96 * 96 * 3
    assert budget.batch_bytes(96, 96, 3, "uint8", 8, views=True) == \
        8 * px * 4 * 3 + px * (budget.PREPARE_BYTES + 4) + budget.BLOCK_CACHE  # test_front_review71
    monkeypatch.setattr(budget, "available_bytes", lambda *a, **k: budget.batch_bytes(96, 96, 3, "uint8", 8))
    assert window_problem(_scene(800, 800), 96, 0, 8, "s.tif") is None
    err = window_problem(_scene(800, 800), 96, 0, 8, "s.tif", views=True)
    assert "8 windows of s.tif at once, each 96x96 px of 3 bands of uint8 and two --tta views of each, do not " \
        "fit in memory" in err, err


def test_chat_image_with_its_options_before_the_path_names_the_command_meant(ckpt, tmp_path):
    """``/image --modality sar a.png`` was "/image takes one image at a time, got 2 files: /image --modality,
    then /image a.png for a bi-temporal pair"; ``/image --modality sar`` was "image not found: /image --modality
    MODALITY"."""
    from test_predict_edges import chat_repl

    repl, out = chat_repl(ckpt)
    _save_blank(tmp_path / "a.png")
    for line in (f"/image --modality sar {tmp_path / 'a.png'}", "/image --modality=sar --bands VV b.tif",
                 "/image --modality sar"):
        assert repl.handle(line)
    said = out.getvalue().splitlines()
    assert said == [f"error: /image takes the modality and bands without option names: /image {tmp_path / 'a.png'} sar",
                    "error: /image takes the modality and bands without option names: /image b.tif sar VV",
                    "error: /image takes PATH [modality] [bands], the path first and no option names; no path in "
                    "['--modality', 'sar']"], said


def test_in_place_of_a_name_too_long_is_false_not_an_oserror(tmp_path):
    """``rsvlm eval --out`` with a 300-character name ended in a traceback in ``out_paths.in_place``'s stat."""
    from rsvlm import out_paths

    long = tmp_path / ("a" * 300 + ".jsonl")
    assert out_paths.in_place(long) is False
    assert "is 306 bytes long" in out_paths.refused(long)
