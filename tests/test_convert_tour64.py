"""Tour 64 (converters): a COCO box-only annotation before the same box with its polygon."""

from __future__ import annotations

import json

import pytest
from convert_helpers import convert, footprints_scene, near, objs, png, rsvqa_split

from data_gen.convert.common import ConversionError


def test_coco_box_alone_before_the_same_box_with_its_polygon_is_written_once(tmp_path):
    """A box-only annotation, then the same car's box with its polygon: the box alone was kept (only a box alone
    *after* the polygon one was taken for a copy), so [det] held the car twice, one of them a ground truth no
    prediction could match, and no [ground] record came (two cars). The polygon one is kept, the box alone counted."""
    png(tmp_path / "imgs" / "a.png", 64, 48)
    box, poly = [4, 4, 20, 12], [[4, 4, 24, 4, 24, 16, 4, 16]]
    anns = [{"id": 7, "image_id": 1, "category_id": 1, "bbox": box},
            {"id": 8, "image_id": 1, "category_id": 1, "bbox": box, "segmentation": poly},
            {"id": 9, "image_id": 1, "category_id": 1, "bbox": [30, 20, 10, 10]}]  # another car, box only
    ann = tmp_path / "a.json"
    ann.write_text(json.dumps({"images": [{"id": 1, "file_name": "a.png"}], "annotations": anns,
                               "categories": [{"id": 1, "name": "car"}]}))
    stats, recs = convert(tmp_path / "out", "coco", "--ann", str(ann), "--images", str(tmp_path / "imgs"))
    count = {r["id"]: len(objs(r)) for r in recs}
    assert count == {"coco-a-det-box": 2, "coco-a-seg-car": 1}, count
    assert stats["skipped"] == {"duplicate_object": 1}
    assert stats["skipped_examples"]["duplicate_object"] == (
        f"{ann}: annotations[0] (id 7): duplicate_object (the same car box as {ann}: annotations[1] (id 8))")


def _peak(fn) -> int:
    """Peak bytes Python allocated while ``fn()`` ran (``tracemalloc``: allocations, not RSS, so stable)."""
    import tracemalloc

    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_read_json_lets_the_file_bytes_go_before_parsing(tmp_path):
    """``json.loads(bytes)`` held the file's bytes, their text and the parsed values at once: three times a
    file of long strings (a 50 MB COCO file peaked at 380 MB, 330 MB without the bytes)."""
    from data_gen.convert.common import read_json

    src = tmp_path / "a.json"
    src.write_text(json.dumps(["x" * 100_000 + str(k) for k in range(40)]))
    size = src.stat().st_size
    assert _peak(lambda: read_json(src)) < 2.5 * size  # bytes 1x + text 1x, then text 1x + strings 1x


def test_coco_lets_each_parsed_annotation_go_once_its_objects_are_made(tmp_path):
    """The parsed annotations were held to the end of the run beside the objects made of them: a 50 MB COCO file
    peaked at 555 MB of RSS (11x), 393 MB (8x) with each annotation let go once read."""
    import data_gen.convert.coco  # noqa: F401  imported outside the measure
    from data_gen.convert import convert as run_convert

    png(tmp_path / "imgs" / "a.png", 64, 64)
    anns = [{"id": k, "image_id": 1, "category_id": 1, "bbox": [1, 1, 5, 5], "area": 25.0, "iscrowd": 0,
             "segmentation": [[1.5, 1.5, 6.5, 1.5, 6.5, 6.5, 1.5, 6.5]]} for k in range(20000)]
    ann = tmp_path / "a.json"
    ann.write_text(json.dumps({"images": [{"id": 1, "file_name": "b.png"}], "annotations": anns,
                               "categories": [{"id": 1, "name": "car"}]}))
    argv = ["coco", "--out", str(tmp_path / "out"), "--ann", str(ann), "--images", str(tmp_path / "imgs")]
    assert _peak(lambda: run_convert(argv)) < 10 * ann.stat().st_size  # 8.3x; 12.2x holding them


def test_dota_gsd_null_header_is_no_unparsable_gsd(tmp_path):
    """DOTA writes ``gsd:null`` where no GSD is known: each such file was noted as ``unparsable_gsd``, a problem
    in the stats for a label file as DOTA ships it; a ``gsd:`` that is no number still is."""
    png(tmp_path / "images" / "P1.png", 64, 48)
    png(tmp_path / "images" / "P2.png", 64, 48)
    (tmp_path / "labelTxt").mkdir()
    line = "10 10 30 10 30 20 10 20 small-vehicle 0"
    (tmp_path / "labelTxt" / "P1.txt").write_text(f"imagesource:GoogleEarth\ngsd:null\n{line}\n")
    (tmp_path / "labelTxt" / "P2.txt").write_text(f"imagesource:GoogleEarth\ngsd:0,27\n{line}\n")
    stats, recs = convert(tmp_path / "out", "dota", "--src", str(tmp_path), "--no-ground")
    assert len(recs) == 4 and stats["notes"] == {"unparsable_gsd": 1} and stats["skipped"] == {}


