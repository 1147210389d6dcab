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
    with pytest.raises(ConversionError, match=r"d\.xml: object 6 \(van\): .*maybe"):
        convert(tmp_path / "strict", "voc", "--src", str(ann), "--strict")


def _dior(tmp_path):
    """DIOR's layout: one image, annotated under both ``Horizontal`` and ``Oriented Bounding Boxes``."""
    png(tmp_path / "JPEGImages-trainval" / "00001.jpg", 100, 80)
    hbb, obb = tmp_path / "Annotations" / "Horizontal Bounding Boxes", tmp_path / "Annotations" / "Oriented Bounding Boxes"
    hbb.mkdir(parents=True)
    obb.mkdir(parents=True)
    (hbb / "00001.xml").write_text(f"<annotation><filename>00001.jpg</filename><object><name>ship</name>"
                                   f"{BOX.format(11, 30)}</object></annotation>")
    corners = "".join(f"<{k}>{v}</{k}>" for k, v in zip(
        ("x_left_top", "y_left_top", "x_right_top", "y_right_top", "x_right_bottom", "y_right_bottom",
         "x_left_bottom", "y_left_bottom"), (10, 10, 30, 10, 30, 30, 10, 30)))
    (obb / "00001.xml").write_text(f"<annotation><filename>00001.jpg</filename><object><name>ship</name>"
                                   f"<robndbox>{corners}</robndbox></object></annotation>")
    return tmp_path / "Annotations"


def test_dior_both_folders_duplicate_ids_name_both_files(tmp_path):
    """Both DIOR folders under --src: the ids clash, and the --strict error named '00001.xml' twice
    (the file name alone) where the two files lie in different folders; the notes said only
    duplicate_ids_renamed."""
    ann = _dior(tmp_path)
    with pytest.raises(ConversionError, match=r"Oriented Bounding Boxes/00001\.xml: duplicate record id "
                                              r"'voc-00001-det-box'.* from Horizontal Bounding Boxes/00001\.xml"):
        convert(tmp_path / "strict", "voc", "--src", str(ann), "--strict")
    stats, recs = convert(tmp_path / "out", "voc", "--src", str(ann))
    shared = [k for k in stats["notes"] if k.startswith("same_xml_name_in_folders")]
    assert shared == ["same_xml_name_in_folders: Horizontal Bounding Boxes + Oriented Bounding Boxes "
                      "(one image annotated twice? --src one of them)"] and stats["notes"][shared[0]] == 1
    assert {r["meta"]["file"] for r in recs} == {"Horizontal Bounding Boxes/00001.xml",
                                                 "Oriented Bounding Boxes/00001.xml"}
    stats, _ = convert(tmp_path / "one", "voc", "--src", str(ann / "Oriented Bounding Boxes"), "--strict")
    assert stats["tasks"]["det"] == 2 and not any(k.startswith("same_xml") for k in stats["notes"])


def test_broken_utf16_named_as_such(tmp_path):
    """A label file with a UTF-16 BOM whose bytes then break (a lone surrogate, an odd last byte): the bad
    lines were reported as ``not_utf8``, pointing the user at the wrong encoding."""
    png(tmp_path / "images" / "P1.png", 100, 100)
    src = tmp_path / "labelTxt"
    src.mkdir()
    good = "10 10 40 10 40 40 10 40 plane 0\r\n".encode("utf-16-le")
    lone = "10 10 40 10 40 40 10 40 ".encode("utf-16-le") + b"\x00\xd8" + "ship 0\r\n".encode("utf-16-le")
    (src / "P1.txt").write_bytes(b"\xff\xfe" + good + lone + b"\x41")  # and an odd last byte
    stats, recs = convert(tmp_path / "out", "dota", "--src", str(src), "--images", str(tmp_path / "images"))
    assert stats["skipped"] == {"broken_utf16": 2} and stats["tasks"]["det"] >= 1
    with pytest.raises(ConversionError, match=r"P1\.txt:2: broken_utf16"):
        convert(tmp_path / "strict", "dota", "--src", str(src), "--images", str(tmp_path / "images"), "--strict")
    (src / "P1.txt").write_bytes(b"10 10 40 10 40 40 10 40 pl\xe9ne 0\n")  # Latin-1: still not_utf8
    stats, _ = convert(tmp_path / "latin", "dota", "--src", str(src), "--images", str(tmp_path / "images"))
    assert stats["skipped"] == {"not_utf8": 1}


