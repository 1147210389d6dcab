"""Tour 63 (converters): a LLaVA JSONL answer holding U+2028, a JSON file cut short."""

from __future__ import annotations

import json

import pytest
from convert_helpers import convert, png

from data_gen.convert.common import ConversionError


def test_llava_jsonl_with_a_line_separator_inside_an_answer_is_one_record(tmp_path):
    """``json.dumps(ensure_ascii=False)`` writes U+2028 and U+0085 as they are: ``splitlines()`` ended the
    line there, so the record was three ``unparsable_record`` and the next one was said to be on line 4."""
    png(tmp_path / "imgs" / "a.png", 32, 32)
    turns = [{"from": "human", "value": "<image>\nWhat is this?"}]
    recs = [{"id": "a", "image": "a.png", "conversations": [*turns, {"from": "gpt", "value": "A port\u2028ships\x85."}]},
            {"id": "b", "image": "a.png", "conversations": [*turns, {"from": "gpt", "value": "A field"}]}, "not a record"]
    src = tmp_path / "r.jsonl"
    src.write_text("\r\n".join(json.dumps(r, ensure_ascii=False) for r in recs) + "\r\n", encoding="utf-8")
    stats, out = convert(tmp_path / "out", "llava", "--src", str(src), "--images", str(tmp_path / "imgs"))
    assert [r["id"] for r in out] == ["a", "b"] and out[0]["conversations"][1]["value"] == "A port\u2028ships\x85."
    assert stats["skipped"] == {"unparsable_record": 1}
    assert stats["skipped_examples"]["unparsable_record"].startswith(f"{src}:3: ")


@pytest.mark.parametrize("fmt", ["llava", "coco"])
def test_a_json_file_cut_short_is_said_to_end_inside_a_value(tmp_path, fmt):
    """A download stopped midway said only 'Unterminated string starting at: line 1 column …'."""
    png(tmp_path / "imgs" / "a.png", 32, 32)
    whole = json.dumps([{"id": "a", "image": "a.png", "conversations": []}] if fmt == "llava" else
                       {"images": [{"id": 1, "file_name": "a.png", "width": 32, "height": 32}], "annotations": []})
    src = tmp_path / "a.json"
    src.write_text(whole[: whole.index("a.png") + 2])
    flag = "--src" if fmt == "llava" else "--ann"
    with pytest.raises(ConversionError, match=rf"{src}: .*line 1 column \d+ .*cut short\?"):
        convert(tmp_path / "out", fmt, flag, str(src), "--images", str(tmp_path / "imgs"))
    src.write_text(whole.replace('"id"', "'id'", 1))  # invalid, not cut short: no such guess
    with pytest.raises(ConversionError, match=rf"{src}: .*line 1 column \d+") as e:
        convert(tmp_path / "out2", fmt, flag, str(src), "--images", str(tmp_path / "imgs"))
    assert "cut short" not in str(e.value)


def test_a_geojson_whose_first_footprint_has_nan_is_not_taken_for_an_undeclared_crs(tmp_path):
    """A GeoJSON without a crs member (WGS84) whose first footprint holds a NaN coordinate was skipped whole
    as ``undeclared_crs`` ('its first vertex is (nan, …)'): the other footprints were lost for one bad one."""
    import numpy as np
    import rasterio
    from rasterio.transform import from_origin
    from rasterio.warp import transform_geom

    with rasterio.open(tmp_path / "a.tif", "w", driver="GTiff", width=100, height=80, count=1, dtype="uint8",
                       crs="EPSG:32631", transform=from_origin(500000.0, 5800000.0, 2, 2)) as ds:
        ds.write(np.full((1, 80, 100), 7, np.uint8))
    utm = [[500000.0 + 2 * x, 5800000.0 - 2 * y] for x, y in ([10, 10], [40, 10], [40, 30], [10, 30], [10, 10])]
    good = transform_geom("EPSG:32631", "EPSG:4326", {"type": "Polygon", "coordinates": [utm]})
    bad = {"type": "Polygon", "coordinates": [[[float("nan"), 52.3], *good["coordinates"][0][1:]]]}
    feats = [{"type": "Feature", "properties": {}, "geometry": g} for g in (bad, good)]
    (tmp_path / "a.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    stats, recs = convert(tmp_path / "out", "geojson", "--images", str(tmp_path / "a.tif"), "--labels",
                          str(tmp_path / "a.geojson"))
    assert "undeclared_crs" not in stats["skipped"] and stats["tasks"]["det"] == 1
    assert stats["skipped_total"] == 1 and "features[0]" in next(iter(stats["skipped_examples"].values()))


