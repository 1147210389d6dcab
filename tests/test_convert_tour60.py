"""Converter tour 60: one skip key for an unreadable image in every converter, one rule for swapped
box corners, bow-tie COCO polygons counted, and odd inputs (BOM, CRLF, 7-coordinate DOTA lines)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from convert_helpers import convert, png
from PIL import Image
from test_convert_badinput import truncated


def _label(path: Path, w: int = 64, h: int = 48) -> Path:
    lab = np.zeros((h, w), np.uint8)
    lab[10:30, 10:30] = 255
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(lab).save(path)
    return path


def _voc_xml(path: Path, image: str, box: tuple[int, int, int, int], name: str = "ship") -> Path:
    x1, y1, x2, y2 = box
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"<annotation><filename>{image}</filename><object><name>{name}</name><bndbox>"
                    f"<xmin>{x1}</xmin><ymin>{y1}</ymin><xmax>{x2}</xmax><ymax>{y2}</ymax></bndbox></object></annotation>")
    return path


def _truncated_run(fmt: str, tmp: Path) -> list[str]:
    """The argv of a ``fmt`` run whose one image is truncated (a second, good one beside it)."""
    d = tmp / "in"
    if fmt == "levir-cd":
        for name in ("p", "q"):
            png(d / "A" / f"{name}.png", 64, 48)
            (truncated if name == "p" else png)(d / "B" / f"{name}.png", 64, 48)
            _label(d / "label" / f"{name}.png")
        return ["levir-cd", "--src", str(d)]
    truncated(d / "a.png")
    png(d / "b.png", 64, 48)
    if fmt == "masks":
        for s in "ab":
            _label(d / f"{s}_mask.png")
        return ["masks", "--images", str(d), "--labels", str(d), "--binary", "building"]
    if fmt == "dota":
        for s in "ab":
            (d / f"{s}.txt").write_text("10 10 40 10 40 30 10 30 plane 0\n")
        return ["dota", "--src", str(d)]
    if fmt == "voc":
        for s in "ab":
            _voc_xml(d / f"{s}.xml", f"{s}.png", (11, 11, 40, 30))
        return ["voc", "--src", str(d), "--images", str(d)]
    if fmt == "coco":
        ann = {"images": [{"id": k, "file_name": f"{s}.png"} for k, s in enumerate("ab")],
               "annotations": [{"id": k, "image_id": k, "category_id": 1, "bbox": [10, 10, 20, 20]} for k in range(2)],
               "categories": [{"id": 1, "name": "ship"}]}
        (tmp / "ann.json").write_text(json.dumps(ann))
        return ["coco", "--ann", str(tmp / "ann.json"), "--images", str(d)]
    if fmt == "llava":
        recs = [{"id": s, "image": f"{s}.png", "conversations": [{"from": "human", "value": "<image>\nWhat is it?"},
                                                                {"from": "gpt", "value": "A field."}]} for s in "ab"]
        (tmp / "l.json").write_text(json.dumps(recs))
        return ["llava", "--src", str(tmp / "l.json"), "--images", str(d)]
    (tmp / "q.txt").write_text("a.png:is there a plane?yes\nb.png:any ship?no\n")
    return ["rsivqa", "--src", str(tmp / "q.txt"), "--images", str(d)]


@pytest.mark.parametrize("fmt", ["dota", "voc", "coco", "masks", "levir-cd", "llava", "rsivqa"])
def test_a_truncated_image_is_unreadable_image_in_every_converter(tmp_path, fmt):
    """masks and levir-cd counted it as ``unreadable``, the others as ``unreadable_image``: a user summing
    one key over runs missed theirs."""
    argv = _truncated_run(fmt, tmp_path)
    stats, records = convert(tmp_path / "o", *argv)
    assert stats["skipped"] == {"unreadable_image": 1} and records, stats
    assert "cannot read image" in stats["skipped_examples"]["unreadable_image"]


@pytest.mark.parametrize("fmt", ["masks", "levir-cd"])
def test_a_truncated_label_mask_is_unreadable_label(tmp_path, fmt):
    d = tmp_path / "in"
    if fmt == "masks":
        png(d / "a.png", 64, 48)
        truncated(d / "a_mask.png")
        argv = ["masks", "--images", str(d), "--labels", str(d), "--binary", "building"]
    else:
        png(d / "A" / "p.png", 64, 48)
        png(d / "B" / "p.png", 64, 48)
        truncated(d / "label" / "p.png")
        argv = ["levir-cd", "--src", str(d)]
    from data_gen.convert import convert as run_convert

    stats = run_convert([argv[0], "--out", str(tmp_path / "o"), *argv[1:]])  # no record: stats only
    assert stats["records"] == 0 and stats["skipped"] == {"unreadable_label": 1}
    assert "cannot read label" in stats["skipped_examples"]["unreadable_label"]



@pytest.mark.parametrize("swap", ["x", "y", "both"])
def test_a_voc_box_with_swapped_corners_is_skipped_as_degenerate_naming_the_swap(tmp_path, swap):
    """One rule for swapped corners: voc skipped them as degenerate (as coco a negative bbox width), llava
    reordered GeoChat's without a word. Both skip now, the example naming the swap."""
    png(tmp_path / "a.png", 100, 80)
    box = {"x": (40, 21, 11, 60), "y": (11, 60, 40, 21), "both": (40, 60, 11, 21)}[swap]
    _voc_xml(tmp_path / "ann" / "a.xml", "a.png", box)
    _voc_xml(tmp_path / "ann" / "b.xml", "a.png", (11, 21, 40, 60))
    stats, recs = convert(tmp_path / "o", "voc", "--src", str(tmp_path / "ann"), "--images", str(tmp_path))
    assert stats["skipped"] == {"degenerate": 1} and {r["meta"]["file"] for r in recs} == {"b.xml"}
    assert "a.xml: object 1 (ship): degenerate" in stats["skipped_examples"]["degenerate"]
    assert "xmax or ymax before xmin or ymin" in stats["skipped_examples"]["degenerate"]