def test_rsivqa_broken_utf16_line(tmp_path):
    png(tmp_path / "img" / "a.png", 64, 64)
    text = "a.png:Is there a ship?yes\r\n".encode("utf-16-le")
    (tmp_path / "qa.txt").write_bytes(b"\xff\xfe" + text + "a.png:Is th".encode("utf-16-le") + b"\x00\xdc"
                                      + "ere a car?no\r\n".encode("utf-16-le"))
    stats, recs = convert(tmp_path / "out", "rsivqa", "--src", str(tmp_path / "qa.txt"), "--images",
                          str(tmp_path / "img"))
    assert stats["skipped"] == {"broken_utf16": 1} and len(recs) == 1


def test_upper_case_label_extensions_are_read(tmp_path):
    """``00001.XML`` / ``P0001.TXT`` (Windows tools, zip extracts) were not found: "no .xml files"."""
    png(tmp_path / "JPEGImages" / "u.jpg", 100, 80)
    ann = tmp_path / "Annotations"
    ann.mkdir()
    (ann / "u.XML").write_text(f"<annotation><filename>u.jpg</filename><object><name>ship</name>"
                               f"{BOX.format(11, 30)}</object></annotation>")
    stats, _ = convert(tmp_path / "voc", "voc", "--src", str(ann))
    assert stats["tasks"]["det"] == 1
    png(tmp_path / "images" / "P1.png", 100, 100)
    (tmp_path / "labelTxt").mkdir()
    (tmp_path / "labelTxt" / "P1.TXT").write_text("10 10 40 10 40 40 10 40 plane 0\n")
    stats, _ = convert(tmp_path / "dota", "dota", "--src", str(tmp_path / "labelTxt"), "--images",
                       str(tmp_path / "images"))
    assert stats["tasks"]["det"] >= 1


def _coco(tmp_path, images, anns):
    import json

    data = {"images": images, "categories": [{"id": 1, "name": "ship"}], "annotations": anns}
    (tmp_path / "ann.json").write_text(json.dumps(data))
    return tmp_path / "ann.json"


def test_coco_file_names_with_folders_pick_that_file(tmp_path):
    """``train/a.png`` and ``val/a.png``: both were read as the first ``a.png`` in sort order (the
    name alone was looked up), so val's boxes were drawn on train's image."""
    png(tmp_path / "imgs" / "train" / "a.png", 100, 50)
    png(tmp_path / "imgs" / "val" / "a.png", 60, 40)
    ann = _coco(tmp_path, [{"id": 1, "file_name": "train/a.png", "width": 100, "height": 50},
                           {"id": 2, "file_name": "val/a.png", "width": 60, "height": 40}],
                [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [10, 10, 20, 20]},
                 {"id": 2, "image_id": 2, "category_id": 1, "bbox": [5, 5, 20, 20]}])
    stats, recs = convert(tmp_path / "out", "coco", "--ann", str(ann), "--images", str(tmp_path / "imgs"))
    assert stats["skipped"] == {} and stats["notes"]["duplicate_ids_renamed"] == 2  # -dup2: ids are by stem
    sizes = {(r["meta"]["width"], r["meta"]["height"]) for r in recs if r["task"] == "det"}
    assert sizes == {(100, 50), (60, 40)}


