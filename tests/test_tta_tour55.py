"""Rough edges of test-time augmentation (rsvlm.tta, rsvlm.fusion) found on a user's tour: near-square
oriented boxes, records whose images differ in size, view answers that do not parse."""

from __future__ import annotations

import numpy as np
import pytest
from geometry_helpers import measured
from test_tta_lead73 import Views  # an answerer standing in for the model, per view

from rsvlm import fusion, geometry, tta


def _rbox(cx, cy, w, h, deg, label=None):
    return {"kind": "obb", "label": label, "coords": geometry.rbox_to_quad(cx, cy, w, h, deg)}


def test_a_near_square_obb_averages_with_one_whose_long_side_is_the_other():
    # a storage tank: 20 x 19 at 30°, and the same tank read 19 x 20 (its long side at 120°); the
    # doubled-angle mean of 30° and 120° cancelled, and the average came out turned to 67.5°
    a, b = _rbox(50, 50, 20, 19, 30), _rbox(50, 50, 19, 20, 30)
    assert geometry.polygon_iou(a["coords"], b["coords"]) > 0.9
    assert measured(b["coords"])[3] % np.pi == pytest.approx(np.radians(120))
    out = fusion.average([a, b])
    for o in (a, b):
        assert geometry.polygon_iou(out["coords"], o["coords"]) > 0.9
    c, along, across, angle = measured(out["coords"])
    assert c == pytest.approx([50, 50]) and {round(along, 6), round(across, 6)} == {19.5}
    # an elongated box averaged with itself turned by 180° and with corners listed from elsewhere
    q = _rbox(30, 25, 10, 3, 100)
    turned = {**q, "coords": q["coords"][2:] + q["coords"][:2]}
    assert geometry.polygon_iou(fusion.average([q, turned, _rbox(30, 25, 10, 3, 280)])["coords"], q["coords"]) \
        == pytest.approx(1)


