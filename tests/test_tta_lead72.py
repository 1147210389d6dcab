"""Stop 72, round 2 (area T, tta): a fused answer says whether the token limit is known to have cut one of its
answers (``Fused.cut_known``), a bare "which row" is a transpose's "which column", a bare ordinal answer ("The
first.") to a question counting rows is turned back under a flip, "flow up or down the image" is a way in it, and the
wording of counts ("1 value", "2 shapes")."""

from __future__ import annotations

import pytest
from conftest import blank_image

from rsvlm import tta
from rsvlm.answering import Answer
from rsvlm.tta_words import swap_words

VIEWS = ("h", "v", "hv", "t", "th", "tv", "thv")


@pytest.mark.parametrize("known", [True, False])
def test_a_fused_answer_says_whether_a_view_answer_was_known_to_be_cut(known):
    """A view answer the limit was known to cut (``Answer.cut_known``) was fused as only "cut": predict and chat could
    say no more than "may be cut" of it."""
    msgs = [[{"role": "user", "content": "<image>\n[vqa] What is the main land cover?"}]]

    def views(m, i):
        return [Answer("Forest.", [], cut=True, cut_known=known)] * len(m)

    (fused,) = tta.fused_answers(views, msgs, [blank_image()], [Answer("Forest.", [])], tta.FuseConfig(views="flip"))
    assert fused.cut and fused.cut_known is known
    assert fused.as_answer().cut_known is known
    (plain,) = tta.fused_answers(lambda m, i: [Answer("Forest.", [])] * len(m), msgs, [blank_image()],
                                 [Answer("Forest.", [], cut=True, cut_known=True)], tta.FuseConfig(views="flip"))
    assert plain.cut and plain.cut_known  # the plain answer's own flag carried too


def test_counts_say_1_or_n_of_a_thing():
    """"1 shape(s)", "2 other value(s)" (of a mask's pixels), "2 vertex(es)", "1 other view(s)", "of 1 other view
    answer(s)": now "1 shape", "1 pixel of another value", "2 pixels", "2 vertices", "1 other view", "answer"."""
    from rsvlm.fusion import voted_out
    from rsvlm.geometry.masks import mask_fault

    box = {"kind": "box", "coords": [1, 1, 9, 9]}
    assert "the plain answer's 1 shape, voted out" in voted_out([[box], [], []], tta.FuseConfig(min_views=2))
    assert "the plain answer's 2 shapes, voted out" in voted_out([[box, box], [], []], tta.FuseConfig(min_views=2))
    assert "it has 1 pixel of another value (0.5; nor" in str(mask_fault([[0.0, 0.5]]))
    assert "it has 2 pixels of other values (e.g. 0.25; nor" in str(mask_fault([[0.25, 0.5]]))
    assert tta.skipped_note(["c0"], 3).startswith("test-time augmentation: 1 other view not asked, 2 asked")
    assert tta.skipped_note(["c0", "c1"], 3).startswith("test-time augmentation: 2 other views not asked, 1 asked")
    msgs = [[{"role": "user", "content": "<image>\n[vqa] Is there a ship?"}]]
    (fused,) = tta.fused_answers(lambda m, i: [("<box><loc_1><loc_1></box>", [])] * len(m), msgs, [blank_image()],
                                 [("Yes.", [])], tta.FuseConfig(views=("", "h")))
    assert fused.note.startswith("test-time augmentation: 1 of 1 other view answer could not be fused"), fused.note
    from rsvlm import geometry  # "<poly> has 2 vertex(es)"

    assert "<poly> has 1 vertex, fewer" in geometry.decode("<poly><loc_1><loc_2></poly>", 96, 96).problems[0]
    assert "<poly> has 2 vertices, fewer" in geometry.decode("<poly><loc_1><loc_2><loc_3><loc_4></poly>", 96, 96).problems[0]


def _depth(text: str) -> int:
    """The deepest nesting of parentheses in ``text``."""
    depth = most = 0
    for c in text:
        depth += (c == "(") - (c == ")")
        most = max(most, depth)
    return most


