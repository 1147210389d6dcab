"""Tour 63 of test-time augmentation, answer decoding and the geometry grammar: tta.py's size, worded
"no objects" answers, class synonyms, snake_case labels."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rsvlm import tta, tta_text

REPO = Path(__file__).resolve().parents[1]


def test_tta_has_room_and_its_view_messages_are_still_importable_from_it():
    """tta.py sat at 428 of its 430 lines; the views' messages moved to tta_text, every name callers
    take from tta (tests, train.data, chat) still there, the same object."""
    assert len((REPO / "rsvlm" / "tta.py").read_text().splitlines()) < 400
    for name in ("SPAN", "croppable", "crop_messages", "flip_view", "map_text", "shapes_only", "labels_back"):
        assert getattr(tta, name) is getattr(tta_text, name)


NONE_SAID = ["None.", "none", "There are no ships.", "<ref>ship</ref> None.", "No objects found.", "Nothing.",
             "no white planes detected", "None found.", "There are none in the image.", "not found"]
WORDS_SAID = ["", "No.", "No, there are 3 ships.", "None of the ships is white.", "0", "2 ships", "Harbour",
              "no it is not", "<ref>ship</ref>"]


@pytest.mark.parametrize("text", NONE_SAID)
def test_a_worded_none_is_read_as_none(text):
    """Free decoding writes "none" many ways; how it was read was guesswork (answering: "None." only)."""
    from rsvlm.answer_words import says_none

    assert says_none(text)


@pytest.mark.parametrize("text", WORDS_SAID)
def test_other_words_are_not_none(text):
    """A yes/no "No.", a number, "none of the ships is white", an empty answer: not "found none"."""
    from rsvlm.answer_words import says_none

    assert not says_none(text)


def test_a_text_vote_counts_every_worded_none_as_one_answer():
    """Views answered "None." and "There are no ships."; the vote read them as two answers, and the
    identity's lone "harbour" won the tie."""
    from rsvlm import fusion

    assert fusion.vote(["harbour", "None.", "There are no ships."]) == "None."
    assert fusion.vote(["harbour", "No.", "none"]) == "harbour"  # a yes/no "No." is no "none"


def _ship_views(answers: dict[str, str]):
    """An answerer that answers ``answers[view]`` on each mirror view (asked in VIEWS order)."""
    views = list(tta.VIEWS)

    def generate(messages, images):
        view = views.pop(1)
        return [(answers[view], []) for _ in messages]

    return generate


def test_a_detection_view_answering_in_words_is_counted_not_read_as_none_silently():
    """[det] a view answered "There are 3 ships." (no shape): it was silently a view that found nothing;
    a view's worded "none" still is one, and neither is fused as a shape."""
    from rsvlm import geometry
    from rsvlm.model import ImageInput

    image = [ImageInput(np.zeros((3, 40, 40), np.float32))]  # (C,H,W)
    box = "<ref>ship</ref><box><loc_100><loc_125><loc_350><loc_300></box>"
    det = [[{"role": "user", "content": "<image>\n[det] Detect every ship."}]]
    mirrored = geometry.encode(tta.to_view(geometry.decode(box, 40, 40).objects, "hv", 40, 40), 40, 40)
    said = {"h": "There are 3 ships.", "v": "There are no ships.", "hv": mirrored}
    fused = tta.fused_answers(_ship_views(said), det, [image], [(box, [])], tta.FuseConfig())[0]
    assert len(geometry.decode(fused.answer, 40, 40).objects) == 1
    assert fused.note == ("test-time augmentation: 1 of 3 other view answers could not be fused, each counted "
                          "as finding nothing (first: view 'h': it answers in words, neither shapes nor none)")


def _labelled(*labels: str) -> list[list[dict]]:
    from rsvlm import geometry

    return [geometry.decode(f"<ref>{lab}</ref><box><loc_104><loc_104><loc_312><loc_312></box>", 96, 96).objects
            for lab in labels]


