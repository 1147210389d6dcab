"""Tour 60 of test-time augmentation and answer fusion: tta.py's size, empty ``<ref></ref>`` labels in
fused answers, and compass words in other cases and forms."""

from __future__ import annotations

from pathlib import Path

import pytest

from rsvlm import tta, tta_views

REPO = Path(__file__).resolve().parents[1]


def test_tta_stays_small_and_its_view_pixels_are_still_importable_from_it():
    """tta.py had grown to 484 lines; the views' pixels moved to tta_views, and every name callers
    take from tta (tests, eval, predict, train) is still there, the same object."""
    assert len((REPO / "rsvlm" / "tta.py").read_text().splitlines()) < 430
    for name in ("crop_window", "crop_view", "flip_array", "unflip_array", "view_size", "to_view", "unflip",
                 "uncrop"):
        assert getattr(tta, name) is getattr(tta_views, name)


def _box(coords, label=None, score=None):
    o = {"kind": "box", "label": label, "coords": list(coords)}
    return o if score is None else {**o, "score": score}


def _views(*answers: str, w: int = 96, h: int = 96) -> list[list[dict]]:
    """Hand-written view answers (already in the image's frame), decoded as the fusion takes them."""
    from rsvlm import geometry

    return [geometry.decode(a, w, h).objects for a in answers]


LABELLED = "<ref>ship</ref><box><loc_104><loc_104><loc_312><loc_312></box>"
BARE = "<box><loc_104><loc_104><loc_312><loc_312></box>"  # the same ship, no label
SECOND = "<box><loc_520><loc_520><loc_729><loc_729></box>"


def test_a_view_that_gave_no_label_leaves_no_empty_ref_nor_a_second_copy_of_the_object():
    """[det] views of one ship, two with <ref>ship</ref> and two without: the fusion clustered by label,
    so the ship came out twice, the second copy under an empty <ref></ref>."""
    from rsvlm import fusion, geometry

    objs = fusion.fuse(_views(LABELLED, BARE, BARE, LABELLED), 96, 96, tta.FuseConfig(), many=True)
    text = geometry.encode(objs, 96, 96)
    assert "<ref></ref>" not in text and [o["label"] for o in objs] == ["ship"]


def test_a_single_shape_takes_the_label_most_views_gave_not_the_medoids_none():
    """[ground] the identity view (the medoid on a tie) gave no label, three views said "ship"."""
    from rsvlm import fusion

    objs = fusion.fuse(_views(BARE, LABELLED, LABELLED, LABELLED), 96, 96, tta.FuseConfig())
    assert [o["label"] for o in objs] == ["ship"]


def test_shapes_no_view_named_come_first_so_the_answer_holds_no_empty_ref():
    """Each view: a ship, then a shape none of them labelled. The codec writes <ref></ref> before an
    unlabelled shape after labelled ones; fused, the unlabelled one is written first instead."""
    from rsvlm import fusion, geometry

    objs = fusion.fuse(_views(LABELLED + "<ref></ref>" + SECOND, LABELLED + "<ref></ref>" + SECOND), 96, 96,
                       tta.FuseConfig())
    text = geometry.encode(objs, 96, 96)
    assert "<ref></ref>" not in text and text.startswith(SECOND)
    assert sorted((o["label"] or "") for o in geometry.decode(text, 96, 96).objects) == ["", "ship"]


def test_unlabelled_mask_votes_count_for_the_label_the_other_views_gave():
    """[seg] two of four views said <ref>water</ref>, two gave the same polygon unlabelled: per-label
    voting kept the pixels twice, as "water" and again unlabelled (after an empty <ref></ref>)."""
    from rsvlm import fusion, geometry

    poly = "<poly><loc_104><loc_104><loc_500><loc_104><loc_500><loc_500><loc_104><loc_500></poly>"
    objs = fusion.fuse(_views("<ref>water</ref>" + poly, poly, poly, "<ref>water</ref>" + poly), 96, 96, tta.FuseConfig())
    assert len(objs) == 1 and objs[0]["label"] == "water"
    assert "<ref></ref>" not in geometry.encode(objs, 96, 96)