def test_coco_image_listed_twice_under_two_ids_is_one_record_with_all_its_objects(tmp_path):
    """A COCO file merged from two sources lists ``a.png`` under ids 1 and 2, each with some of its objects:
    each entry made a ``[det]`` record of its own ('Detect every object' answered with half of them, the
    second renamed ``-dup2``). Of one size they are merged; of another, the later entry is skipped."""
    from convert_helpers import objs

    png(tmp_path / "imgs" / "a.png", 64, 48)
    images = [{"id": 1, "file_name": "a.png", "width": 64, "height": 48}, {"id": 2, "file_name": "a.png"},
              {"id": 3, "file_name": "a.png", "width": 48, "height": 64}]
    anns = [{"id": n, "image_id": n if n < 4 else 1, "category_id": 1, "bbox": [4 * n, 4, 8, 8]} for n in (1, 2, 3, 4)]
    (tmp_path / "a.json").write_text(json.dumps({"images": images, "annotations": anns,
                                                 "categories": [{"id": 1, "name": "car"}]}))
    stats, recs = convert(tmp_path / "out", "coco", "--ann", str(tmp_path / "a.json"), "--images",
                          str(tmp_path / "imgs"), "--no-ground")
    assert [r["id"] for r in recs] == ["coco-a-det-box"] and len(objs(recs[0])) == 3
    assert stats["notes"] == {"images_listed_twice_merged": 1}
    assert stats["skipped"] == {"duplicate_image_file": 1, "orphan_annotation": 1}
    assert "duplicate_image_file" in stats["skipped_examples"]["orphan_annotation"]


def test_voc_image_named_by_two_xml_files_is_said(tmp_path):
    """``a.xml`` and its copy ``a_copy.xml`` both name ``a.png``: two sets of records of one image, unsaid."""
    png(tmp_path / "JPEGImages" / "a.png", 64, 48)
    png(tmp_path / "JPEGImages" / "b.png", 64, 48)
    xml = ("<annotation><filename>{}</filename><object><name>ship</name><bndbox><xmin>5</xmin><ymin>5</ymin>"
           "<xmax>20</xmax><ymax>20</ymax></bndbox></object></annotation>")
    (tmp_path / "Annotations").mkdir()
    for stem, image in (("a", "a.png"), ("a_copy", "a.png"), ("b", "b.png")):
        (tmp_path / "Annotations" / f"{stem}.xml").write_text(xml.format(image))
    stats, recs = convert(tmp_path / "out", "voc", "--src", str(tmp_path / "Annotations"), "--no-ground")
    assert len(recs) == 3 and stats["notes"]["images_named_by_several_xml"] == 1
    assert stats["notes"]["first image named by several XML: a.png by a.xml + a_copy.xml"] == 1


def test_dota_label_file_without_its_image_and_one_matching_two_images(tmp_path):
    """A label file without an image was skipped as missing_image and its lines counted as well (an unknown
    class in it twice over); one whose stem a .png and a .jpg share was read on the .jpg, the .png said to
    have no label."""
    line = "10 10 30 10 30 20 10 20 {} 0\n"
    (tmp_path / "labelTxt").mkdir()
    (tmp_path / "labelTxt" / "P1.txt").write_text(line.format("small-vehicle") + line.format("ship-container"))
    (tmp_path / "labelTxt" / "P2.txt").write_text(line.format("ship-container"))
    png(tmp_path / "images" / "P1.png", 64, 48)
    png(tmp_path / "images" / "P1.jpg", 64, 48)
    stats, recs = convert(tmp_path / "out", "dota", "--src", str(tmp_path), "--no-ground")
    assert stats["skipped"] == {"missing_image": 1, "unknown_class": 1}
    assert stats["notes"]["labels_matching_several_images"] == 1
    assert stats["notes"]["first label file matching several images: P1.txt (P1.jpg, P1.png; P1.jpg read)"] == 1


