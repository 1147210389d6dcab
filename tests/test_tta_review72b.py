"""Stop 72, round 2 review (area T, tta): training's view augmentation (``train.data.view_of``) reads a conversation's
earlier answer as its question asks (34ccd8ea: a turn's sense, an upstream "Up.", a row's "The first."), an answer's
"up the image" stays a way in the image under ``along``, and a question counting ships counts no rows."""

from __future__ import annotations

import pytest
from conftest import blank_image

from rsvlm.train.data import view_of
from rsvlm.tta_lines import counted_lines
from rsvlm.tta_words import swap_words


def _said(question: str, answer: str, view: str) -> list[str]:
    msgs = [{"role": "user", "content": f"<image>\n{question}"}, {"role": "assistant", "content": answer}]
    return [m["content"] for m in view_of(blank_image(), msgs, view)[1]]


@pytest.mark.parametrize("question, answer, said", [
    # a turn's sense: a mirror (v, t, and h·v·t) says a left turn a right one, a half or quarter turn keeps it
    ("[vqa] Does the road turn left or right?", "Left.", {"v": "Right.", "t": "Right.", "hv": "Left.", "ht": "Left."}),
    # upstream is no way in the image: augmented in every view (was taken as recorded under v and t)
    ("[vqa] Is the boat moving up or down the river?", "Up.", {"v": "Up.", "t": "Up.", "hv": "Up."}),
    # a row's bare ordinal: counted from the other end across the rows (v), a column's first under t
    ("[vqa] Which row has the most tanks?", "The first.", {"v": "The last.", "h": "The first.", "t": "The first."}),
    # a ship counted in order: no line, kept
    ("[vqa] Which is the first ship to dock?", "The first.", {"v": "The first.", "h": "The first."}),
])
def test_a_training_views_answer_is_said_as_its_question_asks(question, answer, said):
    """Training's views map an answer with its question (``tta_words.spellings``): before 34ccd8ea a transposed "Left."
    turn was trained as "Top." and a v-flipped one as "Left." (a right turn in that image)."""
    assert {v: _said(question, answer, v)[1] for v in said} == said


def test_a_training_view_of_an_upstream_conversation_is_augmented():
    """An upstream "Up." left the whole conversation unsaid in a top-bottom flip or transpose: taken as recorded, its
    "At the top." trained unflipped."""
    msgs = [{"role": "user", "content": "<image>\n[vqa] Is the boat moving up or down the river?"},
            {"role": "assistant", "content": "Up."}, {"role": "user", "content": "[vqa] Where is the bridge?"},
            {"role": "assistant", "content": "At the top."}]
    said = {v: [m["content"] for m in view_of(blank_image(), msgs, v)[1]][1::2] for v in ("v", "t", "hv")}
    assert said == {"v": ["Up.", "At the bottom."], "t": ["Up.", "At the left."], "hv": ["Up.", "At the bottom."]}


@pytest.mark.parametrize("view", ["v", "t"])
def test_an_answer_moving_up_the_image_is_no_upstream(view):
    """With ``along`` (the question asks "up or down the river") "Up." is upstream, but an answer's "moving up the
    image" is a way in it: a top-bottom flip or transpose kept it as written (a wrong training sample, a wrong vote)."""
    answer = "It is moving up the image."
    assert swap_words(answer, view, along=True) is None
    assert swap_words(answer, view, back=True, along=True) is None
    assert swap_words("Is the ship moving up the image?", view) is None  # was asked as written
    assert swap_words(answer, "h", along=True) == answer  # a left-right flip keeps up and down
    assert swap_words("Up the river, at the top.", "v", along=True) == "Up the river, at the bottom."
    msgs = [{"role": "user", "content": "<image>\n[vqa] Is the boat moving up or down the river?"},
            {"role": "assistant", "content": answer}]
    assert view_of(blank_image(), msgs, view)[1] == msgs  # taken as recorded


@pytest.mark.parametrize("question", ["Which is the first ship to dock?", "Which one is first?",
                                      "Which ship is first to dock, the first or the last?",
                                      "Is the first car in the queue larger than the last?"])  # a row's: tour74
def test_a_question_counting_other_things_counts_no_lines(question):
    """``counted_lines``: a bare ordinal counts ships here, never turned in a flip."""
    assert counted_lines(question) == ""
    assert swap_words(question, "v") == question