def test_one_tank_spelled_snake_case_spaced_capitalised_or_plural_is_one_object():
    """[det] views labelled one tank "storage_tank", "storage tank", "Storage tank", "storage tanks": the
    fusion compared labels exactly and wrote four tanks on one spot (eval's norm_label calls them one class)."""
    from rsvlm import fusion

    objs = fusion.fuse(_labelled("storage_tank", "storage tank", "Storage tank", "storage tanks"), 96, 96,
                       tta.FuseConfig(), many=True)
    assert [o["label"] for o in objs] == ["storage_tank"]  # the class most views named, its first spelling (a tie)
    single = fusion.fuse(_labelled("storage tank", "storage_tank", "storage_tank", "ship"), 96, 96, tta.FuseConfig())
    assert [o["label"] for o in single] == ["storage_tank"]  # 3 of 4 named the tank, 2 of them so


def test_a_synonym_is_not_mapped_two_labels_stay_two_classes():
    """Decided: no class list reaches the fusion, so "vessel" is not "ship" (a ship in a harbour of boats
    is two objects); eval counts an unknown class (n_det_unknown_class)."""
    from rsvlm import fusion
    from rsvlm.answer_words import label_key

    assert label_key("vessel") != label_key("ship") and label_key("airplanes") == label_key("Airplane")
    # one view that drew both told two objects apart (stop 78: two views naming one box differently are one object,
    # named as the plain view named it on a tie, fusion_labels)
    both = [_labelled("ship")[0] + _labelled("vessel")[0]] * 2
    assert sorted(o["label"] for o in fusion.fuse(both, 96, 96, tta.FuseConfig(), many=True)) == ["ship", "vessel"]
    assert [o["label"] for o in fusion.fuse(_labelled("ship", "vessel"), 96, 96, tta.FuseConfig(), many=True)] == ["ship"]


def test_one_building_mask_labelled_singular_and_plural_is_one_mask():
    """[seg] two views said "building", two "buildings": each spelling was voted apart, both reached half
    the views, and the answer held the same building twice under two labels."""
    from rsvlm import fusion, geometry

    mask = np.zeros((32, 32), bool)
    mask[4:20, 6:22] = True
    views = [geometry.mask_to_objects(mask, lab, form="poly", budget=32)
             for lab in ("building", "buildings", "building", "buildings")]
    out = fusion.fuse(views, 32, 32, tta.FuseConfig())
    assert [o["label"] for o in out] == ["building"]
    np.testing.assert_array_equal(geometry.objects_to_mask(out, 32, 32), mask)


def test_a_label_holding_a_task_tag_is_a_decode_problem_not_a_crash_of_the_fused_run():
    """A freely decoded "<ref>[det] ship</ref><box>…" decoded clean, so --tta fused it and re-encoding the
    label (which encode refuses: a prompt token) raised, ending the whole eval run."""
    from rsvlm import geometry
    from rsvlm.model import ImageInput

    answer = "<ref>[det] ship</ref><box><loc_100><loc_125><loc_350><loc_300></box>"
    dec = geometry.decode(answer, 40, 40)
    assert dec.objects[0]["label"] == "[det] ship"
    assert dec.problems == ["<ref>[det] ship</ref> holds the prompt token [det]; kept as its label"]
    det = [[{"role": "user", "content": "<image>\n[det] Detect every ship."}]]
    image = [ImageInput(np.zeros((3, 40, 40), np.float32))]  # (C,H,W)
    assert tta.fused_answers(lambda m, i: [(answer, [])] * len(m), det, [image], [(answer, [])]) == [None]


