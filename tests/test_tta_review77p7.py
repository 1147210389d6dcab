"""Review of stop 77's chat, predict and TTA round 2 (P7): fuse_single's label rule, the adjective rule of 'left'."""
import numpy as np
import pytest
from test_predict_edges import predict_det

from rsvlm import geometry, tta

LABELLED = "<ref>ship</ref><box><loc_104><loc_104><loc_312><loc_312></box>"


def _ground(plain: str, view_label, mode: str = "dihedral") -> tta.Fused:
    """fused_answers on a stand-in model: "[ground]" whose plain answer is ``plain``, each other view the same ship
    (where it lies in that view) labelled ``view_label``."""
    from rsvlm.model import ImageInput

    ship = geometry.decode(LABELLED, 96, 96).objects
    views = list(tta.MODES[mode][1:])

    def generate(messages, images):
        view = views.pop(0)
        return [(geometry.encode([{**o, "label": view_label} for o in tta.to_view(ship, view, 96, 96)], 96, 96), [])]

    msgs = [[{"role": "user", "content": "[ground] the ship at the top"}]]
    image = [ImageInput(np.zeros((3, 96, 96), np.float32))]
    fused = tta.fused_answers(generate, msgs, [image], [(plain, [])], tta.FuseConfig(views=mode))[0]
    assert views == [] and fused is not None
    return fused


def test_a_plain_ground_answers_own_label_is_kept_where_the_views_gave_none():
    """931576f1's half rule dropped the plain answer's own "ship" where the seven other views wrote the box alone:
    the fused answer (printed, and said to differ) lost the class the model named, as [det]'s fusion does not."""
    fused = _ground(LABELLED, None)
    assert [o["label"] for o in fused.objects] == ["ship"] and fused.answer.startswith("<ref>ship</ref>")


@pytest.mark.parametrize("mode", ["flip", "dihedral"])
def test_a_label_only_one_view_gave_still_names_no_unlabelled_plain_answer(mode):
    """What the half rule is for: the plain answer named nothing, one other view's label does not name it."""
    from rsvlm import fusion

    box = {"kind": "box", "coords": [10.0, 10.0, 50.0, 50.0]}
    shapes = [{**box, "label": None}] * (len(tta.MODES[mode]) - 1) + [{**box, "label": "building"}]
    assert fusion.fuse_single(shapes, tta.FuseConfig(), (96, 96), plain=True)["label"] is None


def test_a_minority_label_does_not_replace_the_plain_answers_own():
    """The plain "ship", two views' "boat", five none: "ship" stays (no label has half the views)."""
    from rsvlm import fusion

    box = {"kind": "box", "coords": [10.0, 10.0, 50.0, 50.0]}
    labels = ["ship", "boat", None, "boat", None, None, None, None]
    assert fusion.fuse_single([{**box, "label": lab} for lab in labels], tta.FuseConfig(), (96, 96), plain=True)["label"] == "ship"
    # not the plain view's (an eval view list, or the plain view left out): the half rule alone
    assert fusion.fuse_single([{**box, "label": lab} for lab in labels], tta.FuseConfig(), (96, 96))["label"] is None


def test_a_plain_label_on_a_box_the_others_outvote_is_not_kept():
    """The plain view's box is not among the medoid's agreeing views: its label has no say."""
    from rsvlm import fusion

    far = {"kind": "box", "label": "ship", "coords": [60.0, 60.0, 90.0, 90.0]}
    near = [{"kind": "box", "label": None, "coords": [10.0 + k, 10.0, 50.0 + k, 50.0]} for k in range(3)]
    assert fusion.fuse_single([far, *near], tta.FuseConfig(), (96, 96), plain=True)["label"] is None


@pytest.mark.parametrize("text, mirrored", [
    ("The ship heading left the port.", "The ship heading right the port."),  # a way: turns (7bbb12b6 keeps it)
    ("Parked cars left of the road.", "Parked cars right of the road."),  # a side: 'of the road'
    ("The parked cars left of the road are white.", "The parked cars right of the road are white."),
    ("The heading ship left the port.", "The heading ship left the port."),  # a departure
])
def test_the_adjective_rule_keeps_sides_turning(text, mirrored):
    assert tta.swap_words(text, "h") == mirrored
    assert tta.swap_words(mirrored, "h") == text


def test_a_one_tile_run_says_the_one_tile(ckpt, geotiff, monkeypatch, capsys):
    """f33fd61b's note read "the answer of 1 of 1 tile is fused" where the scene fits one tile."""
    from rsvlm.fusion import Fused

    def fused_answers(ask, messages, inputs, answers, cfg, refused=None, on_views=None, frame=None):
        on_views(("h",))
        box = "<box><loc_10><loc_10><loc_500><loc_500></box>"
        return [Fused(box, geometry.decode(box, 96, 64).objects, answers=8) for _ in answers]

    monkeypatch.setattr(tta, "fused_answers", fused_answers)
    assert predict_det(ckpt, geotiff, "--tta", "dihedral", "--tile", "128", "--overlap", "0") == 0
    err = capsys.readouterr().err
    assert "note: the answer of the one tile is fused over 8 --tta views and differs" in err, err
