"""Tour 76 (tta): the kind most of a record's answers agree on leads its fusion (7 of 8 views' "3" against the plain
answer's boxes were left out), said in the note; "Is the second damaged?" and "Which ship is first in the line?" count
things in the view's own order, so no mirror view is asked them, and the note names the ordinal; the verbs that make a
"left" a side are the shared travel verbs, one list."""

from __future__ import annotations

import pytest
from conftest import blank_image
from test_tta_lead73 import Views

from rsvlm import geometry, tta
from rsvlm.tta_lines import TRAVEL_VERBS, ordered
from rsvlm.tta_senses import is_remaining, is_towards
from rsvlm.tta_text import view_messages, views_left_out
from rsvlm.tta_words import unsaid_phrase

COUNT = [[{"role": "user", "content": "<image>\n[count] How many ships are there?"}]]
BOX = geometry.encode([{"kind": "box", "label": "ship", "coords": [20.0, 20.0, 30.0, 28.0]}], 48, 48)
MIRRORS = ("h", "v", "t", "hv", "th")


def _fused(plain: str, said: dict, mode: str = "dihedral"):
    views = tta.DIHEDRAL if mode == "dihedral" else tta.VIEWS
    return tta.fused_answers(Views([], 48, 48, views, said), COUNT, [blank_image(48, 48)], [(plain, [])],
                             tta.FuseConfig(views=mode))[0]


def test_seven_of_eight_views_words_outvote_the_plain_boxes():
    fused = _fused(BOX, {v: "3" for v in tta.DIHEDRAL[1:]})
    assert fused.answer == "3" and fused.objects is None  # was the plain answer's box, the 7 words left out
    assert fused.note == ("test-time augmentation: 7 of the 8 answers were in words, against the plain answer's boxes: "
                          f"the words lead, voted ({', '.join(map(repr, tta.DIHEDRAL[1:]))}); the plain answer left out")
    assert fused.left_out == 1 and fused.answers == 8 and views_left_out(fused.note, fused.left_out)


def test_half_the_answers_leave_the_plain_kind_leading():
    fused = _fused(BOX, {"h": "3", "v": "3"}, "flip")  # 2 of 4: no majority
    assert fused.objects and fused.objects[0]["kind"] == "box"
    assert "it answers in words" in fused.note and "lead" not in fused.note
    words = _fused(BOX, {"h": "3", "v": "3", "hv": "three"}, "flip")  # 3 of 4, "three" read as 3 ([count])
    assert words.objects is None and words.answer in ("3", "three") and "3 of the 4 answers were in words" in words.note


def test_words_never_lead_a_shape_question_nor_shapes_a_word_answer():
    det = [[{"role": "user", "content": "<image>\n[det] Detect every ship."}]]
    fused = tta.fused_answers(Views([], 48, 48, tta.VIEWS, {v: "A ship." for v in tta.VIEWS[1:]}), det,
                              [blank_image(48, 48)], [(BOX, [])])[0]
    assert fused.objects is not None and "lead" not in (fused.note or "")  # words are no [det] answer
    assert _fused("3", {v: BOX for v in tta.VIEWS[1:]}, "flip").answer == "3"  # boxes are no count


@pytest.mark.parametrize("question, word", [("[vqa] Is the second damaged?", "the second"),
                                            ("[vqa] Which ship is first in the line?", "first"),
                                            ("[vqa] Is the last in the row moored?", "the last")])
def test_an_ordinal_of_no_noun_is_asked_of_no_mirror_view(question, word):
    assert ordered(question).group(0) == word  # was "the second damaged", a noun
    msgs = [{"role": "user", "content": f"<image>\n{question}"}]
    assert all(view_messages(msgs, v, 48, 48) is None for v in MIRRORS)  # "first in the line": was asked as written
    assert unsaid_phrase(question, True) == (f"the question's {word!r} under any mirror view, which counts them in "
                                             "another order: say from which side")  # was "under a flip"


@pytest.mark.parametrize("question", ["[vqa] Which ship is first in line?", "[vqa] Which ship is first to dock?",
                                      "[vqa] Which image is first?", "[vqa] Is the second largest?",
                                      "[vqa] Which ship is first in the line from the left?"])
def test_an_ordinal_every_view_keeps_is_still_asked(question):
    msgs = [{"role": "user", "content": f"<image>\n{question}"}]
    assert ordered(question) is None and view_messages(msgs, "t", 48, 48) is not None


def test_the_verbs_that_make_left_a_side_are_the_travel_verbs():
    import re

    for verb in ("flying", "headed", "traveling", "drives", "sailed", "drifting", "runs", "flows"):
        assert re.fullmatch(TRAVEL_VERBS, verb) and is_towards(verb), verb
    assert is_towards("facing") and not is_towards("is")
    q = "How many cars are driven left?"
    assert not is_remaining(q, q.index("left"), len(q) - 1)  # a side: was "left" as remaining ("driven" not in _TOWARDS)


@pytest.mark.parametrize("question", ["Is the second damaged?", "Is the second one damaged?",
                                      "Which ship is first in the line?"])
def test_the_modality_annotation_is_no_image_named(question):
    """Chat and predict ask "optical image: <image>\\n…" (``annotate_modality``): its "image" was read as the question
    naming an image, and "the second one" of it as the second image, asked of every mirror view as written."""
    text = f"optical image: <image>\n[vqa] {question}"
    assert ordered(text) is not None
    assert all(view_messages([{"role": "user", "content": text}], v, 48, 48) is None for v in MIRRORS)
    assert ordered("optical image: <image>\n[vqa] Is the first image cloudier than the second one?") is None
