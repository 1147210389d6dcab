"""Review 81 (RF) of tour 81 F's geometry changes.

``<pt>`` and ``<rbox>`` before location tokens were named with no tag (``<pt>``: "tags: <box>, …", too short for
difflib) or the wrong one (``<rbox>``, a rotated box, as ``<box>?``); other tools' spellings of a shape now name its
tag. A capitalised abbreviation of a place's name (``Mass. Ave``, ``Memorial Hosp. Helipad``) read as two sentences
once a capitalised word could end one: the label was dropped. The rules moved to ``rsvlm.geometry.wording`` (codec.py
stood at 497 of its 500 lines); codec's names for them still work.
"""
from __future__ import annotations

import pytest

from rsvlm import geometry
from rsvlm.geometry import codec, wording
from rsvlm.geometry.codec import caption_label

LOCS = "<loc_100><loc_200><loc_300><loc_400>"


@pytest.mark.parametrize("tag, meant", [("pt", "point"), ("pts", "point"), ("rbox", "obb"), ("rbbox", "obb"),
                                        ("oriented", "obb"), ("quad", "obb"), ("hbb", "box"), ("rect", "box"),
                                        ("polyline", "poly"), ("bx", "box"), ("boxes", "box"), ("Polygon", "poly")])
def test_other_spellings_of_a_shape_name_its_tag(tag, meant):
    dec = geometry.decode(f"<ref>car</ref> <{tag}> {LOCS}", 1000, 1000)
    assert dec.objects == []
    assert dec.problems[0] == f"<{tag}> is no tag (<{meant}>?): the location tokens after it are in no shape"
    assert dec.problems[1:] == [f"<loc_{v}> outside any shape; ignored" for v in (100, 200, 300, 400)]


@pytest.mark.parametrize("text", ["a <b>bold</b> word <loc_5>", "<ref>car</ref> <b> a car <loc_5>", "<BOX>" + LOCS,
                                  "<Grid>" + LOCS])
def test_no_misspelt_tag_is_said_where_none_ends_the_text_or_a_tag_in_other_case_does(text):
    problems = geometry.decode(text, 1000, 1000).problems
    assert problems and not any(" is no tag (" in p for p in problems), problems


@pytest.mark.parametrize("label", ["Mass. Ave bridge", "Memorial Hosp. Helipad", "Pennsylvania Tpke. Exit 5",
                                   "Jct. City rail yard", "Garden State Pkwy. North", "Sts. Peter and Paul Church"])
def test_a_capitalised_abbreviation_of_a_place_stays_a_label(label):
    assert not caption_label(label)
    assert geometry.decode(f"<ref>{label}</ref><point><loc_1><loc_1></point>", 10, 10).objects[0]["label"] == label
    assert geometry.decode(geometry.encode([{"kind": "point", "label": label, "coords": [1, 1]}], 10, 10),
                           10, 10).problems == []


@pytest.mark.parametrize("label", ["near the Harbor. Two ships", "the Port. There are ships", "a Pier! Three boats"])
def test_a_capitalised_word_still_ends_a_sentence(label):
    assert caption_label(label)


def test_codec_names_the_moved_rules():
    assert codec.caption_label is wording.caption_label and codec.MAX_LABEL_CHARS == 256
    assert codec.CAPTION_DROPPED == wording.CAPTION_DROPPED