def test_a_worded_plain_detection_answer_the_views_replace_is_said_in_the_note():
    """[det] the plain answer "There are 3 ships." (free decoding) was silently a view that found nothing,
    and the fused answer showed the views' boxes with no word that the plain answer said otherwise."""
    from rsvlm import geometry
    from rsvlm.model import ImageInput

    image = [ImageInput(np.zeros((3, 40, 40), np.float32))]  # (C,H,W)
    ship = geometry.decode("<ref>ship</ref><box><loc_100><loc_125><loc_350><loc_300></box>", 40, 40).objects
    det = [[{"role": "user", "content": "<image>\n[det] Detect every ship."}]]
    said = {v: geometry.encode(tta.to_view(ship, v, 40, 40), 40, 40) for v in tta.VIEWS[1:]}
    fused = tta.fused_answers(_ship_views(said), det, [image], [("There are 3 ships.", [])], tta.FuseConfig())[0]
    assert len(fused.objects) == 1
    assert fused.note == ("test-time augmentation: the plain answer 'There are 3 ships.' holds no shape and does not "
                          "say it found none; counted as finding nothing, the views' shapes answer")
    none = tta.fused_answers(_ship_views(said), det, [image], [("There are no ships.", [])], tta.FuseConfig())[0]
    assert len(none.objects) == 1 and none.left_out == 0  # a worded none: outvoted as "None." is, no answer left out
    assert none.note == ("test-time augmentation: the plain answer said none ('There are no ships.'), but the other "
                         "views found some: 1 shape fused in its place")


def test_a_snake_case_class_answer_votes_with_its_spaced_words():
    """[cls] views answered "tennis_court" and "Tennis court": "_" is a word character, so the vote read
    two answers and the identity's lone "harbour" won the tie."""
    from rsvlm import fusion

    assert fusion.vote(["harbour", "tennis_court", "Tennis court."]) == "tennis_court"


@pytest.mark.parametrize("pair", [("house", "houses"), ("Golf course", "golf courses"), ("warehouse", "warehouses"),
                                  ("base", "bases"), ("tie", "ties"), ("bus", "buses"), ("glass", "glasses"),
                                  ("ship", "Ships"), ("harbour", "harbours"), ("tennis court", "tennis_courts"),
                                  ("ferry", "ferries"), ("volcano", "volcanoes"), ("péniche", "pe\u0301niches")])
def test_a_singular_and_its_plural_are_one_class(pair):
    """label_key read "houses" as "hous" and "house" as "house" (a plural in -ses of a singular in -se is no
    bus/buses), so one house labelled both ways was two objects; "ties" was "ty"; a decomposed accent
    (macOS) was another class, where eval's norm_label NFKC-normalises."""
    from rsvlm.answer_words import label_key

    assert label_key(pair[0]) == label_key(pair[1])


def test_one_house_labelled_singular_and_plural_is_one_object():
    from rsvlm import fusion

    objs = fusion.fuse(_labelled("house", "houses", "houses", "house"), 96, 96, tta.FuseConfig(), many=True)
    assert [o["label"] for o in objs] == ["house"]


@pytest.mark.parametrize("text", ["No, commercial.", "No, industrial area", "No. Ships.", "No; left.",
                                  "No ships but planes", "no cars except buses"])
def test_a_no_answer_followed_by_other_words_is_not_none(text):
    """"No, commercial." (a yes/no reply and what it is instead) lost its comma to the normalising and read
    as "no commercial", a worded none like "no ships"; "no ships but planes" was a three-word noun phrase."""
    from rsvlm.answer_words import says_none

    assert not says_none(text)


def test_two_different_no_replies_do_not_outvote_a_third_answer_as_one_none():
    from rsvlm import fusion

    assert fusion.vote(["harbour", "No, industrial.", "No, commercial."]) == "harbour"


@pytest.mark.parametrize("text", ["No buildings were detected.", "No ship is visible.", "No objects are present."])
def test_a_worded_none_with_its_verb_is_none(text):
    from rsvlm.answer_words import says_none

    assert says_none(text)


def test_the_text_vote_reads_a_decomposed_accent_as_the_composed_one():
    """"Cafe\u0301" (e + combining accent, as macOS writes it) lost its accent to the punctuation step and
    was another answer than "Café"; eval NFKC-normalises answers."""
    from rsvlm import fusion

    assert fusion.vote(["port", "Cafe\u0301.", "café"]) == "Cafe\u0301."
    assert fusion.vote(["port", "Ｙｅｓ", "yes"]) == "Ｙｅｓ"
