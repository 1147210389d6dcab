"""Tour 81 (F) of the geometry grammar: a misspelt tag is said, a capitalised word can end a caption's sentence.

``decode("<ref>ship</ref><bx><loc_1><loc_2><loc_3><loc_4></bx>")`` dropped the box and said only "<loc_1> outside any
shape" four times, nothing of ``<bx>``. A word in angle brackets right before location tokens is now named as no tag,
with the tag it may have meant (``<box>?``); elsewhere such a word (HTML's ``<b>``, a tokenizer's ``</s>``,
``<Boxes>``) stays plain text, as tour 77 decided.
``caption_label("near the Harbor. Two ships")`` was False: a capitalised word could not end a sentence.
"""
from __future__ import annotations

import pytest

from rsvlm import geometry
from rsvlm.data.records import RecordError, normalize_record
from rsvlm.geometry.codec import caption_label

LOCS = "<loc_100><loc_200><loc_300><loc_400>"


@pytest.mark.parametrize("tag, meant", [("bx", "<box>?"), ("bbox", "<box>?"), ("polygon", "<poly>?"), ("pont", "<point>?"),
                                        ("BX", "<box>?"), ("obbox", "<obb>?"), ("mark", "<mask>?"), ("rf", "<ref>?"),
                                        ("shape", "tags: <box>, <obb>, <point>, <poly>, <mask>")])
def test_a_misspelt_tag_before_locations_is_named(tag, meant):
    dec = geometry.decode(f"<ref>ship</ref><{tag}> {LOCS}</{tag}>", 1000, 1000)
    assert dec.objects == []  # not guessed into a shape: said
    assert dec.problems == [f"<{tag}> is no tag ({meant}): the location tokens after it are in no shape",
                            *(f"<loc_{v}> outside any shape; ignored" for v in (100, 200, 300, 400))]


@pytest.mark.parametrize("text", ["a <b>bold</b> word", "the port</s>", "<bos>a ship<eos>", "<pre>x</pre> <br> <p>",
                                  "<b>12, 13, 40, 50</b>", "<Boxes> in a caption", "<ref>ship</ref> <bx>",
                                  "<ref>ship</ref><box>" + LOCS + "</box>"])
def test_angle_bracket_words_without_locations_after_them_are_no_problem(text):
    assert geometry.decode(text, 100, 100).problems == []


def test_any_word_in_angle_brackets_before_locations_is_named():
    (named, *rest) = geometry.decode("<b>" + LOCS, 1000, 1000).problems
    assert named == "<b> is no tag (tags: <box>, <obb>, <point>, <poly>, <mask>): the location tokens after it are in no shape"
    assert len(rest) == 4


def test_a_tag_in_capitals_is_said_as_before_not_twice():
    dec = geometry.decode(f"<BOX>{LOCS}</BOX>", 1000, 1000)
    assert dec.problems[0] == "<BOX> is no tag: tags are lower case (<box>); read as text"
    assert sum("is no tag" in p for p in dec.problems) == 2  # <BOX> and </BOX>, not a third for <BOX> before locations


def test_a_record_with_a_misspelt_tag_is_refused_naming_it():
    rec = {"id": "r", "image": "a.png", "conversations": [
        {"from": "human", "value": "<image>\n[det] Detect every ship."},
        {"from": "gpt", "value": f"<ref>ship</ref><bx>{LOCS}</bx>"}]}
    with pytest.raises(RecordError, match=r"does not follow the grammar: <bx> is no tag \(<box>\?\): the location tokens"):
        normalize_record(rec, "t.jsonl:1")


@pytest.mark.parametrize("label", ["near the Harbor. Two ships are docked", "the Pier! Three boats", "Harbor. Two"])
def test_a_sentence_ending_on_a_capitalised_word_is_a_caption(label):
    assert caption_label(label)
    dec = geometry.decode(f"<ref>{label}</ref><point><loc_1><loc_1></point>", 10, 10)
    assert dec.objects[0]["label"] is None and dec.problems[0].endswith("the label dropped")


@pytest.mark.parametrize("label", ["Mrs. Smith's house", "Ave. Paulista", "Blvd. Haussmann", "Gen. Mitchell Airport",
                                   "Dulles Intl. Airport", "St. Louis airport", "Mt. Fuji", "U.S. Navy ship"])
def test_a_capitalised_abbreviation_before_a_name_stays_a_label(label):
    assert not caption_label(label)
    assert geometry.decode(f"<ref>{label}</ref><point><loc_1><loc_1></point>", 10, 10).objects[0]["label"] == label
