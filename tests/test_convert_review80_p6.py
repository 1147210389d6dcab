"""Review 80 of P6's DOTA field-8 matching (an ``s`` or ``es`` more or less): a real 7-number line whose class
ends in ``s`` (``bus``, ``buses``, ``glass``, a class ``ss``) still reads as a line short of a number."""

from __future__ import annotations

import pytest
from convert_helpers import convert, png

MISTYPED = "field 8, 'abc', is no number (x1 y1 … x4 y4: 8 numbers before the class)"
SHORT = "7 numbers before the class, not 8 (4 corners x y)"


@pytest.mark.parametrize("classes, cls, said", [
    ("bus", "bus", SHORT), ("bus", "buses", SHORT), ("buses", "bus", SHORT),
    ("glass", "glass", SHORT), ("glass", "glasses", SHORT), ("ss", "ss", SHORT), ("ss", "s", SHORT),
    ("ss", "abc ss", MISTYPED), ("glass", "abc glasses", MISTYPED), ("glass", "abc glas", MISTYPED),
])
def test_a_class_ending_in_s_after_7_numbers_reads_as_a_short_line(tmp_path, classes, cls, said):
    line = f"1 2 30 2 30 20 1 {cls} 0"
    png(tmp_path / "d" / "images" / "a.png", 100, 80)
    (tmp_path / "d" / "labelTxt").mkdir()
    (tmp_path / "d" / "labelTxt" / "a.txt").write_text(line + "\n")
    stats, _ = convert(tmp_path / "o", "dota", "--src", str(tmp_path / "d"), "--classes", classes)
    assert stats["skipped"] == {"unparsable_line": 1}
    assert stats["skipped_examples"]["unparsable_line"].endswith(f"unparsable_line ({said}: {line})")