def _voc(tmp_path, name: str, body: str, ns: str = "") -> None:
    png(tmp_path / "img" / f"{name}.png", 100, 80)
    (tmp_path / "ann").mkdir(exist_ok=True)
    (tmp_path / "ann" / f"{name}.xml").write_text(f"<annotation{ns}><filename>{name}.png</filename>{body}</annotation>")


def test_voc_xml_in_a_namespace_is_read(tmp_path):
    """``<annotation xmlns="…">``: every tag is ``{ns}object`` to ElementTree, so the file had no object and its
    image was noted as ``images_without_objects_not_read``, its boxes lost unsaid."""
    box = "<object><name>ship</name><bndbox><xmin>11</xmin><ymin>11</ymin><xmax>30</xmax><ymax>20</ymax></bndbox></object>"
    _voc(tmp_path, "a", box, ns=' xmlns="http://example.com/voc"')
    stats, recs = convert(tmp_path / "out", "voc", "--src", str(tmp_path / "ann"), "--images", str(tmp_path / "img"),
                          "--no-ground")
    assert [r["id"] for r in recs] == ["voc-a-det-box"] and stats["notes"] == {}
    assert near(objs(recs[0])[0]["coords"], [10, 10, 30, 20], 100)


def test_voc_robndbox_angle_in_degrees_is_an_unparsable_object(tmp_path):
    """roLabelImg's ``<angle>`` is radians in [0, π); a tool writing 45 (degrees) had the box turned by 45 rad."""
    rb = "<object><name>ship</name><robndbox><cx>50</cx><cy>40</cy><w>20</w><h>10</h><angle>{}</angle></robndbox></object>"
    _voc(tmp_path, "a", rb.format(45))
    _voc(tmp_path, "b", rb.format(0.5))  # radians: read
    stats, recs = convert(tmp_path / "out", "voc", "--src", str(tmp_path / "ann"), "--images", str(tmp_path / "img"),
                          "--no-ground")
    assert [r["id"] for r in recs] == ["voc-b-det-obb", "voc-b-det-box"] and all(len(objs(r)) == 1 for r in recs)
    assert stats["skipped"] == {"unparsable_object": 1}
    assert "object 1 (ship): unparsable_object (bad box: <angle>45</angle> is over 2π" in stats["skipped_examples"]["unparsable_object"]


def test_voc_robndbox_small_degree_angle_beside_a_large_one_is_not_read_as_radians(tmp_path):
    """A tool writing degrees writes a ship at 3° as 3: beside its 45, refused, the 3 was read as 3 rad (172°), the
    box turned unsaid. One angle over 2π says the file's angles are degrees: each of its angle boxes is refused, its
    other boxes (``<bndbox>``) read."""
    rb = "<object><name>ship</name><robndbox><cx>50</cx><cy>40</cy><w>20</w><h>10</h><angle>{}</angle></robndbox></object>"
    box = "<object><name>ship</name><bndbox><xmin>11</xmin><ymin>11</ymin><xmax>30</xmax><ymax>20</ymax></bndbox></object>"
    _voc(tmp_path, "a", rb.format(45) + rb.format(3) + box)
    stats, recs = convert(tmp_path / "out", "voc", "--src", str(tmp_path / "ann"), "--images", str(tmp_path / "img"),
                          "--no-ground")
    assert [r["id"] for r in recs] == ["voc-a-det-box"] and len(objs(recs[0])) == 1
    assert stats["skipped"] == {"unparsable_object": 2}
    with pytest.raises(ConversionError, match=r"object 1 \(ship\): unparsable_object \(bad box: <angle>3</angle> of a file whose "
                                              r"angles are degrees \(its <angle>45</angle> is over 2π\)"):
        _voc(tmp_path, "a", rb.format(3) + rb.format(45))
        convert(tmp_path / "o2", "voc", "--src", str(tmp_path / "ann"), "--images", str(tmp_path / "img"), "--strict")


