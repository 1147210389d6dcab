"""Dataset converters, tour 62: a scene given as one file per band (folder converter), COCO and
LLaVA rough edges."""

from __future__ import annotations

import numpy as np
import pytest
from convert_helpers import convert

from data_gen.convert.common import ConversionError


def band_tif(path, w=40, h=30, value=100):
    """A one-band uint16 GeoTIFF, as a Sentinel-2 band file."""
    from rasterio.transform import from_origin

    from rsvlm.io.sources import open_raster

    path.parent.mkdir(parents=True, exist_ok=True)
    with open_raster(path, "w", driver="GTiff", width=w, height=h, count=1, dtype="uint16",
                     crs="EPSG:32633", transform=from_origin(500000, 5000000, 10, 10)) as ds:
        ds.write(np.full((1, h, w), value, np.uint16))
    return path


def test_band_files_under_a_class_folder_are_one_msi_scene_not_class_b(tmp_path):
    """scene_b02.tif, scene_b03.tif … were each an image of class "b" (the name less its number)."""
    for b in ("b02", "b03", "b04", "b08"):
        band_tif(tmp_path / "src" / "forest" / f"scene_{b}.tif")
        band_tif(tmp_path / "src" / "river" / f"T33UUP_{b.upper()}_10m.tif")
    stats, recs = convert(tmp_path / "o", "folder", "--src", str(tmp_path / "src"))
    assert len(recs) == 2 and stats["notes"]["band_files_grouped"] == 8, stats
    by_class = {r["conversations"][1]["value"]: r for r in recs}
    assert set(by_class) == {"forest", "river"}
    im = by_class["forest"]["images"][0]
    assert im["modality"] == "msi" and [f.rsplit("_", 1)[-1] for f in im["band_files"]] == [
        "b02.tif", "b03.tif", "b04.tif", "b08.tif"]
    from rsvlm.io.read import SceneReader

    with SceneReader([str(tmp_path / "o" / f) for f in im["band_files"]]) as r:  # the record reads as one scene
        assert r.modality == "msi"


def test_band_files_not_of_the_modality_asked_are_skipped_saying_what_they_read_as(tmp_path):
    for b in ("B02", "B03", "B04", "B08"):
        band_tif(tmp_path / "forest" / f"a_{b}.tif")
    band_tif(tmp_path / "river" / "b_B02.tif")
    band_tif(tmp_path / "river" / "b_B03.tif", value=900)
    band_tif(tmp_path / "river" / "b_B04.tif", value=30)
    stats, recs = convert(tmp_path / "o", "folder", "--src", str(tmp_path), "--modality", "optical")
    assert stats["skipped"] == {"wrong_band_count": 1} and [r["conversations"][1]["value"] for r in recs] == ["river"]
    assert "a_B08.tif: wrong_band_count (4 bands cannot be read as optical" in stats["skipped_examples"]["wrong_band_count"]
    assert "they read as msi (--modality msi)" in stats["skipped_examples"]["wrong_band_count"]


def test_loose_band_files_take_their_class_from_the_scene_name(tmp_path):
    for b in ("B02", "B03", "B8A", "B11"):  # numeric band order, not text order (B11 < B2)
        band_tif(tmp_path / f"lake_7_{b}.tif")
    stats, recs = convert(tmp_path / "o", "folder", "--src", str(tmp_path))
    assert [r["conversations"][1]["value"] for r in recs] == ["lake"]
    assert [f[-7:-4] for f in recs[0]["images"][0]["band_files"]] == ["B02", "B03", "B8A", "B11"]
    assert stats["skipped_total"] == 0


def test_band_files_whose_names_give_no_class_are_refused_naming_them(tmp_path):
    """Sentinel-2's B02.jp2 … loose in --src (realdata msi_s2): four records of class "b"."""
    for b in ("B02", "B03", "B04"):
        band_tif(tmp_path / f"{b}.tif")
    with pytest.raises(ConversionError, match=r"3 band files \(B02.tif, B03.tif, B04.tif\) name no scene class"):
        convert(tmp_path / "o", "folder", "--src", str(tmp_path))