@pytest.mark.parametrize("question", ["[det] Detect the ships north of the pier.",
                                      "[regcap] <box><loc_10><loc_10><loc_40><loc_40></box>"])
def test_the_crops_note_nests_no_parentheses(question):
    """"… whose answer is boxes (the question's 'north' may name …))": the reason sat in parentheses inside the
    note's own."""
    box = "<ref>ship</ref><box><loc_10><loc_10><loc_40><loc_40></box>"
    msgs = [{"role": "user", "content": f"<image>\n{question}"}]
    note = tta.no_view_note(msgs, blank_image(), (box, [0.5]), tta.FuseConfig(views="crops"))
    assert "whose answer is boxes: " in note and _depth(note) == 1, note



@pytest.mark.parametrize("question", ["[vqa] Does the river flow up or down the image?", "[vqa] Is the river flowing up?",
                                      "[vqa] Is the plane flying down or up?", "[vqa] Does the road run up or down?"])
def test_up_or_down_after_a_verb_of_moving_skips_the_views_that_cannot_say_it(question):
    """"flow" was no verb of ``_UPDOWN``: a top-bottom flip and a transpose were asked it as written, of the other way,
    their "Up." left out of the vote (views wasted)."""
    from rsvlm.tta_words import unsaid_word

    assert swap_words(question, "h") == question
    assert all(swap_words(question, v) is None for v in VIEWS if v != "h")
    assert unsaid_word(question, way=True) in ("up", "down")
    along = "[vqa] Does the river flow up or down the valley?"  # upstream or down: asked of every view
    assert all(swap_words(along, v) == along for v in VIEWS)


@pytest.mark.parametrize("question, t", [
    ("[vqa] Which row has the most tanks?", "[vqa] Which column has the most tanks?"),
    ("[vqa] How many cars are in each Column?", "[vqa] How many cars are in each Row?"),
    ("[vqa] Is the truck in the same row as the tank?", "[vqa] Is the truck in the same column as the tank?"),
    ("[vqa] Which of the rows is the longest?", "[vqa] Which of the columns is the longest?")])
def test_a_row_picked_by_a_word_before_it_is_a_transposes_column(question, t):
    """"Which row has the most tanks?" was asked of a transpose as written: its "The first row." came back as "The
    first column." and voted against the plain answer."""
    for view in VIEWS:
        said = swap_words(question, view)
        assert said == (t if "t" in view else question), (view, said)
        assert swap_words(said, view, back=True) == question
    for kept in ("[vqa] How many rows of containers are there?", "[vqa] Are the cars parked in a row?",
                 "[vqa] Which row from the top has the most tanks?", "[vqa] Which row crops grow here?",
                 "[vqa] What row spacing do the vines have?"):  # a row of things; a side's row turns with it
        assert swap_words(kept, "t").count("row") == kept.count("row") - ("from the top" in kept)


def test_a_which_row_answer_of_each_view_is_voted_as_the_image_row():
    """Each view's answer names the image's first row as that view sees it: its first row, its last (a top-bottom
    flip), its first or last column (a transpose); mapped back, all 7 outvote a wrong plain answer. They were asked
    "Which row" under a transpose, and their "The last." said back as written."""
    msgs = [[{"role": "user", "content": "<image>\n[vqa] Which row has the most tanks, the first or the last?"}]]
    asked: list[str] = []

    def answer(messages, images):  # the image's first row, as the view's question lists it: first, or last
        asked.extend(m[-1]["content"] for m in messages)
        return [("The first." if (q := m[-1]["content"]).index("first") < q.index("last") else "The last.", [])
                for m in messages]

    (fused,) = tta.fused_answers(answer, msgs, [blank_image()], [("The last.", [])], tta.FuseConfig(views="dihedral"))
    assert fused.answer == "The first." and fused.note is None and fused.answers == 8, fused
    assert "<image>\n[vqa] Which column has the most tanks, the first or the last?" in asked
    assert "<image>\n[vqa] Which row has the most tanks, the last or the first?" in asked


