"""Stop 70, front door round 2: a tiled run says --min-score's count once, chat's ``/image -`` says images are
not read from standard input, and predict's question-building names stay importable from ``rsvlm.predict``."""

from __future__ import annotations

import json

from conftest import usage_error
from predict_helpers import scored_boxes
from test_predict_edges import chat_repl

from rsvlm.cli import main


def test_a_tiled_run_says_what_min_score_dropped_once(ckpt, geotiff, tmp_path, monkeypatch, capsys):
    """The count line "(6 found; 4 below --min-score)" was followed by "4 of 6 object(s) scored below --min-score
    0.5 dropped", the same count again (in --out's notes too); the count line now names the threshold."""
    scored_boxes(monkeypatch)
    out = tmp_path / "t.json"
    assert main(["predict", "--model", str(ckpt), "--image", str(geotiff), "--task", "det", "--device", "cpu",
                 "--tile", "32", "--overlap", "0", "--min-score", "0.5", "--out", str(out)]) == 0
    said = capsys.readouterr()
    line = "2 objects from 6 tiles (6 found; 4 below --min-score 0.5)"
    res = json.loads(out.read_text())
    assert said.out.splitlines()[0] == line and res["answer"] == line
    assert "dropped" not in said.out + said.err, said
    assert not [n for n in res["notes"] if "--min-score" in n], res["notes"]


def test_an_untiled_run_still_prints_what_min_score_dropped(ckpt, geotiff, monkeypatch, capsys):
    """Without --tile there is no count line: the "… dropped" line stays the one that says it."""
    import rsvlm.predict as predict
    from rsvlm import inference as inf

    monkeypatch.setattr(predict, "ask", lambda *a, **k: inf.Answer("<box><loc_1><loc_1><loc_9><loc_9></box>", [0.2]))
    assert main(["predict", "--model", str(ckpt), "--image", str(geotiff), "--task", "det", "--device", "cpu",
                 "--min-score", "0.5"]) == 0
    assert "1 of 1 object scored below --min-score 0.5 dropped" in capsys.readouterr().out


def test_chats_image_dash_says_images_are_not_read_from_standard_input(ckpt):
    """``/image -`` said "image not found: -", where ``--image -`` is a usage error saying why (5e99ad2b)."""
    repl, out = chat_repl(ckpt)
    assert repl.handle("/image -")
    said = out.getvalue()
    assert "error: /image '-' (standard input): an image is read from a file, not from standard input; give its " \
           "path (save a piped image to a file first; ./- for a file named '-')" in said, said
    assert "not found" not in said and not repl.images


def test_the_question_names_stay_importable_from_predict():
    """Moved to rsvlm.predict_question (predict.py was at the 500-line flag): tests and callers import them from
    rsvlm.predict."""
    import rsvlm.predict as predict
    import rsvlm.predict_question as pq

    for name in ("asked_question", "settle_task", "text_advice", "named_task"):
        assert getattr(predict, name) is getattr(pq, name)


def test_a_large_change_pair_is_not_advised_to_use_tile(ckpt, tmp_path, monkeypatch, capsys):
    """Each image of a large pair was told "rsvlm predict --tile N looks at it window by window", which
    ``--tile`` then refused ("--tile takes exactly one --image")."""
    import numpy as np
    from PIL import Image

    import rsvlm.predict as predict
    from rsvlm import inference as inf

    paths = []
    for name in ("before.png", "after.png"):
        Image.fromarray(np.full((600, 600, 3), 90, np.uint8)).save(tmp_path / name)  # (H, W, C)
        paths += ["--image", str(tmp_path / name)]
    monkeypatch.setattr(predict, "ask", lambda *a, **k: inf.Answer("No change.", []))
    assert main(["predict", "--model", str(ckpt), *paths, "--task", "change", "--device", "cpu"]) == 0
    err = capsys.readouterr().err
    assert err.count("shrunk whole to the model's") == 2, err
    assert "--tile" not in err and err.count("crop it to the part that matters (a pair is not tiled)") == 2, err


def test_a_chats_second_large_image_of_a_pair_is_not_advised_to_use_tile(ckpt, tmp_path):
    """The first large /image may be asked alone (predict --tile looks at it); the second makes a pair, which
    ``--tile`` refuses: it is told to be cropped."""
    import numpy as np
    from PIL import Image

    repl, out = chat_repl(ckpt)
    for name in ("before.png", "after.png"):
        Image.fromarray(np.full((600, 600, 3), 90, np.uint8)).save(tmp_path / name)  # (H, W, C)
        assert repl.load_image([str(tmp_path / name)])
    said = out.getvalue()
    first, second = said.split("loaded after.png")
    assert "looks at it window by window" in first and "crop it" not in first, said
    assert "--tile" not in second and "crop it to the part that matters (a pair is not tiled)" in second, said


def test_a_band_file_of_dash_says_images_are_not_read_from_standard_input(ckpt, capsys):
    """``--image B02.png,-`` and ``/image B02.png,-`` said "image not found: -" once the first band was read."""
    err = usage_error(["predict", "--image", "B02.png,-", "--task", "det"], capsys)
    assert "argument --image: 'B02.png,-': band file 2 of 2 is '-' (standard input): an image is read from a " \
        "file" in err, err
    repl, out = chat_repl(ckpt)
    assert repl.handle("/image B02.png,- sar")
    assert "error: /image 'B02.png,-': band file 2 of 2 is '-' (standard input): an image is read from a file" \
        in out.getvalue(), out.getvalue()
