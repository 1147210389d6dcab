"""Stop 71, front door round 2: a change pair's overlay shows before and after side by side, a cut note says
"was cut" where the limit is known to have cut the answer, and GeoJSON written under another name is said."""

from __future__ import annotations

import json

import numpy as np
from PIL import Image
from test_predict_edges import chat_repl

from rsvlm import inference as inf
from rsvlm.cli import main
from rsvlm.io import RSImage
from rsvlm.io.vis import draw_pair_overlay

BOX = "<ref>building</ref><box><loc_400><loc_400><loc_600><loc_600></box>"


def _flat(colour, w: int = 64, h: int = 48) -> RSImage:
    data = np.broadcast_to(np.asarray(colour, np.float32)[:, None, None] / 255, (3, h, w)).copy()  # (3, H, W)
    return RSImage(data=data, modality="optical", bands=["R", "G", "B"], path=f"{colour}")


def _save(path, colour, w: int = 64, h: int = 48):
    Image.fromarray(np.full((h, w, 3), colour, np.uint8)).save(path)  # (H, W, C)
    return str(path)


def _halves(png) -> tuple[np.ndarray, np.ndarray]:
    """The middle row of an overlay's left and right halves (below the title and captions, above a legend)."""
    a = np.asarray(Image.open(png).convert("RGB"))  # (H, W, 3)
    row = a[int(a.shape[0] * 0.6)]
    return row[: a.shape[1] // 2], row[a.shape[1] // 2:]


def _share(pixels: np.ndarray, colour) -> float:
    return float((np.abs(pixels.astype(int) - colour).sum(-1) < 30).mean())


def test_a_pair_is_drawn_before_left_after_right_with_the_shapes_on_both(tmp_path):
    """Was: the after image alone. The before image fills the left half, the after the right, and a box drawn on
    the pair shows on both (its outline colour in each half)."""
    obj = [{"kind": "box", "label": "building", "coords": [16, 12, 48, 36]}]
    png = draw_pair_overlay(_flat((200, 30, 30)), _flat((30, 30, 200)), obj, tmp_path / "p.png", title="[change]")
    left, right = _halves(png)
    assert _share(left, (200, 30, 30)) > 0.6 and _share(right, (30, 30, 200)) > 0.6
    assert _share(left, (30, 30, 200)) == 0 and _share(right, (200, 30, 30)) == 0
    a = np.asarray(Image.open(png).convert("RGB"))  # (H, W, 3)
    outline = (255, 56, 56)  # the first palette colour, the one label's
    assert all(_share(h.reshape(-1, 3), outline) > 0.002 for h in (a[:, : a.shape[1] // 2], a[:, a.shape[1] // 2:]))


def test_a_pair_overlay_keeps_the_single_overlays_long_side_limit(tmp_path):
    """Side by side, two wide scenes would be twice as wide as one overlay: the whole keeps to max_side."""
    before, after = _flat((90, 90, 90), 3000, 1000), _flat((120, 120, 120), 3000, 1000)
    png = draw_pair_overlay(before, after, [], tmp_path / "p.png", max_side=1024)
    w, h = Image.open(png).size
    assert w <= 1024 and h <= 1024 and w > 900, (w, h)


def test_a_pair_of_other_sizes_is_drawn_at_one_size_the_shapes_scaled_to_each(tmp_path):
    """A before image half the after's size is drawn at the after's size (the model compares them as covering the
    same ground), and a box given in the after image's pixels lands on the same place of both panels."""
    obj = [{"kind": "box", "label": "x", "coords": [32, 24, 96, 72]}]  # after's pixels: the middle half
    png = draw_pair_overlay(_flat((0, 0, 0), 64, 48), _flat((0, 0, 0), 128, 96), obj, tmp_path / "p.png")
    a = np.asarray(Image.open(png).convert("RGB"))
    red = np.abs(a.astype(int) - (255, 56, 56)).sum(-1) < 30  # (H, W) the box outline
    half = a.shape[1] // 2
    xs_left, xs_right = np.flatnonzero(red[:, :half].any(0)), np.flatnonzero(red[:, half:].any(0))
    assert abs(xs_left.min() - xs_right.min()) <= 6 and abs(xs_left.max() - xs_right.max()) <= 6


def test_predict_vis_of_a_change_pair_draws_both_images(ckpt, tmp_path, monkeypatch, capsys):
    import rsvlm.predict as predict

    paths = [_save(tmp_path / "before.png", (200, 30, 30)), _save(tmp_path / "after.png", (30, 30, 200))]
    monkeypatch.setattr(predict, "ask", lambda *a, **k: inf.Answer(BOX, [0.9]))
    vis = tmp_path / "o.png"
    assert main(["predict", "--model", str(ckpt), "--image", paths[0], "--image", paths[1], "--task", "change",
                 "--device", "cpu", "--vis", str(vis)]) == 0, capsys.readouterr().err
    left, right = _halves(vis)
    assert _share(left, (200, 30, 30)) > 0.5 and _share(right, (30, 30, 200)) > 0.5


def test_predict_rgb_bands_are_checked_against_a_pairs_before_image_too(ckpt, tmp_path, capsys):
    """Both images of a pair are drawn now: --rgb-bands naming a band the before image lacks is refused before the
    model runs, naming that image (was checked against the after image alone)."""
    import rasterio

    before = tmp_path / "before.tif"
    with rasterio.open(before, "w", driver="GTiff", width=32, height=32, count=3, dtype="uint8") as ds:
        ds.write(np.full((3, 32, 32), 90, np.uint8))
        ds.descriptions = ("B02", "B03", "B04")
    after = tmp_path / "after.tif"
    with rasterio.open(after, "w", driver="GTiff", width=32, height=32, count=4, dtype="uint8") as ds:
        ds.write(np.full((4, 32, 32), 90, np.uint8))
        ds.descriptions = ("B02", "B03", "B04", "B08")
    code = main(["predict", "--model", str(tmp_path / "no-model"), "--image", str(before), "--image", str(after),
                 "--modality", "msi", "--task", "change", "--vis", str(tmp_path / "o.png"),
                 "--rgb-bands", "B08,B04,B03"])
    err = capsys.readouterr().err
    assert code == 2 and "--rgb-bands B08,B04,B03: before.tif (msi) has no band 'B08'" in err, err


def test_chat_vis_of_a_pair_draws_both_images(ckpt, tmp_path):
    repl, out = chat_repl(ckpt)
    assert repl.load_image([_save(tmp_path / "before.png", (200, 30, 30))])
    assert repl.load_image([_save(tmp_path / "after.png", (30, 30, 200))])
    repl.handle("[change] What changed?")
    repl.handle(f"/vis {tmp_path / 'o.png'}")
    assert f"wrote {tmp_path / 'o.png'}" in out.getvalue(), out.getvalue()
    left, right = _halves(tmp_path / "o.png")
    assert _share(left, (200, 30, 30)) > 0.5 and _share(right, (30, 30, 200)) > 0.5


class _Says:
    """Stands in for RSVLM.generate: every answer is ``text``, ``finished`` as given."""

    def __init__(self, text: str, finished: bool):
        self.text, self.finished = text, finished

    def generate(self, input_ids, attention_mask, images, **kw):
        from rsvlm.model.vlm import GenerateOutput

        n = len(input_ids)
        return GenerateOutput(tokens=[[] for _ in range(n)], text=[self.text] * n, scores=[[0.9]] * n,
                              finished=[self.finished] * n)


def test_an_answer_the_limit_left_short_of_min_objects_was_cut_not_may_be(ckpt, geotiff, tmp_path, monkeypatch,
                                                                          capsys):
    """Under --min-objects the grammar ends an answer short of its count only where the limit left no room for
    another shape: the limit cut it, which the note said as "may be cut"."""
    processor = inf.load_model(str(ckpt), "cpu")[1]
    monkeypatch.setattr(inf, "load_model", lambda *a, **k: (_Says(BOX, True), processor))
    out = tmp_path / "r.json"
    assert main(["predict", "--model", str(ckpt), "--image", str(geotiff), "--task", "det", "--device", "cpu",
                 "--max-new-tokens", "20", "--min-objects", "3", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "note: the answer was cut short by the token limit (20 tokens): the model wanted to write more than " \
           "fitted; --max-new-tokens lets it run longer" in err, err
    assert "may be cut" not in err and json.loads(out.read_text())["cut"] is True


def test_an_answer_that_only_reached_the_limit_may_be_cut():
    """No EOS within the limit: its last word may have been its last, so "may be cut" stays."""
    answer = inf.Answer(BOX, [0.9], cut=True)
    assert not answer.cut_known
    from rsvlm.answering import cut_note, is_cut_known

    assert cut_note(8, known=is_cut_known(answer)) == \
        "the answer reached the token limit (8 tokens); it may be cut: --max-new-tokens lets it run longer"
    assert cut_note(8, "2 of 5 tile answers", many=True, known=True) == "2 of 5 tile answers were cut short by the " \
        "token limit (8 tokens): the model wanted to write more than fitted; --max-new-tokens lets them run longer"
    assert not inf.Answer(BOX, [0.9], cut=False, cut_known=True).cut_known  # never known cut where not cut


def test_a_decoders_budget_cut_is_known_and_carried_through_a_joined_answer(ckpt):
    """Where the model says which answers the budget cut (``budget_cut``), they are known cut; a joined answer
    (--det-by-class) is where one of its class answers was."""
    from rsvlm.answering import is_cut_known, join_shapes

    class Hid(_Says):  # a model that says its decoder's budget cut (generation.decode's cut_by_budget)
        def generate(self, *a, **k):
            out = super().generate(*a, **k)
            out.budget_cut = [True]
            return out

    from rsvlm.model import ImageInput

    processor, image = inf.load_model(str(ckpt), "cpu")[1], ImageInput(np.zeros((3, 32, 32), np.float32), "optical")
    for model, known in ((Hid(BOX, False), True), (_Says(BOX, False), False)):
        asked = [[{"role": "user", "content": "<image>\n[det] ships"}]]
        answer = inf.generate_answers(model, processor, asked, [[image]], 8)[0]
        assert answer.cut and answer.cut_known is known
    known = inf.Answer(BOX, [0.9], cut=True, cut_known=True)
    assert is_cut_known(join_shapes([inf.Answer(BOX, [0.8]), known], ["a", "b"]))
    assert not is_cut_known(join_shapes([inf.Answer(BOX, [0.8]), inf.Answer(BOX, [0.7], cut=True)], ["a", "b"]))


def test_chat_geojson_to_a_txt_name_says_it_is_geojson(ckpt, geotiff, tmp_path):
    """``/geojson seg.txt`` wrote GeoJSON into a .txt file without a word."""
    repl, out = chat_repl(ckpt)
    assert repl.load_image([str(geotiff)])
    repl.handle("[det] Detect all ships.")
    repl.handle(f"/geojson {tmp_path / 'seg.txt'}")
    repl.handle(f"/geojson {tmp_path / 'seg.geojson'}")
    said = out.getvalue()
    assert json.loads((tmp_path / "seg.txt").read_text())["type"] == "FeatureCollection"
    assert said.count("written as GeoJSON all the same") == 1, said
    assert f"  note: /geojson {tmp_path / 'seg.txt'}: written as GeoJSON all the same; QGIS and GDAL know it by a " \
           ".geojson name (e.g. seg.geojson)" in said, said


def test_predict_geojson_to_a_txt_name_says_it_is_geojson(ckpt, geotiff, tmp_path, monkeypatch, capsys):
    import rsvlm.predict as predict

    monkeypatch.setattr(predict, "ask", lambda *a, **k: inf.Answer(BOX, [0.9]))
    out = tmp_path / "seg.txt"
    assert main(["predict", "--model", str(ckpt), "--image", str(geotiff), "--task", "det", "--device", "cpu",
                 "--geojson", str(out)]) == 0
    err = capsys.readouterr().err
    assert f"rsvlm predict: note: --geojson {out}: written as GeoJSON all the same" in err, err
    assert json.loads(out.read_text())["notes"][-1].startswith(f"note: --geojson {out}: written as GeoJSON")


def test_chat_says_was_cut_where_decoding_stopped_unfinished_short_of_the_limit(ckpt, geotiff, monkeypatch):
    """The streamed answer ended before the limit yet unfinished: the grammar hid what the model wanted next (a
    shape or label that no longer fitted), so the limit cut it; one that ran to the limit may be cut."""
    for new_tokens, said in ((5, "the answer was cut short by the token limit (8 tokens)"),
                             (8, "the answer reached the token limit (8 tokens); it may be cut")):
        repl, out = chat_repl(ckpt)
        repl.session.gen["max_new_tokens"] = 8
        session = repl.session

        def ask(question, images=None, on_token=None, n=new_tokens, session=session):
            on_token(BOX)
            session.messages = session.messages + [{"role": "user", "content": question},
                                                   {"role": "assistant", "content": BOX}]
            session.stats.append({"dropped_turns": 0, "cut": True, "at_context": False, "new_tokens": n})
            session.last_scores = [0.9]
            return BOX

        monkeypatch.setattr(session, "ask", ask)
        assert repl.load_image([str(geotiff)])
        repl.handle("[det] Detect all buildings.")
        assert f"  note: {said}" in out.getvalue(), out.getvalue()


def test_an_overlay_of_a_word_answer_writes_the_answer_under_the_question(ckpt, geotiff, tmp_path, monkeypatch):
    """A [cls], [cap], [vqa] or [count] answer has no shape to draw: its overlay showed the question alone, never
    the answer. It is written under the question now; an answer with shapes is drawn, not written."""
    import rsvlm.predict as predict
    from rsvlm.output_options import overlay_title

    assert overlay_title("[cls] What scene?", "harbour") == "[cls] What scene?\nanswer: harbour"
    assert overlay_title("[det] Ships?", BOX) == "[det] Ships?"
    heights = []
    for answer in ("harbour", BOX):
        monkeypatch.setattr(predict, "ask", lambda *a, answer=answer, **k: inf.Answer(answer, [0.9]))
        vis = tmp_path / f"{len(heights)}.png"
        assert main(["predict", "--model", str(ckpt), "--image", str(geotiff), "--prompt", "[cls] What scene?",
                     "--device", "cpu", "--vis", str(vis)]) == 0
        heights.append(Image.open(vis).height)
    assert heights[0] > heights[1], heights  # a second title line


def test_an_overlay_of_a_georeferenced_image_named_as_a_geotiff_says_it_has_no_map_coordinates(
        ckpt, geotiff, tmp_path, monkeypatch, capsys):
    """``--vis overlay.tif`` of a GeoTIFF wrote a plain TIFF (title and legend strips, rescaled) that a GIS places
    nowhere, without a word; a .png name is no GeoTIFF's and is not told."""
    import rsvlm.predict as predict

    monkeypatch.setattr(predict, "ask", lambda *a, **k: inf.Answer(BOX, [0.9]))
    for name in ("o.tif", "o.png"):
        assert main(["predict", "--model", str(ckpt), "--image", str(geotiff), "--task", "det", "--device", "cpu",
                     "--vis", str(tmp_path / name)]) == 0
        err = capsys.readouterr().err
        said = f"rsvlm predict: note: --vis {tmp_path / name}: the overlay is a picture with no map coordinates"
        assert (said in err) is (name == "o.tif"), err
    repl, out = chat_repl(ckpt)
    assert repl.load_image([str(geotiff)])
    repl.handle("[det] Detect all ships.")
    repl.handle(f"/vis {tmp_path / 'c.tif'}")
    assert f"  note: /vis {tmp_path / 'c.tif'}: the overlay is a picture with no map coordinates (its title and " \
           "legend strips and its scaling move the pixels), not a GeoTIFF; /geojson writes the shapes for a GIS" \
           in out.getvalue(), out.getvalue()