@pytest.mark.parametrize("box", ["<60><20><40><70>", "<40><70><60><20>"])
def test_a_geochat_box_with_swapped_corners_is_skipped_as_degenerate_box(tmp_path, box):
    png(tmp_path / "imgs" / "g.png", 200, 100)
    recs = [{"id": k, "image": "g.png", "conversations": [
        {"from": "human", "value": "<image>\n[refer] where is <p>the ship</p>?"},
        {"from": "gpt", "value": f"<p>the ship</p> {{{b}}}"}]}
        for k, b in (("plain", "<40><20><60><70>"), ("swapped", box))]
    (tmp_path / "gc.json").write_text(json.dumps(recs))
    stats, out = convert(tmp_path / "o", "llava", "--src", str(tmp_path / "gc.json"), "--images", str(tmp_path / "imgs"))
    assert [r["id"] for r in out] == ["plain"] and stats["skipped"] == {"degenerate_box": 1}
    assert "record 1" in stats["skipped_examples"]["degenerate_box"]
    assert "x2 or y2 before x1 or y1" in stats["skipped_examples"]["degenerate_box"]


def test_a_bow_tie_coco_polygon_is_split_and_counted(tmp_path):
    """shapely.make_valid splits a ring that crosses itself into its loops: two polygons came out of
    one annotation without a word."""
    from convert_helpers import objs

    png(tmp_path / "a.png", 100, 80)
    ann = {"images": [{"id": 1, "file_name": "a.png", "width": 100, "height": 80}],
           "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [10, 10, 40, 40],
                            "segmentation": [[10, 10, 50, 50, 50, 10, 10, 50]]},  # a bow-tie: crosses at (30, 30)
                           {"id": 2, "image_id": 1, "category_id": 2, "bbox": [60, 10, 20, 20],
                            "segmentation": [[60, 10, 80, 10, 80, 30, 60, 30]]}],
           "categories": [{"id": 1, "name": "field"}, {"id": 2, "name": "pond"}]}
    (tmp_path / "a.json").write_text(json.dumps(ann))
    stats, recs = convert(tmp_path / "o", "coco", "--ann", str(tmp_path / "a.json"), "--images", str(tmp_path))
    assert stats["notes"]["self_intersecting_polygons_split"] == 1 and stats["skipped"] == {}
    by = {r["id"]: r for r in recs}
    assert len(objs(by["coco-a-seg-field"])) == 2 and len(objs(by["coco-a-seg-pond"])) == 1
    assert sum(o["label"] == "field" for o in objs(by["coco-a-det-box"])) == 1  # the bbox, not one per part