def test_coco_sizes_as_strings_ids_of_another_type_and_a_short_rle(tmp_path):
    """An exporter's ``"width": "64"`` was ``size_mismatch (entry says 64x48, … is 64x48)``; an annotation's
    ``image_id`` 6 for an entry's ``"6"`` was ``orphan_annotation (image_id 6)``, not saying why; an uncompressed
    RLE whose counts stop short of its size was drawn with the rest as background."""
    for n in "abcd":
        png(tmp_path / "imgs" / f"{n}.png", 64, 48)
    ims = [{"id": 1, "file_name": "a.png", "width": "64", "height": 48.0},
           {"id": 2, "file_name": "b.png", "width": "wide", "height": 48},
           {"id": 3, "file_name": "c.png"}, {"id": "4", "file_name": "d.png"}]
    anns = [{"id": k, "image_id": i, "category_id": 1, "bbox": [4, 4, 10, 10]} for k, i in enumerate((4, 1, 2), 1)]
    anns.append({"id": 9, "image_id": 3, "category_id": 1, "segmentation": {"size": [48, 64], "counts": [0, 5, 10]}})
    ann = tmp_path / "a.json"
    ann.write_text(json.dumps({"images": ims, "annotations": anns, "categories": [{"id": 1, "name": "car"}]}))
    stats, recs = convert(tmp_path / "out", "coco", "--ann", str(ann), "--images", str(tmp_path / "imgs"))
    assert [r["id"] for r in recs] == ["coco-a-det-box", "coco-a-ground-car"]
    assert stats["skipped"] == {"unparsable_image_entry": 1, "orphan_annotation": 2, "unparsable_annotation": 1}
    ex = stats["skipped_examples"]
    assert ex["unparsable_image_entry"].endswith("images[1]: unparsable_image_entry (width 'wide' or height 48 is "
                                                 "not a whole number of pixels)")
    assert ex["orphan_annotation"].endswith("(id 1): orphan_annotation (image_id 4 (images has id '4', a str))")
    assert "uncompressed RLE counts sum to 15, not its size 48x64 = 3072 pixels" in ex["unparsable_annotation"]


def test_coco_annotation_of_an_entry_skipped_for_its_size_says_so(tmp_path):
    """An entry skipped for a ``width`` of ``"wide"`` left its annotations ``orphan_annotation (image_id 2)``, as if
    the id were a typo; they now say the entry was skipped, and why."""
    png(tmp_path / "imgs" / "b.png", 64, 48)
    ims = [{"id": 2, "file_name": "b.png", "width": "wide", "height": 48}]
    ann = tmp_path / "a.json"
    ann.write_text(json.dumps({"images": ims, "annotations": [{"id": 1, "image_id": 2, "category_id": 1,
                                                               "bbox": [4, 4, 10, 10]}],
                               "categories": [{"id": 1, "name": "car"}]}))
    stats, recs = convert(tmp_path / "out", "coco", "--ann", str(ann), "--images", str(tmp_path / "imgs"))
    assert recs == [] and stats["skipped"] == {"unparsable_image_entry": 1, "orphan_annotation": 1}
    assert stats["skipped_examples"]["orphan_annotation"].endswith(
        "(id 1): orphan_annotation (image_id 2 (its entry skipped as unparsable_image_entry))")


def test_coco_entry_of_an_empty_width_is_read_with_the_file_size(tmp_path):
    """``"width": ""`` (an exporter's unknown) was read as unknown, the file's size taken, until sizes as strings
    were parsed: it was then ``unparsable_image_entry``, the image and its annotations lost."""
    png(tmp_path / "imgs" / "b.png", 64, 48)
    ims = [{"id": 2, "file_name": "b.png", "width": "", "height": ""}]
    ann = tmp_path / "a.json"
    ann.write_text(json.dumps({"images": ims, "annotations": [{"id": 1, "image_id": 2, "category_id": 1,
                                                               "bbox": [4, 4, 10, 10]}],
                               "categories": [{"id": 1, "name": "car"}]}))
    stats, recs = convert(tmp_path / "out", "coco", "--ann", str(ann), "--images", str(tmp_path / "imgs"))
    assert [r["id"] for r in recs] == ["coco-b-det-box", "coco-b-ground-car"] and stats["skipped"] == {}


def test_coco_category_id_of_another_type_says_so(tmp_path):
    """An annotation's ``category_id`` 1 for a category ``"1"`` was ``unknown_category (1)``, as if no category 1
    were there; it says the category's id is the string, as ``orphan_annotation`` does for image ids."""
    png(tmp_path / "imgs" / "b.png", 64, 48)
    ann = tmp_path / "a.json"
    ann.write_text(json.dumps({"images": [{"id": 2, "file_name": "b.png"}],
                               "annotations": [{"id": 1, "image_id": 2, "category_id": 1, "bbox": [4, 4, 10, 10]}],
                               "categories": [{"id": "1", "name": "car"}]}))
    with pytest.raises(ConversionError, match=r"unknown_category \(1 \(categories has id '1', a str\)\)"):
        convert(tmp_path / "out", "coco", "--ann", str(ann), "--images", str(tmp_path / "imgs"), "--strict")


