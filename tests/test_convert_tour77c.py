"""Tour 77 (Q3) of the converters: the "most images missing" warning, rsivqa's alone, is now said by every converter
that matches its inputs to images by name (llava, voc, dota, geojson, masks), each counting its own unit: a wrong
``--images`` gave a column of ``missing_image`` skips and no word on what to check."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from convert_helpers import convert, footprints_scene, png
from PIL import Image

from data_gen.__main__ import main

STEMS = ("a", "b", "c", "d", "e")
ASK = "skipped as missing_image: is --images the folder of the whole dataset"


def _dota(tmp_path, stems):
    for s in stems:
        (tmp_path / "src" / "labelTxt").mkdir(parents=True, exist_ok=True)
        (tmp_path / "src" / "labelTxt" / f"{s}.txt").write_text("10 10 40 10 40 30 10 30 ship 0\n")
    return ["dota", "--src", str(tmp_path / "src")], "label files", "the images of every label file under --src"


def _voc(tmp_path, stems):
    (tmp_path / "src").mkdir()
    for s in stems:
        (tmp_path / "src" / f"{s}.xml").write_text(
            f"<annotation><filename>{s}.png</filename><object><name>ship</name><bndbox><xmin>10</xmin><ymin>10</ymin>"
            "<xmax>40</xmax><ymax>30</ymax></bndbox></object></annotation>")
    return ["voc", "--src", str(tmp_path / "src")], "XML files", "the images of every XML file under --src"


def _masks(tmp_path, stems):
    a = np.zeros((48, 64), np.uint8)
    a[10:30, 10:40] = 255
    (tmp_path / "labels").mkdir()
    for s in stems:
        Image.fromarray(a).save(tmp_path / "labels" / f"{s}.png")
    return (["masks", "--labels", str(tmp_path / "labels"), "--binary", "building"], "label images",
            "the images of every label under --labels")


def _geojson(tmp_path, stems):
    footprints_scene(tmp_path, [{}])
    (tmp_path / "labels").mkdir()
    for s in stems:
        shutil.copy(tmp_path / "a.geojson", tmp_path / "labels" / f"{s}.geojson")
    return (["geojson", "--labels", str(tmp_path / "labels")], "GeoJSON files",
            "the GeoTIFFs of every GeoJSON file under --labels")


def _llava(tmp_path, stems):
    rows = [{"id": s, "image": f"{s}.png", "conversations": [{"from": "human", "value": "<image>\nWhat is it?"},
                                                             {"from": "gpt", "value": "A harbour."}]} for s in stems]
    (tmp_path / "l.json").write_text(json.dumps(rows))
    return ["llava", "--src", str(tmp_path / "l.json")], "records", "the images of every record --src holds"


FORMATS = {"dota": (_dota, "{}.*"), "voc": (_voc, "{}.png"), "masks": (_masks, "{}.*"),
           "geojson": (_geojson, "{}.tif"), "llava": (_llava, "{}.png")}


def _run(tmp_path, fmt: str, stems, capsys, present=("a",)):
    """``fmt`` over ``stems``' labels or records, beside an ``--images`` folder holding ``present``'s images alone."""
    argv, unit, whose = FORMATS[fmt][0](tmp_path, stems)
    for s in present:
        if fmt == "geojson":
            (tmp_path / "imgs").mkdir(exist_ok=True)
            shutil.copy(tmp_path / "a.tif", tmp_path / "imgs" / f"{s}.tif")
        else:
            png(tmp_path / "imgs" / f"{s}.png", 64, 48)
    capsys.readouterr()
    rc = main(["convert", *argv, "--images", str(tmp_path / "imgs"), "--out", str(tmp_path / "o"), "--no-progress"])
    stats = json.loads((tmp_path / "o" / "stats.json").read_text())
    return rc, stats, capsys.readouterr().err, unit, whose


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_most_images_missing_is_said_once_naming_the_first_three(tmp_path, capsys, fmt):
    """Four of five inputs name an image not under --images: one warning, on stderr and in the notes, with the
    converter's own unit and the first three names; the count stays missing_image."""
    rc, stats, err, unit, whose = _run(tmp_path, fmt, STEMS, capsys)
    names = ", ".join(FORMATS[fmt][1].format(s) for s in "bcd")
    said = f"4 of 5 {unit} name an image not under --images {tmp_path / 'imgs'} ({names}, …), {ASK} ({whose})?"
    assert rc == 0 and stats["records"] and stats["skipped"]["missing_image"] == 4, stats
    assert stats["notes"].get(said) == 1, stats["notes"]
    assert err.count("warning: ") == 1 and f"warning: {said}" in err, err


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_half_the_images_missing_gives_no_warning(tmp_path, capsys, fmt):
    """Two of four missing is as likely a partial download as a wrong folder: counted, not warned of."""
    rc, stats, err, *_ = _run(tmp_path, fmt, STEMS[:4], capsys, present=("a", "b"))
    assert rc == 0 and stats["skipped"]["missing_image"] == 2, stats
    assert "warning" not in err and not any("name an image not under" in k for k in stats["notes"]), err