@pytest.mark.parametrize("question, answer, back", [
    ("Which row has the most tanks?", "The first.", {"v": "The last.", "h": "The first.", "th": "The last.",
                                                      "t": "The first.", "hv": "The last."}),
    ("Is the first or the last column busier?", "The second-to-last one.",
     {"h": "The second one.", "v": "The second-to-last one.", "t": "The second-to-last one.", "tv": "The second one."}),
])
def test_a_bare_ordinal_answer_is_counted_back_from_the_other_end_under_a_flip(question, answer, back):
    """"The first." to "Which row has the most tanks?" was said back as written from a top-bottom flip, whose first
    row is the image's last; one counting ships ("which ship") is no row's."""
    from rsvlm.tta_words import spellings

    for view, said in back.items():
        assert swap_words(answer, view, back=True, **spellings(None, f"[vqa] {question}")) == said, view
        assert swap_words(said, view, lines=spellings(None, question)["lines"]) == answer, view  # and into the view


def test_a_chats_earlier_bare_ordinal_answer_is_said_of_the_view():
    """A conversation's earlier answer "The first." (to "Which row …?") was kept as written in a top-bottom flip."""
    from rsvlm.tta_text import flip_view

    msgs = [{"role": "user", "content": "<image>\n[vqa] Which row has the most tanks?"},
            {"role": "assistant", "content": "The first."}, {"role": "user", "content": "[vqa] How many?"}]
    _, said = flip_view(blank_image(), msgs, "v")
    assert said[1]["content"] == "The last."
    _, said = flip_view(blank_image(), msgs, "h")
    assert said[1]["content"] == "The first."


def test_the_areas_modules_import_no_private_name():
    """tta_words and tta_senses imported ``_words``, ``_side_words``, ``_EDGE``, ``_sense``, ``_departed``, …, and tta
    ``tta_text._view_messages``: a name shared across modules is public."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "rsvlm"
    files = [*root.glob("tta*.py"), *root.glob("fusion*.py"), *(root / "geometry").glob("*.py")]
    private = [(f.name, a.name) for f in files for node in ast.walk(ast.parse(f.read_text()))
               if isinstance(node, ast.ImportFrom) for a in node.names if a.name.startswith("_") and a.name != "__future__"]
    assert len(files) > 10 and private == []


@pytest.mark.parametrize("question, v", [
    ("[vqa] Which row is longer: first or last?", "[vqa] Which row is longer: last or first?"),
    ("[vqa] Which row? First, second or last?", "[vqa] Which row? Last, second-to-last or first?"),
    ("[vqa] Which row is empty, the first, the second or the last?",
     "[vqa] Which row is empty, the last, the second-to-last or the first?"),
    ("[vqa] First, which row has the most tanks?", "[vqa] First, which row has the most tanks?")])  # no option
def test_a_questions_bare_options_count_its_rows_from_the_other_end_in_a_flip(question, v):
    """The options of "Which row …, the first or the second?" were asked as written of a top-bottom flip: two other
    rows of the image. A colon's "first or last" had its "last" turned alone ("first or first")."""
    assert swap_words(question, "v") == v
    assert swap_words(question, "h") == question


@pytest.mark.parametrize("question, answer, view, said", [
    ("[vqa] Does the road turn left or right?", "Left.", "t", "Right."),  # a transpose mirrors a turn's sense
    ("[vqa] Is the boat moving up or down the river?", "Up.", "v", "Up."),  # upstream in every view
])
def test_a_chats_earlier_answer_is_said_of_the_view_as_its_question_asks(question, answer, view, said):
    """An earlier answer was mapped alone: a turn's "Left." said "Top." in a transpose, and "Up." (upstream) left the
    conversation unsaid in a top-bottom flip (the view not asked; a training sample taken as recorded)."""
    from rsvlm.tta_text import flip_view

    msgs = [{"role": "user", "content": f"<image>\n{question}"}, {"role": "assistant", "content": answer},
            {"role": "user", "content": "[vqa] Is it paved?"}]
    _, turns = flip_view(blank_image(), msgs, view)
    assert turns[1]["content"] == said
