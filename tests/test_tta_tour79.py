"""Tour 79 of test-time augmentation: fusion's label joins that chained, a transposed view's departure."""
from __future__ import annotations

import pytest

from rsvlm import fusion, tta

SHIP_A = {"kind": "box", "coords": [10.0, 10.0, 50.0, 50.0], "label": "ship"}
BOAT = {"kind": "box", "coords": [20.0, 10.0, 60.0, 50.0], "label": "boat"}  # IoU 0.6 with each ship
SHIP_C = {"kind": "box", "coords": [30.0, 10.0, 70.0, 50.0], "label": "ship"}  # IoU 0.33 with SHIP_A


def test_a_boat_between_two_ships_does_not_chain_them_into_one_object():
    """join_labels joined pairs at IoU >= 0.5 transitively: ship A–boat and boat–ship C made one "ship" of two
    ships 0.33 apart (its box between them), though clustering had kept the two ships apart."""
    out = fusion.fuse_many([[SHIP_A], [SHIP_A], [BOAT], [SHIP_C]], tta.FuseConfig(), size=(96, 96))
    assert [o["label"] for o in out] == ["ship", "ship"]
    assert [30.0, 10.0, 70.0, 50.0] in [o["coords"] for o in out]  # the lone ship C, as its one view drew it


def test_join_labels_joins_only_clusters_that_all_overlap_each_other():
    from rsvlm.fusion import _iou, extent
    from rsvlm.fusion_labels import join_labels

    clusters = [[(0, SHIP_A), (1, SHIP_A)], [(2, BOAT)], [(3, SHIP_C)]]
    out = join_labels(clusters, [SHIP_A, BOAT, SHIP_C], lambda a, b: _iou(a, b, 0.0), extent, 0.5)
    assert sorted(len(c) for c in out) == [1, 3]  # the boat went to one ship, not both
    same = [{**SHIP_A, "label": lab} for lab in ("ship", "boat", "vessel")]  # three names of one box: one object
    out = join_labels([[(k, o)] for k, o in enumerate(same)], same, lambda a, b: _iou(a, b, 0.0), extent, 0.5)
    assert [len(c) for c in out] == [3]


@pytest.mark.parametrize("view", ["t", "th", "tv", "thv"])
@pytest.mark.parametrize("text", ["The car on the left left.", "The car on the right left.",
                                  "Ships on the left left, one arrived."])
def test_a_departure_right_after_a_side_has_no_image_under_a_transpose(text, view):
    """The transpose said "The car on the left left." as "The car on the top left.", which reads (and was said
    back) as a corner: the car that left was asked of, and fused, as one parked in the top left corner."""
    assert tta.swap_words(text, view) is None
    assert tta.swap_words(text, view, back=True) is None  # a transposed view's answer so: the corner, said back
    assert tta.swap_words(text, "h") is not None  # a mirror keeps the side a side


@pytest.mark.parametrize("view", ["t", "th", "tv", "thv"])
def test_a_departure_after_a_transposed_part_of_the_image_is_kept(view):
    """"in the top part of the image left." (a transposed view's "in the left part …") was said back as "… in the
    left part of the image top.": after "top" a clause-ending "left" was read as a corner, though a noun came between."""
    text = "The ship in the left part of the image left."
    seen = tta.swap_words(text, view)
    assert seen.endswith(" part of the image left.") and tta.swap_words(seen, view, back=True) == text


def test_the_skipped_views_note_names_the_departure():
    from rsvlm.tta_words import unsaid_phrase

    assert unsaid_phrase("The car on the left left.", False) == "the question's 'left' under a transpose"
    assert tta.swap_words("The car on the top left.", "t") == "The car on the top left."  # a corner stays one


def _box(x: float, y: float, label: str = "building") -> dict:
    return {"kind": "box", "coords": [x, y, x + 20.0, y + 20.0], "label": label}


def test_a_ground_view_of_several_shapes_is_no_vote_beside_the_plain_answers_one():
    """[ground] 'The bus on the left.' on DOTA's P1888 with --tta dihedral: the plain answer's one box came back as 25
    of three classes, the other views' detections of everything fused with it as a [det] answer is."""
    plain = [_box(10, 10)]
    views = [plain, [_box(11, 10), _box(60, 60), _box(40, 5, "large vehicle")], [_box(10, 11)],
             [_box(70, 20), _box(5, 70)]]
    out = fusion.fuse(views, 96, 96, tta.FuseConfig(), one=True)
    assert len(out) == 1 and out[0]["label"] == "building" and abs(out[0]["coords"][0] - 10) < 1, out
    assert len(fusion.fuse(views, 96, 96, tta.FuseConfig())) > 1  # a question of several objects: fused as before
    left = fusion.other_kinds(views, ["h", "v", "hv"], one=True)
    assert left == [("h", "it holds 3 shapes, and the question asks for one object, as the plain answer gives"),
                    ("hv", "it holds 2 shapes, and the question asks for one object, as the plain answer gives")]
    from rsvlm.tta_text import unfused_note

    assert unfused_note(left, 3, True).startswith("test-time augmentation: 2 of 3 other view answers could not be "
                                                  "fused, left out of the vote (first: view 'h': it holds 3 shapes")
    nothing = [[], *views[1:]]  # a plain "None.": as before
    assert fusion.fuse(nothing, 96, 96, tta.FuseConfig(), one=True) == fusion.fuse(nothing, 96, 96, tta.FuseConfig())


def test_the_fused_note_quotes_a_plain_answer_of_words():
    """'[vqa] Is the bus on the left of the road?' on P1888 with --tta dihedral printed 'diagonal' and a note that
    the plain answer differs, never what it said."""
    from rsvlm.predict import fused_note

    assert fused_note(8, " No.\n") == ("the answer is fused over 8 --tta views; the plain view's own answer differs "
                                      "('No.'; --tta none gives it)")
    plain = "the answer is fused over 8 --tta views; the plain view's own answer differs (--tta none gives it)"
    assert fused_note(8, "<ref>ship</ref><box><loc_1><loc_1><loc_9><loc_9></box>") == plain  # shapes: not quoted
    assert fused_note(8, "word " * 20) == plain == fused_note(8)  # long text: not quoted