def test_band_files_of_different_sizes_are_skipped_and_counted(tmp_path):
    band_tif(tmp_path / "forest" / "a_B02.tif", 40, 30)
    band_tif(tmp_path / "forest" / "a_B03.tif", 20, 30)
    band_tif(tmp_path / "river" / "river_1_B02.tif")
    band_tif(tmp_path / "river" / "river_1_B03.tif")
    stats, recs = convert(tmp_path / "o", "folder", "--src", str(tmp_path))
    assert [r["conversations"][1]["value"] for r in recs] == ["river"]
    assert stats["skipped"] == {"unreadable_image": 1}, stats
    assert "a_B02.tif" in str(stats["skipped_examples"])


def _coco_file(tmp_path, images, anns):
    import json

    data = {"images": images, "categories": [{"id": 1, "name": "ship"}], "annotations": anns}
    (tmp_path / "ann.json").write_text(json.dumps(data))
    return tmp_path / "ann.json"


def test_coco_name_fallback_does_not_take_another_entries_folder(tmp_path):
    """--images the train folder, the annotations of train and val: val/a.png was found by name as
    train's a.png and its boxes drawn on it (records coco-a and coco-a-dup2)."""
    from convert_helpers import png

    png(tmp_path / "imgs" / "train" / "a.png", 100, 50)
    ann = _coco_file(tmp_path, [{"id": 1, "file_name": "train/a.png"}, {"id": 2, "file_name": "val/a.png"}],
                     [{"id": k, "image_id": k, "category_id": 1, "bbox": [10, 10, 20, 20]} for k in (1, 2)])
    stats, recs = convert(tmp_path / "o", "coco", "--ann", str(ann), "--images", str(tmp_path / "imgs" / "train"))
    assert stats["images"] == 1 and stats["skipped"] == {"missing_image": 1}, stats
    assert "val/a.png" in stats["skipped_examples"]["missing_image"]
    assert "train" in stats["skipped_examples"]["missing_image"]
    assert not any("dup" in r["id"] for r in recs) and "duplicate_ids_renamed" not in stats["notes"]
    png(tmp_path / "flat" / "c.png", 100, 50)  # folders no image is in (a flat export): found by name
    ann = _coco_file(tmp_path, [{"id": 3, "file_name": "JPEGImages/c.png"}],
                     [{"id": 1, "image_id": 3, "category_id": 1, "bbox": [10, 10, 20, 20]}])
    stats, _ = convert(tmp_path / "o2", "coco", "--ann", str(ann), "--images", str(tmp_path / "flat"))
    assert stats["images"] == 1 and stats["skipped"] == {}


def test_coco_duplicate_image_ids_are_skipped_naming_the_id(tmp_path):
    from convert_helpers import png

    png(tmp_path / "imgs" / "a.png", 100, 50)
    png(tmp_path / "imgs" / "b.png", 100, 50)
    ann = _coco_file(tmp_path, [{"id": 7, "file_name": "a.png"}, {"id": 7, "file_name": "b.png"}],
                     [{"id": 1, "image_id": 7, "category_id": 1, "bbox": [10, 10, 20, 20]}])
    stats, recs = convert(tmp_path / "o", "coco", "--ann", str(ann), "--images", str(tmp_path / "imgs"))
    assert stats["skipped"] == {"duplicate_image_id": 1} and "id 7 (b.png)" in stats["skipped_examples"]["duplicate_image_id"]
    with pytest.raises(ConversionError, match=r"images\[1\]: duplicate_image_id"):
        convert(tmp_path / "o2", "coco", "--ann", str(ann), "--images", str(tmp_path / "imgs"), "--strict")


@pytest.mark.parametrize("enc", ["utf-16-le", "utf-16-be"])
def test_llava_utf16_without_a_bom_is_read(tmp_path, enc):
    """Every line of a BOM-less UTF-16 LLaVA file was an ``unparsable_record`` (or the array "not valid
    JSON"); the text converters already read such files by their NUL bytes."""
    import json

    from convert_helpers import png

    png(tmp_path / "imgs" / "a.png", 64, 64)
    recs = [{"id": f"r{k}", "image": "a.png", "conversations": [
        {"from": "human", "value": "<image>\nWhat is in the harbour?"}, {"from": "gpt", "value": f"{k} ships"}]}
        for k in range(3)]
    for name, text in (("arr.json", json.dumps(recs, indent=1)), ("lines.jsonl", "\n".join(map(json.dumps, recs)))):
        (tmp_path / name).write_bytes(text.encode(enc))
        stats, out = convert(tmp_path / f"o-{name.split('.')[0]}", "llava", "--src", str(tmp_path / name), "--images",
                             str(tmp_path / "imgs"))
        assert stats["skipped"] == {} and [r["conversations"][1]["value"] for r in out] == ["0 ships", "1 ships", "2 ships"]


