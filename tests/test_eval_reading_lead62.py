"""A long reading note in eval's summary is cut after a whole word and marked as cut."""
from rsvlm.eval_reading import ReadNotes


def test_a_long_note_is_cut_at_a_word_and_marked():
    words = " ".join(f"word{i:03d}" for i in range(60))  # 479 characters, no number ranges to spread
    notes = ReadNotes()
    notes.add("rec-1", [f"band B04 filled: {words}"])
    line = notes.summary(1).splitlines()[1]
    said = line.split("record(s): ", 1)[1].rsplit(" (first: rec-1)", 1)[0]
    assert said.endswith(" …") and len(said) <= 240
    kept = said.removesuffix(" …").split()
    assert kept[-1] in words.split()  # the last word is whole, not "word0"
    assert line.endswith("(first: rec-1)")


def test_a_short_note_is_said_whole():
    notes = ReadNotes()
    notes.add("rec-1", ["band B04 filled with the mean of the others"])
    assert "band B04 filled with the mean of the others (first: rec-1)" in notes.summary(1)
