"""rsvlm eval's tally of reading notes gives each number that differs over a kind's records as a range."""

from rsvlm.eval_reading import ReadNotes


def test_a_grouped_note_gives_the_range_of_sizes_not_the_first_records():
    notes = ReadNotes()
    notes.add("a", ["4000x3000 px shrunk whole to 1024 px a side"])
    notes.add("b", ["512x640 px shrunk whole to 1024 px a side"])
    notes.add("c", ["2000x900 px shrunk whole to 1024 px a side"])
    text = notes.summary(3)
    assert "3 records: 512–4000x640–3000 px shrunk whole to 1024 px a side (first: a)" in text


def test_a_kind_whose_notes_hold_different_counts_of_numbers_keeps_the_first_note():
    notes = ReadNotes()
    notes.add("a", ["band 3 filled: 2 of 4 bands"])
    notes.add("b", ["band 3 filled: 2 of 4 bands, 7 % nodata"])
    assert "2 records: band 3 filled: 2 of 4 bands (first: a)" in notes.summary(2)


def test_one_record_kinds_are_said_as_they_are():
    notes = ReadNotes()
    notes.add("only", ["the file holds 3 images"])
    assert "1 record: the file holds 3 images (first: only)" in notes.summary(1)


def test_decimals_and_zero_padded_band_numbers_are_ranged_as_written():
    """Each run of digits was a whole number: "12.5" and "8.75" read "8–12.5–75", B04 and B08 "B4–8"."""
    notes = ReadNotes()
    notes.add("a", ["float values up to 12.5: read as reflectance"])
    notes.add("b", ["float values up to 8.75: read as reflectance"])
    notes.add("c", ["band B04 filled: copy"])
    notes.add("d", ["band B08 filled: copy"])
    text = notes.summary(4)
    assert "float values up to 8.75–12.5: read as reflectance (first: a)" in text
    assert "band B04–08 filled: copy (first: c)" in text
