"""Tour 77, round 2 (predict --tta, fusion): predict's note that its answer is fused came before the views' own
notes (one list held both) and a --tile run had none; a [ground] answer took a label one view of eight gave."""

from __future__ import annotations

import pytest
from test_predict_edges import predict_det

from rsvlm import tta

BOX = "<box><loc_10><loc_10><loc_500><loc_500></box>"
# since stop 79 a plain answer of words is quoted before "--tta none" (predict.fused_note): the head alone is pinned
FUSED = "the answer is fused over 8 --tta views; the plain view's own answer differs ("


def _predict(ckpt, geotiff, *extra):
    return predict_det(ckpt, geotiff, "--tta", "dihedral", *extra)


def test_the_fused_note_comes_after_the_views_own_notes(ckpt, geotiff, monkeypatch, capsys, tmp_path):
    """d382432a meant the note to follow what the views said (a view left out, a cut one); ce446887 passed one
    list for both, so it came first, before the note it sums up."""
    from rsvlm.fusion import Fused

    def fused_answers(ask, messages, inputs, answers, cfg, refused=None, on_views=None):
        return [Fused(BOX, None, answers=8, note="1 of 7 view answers left out (stand-in)", left_out=1)]

    monkeypatch.setattr(tta, "fused_answers", fused_answers)
    out = tmp_path / "p.json"
    assert _predict(ckpt, geotiff, "--out", str(out)) == 0
    err = capsys.readouterr().err
    assert err.index("1 of 7 view answers left out") < err.index(FUSED), err
    import json

    notes = json.loads(out.read_text())["notes"]
    fused = [k for k, n in enumerate(notes) if FUSED in n]
    assert fused and fused[0] > max(k for k, n in enumerate(notes) if "left out (stand-in)" in n), notes


@pytest.mark.parametrize("n_fused, note", [
    (1, "the answer of 1 of 2 tiles is fused over 8 --tta views and differs from its plain view's own (--tta none "
        "gives it)"),
    (2, "the answers of both tiles are fused over 8 --tta views and differ from their plain view's own (--tta none "
        "gives those)"),
    (0, None)])
def test_a_tiled_run_says_how_many_tiles_answers_are_fused(ckpt, geotiff, monkeypatch, capsys, n_fused, note):
    """predict --tile --tta printed the tiles' fused objects with no word that any was fused (untiled says it)."""
    from rsvlm import geometry
    from rsvlm.fusion import Fused

    def fused_answers(ask, messages, inputs, answers, cfg, refused=None, on_views=None, frame=None):
        if on_views is not None:
            on_views(("h",))
        said = [BOX if k < n_fused else text for k, (text, _) in enumerate(answers)]  # the first n_fused differ
        return [Fused(t, geometry.decode(t, 64, 64).objects, answers=8) for t in said]

    monkeypatch.setattr(tta, "fused_answers", fused_answers)
    assert _predict(ckpt, geotiff, "--tile", "64", "--overlap", "0") == 0  # 96 x 64 px: two tiles, one batch
    err = capsys.readouterr().err
    assert ("fused over" in err) == bool(note), err
    assert not note or err.count(f"[{geotiff.name}] note: {note}") == 1, err


def _box(x0, label=None):
    return {"kind": "box", "label": label, "coords": [x0, 10.0, x0 + 40.0, 50.0]}


@pytest.mark.parametrize("labels, kept", [
    ((None, None, None, None, None, None, None, "building"), None),  # one view of eight: not the answer's class
    ((None, None, None, "bus", "bus", None, "bus", None), None),  # three of eight: fewer than half
    (("bus", "bus", None, "bus", "bus", None, None, None), "bus"),  # half
    ((None, "ship", "ship", "ship"), "ship"),  # most (test_tta_tour60: the medoid's none does not win)
    (("bus", "Buses", "car", None), "bus"),  # one class in two spellings, half of the four
])
def test_a_single_shape_keeps_a_label_only_where_half_its_views_gave_it(labels, kept):
    """fusion.fuse_single let one view's label beat seven unlabelled ones: "[ground] the bus at the top right"
    with --tta dihedral came out "<ref>building</ref>" where the plain answer named nothing."""
    from rsvlm import fusion

    out = fusion.fuse_single([_box(10 + k % 2, lab) for k, lab in enumerate(labels)], tta.FuseConfig(), (96, 96))
    assert out["label"] == kept, out


