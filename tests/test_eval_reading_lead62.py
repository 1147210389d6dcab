"""A long reading note in eval's summary is cut after a whole word and marked as cut."""
from rsvlm.eval_reading import ReadNotes


def test_a_long_note_is_cut_at_a_word_and_marked():
    words = " ".join(f"word{i:03d}" for i in range(60))  # 479 characters, no number ranges to spread
    notes = ReadNotes()
    notes.add("rec-1", [f"band B04 filled: {words}"])
    line = notes.summary(1).splitlines()[1]
    said = line.split("record: ", 1)[1].rsplit(" (first: rec-1)", 1)[0]
    assert said.endswith(" …") and len(said) <= 240
    kept = said.removesuffix(" …").split()
    assert kept[-1] in words.split()  # the last word is whole, not "word0"
    assert line.endswith("(first: rec-1)")


def test_a_short_note_is_said_whole():
    notes = ReadNotes()
    notes.add("rec-1", ["band B04 filled with the mean of the others"])
    assert "band B04 filled with the mean of the others (first: rec-1)" in notes.summary(1)


def test_a_note_of_one_long_word_keeps_most_of_it():
    """A note whose path is over 240 characters: cutting at the last whole word (textwrap.shorten) kept "file …",
    the path gone; it is cut mid-word there, marked."""
    path = "/data/" + "/".join(f"folder_{i:02d}_of_the_scene" for i in range(14)) + "/scene.tif"
    notes = ReadNotes()
    notes.add("rec-1", [f"file {path} holds several images"])
    said = notes.summary(1).splitlines()[1].split("record: ", 1)[1].rsplit(" (first: rec-1)", 1)[0]
    assert len(said) == 240 and said.endswith(" …") and said.startswith(f"file {path[:200]}"), said
