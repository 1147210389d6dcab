"""Tour 77 (P4) of the converters: VOC numbers its objects from 1 and names them; an rsivqa run whose images
are mostly elsewhere says so once; the collar look counts the images it did not look at."""

from __future__ import annotations

import pytest
from convert_helpers import convert, png

from data_gen.convert.common import ConversionError

BOX = "<bndbox><xmin>{}</xmin><ymin>11</ymin><xmax>{}</xmax><ymax>30</ymax></bndbox>"


def test_voc_names_an_object_by_its_place_from_1_and_its_name(tmp_path):
    """``a.xml: object 1`` was the second <object>: DOTA and rsivqa count lines from 1, so a user counting objects
    in the XML looked at the wrong one. The first is 1 now, and its <name> is said beside it."""
    png(tmp_path / "a.png", 100, 80)
    objects = [("plane", BOX.format(11, 40)), ("ship", BOX.format(60, 50)), ("", BOX.format(11, 40))]
    (tmp_path / "a.xml").write_text("<annotation><filename>a.png</filename>" + "".join(
        f"<object><name>{n}</name>{b}</object>" for n, b in objects) + "</annotation>")
    stats, recs = convert(tmp_path / "o", "voc", "--src", str(tmp_path), "--images", str(tmp_path))
    assert stats["skipped"] == {"degenerate": 1, "unparsable_object": 1} and recs
    assert "a.xml: object 2 (ship): degenerate" in stats["skipped_examples"]["degenerate"]
    assert stats["skipped_examples"]["unparsable_object"].endswith("a.xml: object 3: unparsable_object (no <name>)")
    with pytest.raises(ConversionError, match=r"a\.xml: object 2 \(ship\): degenerate"):
        convert(tmp_path / "s", "voc", "--src", str(tmp_path), "--images", str(tmp_path), "--strict")