def test_end_to_end_fused_det_answer_holds_no_empty_ref():
    """tta.fused_answers with a stand-in model: the plain view labels its ship, the mirror views find
    the same ship (where it lies in each) with no label."""
    import numpy as np

    from rsvlm import geometry
    from rsvlm.model import ImageInput

    ship = geometry.decode(LABELLED, 96, 96).objects
    views = list(tta.MODES["flip"][1:])  # asked in this order, one batch per view

    def generate(messages, images):
        view = views.pop(0)
        bare = [{**o, "label": None} for o in tta.to_view(ship, view, 96, 96)]
        return [(geometry.encode(bare, 96, 96), [])]

    msgs = [[{"role": "user", "content": "[det] Detect every ship."}]]
    image = [ImageInput(np.zeros((3, 96, 96), np.float32))]
    fused = tta.fused_answers(generate, msgs, [image], [(LABELLED, [])], tta.FuseConfig(views="flip"))
    assert views == [] and fused[0] is not None
    assert "<ref></ref>" not in fused[0].answer and [o["label"] for o in fused[0].objects] == ["ship"]


@pytest.mark.parametrize(("text", "view", "said"), [
    ("the ship in the north-East", "t", "the ship in the south-West"),  # was "south-west": the capital moved off
    ("the North-West corner", "h", "the North-East corner"),
    ("NORTH-WEST", "v", "SOUTH-WEST"),
    ("the ship NE of the pier", "t", "the ship SW of the pier"),
    ("heading NNE", "t", "heading WSW"),  # NNE (1 of 16) → 12 - 1: transposed, a heading just north of east
    ("the northwesterly road", "h", "the northeasterly road"),  # was left as it was, in every view
    ("the northeastward road", "v", "the southeastward road"),
    ("south-westerly", "t", "north-easterly"),  # was "east-northerly"
    ("north-eastward", "t", "south-westward"),  # was "west-southward"
    ("the E–W road", "h", "the W–E road"),  # en dash: was "the W–W road", the W taken for a name
    ("a N–S road", "v", "a S–N road"),  # was left as it was
    ("north–east", "t", "south–west"),  # was "west–south"
    ("an E – W runway", "h", "an W – E runway"),  # spaced: was left as it was
    ("the N - S road", "t", "the W - E road"),
])
def test_compass_words_in_any_case_hyphen_or_dash_and_every_heading_form(text, view, said):
    from rsvlm.tta_words import swap_words

    assert swap_words(text, view) == said
    assert swap_words(said, view, back=True) == text


@pytest.mark.parametrize("text", ["Building E", "to the ne", "Sw", "the S-shaped pier", "Building E - a large one"])
def test_names_and_lowercase_letters_are_no_compass_points(text):
    from rsvlm.tta_words import swap_words

    assert all(swap_words(text, v) == text for v in tta.DIHEDRAL)


def test_a_mirror_views_label_is_said_of_the_image_before_the_vote():
    """A [det] answer labelling its ship "left ship": the h view's answer, "right ship", was fused as
    another label, so the one ship came back twice, under two labels."""
    import numpy as np

    from rsvlm import geometry
    from rsvlm.model import ImageInput
    from rsvlm.tta_words import swap_words

    plain = "<ref>left ship</ref><box><loc_104><loc_104><loc_312><loc_312></box>"
    ship = geometry.decode(plain, 96, 96).objects
    views = list(tta.MODES["flip"][1:])

    def generate(messages, images):  # a model that names the ship as it sees it in each view
        view = views.pop(0)
        seen = [{**o, "label": swap_words(o["label"], view)} for o in tta.to_view(ship, view, 96, 96)]
        return [(geometry.encode(seen, 96, 96), [])]

    msgs = [[{"role": "user", "content": "[det] Detect every ship."}]]
    image = [ImageInput(np.zeros((3, 96, 96), np.float32))]
    fused = tta.fused_answers(generate, msgs, [image], [(plain, [])], tta.FuseConfig(views="flip"))
    assert [o["label"] for o in fused[0].objects] == ["left ship"]