def test_a_dota_quad_with_crossed_corners_is_its_box_not_degenerate(tmp_path):
    """Corners listed 1, 3, 2, 4 gave a shoelace area of 0: the car was skipped as a quad under 1 px²."""
    from convert_helpers import near, objs

    from data_gen.convert.detection import crossed_quad

    png(tmp_path / "a.png", 100, 80)
    (tmp_path / "a.txt").write_text("10 10 40 30 40 10 10 30 plane 0\n50 40 90 40 90 70 50 70 ship 0\n")
    stats, recs = convert(tmp_path / "o", "dota", "--src", str(tmp_path))
    assert stats["skipped"] == {} and stats["notes"]["quads_with_crossed_corners_reordered"] == 1
    rec = next(r for r in recs if r["id"] == "dota-a-det-obb")
    plane = next(o for o in objs(rec) if o["label"] == "plane")
    xs, ys = sorted(p[0] for p in plane["coords"]), sorted(p[1] for p in plane["coords"])
    assert near([xs[0], xs[-1], ys[0], ys[-1]], [10, 40, 10, 30], 100)
    assert not crossed_quad(plane["coords"])  # written in order, not as the bow-tie it was given as (same bounds)



@pytest.mark.realdata
@pytest.mark.parametrize("shape", ["symmetric", "asymmetric"])
def test_a_bow_tie_geojson_footprint_is_split_and_counted(tmp_path, realdata, shape):
    """A symmetric bow-tie footprint was skipped as ``degenerate`` (the shoelace areas of its loops cancel) where an
    asymmetric one was split and counted, as in ``coco``: both are split into their loops and counted now."""
    from convert_helpers import objs

    src = json.loads((realdata / "bldg_spacenet4" / "geotiff_labels.geojson").read_text())
    feature = src["features"][0]
    xs, ys = zip(*feature["geometry"]["coordinates"][0])
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    ym = y1 if shape == "symmetric" else y0 + 0.4 * (y1 - y0)  # asymmetric: loops of unequal area
    ring = [[x0, y0], [x1, y1], [x1, y0], [x0, ym], [x0, y0]]  # crosses itself (at the centre where symmetric)
    bow = {**feature, "geometry": {"type": "Polygon", "coordinates": [ring]}}
    (tmp_path / "bt.geojson").write_text(json.dumps({**src, "features": [bow, *src["features"][1:3]]}))
    stats, recs = convert(tmp_path / "o", "geojson", "--images", str(realdata / "bldg_spacenet4" / "sample_geotiff.tif"),
                          "--labels", str(tmp_path / "bt.geojson"))
    assert stats["skipped"] == {} and stats["notes"]["self_intersecting_polygons_split"] == 1
    seg = next(r for r in recs if r["id"].endswith("-seg-building"))
    assert len(objs(seg)) == 4  # the bow-tie's two loops and the two other footprints


@pytest.mark.parametrize("obj, message", [
    ("<name>ship</name>", "no <bndbox> or <robndbox>"),
    ("<name>ship</name><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>9</xmax></bndbox>", "no <ymax> in <bndbox>"),
    ("<name>ship</name><bndbox><xmin>1</xmin><ymin> </ymin><xmax>9</xmax><ymax>9</ymax></bndbox>", "no <ymin> in <bndbox>"),
])
def test_a_voc_object_without_its_box_is_named_not_a_nonetype_error(tmp_path, obj, message):
    """The example read "bad box: 'NoneType' object has no attribute 'find'" (or 'text')."""
    png(tmp_path / "a.png", 100, 80)
    good = "<object><name>ship</name><bndbox><xmin>11</xmin><ymin>11</ymin><xmax>40</xmax><ymax>30</ymax></bndbox></object>"
    (tmp_path / "a.xml").write_text(f"<annotation><filename>a.png</filename><object>{obj}</object>{good}</annotation>")
    stats, recs = convert(tmp_path / "o", "voc", "--src", str(tmp_path), "--images", str(tmp_path))
    assert stats["skipped"] == {"unparsable_object": 1} and recs
    assert stats["skipped_examples"]["unparsable_object"].endswith(f"a.xml: object 1 (ship): unparsable_object (bad box: {message})")