def test_levir_pair_skipped_for_its_sizes_leaves_no_note_about_its_label(tmp_path):
    """A resampled label (values 0…255, thresholded: ``labels_not_binary``) of a pair then skipped as
    ``size_mismatch`` was counted in the notes as though it had been converted."""
    import numpy as np
    from PIL import Image

    for sub in ("A", "B", "label"):
        (tmp_path / sub).mkdir()
    for name, size in (("t1", 64), ("t2", 48)):
        png(tmp_path / "A" / f"{name}.png", 64, 64)
        png(tmp_path / "B" / f"{name}.png", 64, 64)
        label = np.zeros((size, size), np.uint8)
        label[8:20, 8:20], label[20:24, 8:20] = 255, 100  # a blurred edge: not binary
        Image.fromarray(label).save(tmp_path / "label" / f"{name}.png")
    stats, recs = convert(tmp_path / "out", "levir-cd", "--src", str(tmp_path))
    assert stats["skipped"] == {"size_mismatch": 1} and stats["notes"]["labels_not_binary"] == 1


def test_masks_label_skipped_for_its_size_leaves_no_note_and_says_width_by_height(tmp_path):
    """A resampled --binary label of another size than its image was skipped as size_mismatch but still counted
    as ``labels_not_binary``, and the skip said 'label (48, 40) vs image (48, 64)', rows first, unsaid."""
    import numpy as np
    from PIL import Image

    for name, width in (("a", 40), ("b", 64)):
        png(tmp_path / "img" / f"{name}.png", 64, 48)
        label = np.zeros((48, width), np.uint8)
        label[8:20, 8:20], label[20:24, 8:20] = 255, 100
        (tmp_path / "lab").mkdir(exist_ok=True)
        Image.fromarray(label).save(tmp_path / "lab" / f"{name}.png")
    stats, recs = convert(tmp_path / "out", "masks", "--images", str(tmp_path / "img"), "--labels",
                          str(tmp_path / "lab"), "--binary", "tree")
    assert stats["skipped"] == {"size_mismatch": 1} and stats["notes"]["labels_not_binary"] == 1
    assert stats["skipped_examples"]["size_mismatch"].endswith("(label 40x48 px, image 64x48 px)")


def test_geojson_folders_without_match_say_the_key_is_the_whole_stem(tmp_path):
    """SpaceNet's ``img12.tif`` and ``buildings_img12.geojson`` in folders without ``--match``: 'no GeoTIFF with
    key 'buildings_img12'' did not say why none matched nor what to give."""
    import numpy as np
    import rasterio
    from rasterio.transform import from_origin

    (tmp_path / "imgs").mkdir()
    (tmp_path / "labels").mkdir()
    with rasterio.open(tmp_path / "imgs" / "img12.tif", "w", driver="GTiff", width=40, height=40, count=1,
                       dtype="uint8", crs="EPSG:32631", transform=from_origin(500000.0, 5800000.0, 2, 2)) as ds:
        ds.write(np.zeros((1, 40, 40), np.uint8))
    (tmp_path / "labels" / "buildings_img12.geojson").write_text('{"type": "FeatureCollection", "features": []}')
    stats, _ = convert(tmp_path / "out", "geojson", "--images", str(tmp_path / "imgs"), "--labels",
                       str(tmp_path / "labels"))
    assert stats["skipped"] == {"missing_image": 1, "missing_labels": 1}
    assert all("without --match the key is the whole file stem" in e for e in stats["skipped_examples"].values())