_APPLE_DOUBLE = b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        " + b"\x00" * 64  # a ._NAME resource fork


def test_macos_zip_metadata_is_no_image_label_or_class(tmp_path):
    """A dataset zipped on a Mac holds ``._NAME`` beside each file and a ``__MACOSX`` folder of them: ``folder`` took
    ``__MACOSX`` for a class and each ``._a.png`` for an ``unreadable_image``; ``dota`` each ``._P1.txt`` for a label
    file (``missing_image``); ``masks`` each ``._a_mask.png`` for an ``unreadable_label``. They are left out, counted."""
    png(tmp_path / "cls" / "church" / "c1.png", 32, 32)
    (tmp_path / "cls" / "__MACOSX" / "church").mkdir(parents=True)
    for d in ("church", "__MACOSX/church"):
        (tmp_path / "cls" / d / "._c1.png").write_bytes(_APPLE_DOUBLE)
    stats, recs = convert(tmp_path / "o1", "folder", "--src", str(tmp_path / "cls"))
    assert [r["conversations"][1]["value"] for r in recs] == ["church"] and stats["skipped"] == {}
    assert stats["notes"] == {"macos_metadata_files_ignored": 2, "modality_inferred_optical": 1}

    png(tmp_path / "dota" / "P1.png", 64, 48)
    (tmp_path / "dota" / "P1.txt").write_text("10 10 30 10 30 20 10 20 ship 0\n")
    for n in ("._P1.txt", "._P1.png"):
        (tmp_path / "dota" / n).write_bytes(_APPLE_DOUBLE)
    stats, recs = convert(tmp_path / "o2", "dota", "--src", str(tmp_path / "dota"))
    assert len(recs) == 3 and stats["skipped"] == {} and stats["notes"] == {"macos_metadata_files_ignored": 2}

    png(tmp_path / "seg" / "a.png", 32, 32)
    png(tmp_path / "seg" / "a_mask.png", 32, 32, mode="L")
    (tmp_path / "seg" / "._a_mask.png").write_bytes(_APPLE_DOUBLE)
    stats, recs = convert(tmp_path / "o3", "masks", "--images", str(tmp_path / "seg"), "--labels",
                          str(tmp_path / "seg"), "--binary", "roof")
    assert len(recs) == 1 and stats["skipped"] == {}  # the png helper's label is all 40: the roof everywhere, said
    assert stats["notes"] == {"macos_metadata_files_ignored": 1, "labels_of_one_grey_value_taken_whole": 1}


def test_macos_metadata_is_told_by_its_bytes_not_its_name_alone(tmp_path):
    """A real image named ``._scene.png`` (a dot-name on Linux) was left out as macOS metadata, counted as such:
    an AppleDouble file starts with its magic number; the name alone does not make one."""
    png(tmp_path / "cls" / "church" / "._c1.png", 32, 32)
    (tmp_path / "cls" / "church" / "._c2.png").write_bytes(_APPLE_DOUBLE)
    stats, recs = convert(tmp_path / "o1", "folder", "--src", str(tmp_path / "cls"))
    assert [r["images"][0]["path"] for r in recs] == ["images/church__._c1.png"]
    assert stats["skipped"] == {} and stats["notes"]["macos_metadata_files_ignored"] == 1


def test_rsvqa_macos_metadata_is_no_split(tmp_path):
    """``rsvqa --src`` over a folder unzipped from a Mac: ``._LR_split_test_questions.json`` was taken for a split's
    questions and stopped the run ("cannot read JSON"), the real split unread."""
    src = rsvqa_split(tmp_path, "Is there a road?", "yes", "presence")
    for n in ("._LR_split_test_questions.json", "._LR_split_test_answers.json"):
        (src / n).write_bytes(_APPLE_DOUBLE)
    stats, recs = convert(tmp_path / "out", "rsvqa", "--src", str(src), "--images", str(tmp_path / "lr"))
    assert [r["conversations"][1]["value"] for r in recs] == ["yes"] and stats["skipped"] == {}
    assert stats["notes"]["macos_metadata_files_ignored"] == 1


