"""Stop 71 review (area X, tta): a row or column named by its side after the noun ("the second row from the top") or
with a count between ("the top two rows") is a column or row of a transposed view, as "the top row" is."""

from __future__ import annotations

import pytest
from conftest import blank_image

from rsvlm import tta


@pytest.mark.parametrize("text,t,th", [
    ("How many cars are in the second row from the top?", "How many cars are in the second column from the left?",
     "How many cars are in the second column from the right?"),
    ("the third column from the left", "the third row from the top", "the third row from the top"),
    ("the rows nearest the bottom", "the columns nearest the right", "the columns nearest the left"),
    ("the top two rows", "the left two columns", "the right two columns"),
    ("The bottom 3 Columns.", "The right 3 Rows.", "The left 3 Rows.")])
def test_a_row_counted_from_a_side_is_a_column_of_a_transposed_view(text, t, th):
    """"the second row from the top" was asked of a transpose as "the second row from the left": a row of that view
    counted from its left, no row of the image."""
    assert (tta.swap_words(text, "t"), tta.swap_words(text, "th")) == (t, th)
    assert tta.swap_words(th, "th", back=True) == text
    assert tta.swap_words(text, "hv").lower().count("row") == text.lower().count("row")  # no transpose: kept


@pytest.mark.parametrize("text", ["How many rows of containers are there?", "the top 3 largest rows",
                                  "a row of top hats", "the row, from the top of the image", "the top few rows"])
def test_a_row_with_no_side_of_its_own_is_kept(text):
    said = tta.swap_words(text, "t")
    assert said is None or said.lower().count("row") == text.lower().count("row")


def test_each_transposed_view_asks_of_the_same_row_and_says_its_column_back():
    asked: list[str] = []

    def answer(messages, images):
        asked.extend(m[-1]["content"].split("] ")[1] for m in messages)
        return [("Four.", [])] * len(messages)

    msgs = [[{"role": "user", "content": "<image>\n[vqa] How many cars are in the second row from the top?"}]]
    (fused,) = tta.fused_answers(answer, msgs, [blank_image()], [("Four.", [])], tta.FuseConfig(views="dihedral"))
    assert asked == [f"How many cars are in the second {n} from the {w}?" for n, w in (
        ("row", "top"), ("row", "bottom"), ("row", "bottom"),
        ("column", "left"), ("column", "right"), ("column", "left"), ("column", "right"))]
    assert fused.answer == "Four."


@pytest.mark.parametrize("question,views,said", [
    ("Is the tank below it, facing up?", None, "the question's 'up' under a top-bottom flip or a transpose"),
    ("Is the ship facing up?", ("", "h", "t"), "the question's 'up' under a transpose"),
    ("Is the tank below the pier?", "dihedral", "the question's 'below' under a transpose")])
def test_the_note_names_the_word_that_skipped_the_top_bottom_flip(question, views, said):
    """"Is the tank below it, facing up?" skipped the top-bottom flip and the half turn for its "up", but the note named
    its first such word, "below", "under a transpose": a reason that skips no top-bottom flip."""
    msgs = [[{"role": "user", "content": f"<image>\n[vqa] {question}"}]]
    cfg = tta.FuseConfig() if views is None else tta.FuseConfig(views=views)
    (fused,) = tta.fused_answers(lambda m, i: [("Yes.", [])] * len(m), msgs, [blank_image()], [("Yes.", [])], cfg)
    assert fused.unasked.endswith(f"(a word with no one-word image there: {said})")


@pytest.mark.parametrize("text,v,t", [
    ("the top 3 ships of the largest harbour", "the bottom 3 ships of the largest harbour",
     "the left 3 ships of the largest harbour"),
    ("How many ships are in the top 2 rows of the biggest harbour?",
     "How many ships are in the bottom 2 rows of the biggest harbour?",
     "How many ships are in the left 2 columns of the biggest harbour?")])
def test_of_the_after_a_noun_is_no_ranking(text, v, t):
    """a2a97c0e let "of the" stand for a word between "top 3" and the "-est": "the top 3 ships of the largest harbour"
    (the three at the top of it) was read as a ranking and asked as written of every view; only "the top 3 of the
    largest", "of the" right after the number, ranks."""
    assert (tta.swap_words(text, "v"), tta.swap_words(text, "t")) == (v, t)


@pytest.mark.parametrize("text", ["the top 3 of the largest ships", "the top 3 rows by area", "the top two among the "
                                  "biggest tanks", "Which are the top 3 rows in terms of length?"])
def test_a_ranking_of_rows_keeps_its_rows(text):
    """A ranking is kept in every view, and so is its noun: "the top 3 rows by area" is no "top 3 columns"."""
    assert {tta.swap_words(text, w) for w in tta.DIHEDRAL[1:]} == {text}


@pytest.mark.parametrize("text,h", [
    ("Is there a ship around 2 o'clock from the tank?", "Is there a ship around 10 o'clock from the tank?"),
    ("Do the shadows point at about 10 o'clock?", "Do the shadows point at about 2 o'clock?")])
def test_a_clock_position_about_or_around_an_hour_turns(text, h):
    """20392c47 read a bare "around"/"about" before the hour as a time of day: "a ship around 2 o'clock from the tank"
    was asked as written of every view (of another ship); a time needs its verb ("taken around 10 o'clock")."""
    assert tta.swap_words(text, "h") == h
    assert tta.swap_words(h, "h", back=True) == text


@pytest.mark.parametrize("text", ["Was the image taken at around 10 o'clock?", "Was it acquired about 9 o'clock?",
                                  "Was it imaged before 10 o'clock?"])
def test_a_time_of_day_with_its_verb_stays(text):
    assert {tta.swap_words(text, v) for v in tta.DIHEDRAL[1:]} == {text}