def test_masks_label_raster_on_another_grid_than_its_image_is_skipped(tmp_path):
    """A GeoTIFF label of the image's size but shifted 50 px (or in another CRS) was traced onto the image:
    its classes drawn on other places, unsaid; the one on the image's grid converts."""
    import numpy as np
    import rasterio
    from rasterio.transform import from_origin

    def tif(path, data, crs="EPSG:32631", x0=500000.0):
        path.parent.mkdir(exist_ok=True)
        with rasterio.open(path, "w", driver="GTiff", width=64, height=48, count=data.shape[0], dtype="uint8",
                           crs=crs, transform=from_origin(x0, 5800000.0, 2, 2)) as ds:
            ds.write(data)

    label = np.zeros((1, 48, 64), np.uint8)
    label[0, 8:30, 8:30] = 1
    for name, kw in (("a", {}), ("b", {"x0": 500100.0}), ("c", {"crs": "EPSG:32632"})):
        tif(tmp_path / "img" / f"{name}.tif", np.full((3, 48, 64), 90, np.uint8))
        tif(tmp_path / "lab" / f"{name}.tif", label, **kw)
    stats, recs = convert(tmp_path / "out", "masks", "--images", str(tmp_path / "img"), "--labels",
                          str(tmp_path / "lab"), "--binary", "tree")
    assert stats["skipped"] == {"grid_mismatch": 2} and {r["id"].split("-")[1] for r in recs} == {"a"}
    assert "pixels are not the same places" in stats["skipped_examples"]["grid_mismatch"]


def test_geojson_geometry_collection_of_polygons_is_read_and_of_a_point_is_unsupported(tmp_path):
    """A footprint exported as a GeometryCollection of polygons (QGIS may) was skipped as ``empty_geometry``,
    as was one holding a point; the first is its polygons, the second ``unsupported_geometry``."""
    import numpy as np
    import rasterio
    from rasterio.transform import from_origin
    from rasterio.warp import transform_geom

    with rasterio.open(tmp_path / "a.tif", "w", driver="GTiff", width=100, height=80, count=1, dtype="uint8",
                       crs="EPSG:32631", transform=from_origin(500000.0, 5800000.0, 2, 2)) as ds:
        ds.write(np.full((1, 80, 100), 7, np.uint8))

    def square(x, y):
        ring = [[500000.0 + 2 * a, 5800000.0 - 2 * b] for a, b in ([x, y], [x + 20, y], [x + 20, y + 15], [x, y + 15], [x, y])]
        return transform_geom("EPSG:32631", "EPSG:4326", {"type": "Polygon", "coordinates": [ring]})

    point = {"type": "Point", "coordinates": square(5, 5)["coordinates"][0][0]}
    geoms = [{"type": "GeometryCollection", "geometries": [square(5, 5), square(50, 40)]},
             {"type": "GeometryCollection", "geometries": [square(60, 5), point]}]
    feats = [{"type": "Feature", "properties": {}, "geometry": g} for g in geoms]
    (tmp_path / "a.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    stats, recs = convert(tmp_path / "out", "geojson", "--images", str(tmp_path / "a.tif"), "--labels",
                          str(tmp_path / "a.geojson"), "--no-ground")
    assert stats["skipped"] == {"unsupported_geometry": 1} and stats["notes"]["multipolygon_parts"] == 2
    assert "holding a Point" in stats["skipped_examples"]["unsupported_geometry"]
    from convert_helpers import objs

    assert len(objs(next(r for r in recs if r["task"] == "det"))) == 2


def test_an_annotation_given_twice_is_written_once(tmp_path):
    """A DOTA line pasted twice (or a COCO annotation duplicated) wrote the same box twice in the [det] answer,
    one copy a ground truth no prediction can match; the copy is skipped as ``duplicate_object``."""
    from convert_helpers import objs

    (tmp_path / "labelTxt").mkdir()
    lines = ["10 10 30 10 30 20 10 20 small-vehicle 0", "40 10 60 10 60 20 40 20 small-vehicle 0"]
    (tmp_path / "labelTxt" / "P1.txt").write_text("\n".join([*lines, lines[0], "10 10 30 10 30 20 10 20 ship 0"]))
    png(tmp_path / "images" / "P1.png", 64, 48)
    stats, recs = convert(tmp_path / "out", "dota", "--src", str(tmp_path), "--no-ground")
    assert stats["skipped"] == {"duplicate_object": 1} and len(objs(recs[0])) == 3  # the ship is another object
    assert stats["skipped_examples"]["duplicate_object"].endswith(f"as {tmp_path / 'labelTxt' / 'P1.txt'}:1)")