def test_dota_images_found_under_src_says_to_give_images(tmp_path, capsys):
    """Without --images the folder searched is --src's own images/: the warning names it and says to give --images
    (there was no --images to ask about)."""
    _dota(tmp_path, "abc")
    png(tmp_path / "src" / "images" / "a.png", 64, 48)
    assert main(["convert", "dota", "--src", str(tmp_path / "src"), "--out", str(tmp_path / "o"), "--no-progress"]) == 0
    assert (f"warning: 2 of 3 label files name an image not under {tmp_path / 'src' / 'images'} (b.*, c.*), skipped as "
            "missing_image: give --images the folder of the whole dataset (the images of every label file under --src)"
            "\n") in capsys.readouterr().err


def test_llava_records_of_one_image_missing_name_it_once(tmp_path, capsys):
    """Three questions of one missing image and one of another: the image is named once, with no "…" (more records
    are missing, not more images)."""
    _llava(tmp_path, ["b", "b", "b", "c"])
    png(tmp_path / "imgs" / "a.png", 64, 48)
    assert main(["convert", "llava", "--src", str(tmp_path / "l.json"), "--images", str(tmp_path / "imgs"),
                 "--out", str(tmp_path / "o"), "--no-progress"]) == 2  # nothing written: said after the warning
    err = capsys.readouterr().err
    assert f"warning: 4 of 4 records name an image not under --images {tmp_path / 'imgs'} (b.png, c.png), " in err, err
    assert err.index("warning: ") < err.index("no records written")


def test_the_real_llava_sample_given_the_folder_above_says_so(tmp_path, realdata, capsys):
    """The derived LLaVA sample's paths (cls_aid/church_183.png) are relative to realdata; given the folder above
    it, both records missed their image with nothing but the count and the first."""
    rc = main(["convert", "llava", "--src", str(realdata / "vqa_llava_derived" / "sample_llava_derived.json"),
               "--images", str(realdata.parent), "--out", str(tmp_path / "o"), "--no-progress"])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("warning: ") == 1, err
    assert (f"warning: 2 of 2 records name an image not under --images {realdata.parent} (cls_aid/church_183.png, "
            "obb_dota/P1888.png), skipped as missing_image: is --images the folder of the whole dataset") in err


def test_coco_entries_mostly_missing_say_so(tmp_path, capsys):
    """COCO matches by file_name as well: three of four entries missing is said once, counting image entries."""
    png(tmp_path / "imgs" / "a.png", 64, 48)
    entries = [{"id": k, "file_name": f"{s}.png", "width": 64, "height": 48} for k, s in enumerate("abcd", 1)]
    anns = [{"id": k, "image_id": k, "category_id": 1, "bbox": [10, 10, 30, 20], "area": 600, "iscrowd": 0}
            for k in range(1, 5)]
    (tmp_path / "c.json").write_text(json.dumps({"images": entries, "annotations": anns,
                                                 "categories": [{"id": 1, "name": "ship"}]}))
    assert main(["convert", "coco", "--ann", str(tmp_path / "c.json"), "--images", str(tmp_path / "imgs"),
                 "--out", str(tmp_path / "o"), "--no-progress"]) == 0
    assert (f"warning: 3 of 4 image entries name an image not under --images {tmp_path / 'imgs'} (b.png, c.png, "
            f"d.png), {ASK} (the images of every entry --ann lists)?\n") in capsys.readouterr().err


def test_geojson_beside_an_empty_folder_says_it_holds_no_geotiff(tmp_path):
    """An --images folder without a GeoTIFF got "give --match, a regex of the part both names share": no pattern
    finds a GeoTIFF where there is none. It says the folder holds none now."""
    _geojson(tmp_path, "ab")
    (tmp_path / "imgs").mkdir()
    rc = main(["convert", "geojson", "--labels", str(tmp_path / "labels"), "--images", str(tmp_path / "imgs"),
               "--out", str(tmp_path / "o"), "--no-progress"])
    stats = json.loads((tmp_path / "o" / "stats.json").read_text())
    assert rc == 2 and stats["skipped"] == {"missing_image": 2}
    assert stats["skipped_examples"]["missing_image"].endswith(
        f"no such image under --images {tmp_path / 'imgs'}; it holds no GeoTIFF (.tif, .tiff))")


def test_an_image_beside_its_mask_in_labels_is_no_label(tmp_path):
    """HRSID keeps x.jpg beside x_mask.png. Given --labels that folder and --images another, the image was read as a
    label of no image: a false missing_image on a good run, and on a wrong --images the image itself was named as a
    label. It is left out as a label, and the label's missing_image says where its image lies."""
    a = np.zeros((48, 64), np.uint8)
    a[10:30, 10:40] = 255
    (tmp_path / "hr").mkdir()
    Image.fromarray(a).save(tmp_path / "hr" / "x_mask.png")
    png(tmp_path / "hr" / "x.png", 64, 48)
    png(tmp_path / "other" / "y.png", 64, 48)
    stats, recs = convert(tmp_path / "o", "masks", "--images", str(tmp_path), "--labels", str(tmp_path / "hr"),
                          "--binary", "ship")
    assert len(recs) == 1 and stats["skipped"] == {}, stats
    stats = convert(tmp_path / "p", "masks", "--images", str(tmp_path / "other"), "--labels", str(tmp_path / "hr"),
                    "--binary", "ship")[0]
    assert stats["skipped"] == {"missing_image": 1}, stats
    assert stats["skipped_examples"]["missing_image"] == (
        f"{tmp_path / 'hr' / 'x_mask.png'}: missing_image (x.*: no such image under --images {tmp_path / 'other'}; "
        "its image x.png lies beside it, in --labels)")
