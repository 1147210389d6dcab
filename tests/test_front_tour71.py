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