@pytest.mark.parametrize("fmt", ["dota", "voc", "coco"])
def test_strict_goes_on_past_the_objects_skip_difficult_or_skip_crowd_leaves_out(tmp_path, fmt):
    """``--strict --skip-difficult`` stopped at the first difficult object: "error: a.txt:1: difficult"."""
    from data_gen.convert.common import ConversionError

    png(tmp_path / "a.png", 100, 80)
    if fmt == "dota":
        (tmp_path / "a.txt").write_text("10 10 40 10 40 30 10 30 plane 1\n50 40 90 40 90 70 50 70 ship 0\n")
        argv = ["dota", "--src", str(tmp_path), "--skip-difficult"]
    elif fmt == "voc":
        ob = "<object><name>{}</name><difficult>{}</difficult><bndbox><xmin>{}</xmin><ymin>11</ymin><xmax>{}</xmax>" \
             "<ymax>30</ymax></bndbox></object>"
        (tmp_path / "a.xml").write_text(f"<annotation><filename>a.png</filename>{ob.format('plane', 1, 11, 40)}"
                                        f"{ob.format('ship', 0, 51, 90)}</annotation>")
        argv = ["voc", "--src", str(tmp_path), "--images", str(tmp_path), "--skip-difficult"]
    else:
        ann = {"images": [{"id": 1, "file_name": "a.png"}], "categories": [{"id": 1, "name": "car"}],
               "annotations": [{"id": k, "image_id": 1, "category_id": 1, "bbox": [10 + 40 * k, 10, 20, 20], "iscrowd": k}
                               for k in (0, 1)]}
        (tmp_path / "a.json").write_text(json.dumps(ann))
        argv = ["coco", "--ann", str(tmp_path / "a.json"), "--images", str(tmp_path), "--skip-crowd"]
    stats, recs = convert(tmp_path / "o", *argv, "--strict")
    assert stats["skipped"] == {} and recs  # the user's choice: filtered, not a bad annotation
    assert stats["filtered"] == ({"--skip-crowd: car": 1} if fmt == "coco" else {"--skip-difficult: plane": 1})
    bad = tmp_path / ("b.txt" if fmt == "dota" else "b.xml")  # a bad annotation is still raised
    if fmt != "coco":
        png(tmp_path / "b.png", 100, 80)
        bad.write_text("10 10 40 10 40 30 10 plane 0\n" if fmt == "dota" else "<annotation><object>")
        with pytest.raises(ConversionError, match="b\\.(txt:1: unparsable_line|xml: unparsable_xml)"):
            convert(tmp_path / "o2", *argv, "--strict")


def test_coco_duplicate_image_ids_and_category_ids_are_named(tmp_path):
    """A second image entry of one id replaced the first without a word (the first file's boxes then drawn
    on the second), and a second category of one id renamed the first's objects."""
    from data_gen.convert.common import ConversionError

    png(tmp_path / "a.png", 100, 80)
    png(tmp_path / "b.png", 50, 40)
    ann = {"images": [{"id": 1, "file_name": "a.png"}, {"id": 1, "file_name": "b.png"}],
           "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [60, 50, 20, 20]}],
           "categories": [{"id": 1, "name": "ship"}, {"id": 1, "name": "Ship"}]}  # the same name once cleaned: no error
    (tmp_path / "a.json").write_text(json.dumps(ann))
    stats, recs = convert(tmp_path / "o", "coco", "--ann", str(tmp_path / "a.json"), "--images", str(tmp_path))
    assert stats["skipped"] == {"duplicate_image_id": 1} and {r["images"][0]["path"] for r in recs} == {"images/a.png"}
    assert "images[1]" in stats["skipped_examples"]["duplicate_image_id"]
    ann["categories"][1]["name"] = "plane"
    (tmp_path / "a.json").write_text(json.dumps(ann))
    with pytest.raises(ConversionError, match=r"a\.json: categories\[1\] gives id 1 to 'plane', an earlier category's id \('ship'\)"):
        convert(tmp_path / "o2", "coco", "--ann", str(tmp_path / "a.json"), "--images", str(tmp_path))


