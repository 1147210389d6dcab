"""Tour 61 (data generation, converters): VOC difficult flags, duplicate ids across DIOR's folders,
broken UTF-16 text."""

from __future__ import annotations

import pytest
from convert_helpers import convert, png

from data_gen.convert.common import ConversionError

BOX = "<bndbox><xmin>{}</xmin><ymin>11</ymin><xmax>{}</xmax><ymax>30</ymax></bndbox>"


def test_voc_difficult_true_false_and_empty(tmp_path):
    """``<difficult>true</difficult>`` (labelImg-style tools) was read as not difficult: only "1" was."""
    png(tmp_path / "JPEGImages" / "d.jpg", 100, 80)
    ann = tmp_path / "Annotations"
    ann.mkdir()
    objects = [("ship", "<difficult>true</difficult>", (51, 70)), ("plane", "<difficult>True </difficult>", (11, 30)),
               ("tank", "<difficult/>", (31, 45)), ("car", "<difficult>false</difficult>", (71, 80)),
               ("bus", "<difficult>1</difficult><truncated>true</truncated>", (81, 90)),
               ("van", "<difficult>maybe</difficult>", (1, 9))]
    (ann / "d.xml").write_text("<annotation><filename>d.jpg</filename>" + "".join(
        f"<object><name>{n}</name>{d}{BOX.format(*x)}</object>" for n, d, x in objects) + "</annotation>")
    stats, recs = convert(tmp_path / "out", "voc", "--src", str(ann))
    assert stats["notes"]["difficult_objects"] == 3
    assert stats["skipped"] == {"unparsable_object": 1} and "maybe" in stats["skipped_examples"]["unparsable_object"]
    stats, _ = convert(tmp_path / "skip", "voc", "--src", str(ann), "--skip-difficult")
    assert stats["filtered"] == {"--skip-difficult: ship": 1, "--skip-difficult: plane": 1,
                                 "--skip-difficult: bus": 1}
    with pytest.raises(ConversionError, match=r"d\.xml: object 5.*maybe"):
        convert(tmp_path / "strict", "voc", "--src", str(ann), "--strict")
