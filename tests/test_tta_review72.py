"""Review of stop 72 (area T, tta): a list of ordinal rows ("the first and second rows") turned whole in a flip, a row
named by a number after it ("row 3") a transpose's column and skipped in a flip across it, "up or down the left side
of the image" still a way in the image, and rsvlm.tta_lines importing no private name."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from conftest import blank_image

from rsvlm import tta
from rsvlm.tta_words import swap_words

VIEWS = ("h", "v", "hv", "t", "th", "tv", "thv")


@pytest.mark.parametrize("question, said", [
    # "the first and second rows" was a top-bottom flip's "the first and second-to-last rows": its "first" kept
    ("[det] the tanks in the first and second rows", ["first and second rows", "last and second-to-last rows",
                                                      "last and second-to-last rows", "first and second columns",
                                                      "last and second-to-last columns", "first and second columns",
                                                      "last and second-to-last columns"]),
    ("[det] the second and the third columns", ["second-to-last and the third-to-last columns",
                                                 "second and the third columns",
                                                 "second-to-last and the third-to-last columns",
                                                 "second and the third rows", "second and the third rows",
                                                 "second-to-last and the third-to-last rows",
                                                 "second-to-last and the third-to-last rows"]),
    ("[det] the second, third or last column", ["second-to-last, third-to-last or first column",
                                                "second, third or last column", "second-to-last, third-to-last or first column",
                                                "second, third or last row", "second, third or last row",
                                                "second-to-last, third-to-last or first row",
                                                "second-to-last, third-to-last or first row"]),
])
def test_each_ordinal_of_a_list_of_rows_is_turned(question, said):
    for view, words in zip(VIEWS, said):
        asked = swap_words(question, view)
        assert words in asked, (view, asked)
        assert swap_words(asked, view, back=True) == question, (view, asked)


@pytest.mark.parametrize("question, words, asked", [
    ("[det] the tanks in row 3", "row 3", {"h": "row 3", "t": "column 3", "tv": "column 3"}),
    ("[vqa] How many tanks are in rows 1 and 2?", "rows 1 and 2",
     {"h": "rows 1 and 2", "t": "columns 1 and 2", "tv": "columns 1 and 2"}),
    ("[det] Column #4", "Column #4", {"v": "Column #4", "t": "Row #4", "th": "Row #4"}),
])
def test_a_row_named_by_a_number_is_a_transposes_column_and_not_asked_of_a_flip_across_it(question, words, asked):
    """"row 3" was asked as written in every view: a transpose's row 3 is the image's column 3, and a top-bottom
    flip's row 3 is the third from the bottom, the count of rows unknown."""
    for view in VIEWS:
        said = swap_words(question, view)
        assert said == (question.replace(words, asked[view]) if view in asked else None), (view, said)
    assert not tta.croppable([{"role": "user", "content": f"<image>\n{question}"}])  # a crop's row 3 is another
    sided = "[det] the tanks in row 3 from the top"  # a side said: a flip turns it
    assert swap_words(sided, "v") == "[det] the tanks in row 3 from the bottom"
    assert swap_words(sided, "t") == "[det] the tanks in column 3 from the left"
    apart = "[vqa] Are the rows 10 m apart?"  # an amount, no row named: asked of every view
    assert all(swap_words(apart, v) == apart for v in ("h", "v", "hv"))


def test_a_numbered_row_names_itself_in_the_note_and_a_views_row_3_is_not_voted():
    msgs = [[{"role": "user", "content": "<image>\n[vqa] How many tanks are in row 3?"}]]
    (fused,) = tta.fused_answers(lambda m, i: [("5", [])] * len(m), msgs, [blank_image()], [("5", [])],
                                 tta.FuseConfig(views="dihedral"))
    assert "('v', 'hv', 'th', 'thv' not)" in fused.unasked
    assert "the question's 'row 3' under a flip, which counts them from the other end" in fused.unasked
    which = [[{"role": "user", "content": "<image>\n[vqa] Which row has the most tanks?"}]]
    (fused,) = tta.fused_answers(lambda m, i: [("Row 3.", [])] * len(m), which, [blank_image()], [("Row 3.", [])],
                                 tta.FuseConfig(views="flip"))  # a flipped view's row 3 is another row of the image
    assert fused.answer == "Row 3." and "2 of 3 other view answers could not be fused" in fused.note


@pytest.mark.parametrize("question", ["[vqa] Is the ship heading up or down the left side of the image?",
                                      "[vqa] Is the truck moving up or down the top of the image?"])
def test_up_or_down_a_side_of_the_image_is_still_a_way_in_it(question):
    """"the left side of the image" was read as a path ("up or down the river"), and asked of a top-bottom flip."""
    from rsvlm.tta_senses import along_question

    assert not along_question(question)
    assert swap_words(question, "v") is None and swap_words(question, "t") is None
    assert along_question("[vqa] Is the boat moving up or down the river?")


def test_tta_lines_imports_no_private_name():
    """The split out of tta_words imported tta_tables._cased: a name shared across modules is public (``cased``)."""
    tree = ast.parse((Path(__file__).resolve().parent.parent / "rsvlm" / "tta_lines.py").read_text())
    assert [a.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
            for a in node.names if a.name.startswith("_")] == []