def test_an_image_named_with_folders_or_a_windows_path_is_found_by_its_file_name(tmp_path):
    """A VOC <filename> of C:\\data\\a.png (labelImg on Windows) was missing_image; JPEGImages/x.png was
    found only by its stem, noted as image_found_by_stem."""
    box = "<object><name>ship</name><bndbox><xmin>11</xmin><ymin>11</ymin><xmax>40</xmax><ymax>30</ymax></bndbox></object>"
    for name, filename in (("a", "C:\\data\\JPEGImages\\a.png"), ("b", "JPEGImages/x.png")):
        png(tmp_path / "img" / f"{filename[-5]}.png", 100, 80)
        (tmp_path / "ann").mkdir(exist_ok=True)
        (tmp_path / "ann" / f"{name}.xml").write_text(f"<annotation><filename>{filename}</filename>{box}</annotation>")
    stats, recs = convert(tmp_path / "o", "voc", "--src", str(tmp_path / "ann"), "--images", str(tmp_path / "img"))
    assert stats["skipped"] == {} and "image_found_by_stem" not in stats["notes"]
    assert {r["images"][0]["path"] for r in recs} == {"images/a.png", "images/x.png"}


@pytest.mark.realdata
def test_voc_sirst_example_of_the_docs_gives_its_box_within_a_bin(tmp_path, realdata):
    """The docs table's ``voc`` example on the real SIRST file: one target, its 1-based inclusive box
    173..176 x 109..114 as pixel edges 172..176 x 108..114, the pixel mask beside it counted as a mask beside
    its image (stop 79: it was an image without label)."""
    from convert_helpers import near, objs

    d = realdata / "ir_sirst"
    stats, recs = convert(tmp_path / "o", "voc", "--src", str(d), "--images", str(d), "--modality", "ir", "--strict")
    assert stats["skipped"] == {} and stats["notes"] == {"masks_beside_their_images_left_out": 1}
    (det,) = (r for r in recs if r["task"] == "det")
    (obj,) = objs(det)
    assert obj["label"] == "target" and det["images"][0]["modality"] == "ir"
    assert near(obj["coords"], [172, 108, 176, 114], 332)


def test_a_yaml_palette_is_read_as_utf8_and_a_latin1_one_is_named(tmp_path):
    """The YAML palette was read in the locale's encoding (under LANG=C a class "forêt" did not decode) and
    a file that did not decode was a UnicodeDecodeError traceback; now UTF-8 (BOM or not), else an error
    naming the palette."""
    from data_gen.convert.common import ConversionError

    png(tmp_path / "a.png", 64, 48)
    lab = Image.new("L", (64, 48), 0)
    lab.paste(2, (10, 10, 30, 30))
    lab.save(tmp_path / "a_mask.png")
    (tmp_path / "pal.yaml").write_bytes("\ufefffor\u00eat: 2\r\n".encode())
    stats, recs = convert(tmp_path / "o", "masks", "--images", str(tmp_path), "--labels", str(tmp_path),
                          "--palette", str(tmp_path / "pal.yaml"))
    assert [r["id"] for r in recs] == ["seg-a-forêt-poly"]
    (tmp_path / "pal.yaml").write_bytes("for\u00eat: 2\n".encode("latin-1"))
    with pytest.raises(ConversionError, match=r"pal\.yaml: cannot read palette"):
        convert(tmp_path / "o2", "masks", "--images", str(tmp_path), "--labels", str(tmp_path),
                "--palette", str(tmp_path / "pal.yaml"))