def test_a_view_whose_box_disagrees_has_no_vote_on_the_label():
    """Only the views agreeing with the medoid count: a label on a box elsewhere neither names nor outvotes it."""
    from rsvlm import fusion

    shapes = [_box(10, "car"), _box(11, "car"), _box(12), _box(60, "ship"), _box(61, "ship"), _box(62, "ship")]
    assert fusion.fuse_single(shapes[:3] + shapes[3:], tta.FuseConfig(), (128, 96))["label"] == "car"


@pytest.mark.parametrize("text, mirrored", [
    ("The heading ship left the port.", "The heading ship left the port."),  # a departure: was "right the port"
    ("The parked car left the lot.", "The parked car left the lot."),
    ("The docked ship left.", "The docked ship left."),
    ("Two facing ships left the dock.", "Two facing ships left the dock."),
    ("The ship heading left the port.", "The ship heading right the port."),  # heading last: a way, a side
    ("The ship turned sharply left.", "The ship turned sharply right."),
    ("The heading ships turned left.", "The heading ships turned right."),
    ("The heading ship left, one right.", "The heading ship right, one left."),  # another side word: sides
])
def test_a_verb_form_used_as_an_adjective_does_not_make_left_a_side(text, mirrored):
    for view in ("h", "v"):
        if view == "v" and mirrored != text:
            continue  # a vertical flip keeps left and right
        assert tta.swap_words(text, view) == mirrored, view
    assert tta.swap_words(tta.swap_words(text, "h"), "h") == text


def test_a_score_that_rounds_to_nothing_is_shown_as_below_a_hundredth():
    """predict --tile --tta on a Landsat-7 scene: 27 of 210 fused boxes (few views found them, 0.004) were shown as
    "building 0.00" in the table and on the overlay, read as a score of nothing; --out keeps the number."""
    from rsvlm.io.vis_words import object_text
    from rsvlm.tables import objects_table, score_text

    assert [score_text(s) for s in (0.004, 0.0, 0.005, 0.2149, 1)] == ["<0.01", "0.00", "0.01", "0.21", "1.00"]
    box = {"kind": "box", "label": "building", "coords": [1, 2, 3, 4], "score": 0.00396719}
    assert object_text(box) == "building <0.01"
    assert objects_table([box]).splitlines()[1].split()[3] == "<0.01"


def test_a_none_replaced_by_the_views_shapes_does_not_break_the_next_record():
    """predict --tile 256 --tta flip on the Sentinel-1 sample stopped at its 5th tile with "AttributeError: 'str'
    object has no attribute 'get'": a "None." the views' shapes replaced set the note in a name (``worded``) that
    fused_answers reads again for the next record of the batch (eval --tta's batches alike)."""
    import numpy as np

    from rsvlm.model import ImageInput

    views = list(tta.MODES["flip"][1:])

    def generate(messages, images):  # each view finds the same box in both records
        views.pop(0)
        return [(BOX, []) for _ in messages]

    msgs = [[{"role": "user", "content": "[det] Detect every ship."}] for _ in range(2)]
    image = [ImageInput(np.zeros((3, 96, 96), np.float32))]
    fused = tta.fused_answers(generate, msgs, [image, image], [("None.", []), (BOX, [])], tta.FuseConfig(views="flip"))
    assert views == [] and len(fused) == 2 and all(f is not None and f.objects for f in fused), fused
    assert "the other views found some" in fused[0].note, fused[0].note
