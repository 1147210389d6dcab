"""Front door, chat REPL, overlays and tiling, lead 72 (round 2)."""

import numpy as np
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