@pytest.mark.parametrize("fmt", ["coco", "llava"])
def test_an_annotation_json_that_is_not_utf8_is_an_error_naming_it(tmp_path, fmt, capsys):
    """A Latin-1 COCO or LLaVA file (a category "forêt") was a UnicodeDecodeError traceback."""
    from data_gen.convert import main

    png(tmp_path / "a.png", 64, 48)
    body = ('{"images": [], "annotations": [], "categories": [{"id": 1, "name": "for\u00eat"}]}' if fmt == "coco" else
            '[{"id": "x", "image": "a.png", "conversations": [{"from": "human", "value": "for\u00eat?"}]}]')
    (tmp_path / "a.json").write_bytes(body.encode("latin-1"))
    src = ["--ann"] if fmt == "coco" else ["--src"]
    assert main([fmt, "--out", str(tmp_path / "o"), *src, str(tmp_path / "a.json"), "--images", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert f"error: {tmp_path / 'a.json'}: cannot read" in err and "codec can't decode" in err, err


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-8-sig"])
def test_dota_and_rsivqa_text_with_a_bom_is_read(tmp_path, encoding):
    """A label file saved by Windows Notepad as "Unicode" (UTF-16 with its BOM) had every line skipped as
    not_utf8; a UTF-8 BOM was read already."""
    png(tmp_path / "a.png", 100, 80)
    bom = "\ufeff" if encoding == "utf-16-be" else ""  # Python's utf-16 writes the BOM itself
    (tmp_path / "a.txt").write_text(bom + "imagesource:GoogleEarth\r\n10 10 40 10 40 30 10 30 plane 0\r\n",
                                    encoding=encoding)
    stats, recs = convert(tmp_path / "o", "dota", "--src", str(tmp_path))
    assert stats["skipped"] == {} and recs
    q = tmp_path / "q" / "q.txt"
    q.parent.mkdir()
    q.write_text(bom + "a.png:is there a plane?yes\r\n", encoding=encoding)
    stats, recs = convert(tmp_path / "o2", "rsivqa", "--src", str(q), "--images", str(tmp_path))
    assert stats["skipped"] == {} and [r["conversations"][1]["value"] for r in recs] == ["yes"]


def test_a_llava_image_path_written_on_windows_is_read(tmp_path):
    """``"image": "sub\\\\a.png"`` (a JSON made on Windows) was missing_image on Linux."""
    png(tmp_path / "sub" / "a.png", 64, 48)
    rec = {"id": "x", "image": "sub\\a.png", "conversations": [{"from": "human", "value": "<image>\nWhat?"},
                                                               {"from": "gpt", "value": "Ships."}]}
    (tmp_path / "a.json").write_text(json.dumps([rec, {**rec, "id": "y", "image": "sub\\b.png"}]))
    stats, recs = convert(tmp_path / "o", "llava", "--src", str(tmp_path / "a.json"), "--images", str(tmp_path))
    assert [r["images"][0]["path"] for r in recs] == ["images/a.png"]
    assert stats["notes"]["windows_paths_read"] == 1 and stats["skipped"] == {"missing_image": 1}


@pytest.mark.parametrize("case", ["image", "annotation", "category"])
def test_a_coco_id_that_is_a_list_or_object_is_named_not_an_unhashable_type_traceback(tmp_path, case):
    """An id of ``[1]`` or ``{"a": 1}`` ended the run with "TypeError: unhashable type: 'list'", naming no file."""
    from data_gen.convert.common import ConversionError

    png(tmp_path / "a.png", 100, 80)
    ann = {"images": [{"id": 1, "file_name": "a.png"}, {"id": [2], "file_name": "b.png"}],
           "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [10, 10, 20, 20]},
                           {"id": 2, "image_id": {"a": 1}, "category_id": 1, "bbox": [50, 10, 20, 20]}],
           "categories": [{"id": 1, "name": "car"}, {"id": [3], "name": "ship"}]}
    if case != "category":
        ann["categories"].pop()
    if case != "image":
        ann["images"].pop()
    if case != "annotation":
        ann["annotations"].pop()
    (tmp_path / "a.json").write_text(json.dumps(ann))
    argv = ["coco", "--ann", str(tmp_path / "a.json"), "--images", str(tmp_path)]
    if case == "category":
        with pytest.raises(ConversionError, match=r"a\.json: categories\[1\] needs an 'id' \(a number or string\)"):
            convert(tmp_path / "o", *argv)
        return
    stats, recs = convert(tmp_path / "o", *argv)
    key = "unparsable_image_entry" if case == "image" else "unparsable_annotation"
    assert stats["skipped"] == {key: 1} and recs
    where = "images[1]" if case == "image" else "annotations[1] (id 2): unparsable_annotation (image_id {'a': 1}"
    assert where in stats["skipped_examples"][key]


def test_strict_names_where_a_repeated_record_id_comes_from(tmp_path):
    """``--strict`` said only "duplicate record id '7'", in a file of thousands of records."""
    from data_gen.convert.common import ConversionError

    png(tmp_path / "imgs" / "1.png", 16, 16)
    lines = [{"id": i, "image": "1.png", "conversations": [{"from": "human", "value": q}, {"from": "gpt", "value": "a"}]}
             for i, q in ((7, "first?"), (8, "second?"), (7, "third?"))]
    (tmp_path / "l.json").write_text(json.dumps(lines))
    argv = ["llava", "--src", str(tmp_path / "l.json"), "--images", str(tmp_path / "imgs")]
    with pytest.raises(ConversionError, match=r"l\.json: record 2: duplicate record id '7', the id of the record "
                                              r"from \S*l\.json: record 0 \(without --strict it is written as 7-dup2\)"):
        convert(tmp_path / "o", *argv, "--strict")
