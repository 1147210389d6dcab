"""rsvlm chat, tour 74: --history's rule is said once a chat, not again after every new /image."""

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



def _collar_tif(path, side: int = 200):
    """An RGB GeoTIFF whose left half is nodata (0, declared): a scene's collar."""
    import numpy as np
    import rasterio
    from rasterio.transform import from_origin

    data = np.zeros((3, side, side), np.uint8)
    data[:, :, side // 2:] = 120 + np.arange(side // 2, dtype=np.uint8)[None, None, :] % 50  # data on the right
    with rasterio.open(path, "w", driver="GTiff", width=side, height=side, count=3, dtype="uint8", nodata=0,
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
