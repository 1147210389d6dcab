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
