"""Instruction building, tour 58: referring expressions a reader would find ambiguous, scene
JSON that a hand edit broke, masks that do not fit their scene."""

from __future__ import annotations

from data_gen.instructions import referring as R


def _obj(i, cls, cx, cy, area=50, colour=""):
    return {"id": i, "class": cls, "center": [cx, cy], "area": area, "attributes": {"colour": colour}}


def test_side_region_reads_as_the_whole_row_or_column():
    # ship 1 in the left-middle cell, ship 2 in the top left corner: "the ship in the left of the
    # image" could mean either, "the ship in the top left of the image" only ship 2
    objs = [_obj(1, "ship", 10, 50), _obj(2, "ship", 12, 10), _obj(3, "ship", 80, 85)]
    texts = {R.text(e): i for e, i in R.candidates(objs, 100, 100)}
    assert "the ship in the left of the image" not in texts
    assert R.resolve(("region", "ship", "left"), objs, 100, 100) == [1, 2]
    assert texts["the ship in the top left of the image"] == 2
    assert texts["the ship in the bottom right of the image"] == 3
    # alone in its row, the top-centre ship is "the ship in the top of the image"
    objs = [_obj(1, "ship", 50, 10), _obj(2, "ship", 12, 60)]
    assert {R.text(e): i for e, i in R.candidates(objs, 100, 100)}["the ship in the top of the image"] == 1