def test_dota_short_line_says_what_is_wrong(tmp_path):
    """A triangle (6 numbers) or a line without a class was ``unparsable_line (LINE)``, the user left to count."""
    png(tmp_path / "P1.png", 64, 48)
    (tmp_path / "P1.txt").write_text("10 10 30 10 30 20 ship 0\n10 10 30 10 30 20 10 20\n10 10 30 10 30 20 10 20 ship 0\n")
    stats, _ = convert(tmp_path / "out", "dota", "--src", str(tmp_path))
    assert stats["skipped"] == {"unparsable_line": 2}
    assert stats["skipped_examples"]["unparsable_line"].endswith(
        "P1.txt:1: unparsable_line (6 numbers before the class, not 8 (4 corners x y): 10 10 30 10 30 20 ship 0)")
    (tmp_path / "P1.txt").write_text("10 10 30 10 30 20 10 20\n")
    with pytest.raises(ConversionError, match=r"P1\.txt:1: unparsable_line \(no class after the 8 numbers"):
        convert(tmp_path / "out2", "dota", "--src", str(tmp_path), "--strict")
    (tmp_path / "P1.txt").write_text("10 10 30 10 30 20 10 20 0\n")  # the class left out, its difficult flag kept:
    with pytest.raises(ConversionError, match=r"P1\.txt:1: unparsable_line \(no class after the 8 numbers"):
        convert(tmp_path / "out3", "dota", "--src", str(tmp_path), "--strict")  # it was "a number among the class words"


def test_geojson_class_property_empty_null_or_absent_is_said_so(tmp_path):
    """``--class-property amenity`` over SpaceNet footprints whose ``amenity`` is ``""`` said "no property 'amenity'"
    for each, sending the user to look for a typo in a name that is there."""
    props = [{"amenity": ""}, {"amenity": None}, {}, {"amenity": "school"}]
    footprints_scene(tmp_path, props)
    stats, recs = convert(tmp_path / "out", "geojson", "--images", str(tmp_path / "a.tif"), "--labels",
                          str(tmp_path / "a.geojson"), "--class-property", "amenity", "--no-ground")
    assert len(recs) == 2 and stats["skipped"] == {"unknown_class": 3}
    assert stats["skipped_examples"]["unknown_class"].endswith("features[0]: unknown_class (property 'amenity' is empty)")
    footprints_scene(tmp_path, props[1:])
    with pytest.raises(ConversionError, match=r"features\[0\]: unknown_class \(property 'amenity' is null\)"):
        convert(tmp_path / "o2", "geojson", "--images", str(tmp_path / "a.tif"), "--labels", str(tmp_path / "a.geojson"),
                "--class-property", "amenity", "--strict")


def test_masks_16_bit_grey_label_under_a_colour_palette_names_its_own_values(tmp_path):
    """A 16-bit grey label (instance codes 0/1000) under ``--preset hrsid`` (colours) was read through PIL's RGB,
    which clips: ``unknown_label_value (value (255, 255, 255) …)``, a value the file does not hold."""
    import numpy as np
    from PIL import Image

    png(tmp_path / "a.png", 32, 32)
    code = np.zeros((32, 32), np.uint16)
    code[4:12, 4:12] = 1000
    Image.fromarray(code).save(tmp_path / "a_mask.png")
    assert Image.open(tmp_path / "a_mask.png").mode == "I;16"
    with pytest.raises(ConversionError, match=r"a_mask\.png: unknown_label_value \(value \(1000, 1000, 1000\) on 64 "):
        convert(tmp_path / "out", "masks", "--images", str(tmp_path), "--labels", str(tmp_path), "--preset", "hrsid",
                "--strict")


def test_folder_split_or_wrapper_folder_is_no_class(tmp_path):
    """``--src`` over ``train/church/1.png`` and ``val/…``: the class is the top folder, so every image was class
    ``train`` or ``val``, the real classes lost, unsaid. (A lone wrapper such as UCMerced's ``Images/…`` is read
    through since stop 65.)"""
    for p in ("train/church/1.png", "train/farm/2.png", "val/church/3.png"):
        png(tmp_path / "ds" / p, 32, 32)
    with pytest.raises(ConversionError, match=r"ds: its folders train, val look like a split .*"
                                              r"train/church/1\.png\); give --src .*ds/train,"):
        convert(tmp_path / "out", "folder", "--src", str(tmp_path / "ds"))
    stats, recs = convert(tmp_path / "out", "folder", "--src", str(tmp_path / "ds" / "train"))
    assert sorted(r["conversations"][1]["value"] for r in recs) == ["church", "farm"]
    png(tmp_path / "flat" / "train" / "1.png", 32, 32)  # images right in it: a class of that name, as before
    stats, recs = convert(tmp_path / "out2", "folder", "--src", str(tmp_path / "flat"))
    assert [r["conversations"][1]["value"] for r in recs] == ["train"]
