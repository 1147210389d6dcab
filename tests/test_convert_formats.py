"""Every converter on small synthetic inputs made in tmp_path: records, geometry, bad-annotation
counting, ``--strict`` errors naming file and line, and loading with ``datasets``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from convert_helpers import convert, near, objs, png, same_ring

from data_gen.convert import CONVERTERS, main
from data_gen.convert import convert as run_convert
from data_gen.convert.common import ConversionError
from rsvlm import geometry


def test_registry_lists_every_format():
    assert set(CONVERTERS) >= {"dota", "voc", "coco", "folder", "rsvqa", "rsivqa", "masks", "levir-cd",
                               "geojson", "llava"}
    with pytest.raises(SystemExit):
        main(["nope", "--out", "x"])


def test_cli_exit_codes_and_error_names_the_input(tmp_path, capsys):
    from data_gen.__main__ import main as data_gen_main

    png(tmp_path / "imgs" / "forest_1.png", 8, 8)
    assert data_gen_main(["convert", "folder", "--src", str(tmp_path / "imgs"), "--out", str(tmp_path / "o")]) == 0
    assert json.loads((tmp_path / "o" / "stats.json").read_text())["tasks"] == {"cls": 1}
    missing = tmp_path / "nowhere.txt"
    assert main(["rsivqa", "--src", str(missing), "--images", str(tmp_path), "--out", str(tmp_path / "o2")]) == 2
    assert str(missing) in capsys.readouterr().err


# ---------------------------------------------------------------- dota
DOTA = """imagesource:GoogleEarth
gsd:0.3
10 10 40 10 40 30 10 30 plane 0
50 50 80 55 75 85 45 80 small-vehicle 1
1 2 3 4 5 6 7 8 flying-saucer 0
20 20 20 20 20 20 20 20 ship 0
not a label line
180 10 260 10 260 40 180 40 ship 0
"""


def _dota(tmp_path: Path) -> Path:
    src = tmp_path / "dota"
    png(src / "images" / "a.png", 200, 100)
    (src / "labelTxt").mkdir(parents=True)
    (src / "labelTxt" / "a.txt").write_text(DOTA)
    (src / "labelTxt" / "b.txt").write_text("1 1 9 1 9 9 1 9 plane 0\n")  # no image b
    return src


def test_dota_counts_bad_lines_and_keeps_quads(tmp_path):
    stats, recs = convert(tmp_path / "out", "dota", "--src", str(_dota(tmp_path)))
    sk = stats["skipped"]
    assert (sk["degenerate"], sk["unknown_class"], sk["unparsable_line"], sk["missing_image"]) == (1, 1, 1, 1)
    assert sk["mostly_outside_image"] == 1  # the ship at x 180..260 is 25% inside a 200-wide image
    by = {r["id"]: r for r in recs}
    obb = objs(by["dota-a-det-obb"])
    assert [o["label"] for o in obb] == ["plane", "small vehicle"]
    assert near(geometry.canonical_quad(obb[1]["coords"]), geometry.canonical_quad([[50, 50], [80, 55], [75, 85], [45, 80]]), 200)
    assert "Use oriented boxes." in by["dota-a-det-obb"]["conversations"][0]["value"]
    assert objs(by["dota-a-det-box"])[1]["coords"] == pytest.approx([45, 50, 80, 85], abs=0.2)
    # one plane and one small vehicle: each class names one object → grounding records
    assert near(objs(by["dota-a-ground-plane"])[0]["coords"], [10, 10, 40, 30], 200)
    # the small vehicle is difficult: kept, and flagged by its index in each answer
    assert by["dota-a-det-obb"]["meta"]["difficult"] == by["dota-a-det-box"]["meta"]["difficult"] == [1]
    assert by["dota-a-ground-small_vehicle"]["meta"]["difficult"] == [0]
    assert by["dota-a-ground-plane"]["meta"]["difficult"] == [] and stats["notes"]["difficult_objects"] == 1
    ex = stats["skipped_examples"]
    assert ex["unparsable_line"].endswith("a.txt:7: unparsable_line (not a label line)")
    assert "a.txt:8: mostly_outside_image (" in ex["mostly_outside_image"]  # how much was inside: detection.share_inside
    assert ex["mostly_outside_image"].endswith("(obb x 180…260, y 10…40 in a 200x100 px image: 25% of it inside, under --min-visible 0.5)")


def test_dota_strict_names_file_and_line(tmp_path):
    with pytest.raises(ConversionError, match=r"a\.txt:5: unknown_class"):
        run_convert(["dota", "--out", str(tmp_path / "out"), "--src", str(_dota(tmp_path)), "--strict"])


def test_dota_tiles_follow_border_rule(tmp_path):
    src = tmp_path / "dota"
    png(src / "big.png", 300, 100)
    # A in the left tile only; B in both (overlap 100..200); C 30% in the left tile (cut there),
    # whole in the right; D 2/3 in the left tile (kept there, clipped at x=200), whole in the right
    (src / "big.txt").write_text("10 10 50 10 50 40 10 40 plane 0\n"
                                 "150 10 190 10 190 40 150 40 ship 0\n"
                                 "185 60 235 60 235 90 185 90 ship 0\n"
                                 "180 45 210 45 210 55 180 55 helicopter 0\n")
    stats, recs = convert(tmp_path / "out", "dota", "--src", str(src), "--tile", "200", "--overlap", "100",
                          "--no-ground", "--drop-cut")  # kept as difficult by default: test_convert_tour57
    tiles = {tuple(r["meta"]["tile"]): r for r in recs if r["id"].endswith("det-box")}
    assert set(tiles) == {(0, 0, 200, 100), (100, 0, 300, 100)}
    left = objs(tiles[(0, 0, 200, 100)])
    right = objs(tiles[(100, 0, 300, 100)])
    assert sorted(o["label"] for o in left) == ["helicopter", "plane", "ship"]
    assert sorted(o["label"] for o in right) == ["helicopter", "ship", "ship"]
    heli = next(o for o in left if o["label"] == "helicopter")
    assert near(heli["coords"], [180, 45, 200, 55], 200)  # clipped at the tile border
    assert near(next(o for o in right if o["label"] == "helicopter")["coords"], [80, 45, 110, 55], 200)
    assert stats["notes"]["object_cuts_at_tile_borders"] == 1 and stats["notes"]["tiles"] == 2
    assert stats["skipped_total"] == 0


def test_dota_difficult_flagged_by_answer_index_after_sorting_and_tiling(tmp_path):
    src = tmp_path / "dota"
    png(src / "big.png", 300, 100)
    # windows x 0..200 and 100..300; file order is not answer order (answers sort by class,
    # stable within a class), so the flags must be re-indexed per record
    (src / "big.txt").write_text("110 10 140 10 140 40 110 40 ship 0\n"
                                 "150 50 190 50 190 90 150 90 ship 1\n"  # difficult, in both tiles
                                 "10 10 50 10 50 40 10 40 plane 0\n"  # left only
                                 "230 60 260 60 260 90 230 90 helicopter 1\n"  # difficult, right only
                                 "210 10 220 10 220 20 210 20 large-vehicle 0\n")  # right only
    stats, recs = convert(tmp_path / "out", "dota", "--src", str(src), "--tile", "200", "--overlap", "100")
    assert stats["notes"]["difficult_objects"] == 2 and stats["skipped_total"] == 0
    by = {r["id"]: r for r in recs}
    left, right = "dota-big-0-0", "dota-big-100-0"
    for form in ("obb", "box"):
        lrec, rrec = by[f"{left}-det-{form}"], by[f"{right}-det-{form}"]
        assert [o["label"] for o in objs(lrec)] == ["plane", "ship", "ship"]
        assert lrec["meta"]["difficult"] == [2]
        assert [o["label"] for o in objs(rrec)] == ["helicopter", "large vehicle", "ship", "ship"]
        assert rrec["meta"]["difficult"] == [0, 3]
        c = objs(lrec)[2]["coords"]  # the flagged one is the difficult ship (y 50..90), not the other
        assert min([p[1] for p in c] if form == "obb" else [c[1], c[3]]) == pytest.approx(50, abs=0.5)
    # a [ground] record about a difficult object is written and flagged; the others carry []
    assert by[f"{right}-ground-helicopter"]["meta"]["difficult"] == [0]
    assert by[f"{right}-ground-large_vehicle"]["meta"]["difficult"] == []
    assert by[f"{left}-ground-plane"]["meta"]["difficult"] == []
    assert f"{left}-ground-ship" not in by  # two ships: no grounding

    stats, recs = convert(tmp_path / "pc", "dota", "--src", str(src), "--per-class", "--no-ground")
    by = {r["id"]: r for r in recs}
    assert by["dota-big-det-obb-ship"]["meta"]["difficult"] == [1]
    assert by["dota-big-det-box-helicopter"]["meta"]["difficult"] == [0]
    assert by["dota-big-det-box-plane"]["meta"]["difficult"] == []

    stats, recs = convert(tmp_path / "skip", "dota", "--src", str(src), "--skip-difficult")
    # the user's choice, no bad annotation: filtered per class, not skipped
    assert stats["filtered"] == {"--skip-difficult: helicopter": 1, "--skip-difficult: ship": 1}
    assert stats["skipped"] == {} and "difficult_objects" not in stats["notes"]
    assert all(r["meta"]["difficult"] == [] for r in recs)
    assert len(objs(next(r for r in recs if r["id"] == "dota-big-det-obb"))) == 3


# ---------------------------------------------------------------- voc
VOC = """<annotation><filename>{name}</filename><size><width>100</width><height>80</height></size>
<object><name>airplane</name><bndbox><xmin>11</xmin><ymin>21</ymin><xmax>30</xmax><ymax>40</ymax></bndbox></object>
<object><name>ship</name><robndbox><x_left_top>50</x_left_top><y_left_top>10</y_left_top>
<x_right_top>70</x_right_top><y_right_top>10</y_right_top><x_right_bottom>70</x_right_bottom>
<y_right_bottom>30</y_right_bottom><x_left_bottom>50</x_left_bottom><y_left_bottom>30</y_left_bottom></robndbox></object>
<object><name>ship</name><robndbox><cx>50</cx><cy>60</cy><w>20</w><h>10</h><angle>1.5707963</angle></robndbox></object>
<object><name>tank</name><bndbox><xmin>6</xmin><ymin>5</ymin><xmax>5</xmax><ymax>9</ymax></bndbox></object>
<object><name>tank</name><bndbox><xmin>a</xmin></bndbox></object>
</annotation>"""


def test_voc_boxes_obbs_and_bad_objects(tmp_path):
    png(tmp_path / "JPEGImages" / "x.jpg", 100, 80)
    ann = tmp_path / "Annotations"
    ann.mkdir()
    (ann / "x.xml").write_text(VOC.format(name="x.jpg"))
    (ann / "y.xml").write_text(VOC.format(name="y.jpg"))  # no image
    (ann / "z.xml").write_text("<annotation><object>")
    stats, recs = convert(tmp_path / "out", "voc", "--src", str(ann))
    sk = stats["skipped"]
    assert (sk["degenerate"], sk["unparsable_object"], sk["unparsable_xml"]) == (2, 2, 1)
    assert sk["missing_image"] == 1
    by = {r["id"]: r for r in recs}
    box = objs(by["voc-x-det-box"])
    assert near([o["coords"] for o in box if o["label"] == "airplane"][0], [10, 20, 30, 40], 100)  # 1-based → edges
    obb = [o for o in objs(by["voc-x-det-obb"]) if o["label"] == "ship"]
    assert near(geometry.canonical_quad(obb[0]["coords"]), [[50, 10], [70, 10], [70, 30], [50, 30]], 100)
    xs = sorted(p[0] for p in obb[1]["coords"])  # 20x10 turned 90°: 10 wide, 20 tall
    assert near([xs[0], xs[-1]], [45, 55], 100)


def test_voc_difficult_flagged(tmp_path):
    png(tmp_path / "JPEGImages" / "d.jpg", 100, 80)
    ann = tmp_path / "Annotations"
    ann.mkdir()
    box = "<bndbox><xmin>{}</xmin><ymin>11</ymin><xmax>{}</xmax><ymax>30</ymax></bndbox>"
    (ann / "d.xml").write_text(
        "<annotation><filename>d.jpg</filename>"
        f"<object><name>ship</name><difficult>1</difficult>{box.format(51, 70)}</object>"
        f"<object><name>airplane</name><difficult>0</difficult>{box.format(11, 30)}</object>"
        f"<object><name>airplane</name>{box.format(31, 45)}</object></annotation>")
    stats, recs = convert(tmp_path / "out", "voc", "--src", str(ann))
    by = {r["id"]: r for r in recs}
    assert [o["label"] for o in objs(by["voc-d-det-box"])] == ["airplane", "airplane", "ship"]
    assert by["voc-d-det-box"]["meta"]["difficult"] == [2]
    assert by["voc-d-ground-ship"]["meta"]["difficult"] == [0]
    assert stats["notes"]["difficult_objects"] == 1
    stats, recs = convert(tmp_path / "skip", "voc", "--src", str(ann), "--skip-difficult")
    assert stats["filtered"] == {"--skip-difficult: ship": 1} and stats["skipped"] == {}
    assert all(r["meta"]["difficult"] == [] for r in recs)


# ---------------------------------------------------------------- coco
def test_coco_polygons_rle_boxes_and_bad_annotations(tmp_path):
    from pycocotools import mask as mask_utils

    png(tmp_path / "imgs" / "a.png", 100, 50)
    m = np.zeros((50, 100), np.uint8)
    m[10:20, 60:80] = 1
    rle = mask_utils.encode(np.asfortranarray(m))
    rle["counts"] = rle["counts"].decode()
    data = {"images": [{"id": 1, "file_name": "a.png", "width": 100, "height": 50},
                       {"id": 2, "file_name": "gone.png", "width": 100, "height": 50}],
            "categories": [{"id": 1, "name": "storage_tank"}, {"id": 2, "name": "ship"}],
            "annotations": [
                {"id": 1, "image_id": 1, "category_id": 1, "bbox": [10, 10, 20, 20],
                 "segmentation": [[10, 10, 30, 10, 30, 30, 10, 30]]},
                {"id": 2, "image_id": 1, "category_id": 2, "bbox": [60, 10, 20, 10], "segmentation": rle, "iscrowd": 1},
                {"id": 3, "image_id": 1, "category_id": 2, "bbox": [40, 40, 5, 5]},
                {"id": 4, "image_id": 1, "category_id": 9, "bbox": [1, 1, 5, 5]},
                {"id": 5, "image_id": 1, "category_id": 1, "bbox": [1, 1, 0, 5]},
                {"id": 6, "image_id": 7, "category_id": 1, "bbox": [1, 1, 5, 5]},
                {"id": 7, "image_id": 2, "category_id": 1, "bbox": [1, 1, 5, 5]}]}
    (tmp_path / "ann.json").write_text(json.dumps(data))
    stats, recs = convert(tmp_path / "out", "coco", "--ann", str(tmp_path / "ann.json"), "--images", str(tmp_path / "imgs"))
    sk = stats["skipped"]
    assert (sk["unknown_category"], sk["degenerate"], sk["orphan_annotation"], sk["missing_image"]) == (1, 1, 1, 1)
    by = {r["id"]: r for r in recs}
    det = objs(by["coco-a-det-box"])
    assert sorted(o["label"] for o in det) == ["ship", "ship", "storage tank"]
    seg_ship = objs(by["coco-a-seg-ship"])  # from the RLE
    assert len(seg_ship) == 1 and near(np.min(seg_ship[0]["coords"], 0), [60, 10], 100)
    assert near(np.max(seg_ship[0]["coords"], 0), [80, 20], 100)
    assert same_ring(objs(by["coco-a-seg-storage_tank"])[0]["coords"], [[10, 10], [30, 10], [30, 30], [10, 30]], 100)
    assert "coco-a-ground-storage_tank" in by and "coco-a-ground-ship" not in by  # two ships: ambiguous


# ---------------------------------------------------------------- folder
def test_folder_per_class_and_single_file(tmp_path):
    for cls, n in (("storage_tank", 2), ("AnnualCrop", 1)):
        for i in range(n):
            png(tmp_path / "src" / cls / f"{cls}_{i}.jpg", 16, 16)
    (tmp_path / "src" / "AnnualCrop" / "readme.txt").write_text("x")
    png(tmp_path / "src" / "church_183.png", 8, 8)
    (tmp_path / "src" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nnope")
    stats, recs = convert(tmp_path / "out", "folder", "--src", str(tmp_path / "src"))
    answers = sorted(r["conversations"][-1]["value"] for r in recs)
    assert answers == ["annual crop", "church", "storage tank", "storage tank"]
    assert stats["skipped"] == {"unreadable_image": 1} and stats["notes"]["not_an_image"] == 1
    assert "Answer with one of: annual crop, broken, church, storage tank." in recs[0]["conversations"][0]["value"]
    stats, recs = convert(tmp_path / "one", "folder", "--src", str(tmp_path / "src" / "church_183.png"))
    assert [r["conversations"][-1]["value"] for r in recs] == ["church"]


# ---------------------------------------------------------------- rsvqa / rsivqa
def test_rsvqa_json(tmp_path):
    src = tmp_path / "rsvqa"
    src.mkdir()
    png(tmp_path / "Images_LR" / "0.tif", 16, 16)
    qs = [{"id": 0, "img_id": 0, "type": "count", "question": "How many buildings are there?", "answers_ids": [0], "active": True},
          {"id": 1, "img_id": 0, "type": "presence", "question": "Is there a road?", "answers_ids": [1], "active": False},
          {"id": 2, "img_id": 5, "type": "presence", "question": "Is there water?", "answers_ids": [2], "active": True},
          {"id": 3, "img_id": 0, "type": "presence", "question": "Is there a farm?", "answers_ids": [], "active": True}]
    ans = [{"id": 0, "question_id": 0, "answer": "between 10 and 100", "active": True},
           {"id": 1, "question_id": 1, "answer": "yes", "active": True},
           {"id": 2, "question_id": 2, "answer": "no", "active": True}]
    (src / "LR_split_test_questions.json").write_text(json.dumps({"questions": qs}))
    (src / "LR_split_test_answers.json").write_text(json.dumps({"answers": ans}))
    (src / "LR_split_test_images.json").write_text(json.dumps({"images": [{"id": 0, "active": True}]}))
    stats, recs = convert(tmp_path / "out", "rsvqa", "--src", str(src), "--images", str(tmp_path / "Images_LR"))
    assert [(r["conversations"][0]["value"], r["conversations"][1]["value"]) for r in recs] == [
        ("<image>\n[vqa] How many buildings are there?", "between 10 and 100")]
    assert stats["skipped"] == {"inactive": 1, "missing_image": 1, "no_answer": 1}


def test_rsivqa_lines(tmp_path):
    png(tmp_path / "imgs" / "a.jpg", 8, 8)
    (tmp_path / "q.txt").write_text("a.jpg:is it a farm?yes\nno separator here\nb.jpg:any water?no\na.jpg:how many planes?3\n")
    stats, recs = convert(tmp_path / "out", "rsivqa", "--src", str(tmp_path / "q.txt"), "--images", str(tmp_path / "imgs"))
    assert [r["conversations"][-1]["value"] for r in recs] == ["yes", "3"]
    assert stats["skipped"] == {"missing_image": 1, "unparsable_line": 1}
    with pytest.raises(ConversionError, match=r"q\.txt:2: unparsable_line"):
        run_convert(["rsivqa", "--out", str(tmp_path / "o2"), "--src", str(tmp_path / "q.txt"),
              "--images", str(tmp_path / "imgs"), "--strict"])


# ---------------------------------------------------------------- geojson
def _geotiff(path: Path, crs="EPSG:32631", origin=(500000.0, 5800000.0), res=2.0, size=(100, 80)):
    import rasterio
    from rasterio.transform import from_origin

    with rasterio.open(path, "w", driver="GTiff", width=size[0], height=size[1], count=1, dtype="uint16",
                       crs=crs, transform=from_origin(origin[0], origin[1], res, res)) as ds:
        ds.write(np.full((1, size[1], size[0]), 7, np.uint16))


def test_geojson_reprojects_and_maps_to_pixels(tmp_path):
    from rasterio.warp import transform_geom

    _geotiff(tmp_path / "img1.tif")
    px = [[10, 10], [40, 10], [40, 30], [10, 30]]  # pixel corners of a footprint
    utm = [[500000.0 + 2 * x, 5800000.0 - 2 * y] for x, y in px]
    wgs = transform_geom("EPSG:32631", "EPSG:4326", {"type": "Polygon", "coordinates": [utm + utm[:1]]})
    feats = [{"type": "Feature", "properties": {}, "geometry": wgs},
             {"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [3.0, 52.0]}},
             {"type": "Feature", "properties": {}, "geometry": None}]
    (tmp_path / "buildings_img1.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    stats, recs = convert(tmp_path / "out", "geojson", "--images", str(tmp_path / "img1.tif"),
                          "--labels", str(tmp_path / "buildings_img1.geojson"))
    assert stats["skipped"] == {"empty_geometry": 1, "unsupported_geometry": 1}
    assert stats["notes"]["reprojected_files"] == 1
    by = {r["task"]: r for r in recs}
    (poly,) = objs(by["seg"])
    assert same_ring(poly["coords"], px, 100)
    assert by["seg"]["images"][0]["crs"] == "EPSG:32631"
    assert by["seg"]["images"][0]["transform"] == [2.0, 0.0, 500000.0, 0.0, -2.0, 5800000.0]
    # folders matched by a regex key; an unmatched raster is reported
    (tmp_path / "tifs").mkdir()
    (tmp_path / "gjs").mkdir()
    _geotiff(tmp_path / "tifs" / "RGB_AOI_1_img1.tif")
    _geotiff(tmp_path / "tifs" / "RGB_AOI_1_img2.tif")
    (tmp_path / "gjs" / "buildings_AOI_1_img1.geojson").write_text((tmp_path / "buildings_img1.geojson").read_text())
    stats, recs = convert(tmp_path / "out2", "geojson", "--images", str(tmp_path / "tifs"), "--labels",
                          str(tmp_path / "gjs"), "--match", r"img\d+")
    assert stats["skipped"]["missing_labels"] == 1 and stats["tasks"]["seg"] == 1


# ---------------------------------------------------------------- llava / geochat
def test_llava_geochat_boxes_rewritten(tmp_path):
    png(tmp_path / "imgs" / "g.png", 200, 100)
    recs_in = [
        {"id": "r1", "image": "g.png", "conversations": [
            {"from": "human", "value": "<image>\n[refer] give me the location of <p>the white ship</p>"},
            {"from": "gpt", "value": "{<10><20><30><40>|<0>}<delim>{<50><50><60><60>}"}]},
        {"id": "r2", "image": "g.png", "conversations": [
            {"from": "human", "value": "[identify] what is this {<40><40><60><60>|<90>}"},
            {"from": "gpt", "value": "a plane"}]},
        {"id": "r3", "image": "g.png", "conversations": [
            {"from": "human", "value": "<image>\nwhere?"}, {"from": "gpt", "value": "{<10><20><130><40>}"}]},
        {"id": "r4", "image": "missing.png", "conversations": [
            {"from": "human", "value": "<image>\nhi"}, {"from": "gpt", "value": "hello"}]},
        {"id": "r5", "image": "g.png", "conversations": [
            {"from": "human", "value": "<image>\nwhere?"}, {"from": "gpt", "value": "{<10><20>}"}]},
        {"id": "r6", "image": "g.png", "conversations": [
            {"from": "human", "value": "<image>\nDescribe it."}, {"from": "gpt", "value": "A port."}]},
    ]
    (tmp_path / "gc.json").write_text(json.dumps(recs_in))
    stats, recs = convert(tmp_path / "out", "llava", "--src", str(tmp_path / "gc.json"), "--images", str(tmp_path / "imgs"))
    assert stats["skipped"] == {"box_out_of_range": 1, "missing_image": 1, "unparsable_box": 1}
    by = {r["id"]: r for r in recs}
    assert by["r1"]["task"] == "ground" and "[ground]" in by["r1"]["conversations"][0]["value"]
    assert "<ref>the white ship</ref>" in by["r1"]["conversations"][0]["value"]
    box, box2 = objs(by["r1"])
    assert box["kind"] == "box" and near(box["coords"], [20, 20, 60, 40], 200)
    assert near(box2["coords"], [100, 50, 120, 60], 200) and "delim" not in by["r1"]["conversations"][1]["value"]
    r2 = by["r2"]
    assert r2["task"] == "regcap" and r2["conversations"][0]["value"].startswith("<image>\n[regcap]")
    d = geometry.decode(r2["conversations"][0]["value"], 200, 100)
    (box,) = d.objects
    # a 40 x 20 px box turned by 90° about its centre (100, 50) is 20 wide and 40 tall: still upright, a box
    assert box["kind"] == "box" and near(box["coords"], [90, 30, 110, 70], 200)
    assert by["r6"]["task"] is None and stats["tasks"]["chat"] == 1
    assert stats["notes"]["added_image_placeholder"] == 1


# ---------------------------------------------------------------- datasets
def test_outputs_load_with_datasets(tmp_path):
    datasets = pytest.importorskip("datasets")
    src = tmp_path / "dota"
    png(src / "big.png", 300, 120)
    (src / "big.txt").write_text("10 10 50 10 50 40 10 40 plane 0\n150 10 190 10 190 40 150 40 ship 0\n"
                                 "250 60 290 60 290 90 250 90 small-vehicle 1\n")  # meta.difficult on some lines
    convert(tmp_path / "d", "dota", "--src", str(src), "--tile", "150", "--overlap", "50")
    _geotiff(tmp_path / "img1.tif")
    feat = {"type": "Polygon", "coordinates": [[[500020.0, 5799980.0], [500060.0, 5799980.0],
                                                [500060.0, 5799940.0], [500020.0, 5799980.0]]]}
    (tmp_path / "l.geojson").write_text(json.dumps({
        "type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::32631"}},
        "features": [{"type": "Feature", "properties": {}, "geometry": feat}]}))
    convert(tmp_path / "g", "geojson", "--images", str(tmp_path / "img1.tif"), "--labels", str(tmp_path / "l.geojson"))
    for sub in ("d", "g"):
        path = tmp_path / sub / "records.jsonl"
        n = sum(1 for _ in path.open())
        ds = datasets.load_dataset("json", data_files=str(path), split="train",
                                   cache_dir=str(tmp_path / "hf_cache"))
        assert len(ds) == n > 0
        assert set(ds.column_names) == {"id", "images", "conversations", "task", "meta"}
        assert ds[0]["meta"]["width"] > 0 and ds[0]["conversations"][0]["from"] == "human"
        if sub == "d":  # difficult on some records only in the source: the key is on every line
            assert all(isinstance(m["difficult"], list) for m in ds["meta"])
            assert sum(len(m["difficult"]) for m in ds["meta"]) > 0