def test_one_band_file_as_src_takes_no_class_from_its_band(tmp_path):
    """``--src B02.tif`` was one image of class "b"; ``--src lake_7_B02.tif`` one of class "lake b"."""
    band_tif(tmp_path / "B02.tif")
    with pytest.raises(ConversionError, match=r"1 band files \(B02.tif\) name no scene class"):
        convert(tmp_path / "o", "folder", "--src", str(tmp_path / "B02.tif"))
    band_tif(tmp_path / "lake_7_B02.tif")
    (tmp_path / "forest").mkdir()  # a folder beside the one file is no class of it
    stats, recs = convert(tmp_path / "o2", "folder", "--src", str(tmp_path / "lake_7_B02.tif"))
    assert [r["conversations"][1]["value"] for r in recs] == ["lake"]
    assert "class_folders_without_images" not in stats["notes"]


def test_empty_annotation_files_are_said_to_be_empty(tmp_path):
    """A 0-byte COCO JSON was "Expecting value: line 1 column 1 (char 0)", a 0-byte VOC XML "no element
    found", and an empty RSIVQA file "nothing to convert" naming no file."""
    from convert_helpers import png

    png(tmp_path / "imgs" / "a.png", 64, 64)
    (tmp_path / "e.json").write_bytes(b"")
    with pytest.raises(ConversionError, match=r"e\.json: empty file \(0 bytes\), no JSON"):
        convert(tmp_path / "o1", "coco", "--ann", str(tmp_path / "e.json"), "--images", str(tmp_path / "imgs"))
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "a.xml").write_text("\n")
    (tmp_path / "x" / "b.xml").write_text("<annotation><filename>a.png</filename><object><name>ship</name><bndbox>"
                                          "<xmin>5</xmin><ymin>5</ymin><xmax>30</xmax><ymax>30</ymax></bndbox>"
                                          "</object></annotation>")
    stats, _ = convert(tmp_path / "o2", "voc", "--src", str(tmp_path / "x"), "--images", str(tmp_path / "imgs"))
    assert stats["skipped_examples"]["unparsable_xml"].endswith("a.xml: unparsable_xml (empty file)")
    (tmp_path / "q.txt").write_text("a.png:how many ships are there?2\n")
    (tmp_path / "e.txt").write_text("\n\n")
    stats, _ = convert(tmp_path / "o3", "rsivqa", "--src", str(tmp_path / "q.txt"), "--src", str(tmp_path / "e.txt"),
                       "--images", str(tmp_path / "imgs"))
    assert stats["notes"][f"{tmp_path / 'e.txt'}: empty file"] == 1


def test_coco_bare_file_name_is_found_by_name_beside_entries_with_folders(tmp_path):
    """A file_name without folders (b.png) takes the file of its name under --images, as coco's docstring says,
    though other entries name the folder it is in (train/a.png): it was refused as missing_image, 'in train, a
    folder other entries name'."""
    from convert_helpers import png

    png(tmp_path / "imgs" / "train" / "a.png", 100, 50)
    png(tmp_path / "imgs" / "train" / "b.png", 100, 50)
    ann = _coco_file(tmp_path, [{"id": 1, "file_name": "train/a.png"}, {"id": 2, "file_name": "b.png"}],
                     [{"id": k, "image_id": k, "category_id": 1, "bbox": [10, 10, 20, 20]} for k in (1, 2)])
    stats, recs = convert(tmp_path / "o", "coco", "--ann", str(ann), "--images", str(tmp_path / "imgs"))
    assert stats["images"] == 2 and stats["skipped"] == {}, stats


def test_loose_band_files_with_a_dot_in_the_scene_name_keep_it_in_their_class(tmp_path):
    """lake.v2_7_B02.tif …: the scene name "lake.v2_7" was read as a path whose stem ("lake") gave the class, where
    a plain lake.v2_7.tif is of class "lake.v2"; the class comes from the whole scene name."""
    for b in ("B02", "B03", "B04", "B08"):
        band_tif(tmp_path / f"lake.v2_7_{b}.tif")
    stats, recs = convert(tmp_path / "o", "folder", "--src", str(tmp_path))
    assert [r["conversations"][1]["value"] for r in recs] == ["lake.v2"], recs
    assert "class_from_whole_file_name" not in stats["notes"], stats
