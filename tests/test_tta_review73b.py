"""Stop 73 review of round 2 (area T2, tta): "which of these rows" / "which of those ships" read as "which of the …"
(a transpose asked "which of these rows" as written; "which of these ships …, the first or the second?" was asked of
every mirror view); the repaired-shapes note in the singular ("1 shape …, a full vote", was "each a full vote"); the
questions the "things" rule must still ask of every mirror view."""

from __future__ import annotations

import re

import pytest
from conftest import blank_image

from rsvlm import geometry, tta
from rsvlm.tta_lines import counted_lines


@pytest.mark.parametrize("question, v, t", [
    ("Which of these rows has the most tanks, the first or the last?",
     "Which of these rows has the most tanks, the last or the first?",
     "Which of these columns has the most tanks, the first or the last?"),
    ("Which of those columns is empty?", "Which of those columns is empty?", "Which of those rows is empty?")])
def test_which_of_these_rows_turns_and_counts_back_as_which_of_the_rows(question, v, t):
    """"which of these rows" was no row picked: a transpose asked it as written (another line of the turned image) and a
    top-bottom flip its options as written."""
    assert tta.swap_words(question, "v") == v and tta.swap_words(question, "t") == t
    lines = counted_lines(question)
    assert lines == ("row" if "rows" in question else "column")
    assert tta.swap_words("The first.", "v", back=True, lines=lines) == ("The last." if lines == "row" else "The first.")


@pytest.mark.parametrize("question", ["[vqa] Which of these ships is damaged, the first or the second?",
                                      "[vqa] Which of those two planes is larger, the first or the last?"])
def test_which_of_these_things_by_bare_ordinals_is_asked_of_no_mirror_view(question):
    """Asked of every mirror view as written, though each counts the ships in its own order (as "which of the ships")."""
    assert counted_lines(question) == "things"
    assert all(tta.swap_words(question, v) is None for v in tta.DIHEDRAL[1:])
    said = tta.spellings("The second.", question)
    assert all(tta.swap_words("The second.", v, back=True, **said) is None for v in tta.DIHEDRAL[1:])


@pytest.mark.parametrize("question, t", [
    ("[vqa] Which ship is the largest?", None),  # no ordinal in it: asked, only a bare-ordinal answer is left out
    ("[vqa] Which of the planes is white?", None),
    ("[vqa] Which row of the image has the most cars?", "[vqa] Which column of the image has the most cars?"),
    ("[vqa] Which image shows more buildings, the first or the second?", None),
    ("[vqa] Which ship from the left is damaged, the first or the second?",
     "[vqa] Which ship from the top is damaged, the first or the second?")])
def test_questions_the_things_rule_still_asks_of_every_mirror_view(question, t):
    assert all(tta.swap_words(question, v) is not None for v in tta.DIHEDRAL[1:])
    assert tta.swap_words(question, "t") == (t or question)


def _reversed_box(text: str) -> str:
    """A ``<box>`` answer with its corners written the wrong way round (x2 y2 x1 y1): repaired on decoding."""
    return re.sub(r"<box>(<loc_\d+><loc_\d+>)(<loc_\d+><loc_\d+>)</box>", r"<box>\2\1</box>", text)


@pytest.mark.parametrize("spoilt, said", [
    (("h",), "test-time augmentation: 1 shape repaired on decoding, fused as repaired, a full vote (first: view 'h': "),
    (("h", "v"), "test-time augmentation: 2 shapes repaired on decoding, fused as repaired, each a full vote (first: "
                 "view 'h': ")])
def test_the_repaired_note_agrees_with_its_count(spoilt, said):
    """"1 shape repaired on decoding, fused as repaired, each a full vote": "each" of one. The note still starts
    "test-time augmentation: N shape(s) repaired on decoding" where nothing was left out (rsvlm eval tells it so)."""
    ship = [{"kind": "box", "label": "ship", "coords": [4.0, 5.0, 14.0, 12.0]}]
    views = iter(tta.VIEWS[1:])

    def answer(messages, images):
        view = next(views)
        hv, wv = images[0][-1].array.shape[-2:]
        text = geometry.encode(tta.to_view(ship, view, 40, 40), wv, hv)
        return [(_reversed_box(text) if view in spoilt else text, [])]

    (fused,) = tta.fused_answers(answer, [[{"role": "user", "content": "<image>\n[det] Detect every ship."}]],
                                 [blank_image()], [(geometry.encode(ship, 40, 40), [])])
    assert len(fused.objects) == 1 and fused.note.startswith(said) and fused.note.count("test-time augmentation") == 1