def test_rsivqa_line_given_twice_is_one_record(tmp_path):
    """The same ``image:question?answer`` twice (a file and its merge) gave two identical records, unsaid."""
    png(tmp_path / "imgs" / "00433.jpg", 32, 32)
    (tmp_path / "a.txt").write_text("00433.jpg:what is the theme of this picture?airport\n"
                                    "00433.jpg:is there a plane?yes\n")
    (tmp_path / "b.txt").write_text("00433.jpg:what is the theme of this picture?airport\n"
                                    "00433.jpg:what is the theme of this picture?runway\n")
    stats, recs = convert(tmp_path / "out", "rsivqa", "--src", str(tmp_path / "a.txt"), str(tmp_path / "b.txt"),
                          "--images", str(tmp_path / "imgs"))
    assert len(recs) == 3 and stats["skipped"] == {"duplicate_question": 1}
    assert stats["skipped_examples"]["duplicate_question"].endswith(f"as {tmp_path / 'a.txt'}:1)")


def _coco(tmp_path, images, anns):
    png(tmp_path / "imgs" / "a.png", 64, 48)
    png(tmp_path / "imgs" / "b.png", 64, 48)
    cats = [{"id": 1, "name": "car"}, {"id": 2, "name": "ship"}]
    (tmp_path / "a.json").write_text(json.dumps({"images": images, "annotations": anns, "categories": cats}))
    return convert(tmp_path / "out", "coco", "--ann", str(tmp_path / "a.json"), "--images", str(tmp_path / "imgs"),
                   "--no-ground")


def test_coco_id_of_a_merged_entry_given_again_to_another_file_is_a_duplicate_image_id(tmp_path):
    """``a.png`` as ids 1 and 2 (merged), then id 2 again for ``b.png``: b.png's annotation was drawn on a.png
    (id 2 led to it) and b.png counted as without objects, unsaid; it is ``duplicate_image_id``, as before the merge."""
    images = [{"id": 1, "file_name": "a.png"}, {"id": 2, "file_name": "a.png"}, {"id": 2, "file_name": "b.png"}]
    anns = [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [4, 4, 8, 8]},
            {"id": 2, "image_id": 2, "category_id": 1, "bbox": [20, 4, 8, 8]}]
    stats, _ = _coco(tmp_path, images, anns)
    assert stats["skipped"] == {"duplicate_image_id": 1}
    assert "id 2 (b.png) is also a.png's" in stats["skipped_examples"]["duplicate_image_id"]


def test_coco_duplicate_annotation_is_one_skip_and_one_of_the_same_box_but_other_polygon_stays(tmp_path):
    """An annotation is its box and polygons: one with another's box but its own polygon lost its box alone (one
    car in [det], two in [seg]); a whole copy (the two entries of a merged image both listing it) was skipped
    once per object, its box and its polygon; that box alone is a copy too; another class on the same place stays."""
    from convert_helpers import objs

    tri, other = [[4, 4, 12, 4, 12, 12]], [[4, 4, 12, 12, 4, 12]]
    anns = [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [4, 4, 8, 8], "segmentation": tri},
            {"id": 2, "image_id": 1, "category_id": 1, "bbox": [4, 4, 8, 8], "segmentation": other},
            {"id": 3, "image_id": 2, "category_id": 1, "bbox": [4, 4, 8, 8], "segmentation": tri},
            {"id": 4, "image_id": 2, "category_id": 2, "bbox": [4, 4, 8, 8], "segmentation": tri},
            {"id": 5, "image_id": 2, "category_id": 1, "bbox": [4, 4, 8, 8]}]  # that box alone: nothing new
    stats, recs = _coco(tmp_path, [{"id": 1, "file_name": "a.png"}, {"id": 2, "file_name": "a.png"}], anns)
    count = {r["id"]: len(objs(r)) for r in recs}
    assert count == {"coco-a-det-box": 3, "coco-a-seg-car": 2, "coco-a-seg-ship": 1}, count
    assert stats["skipped"] == {"duplicate_object": 2}
    assert stats["skipped_examples"]["duplicate_object"].endswith("the same car box and its parts as "
                                                                  f"{tmp_path / 'a.json'}: annotations[0] (id 1))")
