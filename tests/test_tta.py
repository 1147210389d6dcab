"""Flip test-time augmentation (rsvlm.tta): word swaps, flips and their inverse, the three fusions,
and ``rsvlm eval --tta flip`` end to end with a stand-in model that points at a bright square."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from rsvlm import fusion, geometry, tta


def test_direction_words_are_mirrored_whole_words_only():
    q = "Where is the leftmost ship in the top left of the image? Left of the stop, not the cleft."
    assert tta.swap_words(q, "h") == ("Where is the rightmost ship in the top right of the image? "
                                      "Right of the stop, not the cleft.")
    assert tta.swap_words(q, "v") == ("Where is the leftmost ship in the bottom left of the image? "
                                      "Left of the stop, not the cleft.")
    assert tta.swap_words(q, "hv") == ("Where is the rightmost ship in the bottom right of the image? "
                                       "Right of the stop, not the cleft.")
    assert tta.swap_words("the northernmost tank, above the upper road", "v") == \
        "the southernmost tank, below the lower road"
    assert tta.swap_words(q, "") == q
    assert tta.swap_words(tta.swap_words(q, "hv"), "hv") == q
    # a transpose turns left into top, and a corner's two words back into the usual order
    assert tta.swap_words("the leftmost ship in the top right of the image", "t") == \
        "the topmost ship in the bottom left of the image"
    assert tta.swap_words("the ship in the left of the image", "th") == "the ship in the top of the image"
    assert tta.swap_words("the ship in the left of the image", "tv") == "the ship in the bottom of the image"
    assert tta.swap_words("the tank above the road", "t") is None  # "to the left of": not one word
    assert tta.swap_words("the tank above the road", "hv") == "the tank below the road"


def test_orientation_words_follow_the_view_as_the_generator_would_say_them():
    # the synthetic generator names an object's orientation from its angle; in a view the angle
    # moves (a mirror: 180 - a; a transpose: 90 - a) and the word said of it must move the same way
    from data_gen.synth.objects import SceneObject

    def said(angle: float) -> str:
        return SceneObject(0, "ship", 48, 48, 20, 6, angle % 360, 3).orientation()

    moved = {"h": lambda a: 180 - a, "v": lambda a: -a, "t": lambda a: 90 - a}
    for view in tta.DIHEDRAL[1:]:
        for angle in range(0, 180, 5):
            a = float(angle)
            for step in "thv":  # the order swap_words applies a view's steps in
                if step in view:
                    a = moved[step](a)
            assert tta.swap_words(f"It is {said(angle)}.", view) == f"It is {said(a)}.", (view, angle)
            assert tta.swap_words(f"It is {said(a)}.", view, back=True) == f"It is {said(angle)}.", (view, angle)
    assert tta.swap_words("aligned horizontally", "th") == "aligned vertically"


def test_flip_view_flips_every_image_and_only_user_words():
    from rsvlm.model import ImageInput

    a = np.arange(2 * 3 * 4, dtype=np.float32).reshape(2, 3, 4)  # (C,H,W)
    imgs = [ImageInput(a, "sar", ["VV", "VH"]), ImageInput(a + 1, "sar", ["VV", "VH"])]
    msgs = [{"role": "system", "content": "left"}, {"role": "user", "content": "<image>\nthe left ship"}]
    out, m = tta.flip_view(imgs, msgs, "hv")
    np.testing.assert_array_equal(out[0].array, a[:, ::-1, ::-1])
    np.testing.assert_array_equal(out[1].array, a[:, ::-1, ::-1] + 1)  # a change pair stays registered
    assert out[0].modality == "sar" and out[0].bands == ["VV", "VH"]
    assert m == [{"role": "system", "content": "left"}, {"role": "user", "content": "<image>\nthe right ship"}]
    np.testing.assert_array_equal(tta.flip_array(a, "h"), a[:, :, ::-1])
    np.testing.assert_array_equal(tta.flip_array(a, "v"), a[:, ::-1, :])
    np.testing.assert_array_equal(tta.flip_array(a, "th"), a.swapaxes(1, 2)[:, :, ::-1])
    for view in tta.DIHEDRAL:
        np.testing.assert_array_equal(tta.unflip_array(tta.flip_array(a, view), view), a, err_msg=view)
    assert tta.flip_view(imgs, [{"role": "user", "content": "the tank above the road"}], "t") is None


@pytest.mark.parametrize("view", tta.DIHEDRAL[1:])
def test_unflip_maps_every_shape_kind_back(view):
    """A shape drawn on the flipped image, brought back, covers the flipped-back pixels exactly
    (vertices off the pixel grid, so no edge runs through a pixel centre, a tie either way)."""
    w, h = 40, 30
    wv, hv = tta.view_size(view, w, h)  # the shapes are drawn on the view, of that size
    assert (wv, hv) == ((h, w) if "t" in view else (w, h))
    block = np.zeros((hv, wv), bool)
    block[20:25, 12:19] = True
    objs = [{"kind": "box", "label": "a", "coords": [3.0, 4.0, 11.0, 9.0]},  # all inside 30 × 30
            {"kind": "obb", "label": "b", "coords": [[10.23, 5.11], [20.31, 8.27], [18.14, 14.33], [8.21, 11.17]]},
            {"kind": "poly", "label": "c", "coords": [[2.13, 20.27], [12.31, 18.09], [14.22, 28.36], [4.17, 27.21]]},
            {"kind": "mask", "label": "d", "coords": geometry.mask_to_objects(block, "d", form="grid")[0]["coords"]}]
    for o in objs:
        back = tta.unflip([o], view, w, h)
        assert back[0]["label"] == o["label"]
        np.testing.assert_array_equal(geometry.objects_to_mask(back, w, h),
                                      tta.unflip_array(geometry.objects_to_mask([o], wv, hv), view),
                                      err_msg=o["kind"])
    (p,) = tta.unflip([{"kind": "point", "coords": [10.0, 5.0]}], view, w, h)
    x, y = 10.0 if "h" not in view else wv - 10.0, 5.0 if "v" not in view else hv - 5.0
    assert p["coords"] == ([y, x] if "t" in view else [x, y])
    assert tta.unflip(objs, "", w, h) is objs


def _box(x1, y1, x2, y2, label=None, score=None):
    o = {"kind": "box", "label": label, "coords": [x1, y1, x2, y2]}
    return o if score is None else {**o, "score": score}


def _rbox(cx, cy, long_, short, deg):
    return {"kind": "obb", "label": None, "coords": geometry.rbox_to_quad(cx, cy, long_, short, deg)}


def test_what_is_fused_and_what_is_left_alone():
    dec = geometry.decode("<ref>ship</ref><box><loc_1><loc_2><loc_30><loc_40></box>", 96, 96)
    assert tta.shapes_only(dec)
    assert not tta.shapes_only(geometry.decode("There are 3 ships.", 96, 96))
    assert not tta.shapes_only(geometry.decode("A ship at <box><loc_1><loc_2><loc_30><loc_40></box>.", 96, 96))
    assert fusion.fuse([[], [_box(1, 1, 5, 5)]], 96, 96) is None
    mixed = [_box(1, 1, 5, 5), {"kind": "point", "coords": [3, 3]}]
    assert fusion.fuse([mixed, mixed], 96, 96) is None
    # views that answered another kind are left out of the vote
    out = fusion.fuse([[_box(10, 10, 20, 20)], [{"kind": "point", "coords": [80, 80]}], [_box(12, 10, 22, 20)]], 96, 96)
    assert out[0]["coords"] == pytest.approx([11, 10, 21, 20])


class PointsAtSquares:
    """Stands in for RSVLM.generate: answers the box of the leftmost or the rightmost bright square
    in the image, as its question asks (a scene class otherwise), and records which it found."""

    def __init__(self, processor):
        self.processor, self.asked = processor, []

    def generate(self, input_ids, attention_mask, images, **kw):
        from rsvlm.model.vlm import GenerateOutput

        texts = []
        for ids, ims in zip(input_ids, images):
            q = self.processor.tokenizer.decode(ids.tolist())
            word = next((w for w in ("leftmost", "rightmost", "topmost", "bottommost") if w in q), None)
            if word is None:
                texts.append("parking lot")
                continue
            x = ims[0].tensor.sum(0)  # (S,S)
            ys, xs = torch.nonzero(x > x.mean() + 2 * x.std(), as_tuple=True)
            along, half = (xs, x.shape[1] / 2) if word in ("leftmost", "rightmost") else (ys, x.shape[0] / 2)
            pick = along < half if word in ("leftmost", "topmost") else along >= half
            box = [int(xs[pick].min()), int(ys[pick].min()), int(xs[pick].max()) + 1, int(ys[pick].max()) + 1]
            self.asked.append((word, box))
            wide = [box[0], box[1], box[2] + 1, box[3]]  # one pixel too wide on its right, in view pixels
            texts.append(geometry.encode([{"kind": "box", "label": None, "coords": [float(v) for v in wide]}], 96, 96))
        return GenerateOutput(tokens=[[] for _ in texts], text=texts, scores=[[0.9] for _ in texts])


@pytest.fixture()
def squares(tmp_path):
    """(processor of the bundled model, a 96-px scene with two bright squares)."""
    from PIL import Image

    from rsvlm import inference

    _, processor = inference.load_model(None, "cpu")
    assert processor.image_sizes["optical"] == 96  # the stand-in answers in the encoder's pixels
    img = np.zeros((96, 96, 3), np.uint8)
    img[10:20, 16:24] = 255  # the leftmost square, in the top half
    img[60:70, 70:78] = 255  # the rightmost, in the bottom half
    Image.fromarray(img).save(tmp_path / "scene.png")
    return processor, tmp_path / "scene.png"


@pytest.mark.parametrize("mode", ["flip", "dihedral"])
def test_eval_with_flips_asks_each_view_its_own_question_and_maps_the_boxes_back(tmp_path, squares, mode):
    from rsvlm import evaluate

    processor, _ = squares
    rec = {"id": "r0", "task": "ground", "images": [{"path": "scene.png", "modality": "optical"}],
           "conversations": [{"from": "human", "value": "<image>\n[ground] Where is the leftmost square?"},
                             {"from": "gpt", "value": "<box><loc_0><loc_0><loc_1><loc_1></box>"}],
           "meta": {"width": 96, "height": 96}}
    cls = {**rec, "id": "r1", "task": "cls", "conversations": [
        {"from": "human", "value": "<image>\n[cls] Scene class?"}, {"from": "gpt", "value": "parking lot"}]}
    data = tmp_path / "test.jsonl"
    data.write_text(json.dumps(rec) + "\n" + json.dumps(cls) + "\n")
    model = PointsAtSquares(processor)
    cfg = tta.FuseConfig(views=tta.MODES[mode])
    out = evaluate.run(model, processor, data, tmp_path / "pred.jsonl", progress=False, tta=cfg)
    rows = {r["id"]: r for r in map(json.loads, out.read_text().splitlines())}
    # the identity view, then the other views of r0 only, each asked in its own words
    words = ["leftmost", "rightmost", "leftmost", "rightmost"]
    assert [a[0] for a in model.asked] == words + (["topmost"] * 2 + ["bottommost"] * 2) * (mode == "dihedral")
    for (_, (x1, y1, x2, y2)), view in zip(model.asked, cfg.views):  # all found the same square
        back = tta.unflip([_box(x1, y1, x2, y2)], view, 96, 96)[0]["coords"]
        assert back == [16, 10, 24, 20], view
    # the answers are a pixel too wide on the right of each view: on the left of the h views once
    # flipped back, at the bottom (top) of the t (th) views. The fused box is their mean.
    (box,) = geometry.decode(rows["r0"]["answer"], 96, 96).objects
    want = [15.5, 10, 24.5, 20] if mode == "flip" else [15.75, 9.75, 24.25, 20.25]
    assert box["coords"] == pytest.approx(want, abs=0.1)
    assert rows["r1"]["answer"] == "parking lot"


def test_predict_with_flips_fuses_its_answer_too(squares):
    from rsvlm import inference, predict

    processor, scene = squares
    model = PointsAtSquares(processor)
    images = [inference.read_spec(inference.image_specs([str(scene)], ["optical"], None)[0])]
    plain, _ = predict.ask(model, processor, images, "[ground] Where is the rightmost square?", 64)
    answer, scores = predict.ask(model, processor, images, "[ground] Where is the rightmost square?", 64,
                                 tta=tta.FuseConfig())
    assert [a[0] for a in model.asked] == ["rightmost", "rightmost", "leftmost", "rightmost", "leftmost"]
    assert geometry.decode(plain, 96, 96).objects[0]["coords"] == pytest.approx([70, 60, 79, 70], abs=0.1)
    assert geometry.decode(answer, 96, 96).objects[0]["coords"] == pytest.approx([69.5, 60, 78.5, 70], abs=0.1)
    assert scores == [pytest.approx(0.9)]


def test_tiles_are_fused_over_their_views_before_the_merge(squares, tmp_path):
    from PIL import Image

    from rsvlm import predict
    from rsvlm.io import run_tiled

    processor, scene = squares
    wide = np.zeros((96, 192, 3), np.uint8)  # two 96-px tiles side by side, the scene's squares in each
    wide[:, :96] = wide[:, 96:] = np.asarray(Image.open(scene))
    Image.fromarray(wide).save(tmp_path / "wide.png")
    runs = {}
    for name, cfg in (("plain", None), ("flip", tta.FuseConfig())):
        model, answers = PointsAtSquares(processor), []
        fn = predict.tile_predictor(model, processor, "[ground] Where is the rightmost square?", 64, answers, tta=cfg)
        objs = run_tiled(tmp_path / "wide.png", fn, tile=96, overlap=0, batch_size=2, modality="optical",
                         progress=False)
        runs[name] = (model.asked, answers, sorted(o["coords"] for o in objs))
    asked, answers, boxes = runs["flip"]
    assert [a[0] for a in asked] == ["rightmost"] * 2 + ["leftmost"] * 2 + ["rightmost"] * 2 + ["leftmost"] * 2
    assert [a["window"] for a in answers] == [[0, 0, 96, 96], [96, 0, 96, 96]]
    # each tile's answer is a pixel too wide on the right; over the four views that is half a pixel
    # each side, shifted into scene pixels by the merger
    assert boxes == [pytest.approx([69.5, 60, 78.5, 70], abs=0.1), pytest.approx([165.5, 60, 174.5, 70], abs=0.1)]
    assert runs["plain"][2] == [pytest.approx([70, 60, 79, 70], abs=0.1), pytest.approx([166, 60, 175, 70], abs=0.1)]
    assert len(runs["plain"][0]) == 2  # without tta, one answer per tile


def test_chat_fuses_the_streamed_answer_over_the_views_of_the_conversation(squares):
    import io

    from rsvlm import inference
    from rsvlm.chat import ChatREPL

    processor, scene = squares
    model, out = PointsAtSquares(processor), io.StringIO()
    repl = ChatREPL(model, processor, out=out, tta=tta.FuseConfig())
    repl.images = [inference.read_spec(inference.image_specs([str(scene)], ["optical"], None)[0])]
    question = inference.user_text("[ground] Where is the topmost square?", repl.images, True, processor.prompt)
    streamed = "<box><loc_100><loc_100><loc_300><loc_300></box>"  # as if the cached session had said it
    repl.session.messages += [{"role": "user", "content": question}, {"role": "assistant", "content": streamed}]
    answer, scores = repl.fused(streamed, [0.5])
    # the streamed answer counts as the identity view; only the three flips are asked, in their words
    assert [a[0] for a in model.asked] == ["topmost", "bottommost", "bottommost"]
    (box,) = geometry.decode(answer, 96, 96).objects
    # the streamed box (IoU 0.22 with the square) is outvoted; the three flips, one pixel wide on the
    # right of their view (the left once h-flipped back), are averaged
    assert box["coords"] == pytest.approx([46 / 3, 10, 73 / 3, 20], abs=0.1)
    assert scores == [pytest.approx(0.9)] and "fused over 4 views" in out.getvalue()


def test_chat_says_so_when_no_shape_is_kept_by_the_fusion(squares, monkeypatch):
    import io

    from rsvlm.chat import ChatREPL

    processor, _ = squares
    out = io.StringIO()
    repl = ChatREPL(PointsAtSquares(processor), processor, out=out, tta=tta.FuseConfig(min_views=4))
    # no cluster found in 4 of the views: the fused answer is empty
    monkeypatch.setattr(tta, "fused_answers", lambda *a, **k: [tta.Fused(answer="", objects=[])])
    answer, scores = repl.fused("<box><loc_100><loc_100><loc_300><loc_300></box>", [0.5])
    assert answer == "" and scores == []
    assert "fused over 4 views: (no shape found in enough views)" in out.getvalue()  # was "...views: " and nothing


# ---------------------------------------------------------------- training: the same views as augmentation


@pytest.mark.parametrize("view", tta.DIHEDRAL[1:])
def test_answers_said_of_a_view_map_back_to_the_recorded_shapes(view):
    w, h = 96, 96
    det = geometry.encode([_box(10, 60, 20, 70, "ship"), _box(70, 10, 80, 20, "ship"), _box(40, 40, 50, 50, "plane")],
                          w, h)
    obb = geometry.encode([_rbox(30, 40, 14, 5, 25)], w, h)
    block = np.zeros((h, w), bool)
    block[20:35, 50:58] = True
    grid = geometry.encode(geometry.mask_to_objects(block, "building", form="grid", budget=16), w, h)
    for text in (det, obb, grid):
        said = tta.map_text(text, view, w, h)
        got = tta.unflip(geometry.decode(said, *tta.view_size(view, w, h)).objects, view, w, h)
        want = geometry.decode(text, w, h).objects
        assert [o.get("label") for o in sorted(got, key=lambda o: str(o.get("label")))] == \
            [o.get("label") for o in sorted(want, key=lambda o: str(o.get("label")))]
        assert geometry.mask_iou(geometry.objects_to_mask(got, w, h), geometry.objects_to_mask(want, w, h)) > 0.97
    # each label's shapes in reading order of the view, as the instruction builders write them
    ships = [o for o in geometry.decode(tta.map_text(det, view, w, h), w, h).objects if o["label"] == "ship"]
    assert [(o["coords"][1], o["coords"][0]) for o in ships] == sorted((o["coords"][1], o["coords"][0]) for o in ships)
    # a shape inside a question moves, the words around it too
    q = "[regcap] What is at <box><loc_100><loc_200><loc_300><loc_400></box> on the left?"
    said = tta.map_text(q, view, w, h)
    (box,) = geometry.decode(said, *tta.view_size(view, w, h)).objects
    assert tta.unflip([box], view, w, h)[0]["coords"] == pytest.approx(geometry.decode(q, w, h).objects[0]["coords"],
                                                                    abs=0.1)
    assert said.startswith("[regcap] What is at <box>") and said.endswith(tta.swap_words("on the left?", view))


def test_a_record_is_drawn_in_each_view_and_kept_as_recorded_where_it_cannot_be(tmp_path):
    from rsvlm.model import ImageInput
    from rsvlm.train.data import view_of, with_views

    a = np.zeros((3, 96, 96), np.float32)
    a[:, 10:20, 16:24] = 1.0
    msgs = [{"role": "user", "content": "<image>\n[ground] Where is the leftmost square?"},
            {"role": "assistant", "content": "<box><loc_167><loc_104><loc_250><loc_208></box>"}]
    imgs, said = view_of([ImageInput(a)], msgs, "h")
    np.testing.assert_array_equal(imgs[0].array, a[:, :, ::-1])
    assert said[0]["content"].endswith("the rightmost square?")
    (box,) = geometry.decode(said[1]["content"], 96, 96).objects
    assert box["coords"] == pytest.approx([72, 10, 80, 20], abs=0.2)
    above = [{"role": "user", "content": "<image>\n[ground] The square above the road?"}, msgs[1]]
    imgs, said = view_of([ImageInput(a)], above, "t")
    assert said == above and imgs[0].array is a  # no one-word transpose of "above"
    batches = [[0, 1, 2], [3, 4, 5]]
    drawn = with_views(batches, 6, 8, seed=0, epoch=1)
    assert drawn == with_views(batches, 6, 8, seed=0, epoch=1) != with_views(batches, 6, 8, seed=0, epoch=2)
    assert [[i % 6 for i in b] for b in drawn] == batches and len({i // 6 for b in drawn for i in b}) > 1
    assert with_views(batches, 6, 1, seed=0, epoch=1) == batches


def test_text_answers_are_voted_after_their_direction_words_are_mapped_back(squares, tmp_path):
    """A stand-in that says which quadrant the one bright square is in: mapped back, all views
    agree with the plain answer; a count it gets right only in the identity view is outvoted."""
    from PIL import Image

    from rsvlm import evaluate
    from rsvlm.model.vlm import GenerateOutput

    processor, _ = squares

    class Quadrant:
        asked = 0

        def generate(self, input_ids, attention_mask, images, **kw):
            texts = []
            self.asked += len(input_ids)
            for ids, ims in zip(input_ids, images):
                x = ims[0].tensor.sum(0)  # (S,S)
                ys, xs = torch.nonzero(x > x.mean() + 2 * x.std(), as_tuple=True)
                top, left = bool(ys.float().mean() < x.shape[0] / 2), bool(xs.float().mean() < x.shape[1] / 2)
                q = processor.tokenizer.decode(ids.tolist())
                if "count" in q:
                    texts.append("1" if top and left else "2")
                elif "Describe" in q:  # a caption: never voted, never asked again
                    texts.append(f"A bright square on a dark field, {'left' if left else 'right'} side.")
                elif "side" in q:  # wrong when the square is where the plain image has it
                    texts.append(f"On the {'left' if left != (top and left) else 'right'}.")
                else:
                    texts.append(f"In the {'top' if top else 'bottom'} {'left' if left else 'right'}.")
            return GenerateOutput(tokens=[[] for _ in texts], text=texts, scores=[[] for _ in texts])

    img = np.zeros((96, 96, 3), np.uint8)
    img[10:20, 16:24] = 255
    Image.fromarray(img).save(tmp_path / "one.png")
    recs = [{"id": f"r{i}", "task": t, "images": [{"path": "one.png", "modality": "optical"}],
             "conversations": [{"from": "human", "value": f"<image>\n[{t}] {q}"}, {"from": "gpt", "value": "x"}]}
            for i, (t, q) in enumerate([("vqa", "Where is the square?"), ("count", "How many? (count)"),
                                        ("cap", "Describe the image.")])]
    data = tmp_path / "t.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in recs))
    for mode in ("flip", "dihedral"):
        model = Quadrant()
        out = evaluate.run(model, processor, data, tmp_path / f"{mode}.jsonl", progress=False,
                           tta=tta.FuseConfig(views=tta.MODES[mode]))
        rows = {r["id"]: r["answer"] for r in map(json.loads, out.read_text().splitlines())}
        assert rows == {"r0": "In the top left.", "r1": "2", "r2": "A bright square on a dark field, left side."}
        assert model.asked == 3 + 2 * (len(tta.MODES[mode]) - 1)  # the caption once
    plain = evaluate.run(Quadrant(), processor, data, tmp_path / "plain.jsonl", progress=False)
    assert [json.loads(x)["answer"] for x in plain.read_text().splitlines()][:2] == ["In the top left.", "1"]
    # said of the h and hv views, "right" means left: mapped back, it outvotes the plain answer
    side = {**recs[0], "id": "s", "conversations": [{"from": "human", "value": "<image>\n[vqa] Which side?"},
                                                      {"from": "gpt", "value": "x"}]}
    data.write_text(json.dumps(side) + "\n")
    out = evaluate.run(Quadrant(), processor, data, tmp_path / "side.jsonl", progress=False, tta=tta.FuseConfig())
    assert json.loads(out.read_text())["answer"] == "On the left."
    assert fusion.vote(["2", " Yes", "yes", "2"]) == "2" and fusion.vote(["No", "yes"]) == "No"
    assert fusion.vote(["Harbour.", "port", "harbour", "port"]) == "Harbour."  # a tie once normalised: the earliest
    assert fusion.vote(["two", "2", "2 "]) == "2"  # no number words
    for view in tta.DIHEDRAL:
        q = "the leftmost ship in the top right, west of the bottommost tank"
        assert tta.swap_words(tta.swap_words(q, view), view, back=True) == q, view


def test_crop_windows_are_the_four_corners_and_scores_count_only_views_that_saw_the_spot():
    assert [tta.crop_window(v, 96, 96, 5 / 6) for v in tta.CROPS] == [
        (0, 0, 80, 80), (16, 0, 80, 80), (0, 16, 80, 80), (16, 16, 80, 80)]
    assert tta.crop_window("c3", 120, 60, 0.5) == (60, 30, 60, 30)
    assert tta.MODES["crops"] == ("", *tta.CROPS) and tta.MODES["dihedral+crops"][-4:] == tta.CROPS
    from rsvlm.cli import TTA_MODES

    assert TTA_MODES == ["none", *tta.MODES]  # the CLI's choices, written out so parsing imports nothing
    corner = _box(2, 2, 10, 10, "ship", 0.8)  # only the whole view and the top-left crop hold it
    views = [[corner], [corner], [], [], []]
    assert [fusion.holds(w, corner, 96, 96) for w in [(0, 0, 96, 96), (0, 0, 80, 80), (16, 0, 80, 80)]] == [
        True, True, False]
    assert not fusion.holds((0, 0, 80, 80), _box(60, 60, 79.5, 70), 96, 96)  # on the crop's inner edge
    windows = [(0, 0, 96, 96), *(tta.crop_window(v, 96, 96, 5 / 6) for v in tta.CROPS)]
    (seen_twice,) = fusion.fuse_many(views, tta.FuseConfig(), windows)
    assert seen_twice["score"] == pytest.approx(0.8)  # found by both views that saw it: not blamed on three crops
    (blind,) = fusion.fuse_many(views, tta.FuseConfig())
    assert blind["score"] == pytest.approx(0.8 * 2 / 5)  # without windows, every view counts
    assert tta.FuseConfig().min_views == 1  # a shape one view found is kept, ranked by its share


def test_crops_are_asked_only_where_they_keep_the_question_meaning():
    def ask(q):
        return tta.croppable([{"role": "user", "content": f"<image>\n{q}"}])

    assert ask("[det] Detect all ships.") and ask("[ground] Where is the white ship?") and ask("[ground] the ship")
    for q in ("[ground] Where is the leftmost ship?", "[ground] Locate the largest plane.",
              "[ground] The ship in the top left of the image.", "[ground] The ship closest to the plane.",
              "[ground] The plane above the ship.", "[count] How many ships?", "[vqa] Is there a ship?"):
        assert not ask(q), q


class FindsSquares(PointsAtSquares):
    """Answers a [det] question with a box round every bright square it sees (each a pixel too wide
    on its right), and records the size of the image it was given; otherwise as PointsAtSquares."""

    def generate(self, input_ids, attention_mask, images, **kw):
        from scipy import ndimage

        from rsvlm.model.vlm import GenerateOutput

        texts, scores = [], []
        for ids, ims in zip(input_ids, images):
            if "[det]" not in self.processor.tokenizer.decode(ids.tolist()):
                out = super().generate(input_ids[:1] * 0 + ids, None, [ims])
                texts.append(out.text[0])
                scores.append(out.scores[0])
                continue
            x = ims[0].tensor.sum(0)  # (S,S)
            lab, n = ndimage.label((x > x.mean() + 2 * x.std()).numpy())
            objs = [{"kind": "box", "label": "square", "coords": [s[1].start, s[0].start, s[1].stop + 1, s[0].stop]}
                    for s in ndimage.find_objects(lab)]
            self.asked.append(("det", len(objs)))
            texts.append(geometry.encode(objs, x.shape[1], x.shape[0]))
            scores.append([0.9] * len(objs))
        return GenerateOutput(tokens=[[] for _ in texts], text=texts, scores=scores)


def test_eval_with_crops_asks_detection_on_four_corners_and_maps_the_boxes_back(tmp_path, squares):
    from rsvlm import evaluate

    processor, _ = squares
    det = {"id": "d", "task": "det", "images": [{"path": "scene.png", "modality": "optical"}],
           "conversations": [{"from": "human", "value": "<image>\n[det] Detect all squares."},
                             {"from": "gpt", "value": "None."}], "meta": {"width": 96, "height": 96}}
    ground = {**det, "id": "g", "task": "ground", "conversations": [
        {"from": "human", "value": "<image>\n[ground] Where is the leftmost square?"}, {"from": "gpt", "value": "x"}]}
    data = tmp_path / "test.jsonl"
    data.write_text(json.dumps(det) + "\n" + json.dumps(ground) + "\n")
    model = FindsSquares(processor)
    out = evaluate.run(model, processor, data, tmp_path / "pred.jsonl", progress=False,
                       tta=tta.FuseConfig(views=tta.MODES["crops"], crop_share=5 / 6))  # 80-px crops
    rows = {r["id"]: r for r in map(json.loads, out.read_text().splitlines())}
    # the whole image for both questions, then the four crops for the detection question only
    assert [a[0] for a in model.asked] == ["det", "leftmost"] + ["det"] * 4
    # the top-left square (16..24, 10..20) lies whole in crop c0 only (c1 cuts it: its piece touches
    # the crop's inner edge and is dropped); the other (70..78, 60..70, answered 1 px wider) in c1,
    # c2 and c3 (c0's edge at x = 80 is too close). Each box comes back in the image's pixels (within
    # the crops' resampling), and every view that saw it whole found it: no crop lowers its score.
    boxes = sorted(rows["d"]["objects"], key=lambda o: o["coords"][0])
    assert [o["coords"] for o in boxes] == [pytest.approx([16, 10, 25, 20], abs=0.3),
                                            pytest.approx([70, 60, 79, 70], abs=0.3)]
    assert [o["score"] for o in boxes] == [pytest.approx(0.9), pytest.approx(0.9)]
    assert geometry.decode(rows["g"]["answer"], 96, 96).objects[0]["coords"] == pytest.approx([16, 10, 25, 20], abs=0.1)


def test_an_answer_no_other_view_was_asked_for_is_left_as_it_is():
    from rsvlm.model import ImageInput

    text = geometry.encode([_box(10, 10, 20, 20, "ship"), _box(50, 50, 60, 60, "ship")], 96, 96)
    image = [ImageInput(np.zeros((3, 96, 96), np.float32))]
    ground = [{"role": "user", "content": "[ground] Where are the ships on the left?"}]

    def generate(messages, images):
        raise AssertionError("a crop is not asked a question it changes the meaning of")

    # fused over its one view, the low-scored first box would have been put second
    out = tta.fused_answers(generate, [ground], [image], [(text, [0.2, 0.9])], tta.FuseConfig(views=tta.MODES["crops"]))
    assert out == [None]
