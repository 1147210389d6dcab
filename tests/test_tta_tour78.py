"""Tour 78 of test-time augmentation: fuse_many's label of one object the views named differently."""
import pytest

from rsvlm import fusion, tta

BOX = {"kind": "box", "coords": [10.0, 10.0, 50.0, 50.0]}


def _fused(labels):
    return fusion.fuse_many([[{**BOX, "label": lab}] for lab in labels], tta.FuseConfig(), size=(96, 96))


@pytest.mark.parametrize("labels, named", [
    (["ship", "boat", None, "boat", None, None, None, None], "boat"),  # two views' boat outvote the plain ship
    (["ship", "boat", "boat", None], "boat"),
    (["ship", "boat", None, None], "ship"),  # a tie: the plain view's
    (["boat", "ship", "Ships", None], "ship"),  # one class in two spellings outvotes the plain view's
    (["ship", None, None, None, None, None, None, None], "ship"),  # tour 60: only the plain view gave a label
    ([None, "building", None, None], "building"),  # the only label any view gave
    ([None, None, None, None], None),
])
def test_one_object_named_differently_is_one_shape_under_the_majority_label(labels, named):
    """Clustering goes by label, so the plain "ship" and two views' "boat" for one box came back as two boxes on
    one spot, the minority "ship" among them."""
    assert [o["label"] for o in _fused(labels)] == [named]


def test_two_labels_one_view_drew_on_one_spot_stay_two_objects():
    views = [[{**BOX, "label": "ship"}, {**BOX, "label": "boat"}]] * 4
    out = fusion.fuse_many(views, tta.FuseConfig(), size=(96, 96))
    assert sorted(o["label"] for o in out) == ["boat", "ship"]


def test_two_labels_on_boxes_apart_are_not_joined():
    far = {"kind": "box", "coords": [60.0, 60.0, 90.0, 90.0]}
    views = [[{**BOX, "label": "ship"}], [{**far, "label": "boat"}]]
    out = fusion.fuse_many(views, tta.FuseConfig(), size=(96, 96))
    assert sorted(o["label"] for o in out) == ["boat", "ship"]


def test_cluster_label_ties_go_to_the_plain_view_wherever_it_lies():
    from rsvlm.fusion_labels import cluster_label

    c = [(3, {**BOX, "label": "boat"}), (0, {**BOX, "label": "ship"}), (1, {**BOX, "label": None})]
    assert cluster_label(c) == "ship"
    assert cluster_label([(2, {**BOX, "label": "boat"}), (1, {**BOX, "label": "ship"})]) == "boat"  # no plain: the earliest


@pytest.mark.parametrize("text, mirrored", [
    ("The parked car on the left left the lot.", "The parked car on the right left the lot."),
    ("The car on the right left.", "The car on the left left."),
    ("A ship on the far right left the dock and a car arrived.", "A ship on the far left left the dock and a car arrived."),
    # data_gen's referring place ("in the left part of the image") before its change caption's verb ("left")
    ("The ship in the left part of the image left.", "The ship in the right part of the image left."),
    ("Ships in the top left corner left the harbour.", "Ships in the top right corner left the harbour."),
    # sides that stay sides
    ("The ship on the left is white.", "The ship on the right is white."),
    ("The ship on the left left of the pier is white.", "The ship on the right right of the pier is white."),
    ("The ship on the left, left of the pier.", "The ship on the right, right of the pier."),
    ("The ship on the left left side is damaged.", "The ship on the right right side is damaged."),
    ("Two ships left.", "Two ships left."),  # data_gen's change caption: a departure, as before
    ("Left, left.", "Right, right."),
])
def test_only_the_side_of_two_lefts_turns_in_a_mirror(text, mirrored):
    """"The parked car on the left left the lot." came back from the h view as "… on the right right the lot."."""
    assert tta.swap_words(text, "h") == mirrored
    assert tta.swap_words(mirrored, "h", back=True) == text


@pytest.mark.parametrize("view", ["t", "th", "tv", "thv"])
def test_a_departure_after_a_transposed_side_is_kept(view):
    """A transposed view says the side as "top"/"bottom": "on the top left the lot" still departs."""
    text = "The parked car on the left left the lot."
    seen = tta.swap_words(text, view)
    assert seen.endswith(" left the lot.") and tta.swap_words(seen, view, back=True) == text
    assert tta.swap_words("The car on the top left.", "h") == "The car on the top right."  # a corner, still a side


def test_a_tiled_fused_note_names_its_scene(ckpt, geotiff, monkeypatch, capsys):
    """The tiled "fused … differs" note and the tile counts' notes were said as "rsvlm predict: note: …" where
    the scene's other notes read "[scene.tif] note: …": in a log of several runs, no word of which scene."""
    from test_predict_edges import predict_det

    from rsvlm import geometry
    from rsvlm.fusion import Fused

    def fused_answers(ask, messages, inputs, answers, cfg, refused=None, on_views=None, frame=None):
        on_views(("h",))
        box = "<box><loc_10><loc_10><loc_500><loc_500></box>"
        return [Fused(box, geometry.decode(box, 96, 64).objects, answers=8, note="v: empty", left_out=1)
                for _ in answers]

    monkeypatch.setattr(tta, "fused_answers", fused_answers)
    assert predict_det(ckpt, geotiff, "--tta", "dihedral", "--tile", "128", "--overlap", "0") == 0
    lines = capsys.readouterr().err.splitlines()
    fused = [ln for ln in lines if "fused over 8 --tta views and differs" in ln or "fused without some view" in ln]
    assert len(fused) == 2 and all(ln.startswith(f"[{geotiff.name}] note: ") for ln in fused), lines
