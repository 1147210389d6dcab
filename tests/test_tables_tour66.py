"""Tour 66 (helper C): the objects table under non-ASCII labels."""

from __future__ import annotations

from rsvlm.tables import objects_table


def test_columns_stay_aligned_under_wide_and_accented_labels():
    """A class named 船舶 (two wide characters, four columns) pushed its row's later columns two columns right
    of the others'; e + a combining accent (one column) pulled its row left."""
    import unicodedata

    box = {"kind": "box", "coords": [1, 2, 3, 4]}
    table = objects_table([{**box, "label": "船舶"}, {**box, "label": "ship"}, {**box, "label": "pie\u0301r"}])
    rows = table.splitlines()[1:]

    def column_of_kind(row: str) -> int:  # terminal columns before "box"
        head = row[: row.index("box")]
        return sum(0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in head)

    assert len({column_of_kind(r) for r in rows}) == 1, table
    assert rows[0].startswith("1  船舶   box   (1.0,2.0)") and rows[2].startswith("3  pie\u0301r   box"), table
