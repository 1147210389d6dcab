"""rsvlm chat, tour 74: --history's rule is said once a chat, not again after every new /image; objects on nodata
are said, and counted as predict counts them."""

import io

import pytest


@pytest.mark.parametrize("history, said", [
    (0, "each question is asked afresh about the image"),
    (1, "the model is shown the exchange that brought the image alone with each question")])
def test_the_history_rule_is_said_once_a_chat_not_once_an_image(ckpt, geotiff, history, said):
    # was said at the second question after each /image: a tour of five images read it five times
    from rsvlm import inference as inf
    from rsvlm.chat import ChatREPL

    model, processor = inf.load_model(str(ckpt), "cpu")
    out = io.StringIO()
    repl = ChatREPL(model, processor, out=out, max_new_tokens=2, history=history)
    for _ in range(3):
        assert repl.load_image([str(geotiff), "optical"])
        for q in ("[cls] scene?", "[vqa] a?", "[vqa] b?"):
            assert repl.handle(q)
    assert out.getvalue().count("(new image: conversation reset)") == 2  # three conversations
    assert out.getvalue().count(said) == 1, out.getvalue()


def _collar_tif(path, side: int = 200, height: int | None = None):
    """An RGB GeoTIFF ``side`` wide (``height`` high, else square) whose left half is nodata (0, declared): a collar."""
    import numpy as np
    import rasterio
    from rasterio.transform import from_origin

    height = height or side
    data = np.zeros((3, height, side), np.uint8)
    data[:, :, side // 2:] = 120 + (np.arange(side - side // 2) % 50).astype(np.uint8)  # data on the right
    with rasterio.open(path, "w", driver="GTiff", width=side, height=height, count=3, dtype="uint8", nodata=0,
                       crs="EPSG:32618", transform=from_origin(500000, 4000000, 10, 10)) as ds:
        ds.write(data)
    return path


def test_chat_says_how_many_objects_lie_wholly_on_nodata(ckpt, tmp_path, monkeypatch):
    """The load note says objects found on nodata "are said to lie on nodata" (predict says so); chat said nothing."""
    from test_predict_edges import chat_repl

    from rsvlm import inference as inf

    boxes = [{"kind": "box", "label": "ship", "coords": [10, 10, 40, 40], "score": 0.5},  # on the collar
             {"kind": "box", "label": "ship", "coords": [20, 20, 60, 50], "score": 0.5},  # on the collar too
             {"kind": "box", "label": "ship", "coords": [90, 10, 130, 40], "score": 0.5}]  # reaches the data
    real = inf.locate
    monkeypatch.setattr(inf, "locate", lambda text, img, scores: {**real(text, img, scores), "objects": list(boxes)})
    repl, out = chat_repl(ckpt)
    assert repl.load_image([str(_collar_tif(tmp_path / "collar.tif")), "optical"])
    repl.handle("[det] Detect all ships.")
    assert "  note: 2 objects lie wholly on nodata pixels (kept; the image has no data there)" in out.getvalue()
    assert len(repl.last["objects"]) == 3  # kept, as predict keeps them without --on-nodata drop
    boxes[:] = boxes[2:]
    repl.handle("[det] Detect all ships.")
    assert out.getvalue().count("wholly on nodata") == 1  # none on it: nothing said


def _said_on_nodata(text: str) -> int:
    """The count of the one "N objects lie wholly on nodata" note in ``text`` (0: none)."""
    import re

    got = re.findall(r"note: (\d+) objects? lies? wholly on nodata pixels \(kept", text)
    assert len(got) <= 1, text
    return int(got[0]) if got else 0


@pytest.mark.parametrize("side, min_score, want", [(200, 0.0, 3), (200, 0.4, 2), (3000, 0.4, 2)])
def test_chat_and_predict_count_the_same_objects_on_nodata(ckpt, tmp_path, monkeypatch, capsys, side, min_score,
                                                           want):
    """Same image, same answer, same --min-score: the same count (3000 px wide: a read shrunk to 2048 px)."""
    from test_predict_edges import chat_repl

    from rsvlm import inference as inf
    from rsvlm.cli import main

    half = side // 2
    boxes = [{"kind": "box", "label": "ship", "coords": [10, 10, 40, 40], "score": 0.9},  # on the collar
             {"kind": "box", "label": "ship", "coords": [half - 40, 20, half - 5, 50], "score": 0.5},  # on it
             {"kind": "box", "label": "ship", "coords": [half - 60, 5, half - 20, 30], "score": 0.2},  # on it, low
             {"kind": "box", "label": "ship", "coords": [half - 10, 10, half + 30, 40], "score": 0.9}]  # reaches data
    real = inf.locate
    monkeypatch.setattr(inf, "locate", lambda text, img, scores: {**real(text, img, scores), "objects": list(boxes)})
    path = _collar_tif(tmp_path / "collar.tif", side, 60)
    assert main(["predict", "--model", str(ckpt), "--image", str(path), "--task", "det", "--device", "cpu",
                 "--max-new-tokens", "3", "--min-score", str(min_score)]) == 0
    from_predict = _said_on_nodata(capsys.readouterr().err)
    repl, out = chat_repl(ckpt, min_score=min_score)
    assert repl.load_image([str(path), "optical"])
    repl.handle("[det] Detect all ships.")
    assert (_said_on_nodata(out.getvalue()), from_predict) == (want, want), out.getvalue()


def test_the_history_rule_is_said_at_the_first_conversation_it_applies_to_even_after_a_reset(ckpt, geotiff):
    """Conversations of one question (/reset between): the rule, not yet true of any, is unsaid until a second
    question; once said, a /reset does not say it again."""
    from test_predict_edges import chat_repl

    said = "each question is asked afresh about the image"
    repl, out = chat_repl(ckpt, history=0)
    assert repl.load_image([str(geotiff), "optical"])
    assert repl.handle("[cls] scene?")
    assert repl.handle("/reset") and repl.handle("[cls] scene?")
    assert said not in out.getvalue()
    assert repl.handle("[vqa] a?")
    assert out.getvalue().count(said) == 1
    assert repl.handle("/reset") and repl.handle("[cls] scene?") and repl.handle("[vqa] a?")
    assert out.getvalue().count(said) == 1, out.getvalue()