def test_a_crop_of_a_pair_of_two_resolutions_covers_the_same_ground_in_both():
    # a 10 m and a 20 m image of one ground (or a change pair whose later scene is larger): the crop
    # was cut in the first image's pixels from both, so the larger one lost most of its ground
    from rsvlm.model import ImageInput

    fine = np.random.default_rng(0).random((2, 96, 120)).astype(np.float32)  # (C,H,W), non-square
    coarse = fine[:1, ::2, ::2].copy()  # (1,48,60): every other pixel of the same ground
    for view in tta.CROPS:
        small, large = tta.crop_view([ImageInput(coarse, "sar", ["VV"]), ImageInput(fine, "msi")], view, 0.75)
        x0, y0, cw, ch = tta.crop_window(view, 120, 96, 0.75)
        assert large.array.shape == (2, ch, cw) and small.array.shape == (1, ch // 2, cw // 2), view
        np.testing.assert_array_equal(large.array, fine[:, y0:y0 + ch, x0:x0 + cw])
        np.testing.assert_array_equal(small.array, coarse[:, y0 // 2:(y0 + ch) // 2, x0 // 2:(x0 + cw) // 2])
        assert (small.modality, small.bands) == ("sar", ["VV"])


def test_a_change_mask_is_fused_in_the_pixels_of_the_later_image_not_the_coarser_earlier_one():
    # a pair whose earlier scene is 4 times coarser: the answer is in the later image's pixels
    # (inference.pair_notes), but the views' masks were voted on at the earlier one's 16 x 16, and a
    # 3 x 4 px change every view found was voted away
    from rsvlm.model import ImageInput

    pair = [ImageInput(np.zeros((3, 16, 16), np.float32)), ImageInput(np.zeros((3, 64, 64), np.float32))]
    mask = np.zeros((64, 64), bool)
    mask[10:13, 41:45] = True
    objs = geometry.mask_to_objects(mask, "change", form="grid", budget=10**4)
    plain = geometry.encode(objs, 64, 64)
    msgs = [[{"role": "user", "content": "<image>\n<image>\n[change] Segment the changed buildings."}]]
    fused = tta.fused_answers(Views(objs, 64, 64, tta.VIEWS), msgs, [pair], [(plain, [])], tta.FuseConfig())[0]
    assert fused.answer == plain
    np.testing.assert_array_equal(geometry.objects_to_mask(fused.objects, 64, 64), mask)


def test_view_answers_left_out_of_the_fusion_are_counted_in_its_note():
    from rsvlm.model import ImageInput

    image = [ImageInput(np.zeros((3, 30, 40), np.float32))]  # (C,H,W): a non-square scene
    ship = [{"kind": "box", "label": "ship", "coords": [4.0, 5.0, 14.0, 12.0]}]
    plain = geometry.encode(ship, 40, 30)
    det = [[{"role": "user", "content": "<image>\n[det] Detect every ship."}]]
    odd = {"h": "<ref>ship</ref><box><loc_1><loc_2></box>",  # cut off inside a shape: does not parse
           "v": "<ref>ship</ref><point><loc_500><loc_500></point>"}  # another kind of shape
    fused = tta.fused_answers(Views(ship, 40, 30, tta.VIEWS, odd), det, [image], [(plain, [])], tta.FuseConfig())[0]
    assert geometry.decode(fused.answer, 40, 30).objects[0]["coords"] == pytest.approx(ship[0]["coords"], abs=0.05)
    assert fused.note.startswith("test-time augmentation: 2 of 3 other view answers could not be fused")
    assert "view 'h': its geometry does not parse" in fused.note
    # every view read: no note; a short text answer whose view answered shapes is left out of the vote
    assert tta.fused_answers(Views(ship, 40, 30, tta.VIEWS), det, [image], [(plain, [])])[0].note is None
    cls = [[{"role": "user", "content": "<image>\n[cls] What kind of scene is this?"}]]
    text = {"": "harbour", "h": "harbour", "v": plain, "hv": "harbour"}
    voted = tta.fused_answers(Views([], 40, 30, tta.VIEWS, text), cls, [image], [("harbour", [])])[0]
    assert voted.answer == "harbour"
    assert voted.note == ("test-time augmentation: 1 of 3 other view answers could not be fused, left out of the "
                          "vote (first: view 'v': it holds shapes)")


def test_a_detection_answered_none_is_fused_with_what_the_other_views_found():
    # the plain answer "None." was voted as text: every view that found the ship was thrown out, and
    # no crop was asked, so TTA could never find an object the plain answer missed
    from rsvlm.model import ImageInput

    image = [ImageInput(np.zeros((3, 48, 64), np.float32))]
    ship = [{"kind": "box", "label": "ship", "coords": [4.0, 5.0, 14.0, 12.0]}]
    det = [[{"role": "user", "content": "<image>\n[det] Detect every ship."}]]
    views = tta.MODES["flip"]
    gen = Views(ship, 64, 48, views, {"v": "None."})  # 2 of the 4 views find it
    fused = tta.fused_answers(gen, det, [image], [("None.", [])], tta.FuseConfig(views=views))[0]
    (box,) = fused.objects
    assert box["coords"] == pytest.approx(ship[0]["coords"], abs=0.05) and box["label"] == "ship"
    assert geometry.decode(fused.answer, 64, 48).objects[0]["coords"] == pytest.approx(ship[0]["coords"], abs=0.05)
    # where no view finds one, or too few do, "None." stays; a class question answered "None." is voted
    nothing = {v: "None." for v in views}
    (kept,) = tta.fused_answers(Views([], 64, 48, views, nothing), det, [image], [("None.", [])])
    assert (kept.answer, kept.objects) == ("None.", [])  # a Fused still: its notes say views left out, not asked
    few = tta.FuseConfig(views=views, min_views=3)
    (kept,) = tta.fused_answers(Views(ship, 64, 48, views, {"v": "None."}), det, [image], [("None.", [])], few)
    assert (kept.answer, kept.objects) == ("None.", [])
    cls = [[{"role": "user", "content": "<image>\n[cls] Scene class?"}]]
    assert tta.fused_answers(Views(ship, 64, 48, views, {"h": "None."}), cls, [image],
                             [("None.", [])])[0].answer == "None."


def test_a_resumed_run_says_which_earlier_lines_it_could_not_read(tmp_path, monkeypatch, capsys):
    # a line broken in the middle of the predictions (two writers, a hand edit): its record read as
    # unanswered and was answered again without a word, and the scorers then counted the line unreadable
    import json

    from test_eval_ranks51 import StandIn, records_file, run_eval

    model = StandIn(monkeypatch)
    data, out = records_file(tmp_path, 4), tmp_path / "p.jsonl"
    run_eval(data, out)
    lines = out.read_text().splitlines(keepends=True)
    out.write_text(lines[0] + '{"id": "r1", "task": "cls", "ans\n' + "\n" + "[1, 2]\n" + "".join(lines[2:]))
    capsys.readouterr()
    model.asked, model.tag = [], "run 2"
    run_eval(data, out)
    assert model.asked == ["r1"]
    err = capsys.readouterr().err
    assert f"2 lines of the earlier answers could not be read (first: {out}:2: not valid JSON (" in err
    ids = [json.loads(line)["id"] for line in out.read_text().splitlines()[4:]]
    assert ids == ["r2", "r3", "r1"]  # lines 2 to 4 left as they were
    assert '"ans\n' in out.read_text()
    # a last line without its newline is one a kill cut: dropped before the resume, as ever, and not counted
    out.write_text(out.read_text() + '{"id": "r9", "ta')
    run_eval(data, out)
    assert "2 lines of the earlier answers could not be read" in capsys.readouterr().err
    assert not out.read_text().endswith('"ta')


@pytest.mark.parametrize("kw, says", [
    ({"views": ("h", "v")}, "must be the identity '' first"),  # "h" went unasked: the plain answer is the identity's
    ({"views": "ihedral"}, "unknown mode 'ihedral'"),  # a string was taken view by view: 'i', 'h', 'e', …
    ({"views": ("", "x")}, "must be the identity '' first"),  # an unknown view was asked as the identity
    ({"views": ("", "h", "h")}, "each once"),
    ({"min_share": 0}, "min_share 0 out of range"),  # every pixel of the image kept
    ({"crop_share": 1.5}, "crop_share 1.5 out of range"),  # a crop window starting left of the image
])
def test_a_fuse_config_a_mode_cannot_have_is_refused(kw, says):
    with pytest.raises(ValueError, match=says.replace("(", r"\(")):
        tta.FuseConfig(**kw)


def test_a_fuse_config_takes_a_modes_name():
    assert tta.FuseConfig(views="dihedral+crops").views == tta.MODES["dihedral+crops"]
    assert tta.FuseConfig(views=list(tta.VIEWS)).views == tta.VIEWS


def test_crops_are_not_asked_where_the_plain_answer_is_a_polygon_or_mask():
    # a crop's polygons were shifted back but its masks dropped, and the pixel vote counted each crop
    # as covering nothing: under --tta crops a grounded region (free decoding) was voted away to ""
    from rsvlm.model import ImageInput

    image = [ImageInput(np.zeros((3, 40, 40), np.float32))]
    lake = geometry.mask_to_objects(np.pad(np.ones((10, 12), bool), ((5, 25), (8, 20))), "lake", form="grid")
    plain = geometry.encode(lake, 40, 40)
    ground = [[{"role": "user", "content": "<image>\n[ground] Where is the lake?"}]]
    cfg = tta.FuseConfig(views="crops")

    def generate(messages, images):
        raise AssertionError("no crop is asked about a mask")

    assert tta.fused_answers(generate, ground, [image], [(plain, [])], cfg) == [None]
    fused = tta.fused_answers(Views(lake, 40, 40, tta.MODES["dihedral+crops"]), ground, [image], [(plain, [])],
                              tta.FuseConfig(views="dihedral+crops"))[0]
    assert fused.answer == plain  # the 8 mirror views alone, each finding it


def test_a_falcon_tag_the_reader_does_not_know_is_a_problem_not_an_answer_of_nothing():
    from eval import foreign

    # a point (or any other tag of bins) read as no object and no problem: scored as a clean empty answer
    objs, problems = foreign.decode("<ref>ship</ref><point><500><250></point>", 200, 100, "falcon")
    assert objs == [] and problems == ["falcon: cannot read <point> (only <box>, <quad> and <poly>): "
                                       "'<point><500><250></point>'"]
    objs, problems = foreign.decode("<box><1><2><3><4></box> and <ref>ship</ref>, 2 of them", 200, 100, "falcon")
    assert len(objs) == 1 and problems == []


def test_a_box_a_bin_short_of_a_large_crops_inner_edge_is_taken_for_a_piece_of_an_object():
    # a 2000 px scene: its crops are 1833 px, a location bin 1.8 px; a box the model ended one bin
    # short of the crop's inner edge was 2.8 px from it, past the 1 px tolerance, and kept whole
    window = tta.crop_window("c0", 2000, 2000, 11 / 12)  # (0, 0, 1833, 1833): inner edges right and below
    cw = window[2]
    piece = geometry.decode(f"<box><loc_900><loc_100><loc_{998}><loc_200></box>", cw, cw).objects[0]
    assert cw - piece["coords"][2] > 2
    assert fusion.cut_by(piece, window, 2000, 2000)
    whole = geometry.decode("<box><loc_900><loc_100><loc_995><loc_200></box>", cw, cw).objects[0]
    assert not fusion.cut_by(whole, window, 2000, 2000)
    # a small scene keeps its 1 px: ten bins of an 88 px crop
    small = {"kind": "box", "coords": [40.0, 10.0, 87.2, 20.0]}
    assert fusion.cut_by(small, (0, 0, 88, 88), 96, 96) and not fusion.cut_by({**small, "coords": [40, 10, 86.9, 20]},
                                                                               (0, 0, 88, 88), 96, 96)


@pytest.mark.parametrize("view, want", [("t", "Top-left"), ("th", "Top-right"), ("tv", "Bottom-left"),
                                        ("thv", "Bottom-right")])
def test_a_hyphenated_corner_comes_out_of_a_transpose_in_the_usual_order(view, want):
    # "top-left" came out of a transpose as "left-top", a phrase no question of the training data has
    q = "Top-left of the scene: where is the ship in the top left?"
    assert tta.swap_words(q, view) == f"{want} of the scene: where is the ship in the {want.lower().replace('-', ' ')}?"
    assert tta.swap_words(tta.swap_words(q, view), view, back=True) == q


def test_an_empty_view_answer_is_no_vote():
    # three views that answered nothing (an end of text at once) outvoted the plain "harbour" to ""
    from rsvlm.model import ImageInput

    image = [ImageInput(np.zeros((3, 32, 32), np.float32))]
    cls = [[{"role": "user", "content": "<image>\n[cls] Scene class?"}]]
    empty = {"h": "", "v": " ", "hv": "\n"}
    voted = tta.fused_answers(Views([], 32, 32, tta.VIEWS, empty), cls, [image], [("harbour", [])])[0]
    assert voted.answer == "harbour"
    assert voted.note.endswith("3 of 3 other view answers could not be fused, left out of the vote (first: view "
                               "'h': it is empty), the others: 'v', 'hv'")  # (the others were unnamed until review 81)


def test_no_crop_is_asked_a_conversation_that_holds_shapes_said_of_the_whole_image():
    # a crop is asked the turns as they are: a chat's earlier boxes, or a box in the question, said of
    # the whole image, pointed elsewhere in the crop
    box = "<box><loc_100><loc_100><loc_300><loc_300></box>"
    chat = [{"role": "user", "content": "<image>\n[det] Detect every ship."},
            {"role": "assistant", "content": f"<ref>ship</ref>{box}"},
            {"role": "user", "content": "[ground] Where is the white ship?"}]
    assert tta.croppable(chat[2:]) and not tta.croppable(chat)
    assert not tta.croppable([{"role": "user", "content": f"<image>\n[det] Detect every ship like the one at {box}."}])
    assert tta.croppable([{"role": "system", "content": f"Boxes look like {box}."}, *chat[2:]])


def test_a_view_answer_of_broken_geometry_is_no_vote():
    # three views whose answer was a cut shape with nothing read from it outvoted the plain "harbour"
    from rsvlm.model import ImageInput

    image = [ImageInput(np.zeros((3, 32, 32), np.float32))]
    cls = [[{"role": "user", "content": "<image>\n[cls] Scene class?"}]]
    broken = {v: "<box><loc_1>" for v in tta.VIEWS}
    voted = tta.fused_answers(Views([], 32, 32, tta.VIEWS, broken), cls, [image], [("harbour", [])])[0]
    assert voted.answer == "harbour" and "view 'h': its geometry does not parse" in voted.note


def test_eval_refuses_an_out_that_holds_no_predictions(tmp_path):
    # a score file given as --out (eval.detection's --out and rsvlm eval's side by side) had the
    # answers appended to its JSON, spoiling both
    import json

    from test_eval_ranks51 import records_file

    from rsvlm.predictions import check_out

    data = records_file(tmp_path, 2)
    scores = tmp_path / "scores.json"
    scores.write_text(json.dumps({"task": "classification", "accuracy": 0.5}, indent=2) + "\n")
    assert check_out(data, scores).startswith(f"--out {scores} holds no predictions (4 lines, none a JSON object "
                                              f"with an \"id\"; first: {scores}:1: not valid JSON (")
    assert scores.read_text().startswith("{\n")
    ok = tmp_path / "p.jsonl"
    for text in ("", "\n", '{"id": "r0", "task": "cls", "answer": "lake"}\nnot json\n', '{"id": "r0", "ta'):
        ok.write_text(text)  # empty, a broken line beside an answer, a last line a kill cut: resumed
        assert check_out(data, ok) is None, text


CORNER_AT = {"northwest": (0, 0), "northeast": (1, 0), "southwest": (0, 1), "southeast": (1, 1)}


@pytest.mark.parametrize("view", tta.DIHEDRAL[1:])
def test_a_compass_corner_is_said_of_each_view_where_its_pixels_go(view):
    # "northwest" (one word) was left as it was in every view, so a mirrored view was asked about the
    # other corner; "north-west" came out of a transpose as "west-north"
    for word, (x, y) in CORNER_AT.items():
        corner = {"kind": "point", "label": None, "coords": [x * 40.0, y * 30.0]}
        wv, hv = tta.view_size(view, 40, 30)
        cx, cy = tta.to_view([corner], view, 40, 30)[0]["coords"]
        there = next(w for w, (a, b) in CORNER_AT.items() if (a * wv, b * hv) == (cx, cy))
        assert tta.swap_words(f"The {word} tank, {word}ern of the road.", view) == \
            f"The {there} tank, {there}ern of the road.", word
        hyphen = f"{word[:5]}-{word[5:]}"
        assert tta.swap_words(f"the {hyphen} corner", view) == f"the {there[:5]}-{there[5:]} corner", word
        assert tta.swap_words(tta.swap_words(word, view), view, back=True) == word


def test_an_elongated_obb_keeps_its_long_side_when_views_disagree_on_its_angle():
    # a 30 x 20 box read at 0° and at 60°: its long side is seen, so the doubled-angle mean (30°)
    # keeps 30 x 20; aligning mod 90° took the 60° view for a 20 x 30 box at -30° and averaged a
    # 25 x 25 square at -15° (on the 160-scene set's grounding, --tta dihedral acc@0.5 0.373 -> 0.354)
    out = fusion.average([_rbox(40, 40, 30, 20, 0), _rbox(40, 40, 30, 20, 60)])
    _, long_, short, angle = measured(out["coords"])
    assert (long_, short) == pytest.approx((30, 20))
    assert np.degrees(angle) % 180 == pytest.approx(30)
