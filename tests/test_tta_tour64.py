"""Tour 64, answer decoding and TTA fusion (helper D): the text vote read as eval scores each task, worded
nones by task, label classes, and the grammar's task tags."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import blank_image, fused_text

from rsvlm import tta
from rsvlm.fusion import vote


def test_a_count_vote_reads_counts_as_eval_does():
    """[count] "3", "three" and "3 ships" were three answers: "4" twice outvoted a count of 3 said three ways
    (eval.counting reads all three as 3)."""
    assert fused_text("[count] How many ships?", "3 ships", ["three", "4", "4"]) == "3 ships"
    assert vote(["3", "three", "4", "4", "3 ships"], task="count") == "3"
    assert vote(["0", "None.", "There are no ships.", "2", "2"], task="count") == "0"  # all three read 0
    assert vote(["3", "three", "4", "4"]) == "4"  # untagged: words compared, no number words


def test_a_vqa_vote_folds_yes_no_replies_as_eval_does():
    """[vqa] "Yes." and "Yes, it is." were two answers: "No." twice outvoted yes said three ways."""
    assert fused_text("[vqa] Is there a harbour?", "Yes.", ["Yes, it is.", "No.", "No", "yes there is"]) == "Yes."
    assert vote(["No damage", "No.", "Yes", "Yes"], task="vqa") == "No damage"  # a yes/no question: "no"
    # no yes/no reply: "no damage" is a class name, and "None." is no vote for it (eval reads them apart)
    assert vote(["no damage", "None.", "minor damage", "minor damage"], task="vqa") == "minor damage"
    assert vote(["5", "5 ships", "five", "6", "6"], task="vqa") == "5"  # a whole number: read as a count
    assert vote(["2 km", "2 m", "3 m"], task="vqa") == "2 km"  # no whole number alone: words


def test_a_class_vote_reads_articles_as_eval_does():
    assert vote(["A church.", "school", "church", "school"], task="cls") == "A church."
    assert vote(["no damage", "None.", "None.", "minor damage"], task="cls") == "None."  # no none merged


def test_the_vote_reading_is_evals():
    """rsvlm.answer_text is eval.text's reading, moved into rsvlm for the vote: eval.text imports it from there (it
    held a copy, which the vote could drift from), so each of its names is answer_text's own object, and an answer
    reads alike through either."""
    from eval import text as eval_text
    from rsvlm import answer_text

    names = ["NUMBER_WORDS", "ARTICLES", "YES", "NO", "number_words", "strip_end_tokens", "caption_text",
             "normalize_answer", "is_yes_no", "whole_number", "parse_count"]
    assert [n for n in names if getattr(eval_text, n) is not getattr(answer_text, n)] == []
    assert sorted(eval_text.__all__) == sorted([*names, "unscored_why"])  # eval's own: why an answer is unscored
    assert eval_text.normalize_answer("Two hundred and five ships.<|im_end|>") == "205 ships"
    assert eval_text.parse_count("１,204 cars") == 1204 and eval_text.is_yes_no("No, there is none.")


@pytest.mark.parametrize("words", ["No change.", "There is no change.", "None."])
def test_a_change_answer_of_no_change_is_none(words):
    """[change] "No change." is an empty change map: a view drawing none in other words agrees with it."""
    assert fused_text("[change] Segment the changed buildings.", "No change.", [words, "No change.", "None."]) \
        == "No change."


def test_irregular_plurals_and_two_spellings_name_one_class():
    """DOTA and iSAID say "harbor", the synthetic scenes "harbour": two views of one harbour, one label each
    way, were two objects on one spot; "leaves" was "leave", never "leaf"."""
    from rsvlm import fusion
    from rsvlm.answer_words import label_key

    for a, b in [("harbour", "Harbors"), ("leaves", "leaf"), ("geese", "goose"), ("people", "person"),
                 ("fishermen", "fisherman"), ("grey roofs", "gray roof"), ("colour", "colors"), ("knives", "knife")]:
        assert label_key(a) == label_key(b), (a, b)
    assert label_key("harbor") != label_key("harbour crane") and label_key("leaf") != label_key("leave")
    box = {"kind": "box", "coords": [10.0, 10.0, 30.0, 30.0]}
    views = [[{**box, "label": "harbour"}], [{**box, "label": "harbor"}], [{**box, "label": "harbor"}]]
    out = fusion.fuse(views, 40, 40, tta.FuseConfig(), many=True)
    assert [o["label"] for o in out] == ["harbor"]


def test_a_small_wing_every_view_drew_stays_though_its_link_was_voted_out():
    """A 30 × 30 px building with a 3 × 3 px wing, linked by a 1-px walkway each view drew on another row:
    the walkway was voted out, and the wing, every view's pixels but 1 % of the instance each view drew it
    in, went as a sliver (min_piece); it is part of an instance each view agrees on."""
    from rsvlm import fusion, geometry

    def view(row):
        rect = [[5, 5], [35, 5], [35, row], [40, row], [40, 10], [43, 10], [43, 13], [40, 13], [40, row + 1],
                [35, row + 1], [35, 35], [5, 35]]
        return [{"kind": "poly", "label": "building", "coords": rect}]

    views = [view(r) for r in (10, 11, 12)]  # 2 of 3 views must draw a pixel
    out = fusion.fuse(views, 48, 48, tta.FuseConfig())
    wing = np.zeros((48, 48), bool)
    wing[10:13, 40:43] = True
    assert (geometry.objects_to_mask(out, 48, 48) & wing).sum() == 9
    assert len(out) == 2  # the building and its wing


def test_the_gap_two_views_drew_two_buildings_into_stays_no_building():
    """Two buildings 3 px apart; one view drew the left one 2 px wider, another the right one 2 px wider: the
    gap's middle column both cover is a sliver of no building any view drew, yet each instance it overlaps is
    mostly voted, so the wing rule (KEPT) kept it as a third building."""
    from rsvlm import fusion, geometry

    def rect(x0, x1):
        return {"kind": "poly", "label": "building", "coords": [[x0, 5], [x1, 5], [x1, 25], [x0, 25]]}

    left, right = rect(5, 25), rect(28, 48)
    views = [[rect(5, 27), right], [left, rect(26, 48)], [left, right]]  # 2 of 3 views must draw a pixel
    out = fusion.fuse(views, 56, 32, tta.FuseConfig())
    assert len(out) == 2
    assert not geometry.objects_to_mask(out, 56, 32)[:, 25:28].any()


@pytest.mark.parametrize("words", ["No ships are visible in this image.", "No ships were found in the image.",
                                   "No vessels could be found.", "Zero ships.", "No ships are in the image."])
def test_common_worded_nones_are_nones(words):
    """A [det] view answering "No ships are visible in this image." (a verb and a place both) was counted
    as "it answers in words, neither shapes nor none", and eval's worded-answers note counted it too."""
    from rsvlm.answer_words import says_none

    assert says_none(words)
    det = [[{"role": "user", "content": "<image>\n[det] Detect every ship."}]]
    (fused,) = tta.fused_answers(lambda m, i: [(words, [])], det, [blank_image()], [("None.", [])])
    assert (fused.answer, fused.note) == ("None.", None)