def test_coco_iscrowd_as_a_string(tmp_path):
    """``"iscrowd": "0"`` (a string, from some exporters) was a crowd: any non-empty string is true."""
    png(tmp_path / "imgs" / "a.png", 100, 50)
    box = {"category_id": 1, "image_id": 1}
    ann = _coco(tmp_path, [{"id": 1, "file_name": "a.png", "width": 100, "height": 50}],
                [{**box, "id": 1, "bbox": [10, 10, 20, 20], "iscrowd": "0"},
                 {**box, "id": 2, "bbox": [40, 10, 20, 20], "iscrowd": "1"},
                 {**box, "id": 3, "bbox": [70, 10, 20, 20], "iscrowd": False},
                 {**box, "id": 4, "bbox": [5, 30, 10, 10], "iscrowd": "maybe"}])
    stats, recs = convert(tmp_path / "out", "coco", "--ann", str(ann), "--images", str(tmp_path / "imgs"))
    assert stats["notes"]["difficult_objects"] == 1
    assert stats["skipped"] == {"unparsable_annotation": 1} and "maybe" in stats["skipped_examples"]["unparsable_annotation"]
    stats, _ = convert(tmp_path / "skip", "coco", "--ann", str(ann), "--images", str(tmp_path / "imgs"), "--skip-crowd")
    assert stats["filtered"] == {"--skip-crowd: ship": 1}


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_a_bom_is_read(tmp_path, encoding):
    """UTF-16 without its BOM: each line (NUL bytes between the digits) was an unparsable_line, five of
    them for two lines (the CR LF split in two)."""
    png(tmp_path / "images" / "P1.png", 100, 100)
    (tmp_path / "labelTxt").mkdir()
    text = "imagesource:GoogleEarth\r\ngsd:0.5\r\n10 10 40 10 40 40 10 40 plane 0\r\n20 20 50 20 50 50 20 50 ship 1\r\n"
    (tmp_path / "labelTxt" / "P1.txt").write_bytes(text.encode(encoding))
    stats, _ = convert(tmp_path / "out", "dota", "--src", str(tmp_path / "labelTxt"), "--images",
                       str(tmp_path / "images"), "--strict")
    assert stats["skipped"] == {} and stats["notes"]["difficult_objects"] == 1


def test_coco_json_saved_as_utf16_is_read(tmp_path):
    """A COCO file saved as UTF-16 (Windows Notepad's "Unicode") was "cannot read JSON ('utf-8' codec
    can't decode byte 0xff in position 0)"."""
    png(tmp_path / "imgs" / "a.png", 100, 50)
    ann = _coco(tmp_path, [{"id": 1, "file_name": "a.png", "width": 100, "height": 50}],
                [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [10, 10, 20, 20]}])
    ann.write_bytes(ann.read_text().encode("utf-16"))
    stats, _ = convert(tmp_path / "out", "coco", "--ann", str(ann), "--images", str(tmp_path / "imgs"), "--strict")
    assert stats["tasks"]["det"] == 1
    ann.write_bytes(b'{"images": [{"file_name": "caf\xe9.png"}]}')  # Latin-1: still an error naming the file
    with pytest.raises(ConversionError, match=r"ann\.json: cannot read JSON"):
        convert(tmp_path / "bad", "coco", "--ann", str(ann), "--images", str(tmp_path / "imgs"))


@pytest.mark.parametrize("jsonl", [False, True])
def test_llava_file_saved_as_utf16_is_read(tmp_path, jsonl):
    """A LLaVA JSON / JSONL saved as UTF-16 with its BOM (which rsvlm's own records loader reads) was
    "cannot read ('utf-8' codec can't decode byte 0xff)"."""
    import json

    png(tmp_path / "imgs" / "g.png", 64, 64)
    recs = [{"id": f"r{i}", "image": "g.png", "conversations": [
        {"from": "human", "value": "<image>\nWhat is this?"}, {"from": "gpt", "value": "A port, é."}]} for i in range(2)]
    text = "\n".join(json.dumps(r) for r in recs) if jsonl else json.dumps(recs)
    (tmp_path / "gc.json").write_bytes(text.encode("utf-16"))
    stats, got = convert(tmp_path / "out", "llava", "--src", str(tmp_path / "gc.json"), "--images",
                         str(tmp_path / "imgs"), "--strict")
    assert len(got) == 2 and got[0]["conversations"][1]["value"] == "A port, é."