@pytest.mark.parametrize("words", ["No ships are white.", "No, there are 3 ships.", "Zero", "0", "No idea.",
                                   "Zero-emission bus.", "A zero-energy building.", "No ships are visible, but 3 planes are."])
def test_answers_that_are_no_worded_none_stay_words(words):
    from rsvlm.answer_words import says_none

    assert says_none(words) is (words == "Zero")


def test_a_mirror_view_turns_the_sense_of_a_rotation():
    """"Is the ship rotated clockwise from the pier?" was asked unchanged of the mirror views, where the
    ship is rotated counterclockwise: each view answered of another rotation."""
    q = "Is the ship rotated clockwise or anti-clockwise from the pier?"
    assert tta.swap_words(q, "h") == "Is the ship rotated counterclockwise or clockwise from the pier?"
    assert tta.swap_words(q, "hv") == q  # a half turn
    for view in tta.DIHEDRAL:
        said = tta.swap_words("Counterclockwise.", view)
        assert tta.swap_words(said, view, back=True) == "Counterclockwise.", view


@pytest.mark.parametrize("said", ["Anticlockwise.", "Counter-clockwise.", "counter clockwise"])
def test_a_turn_keeps_a_rotation_word_as_written_and_a_mirror_reads_two_words_as_one(said):
    """Step by step, a half or quarter turn (two mirrors) gave "Anticlockwise." back as "Counterclockwise.", no
    vote for the plain view's same answer; and a mirror made "counter clockwise" "counter counterclockwise"."""
    for view in ("hv", "th", "tv"):
        assert tta.swap_words(said, view) == said and tta.swap_words(said, view, back=True) == said, view
    for view in ("h", "v", "t", "thv"):
        assert tta.swap_words(said, view).lower().rstrip(".") == "clockwise", view
    assert vote([said, tta.swap_words(said, "hv", back=True), "Clockwise."]) == said
