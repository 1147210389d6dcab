"""Converters fed what a user gets wrong: truncated images, folders that are not there, entries
missing keys, re-runs into the same output folder. Each must name the input or count the skip."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from convert_helpers import convert, png

from data_gen.convert import convert as run_convert
from data_gen.convert.common import ConversionError


def truncated(path: Path, w: int = 64, h: int = 48) -> Path:
    """An image whose header is intact but whose pixel data stops early."""
    png(path, w, h)
    from PIL import Image

    Image.effect_noise((w, h), 50).convert("RGB").save(path)  # noise: compressed data worth cutting
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def test_truncated_image_is_skipped_and_counted(tmp_path):
    src = tmp_path / "dota"
    truncated(src / "a.png")
    png(src / "b.png", 64, 48)
    for stem in "ab":
        (src / f"{stem}.txt").write_text("10 10 40 10 40 30 10 30 plane 0\n")
    stats, records = convert(tmp_path / "o", "dota", "--src", str(src))
    assert stats["skipped"] == {"unreadable_image": 1}
    assert str(src / "a.png") in stats["skipped_examples"]["unreadable_image"]
    assert {r["images"][0]["path"] for r in records} == {"images/b.png"}

    (tmp_path / "q.txt").write_text("a.png:is there a plane?yes\na.png:how many planes?1\nb.png:any ship?no\n")
    stats, records = convert(tmp_path / "o2", "rsivqa", "--src", str(tmp_path / "q.txt"), "--images", str(src))
    assert stats["skipped"] == {"unreadable_image": 2} and len(records) == 1  # counted per line

    cls = tmp_path / "cls"
    truncated(cls / "forest" / "f_1.png")
    png(cls / "river" / "r_1.png", 8, 8)
    stats, records = convert(tmp_path / "o3", "folder", "--src", str(cls))
    assert stats["skipped"] == {"unreadable_image": 1} and len(records) == 1


@pytest.mark.parametrize("fmt", ["coco", "rsivqa", "llava", "dota"])
def test_missing_image_folder_is_an_error_naming_it(tmp_path, fmt):
    (tmp_path / "a.json").write_text(json.dumps({"images": [], "annotations": []}))
    (tmp_path / "q.txt").write_text("a.png:is there a plane?yes\n")
    (tmp_path / "l.json").write_text(json.dumps([{"id": 1, "image": "a.png", "conversations": []}]))
    (tmp_path / "a.txt").write_text("10 10 40 10 40 30 10 30 plane 0\n")
    nowhere = tmp_path / "nowhere"
    src = {"coco": ["--ann", str(tmp_path / "a.json")], "rsivqa": ["--src", str(tmp_path / "q.txt")],
           "llava": ["--src", str(tmp_path / "l.json")], "dota": ["--src", str(tmp_path)]}[fmt]
    with pytest.raises(ConversionError, match=str(nowhere)):
        run_convert([fmt, "--out", str(tmp_path / "o"), *src, "--images", str(nowhere)])


def test_rerun_into_the_same_folder_overwrites_its_images(tmp_path):
    src = tmp_path / "dota"
    png(src / "a.png", 64, 48)
    (src / "a.txt").write_text("10 10 40 10 40 30 10 30 plane 0\n")
    convert(tmp_path / "o", "dota", "--src", str(src))
    stats, records = convert(tmp_path / "o", "dota", "--src", str(src))
    assert sorted(p.name for p in (tmp_path / "o" / "images").iterdir()) == ["a.png"]
    assert {r["images"][0]["path"] for r in records} == {"images/a.png"} and stats["images"] == 1
    stats, _ = convert(tmp_path / "o", "dota", "--src", str(src), "--tile", "32", "--overlap", "8")
    assert stats["notes"]["stale_images_from_earlier_runs"] == 1  # a.png of the untiled runs
    from data_gen.convert.common import Output

    png(tmp_path / "x" / "a.png", 4, 4)
    png(tmp_path / "y" / "a.png", 4, 4)
    out = Output(tmp_path / "o", "test")  # two sources of one name in one run: two files
    assert [out.copy_image(tmp_path / d / "a.png") for d in "xyx"] == ["images/a.png", "images/a_1.png", "images/a.png"]
    assert out.close()["images"] == 2


def test_coco_entries_missing_keys_are_counted_not_tracebacks(tmp_path):
    png(tmp_path / "imgs" / "a.png", 64, 48)
    png(tmp_path / "imgs" / "b.png", 64, 48)
    box = {"category_id": 1, "bbox": [10, 10, 20, 20]}
    coco = {"images": [{"id": 1, "file_name": "a.png"},  # no width/height: the file's
                       {"id": 2, "file_name": "b.png", "width": 640, "height": 480},  # not the file's
                       {"id": 3, "width": 64, "height": 48}],  # no file_name
            "annotations": [{"id": k, "image_id": k, **box} for k in (1, 2, 3)] + ["junk"],
            "categories": [{"id": 1, "name": "car"}]}
    (tmp_path / "a.json").write_text(json.dumps(coco))
    stats, records = convert(tmp_path / "o", "coco", "--ann", str(tmp_path / "a.json"), "--images", str(tmp_path / "imgs"))
    assert stats["skipped"] == {"unparsable_image_entry": 1, "orphan_annotation": 1, "unparsable_annotation": 1,
                                "size_mismatch": 1}
    assert {(r["meta"]["width"], r["meta"]["height"]) for r in records} == {(64, 48)}
    assert "images[2]" in stats["skipped_examples"]["unparsable_image_entry"]
    coco["categories"] = [{"id": 1}]
    (tmp_path / "a.json").write_text(json.dumps(coco))
    with pytest.raises(ConversionError, match=r"a\.json: categories\[0\]"):
        run_convert(["coco", "--out", str(tmp_path / "o"), "--ann", str(tmp_path / "a.json"),
                     "--images", str(tmp_path / "imgs")])


def test_geojson_features_that_cannot_be_placed_are_counted(tmp_path):
    import numpy as np
    import rasterio
    from rasterio.transform import from_origin

    with rasterio.open(tmp_path / "a.tif", "w", driver="GTiff", width=32, height=32, count=1, dtype="uint8",
                       crs="EPSG:32616", transform=from_origin(500000, 3700000, 1, 1)) as ds:
        ds.write(np.zeros((1, 32, 32), np.uint8))
    polygon = {"type": "Polygon", "coordinates": [[[1, 2], [1, 3], [2, 3], [1, 2]]]}
    feats = [{"type": "Feature", "geometry": polygon},  # lon/lat outside UTM 16N's domain
             {"type": "Feature", "geometry": {"type": "Point", "coordinates": [1, 2]}},
             {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [[["a", "b"], [1, 3], [2, 3]]]}},
             "junk"]
    (tmp_path / "a.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    stats, records = convert(tmp_path / "o", "geojson", "--images", str(tmp_path / "a.tif"),
                             "--labels", str(tmp_path / "a.geojson"))
    assert records == [] and stats["skipped"] == {"unprojectable_geometry": 2, "unsupported_geometry": 1,
                                                 "unparsable_geometry": 1}
    assert "features[0]" in stats["skipped_examples"]["unprojectable_geometry"]


def test_a_run_that_writes_no_record_exits_2_saying_why(tmp_path, capsys):
    from data_gen.convert import main

    (tmp_path / "q.txt").write_text("ghost.png:is there a plane?yes\n")
    argv = ["rsivqa", "--src", str(tmp_path / "q.txt"), "--images", str(tmp_path), "--out", str(tmp_path / "o")]
    assert main(argv) == 2
    assert f"no records written (1 missing_image); e.g. {tmp_path / 'q.txt'}:1: missing_image" in capsys.readouterr().err
    (tmp_path / "q.txt").write_text("")
    assert main(argv) == 2
    assert f"no records written ({tmp_path / 'q.txt'}: empty file)" in capsys.readouterr().err  # names it (9eb4fdc)


def test_an_out_that_cannot_be_a_folder_is_an_error_naming_it(tmp_path, capsys):
    from data_gen.convert import main

    (tmp_path / "afile").write_text("")
    png(tmp_path / "forest_1.png", 8, 8)
    assert main(["folder", "--src", str(tmp_path / "forest_1.png"), "--out", str(tmp_path / "afile")]) == 2
    assert f"{tmp_path / 'afile'}: cannot write the output folder" in capsys.readouterr().err


def test_rsvqa_entries_of_the_wrong_shape_are_counted(tmp_path):
    png(tmp_path / "imgs" / "0.png", 8, 8)
    questions = [{"id": 0, "img_id": 0, "question": "Is there a road?", "answers_ids": [0]},
                 {"id": 1, "img_id": 0, "question": "Q?", "answers_ids": 5},
                 {"id": 2, "img_id": [0], "question": "Q?", "answers_ids": [0]},
                 {"id": 3, "img_id": 0, "question": "Q?", "answers_ids": [[0]]}]
    (tmp_path / "T_questions.json").write_text(json.dumps({"questions": questions}))
    (tmp_path / "T_answers.json").write_text(json.dumps({"answers": [{"id": 0, "answer": "yes"}, 5]}))
    stats, records = convert(tmp_path / "o", "rsvqa", "--src", str(tmp_path), "--images", str(tmp_path / "imgs"))
    assert len(records) == 1 and stats["skipped"] == {"unparsable_question": 2, "no_answer": 1}
    assert "questions[1]" in stats["skipped_examples"]["unparsable_question"]


def test_llava_skip_examples_name_the_reason_once(tmp_path):
    png(tmp_path / "imgs" / "a.png", 8, 8)
    lines = [{"id": 1, "image": "a.png", "conversations": [{"from": "human", "value": "<image>\nhi"},
                                                           {"from": "gpt", "value": "hello"}]},
             {"id": 2, "image": "nope.png", "conversations": []}]
    (tmp_path / "l.jsonl").write_text("".join(json.dumps(r) + "\n" for r in lines))
    stats, _ = convert(tmp_path / "o", "llava", "--src", str(tmp_path / "l.jsonl"), "--images", str(tmp_path / "imgs"))
    assert stats["skipped_examples"] == {"missing_image": f"{tmp_path / 'l.jsonl'}:2: missing_image "
                                                          f"({tmp_path / 'imgs' / 'nope.png'}: no such image under "
                                                          f"--images {tmp_path / 'imgs'})"}


def test_geojson_crs_member_of_another_shape(tmp_path):
    import numpy as np
    import rasterio
    from rasterio.transform import from_origin

    with rasterio.open(tmp_path / "a.tif", "w", driver="GTiff", width=32, height=32, count=1, dtype="uint8",
                       crs="EPSG:32616", transform=from_origin(500000, 3700000, 1, 1)) as ds:
        ds.write(np.zeros((1, 32, 32), np.uint8))
    ring = [[500002, 3699998], [500010, 3699998], [500010, 3699990], [500002, 3699990], [500002, 3699998]]
    fc = {"type": "FeatureCollection", "crs": "EPSG:32616",  # a bare string, as some tools write it
          "features": [{"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [ring]}}]}
    (tmp_path / "a.geojson").write_text(json.dumps(fc))
    argv = ["geojson", "--images", str(tmp_path / "a.tif"), "--labels", str(tmp_path / "a.geojson")]
    stats, _ = convert(tmp_path / "o", *argv)
    assert stats["tasks"] == {"det": 1, "ground": 1, "seg": 1} and "reprojected_files" not in stats["notes"]
    (tmp_path / "a.geojson").write_text(json.dumps({**fc, "crs": {"type": "name", "properties": 5}}))
    with pytest.raises(ConversionError, match=r"a.geojson: unparsable_labels \(unreadable crs member"):
        run_convert([argv[0], "--out", str(tmp_path / "o"), "--strict", *argv[1:]])
    stats = run_convert([argv[0], "--out", str(tmp_path / "o"), *argv[1:]])  # one bad file among many: counted
    assert stats["skipped"] == {"unparsable_labels": 1}
    assert stats["skipped_examples"]["unparsable_labels"].startswith(f"{tmp_path / 'a.geojson'}: unparsable_labels "
                                                                     "(unreadable crs member")


def test_data_gen_help_goes_to_stdout(capsys):
    from data_gen.__main__ import main

    assert main(["--help"]) == 0 and "usage: python -m data_gen" in capsys.readouterr().out
    assert main(["nope"]) == 2 and "usage: python -m data_gen" in capsys.readouterr().err


def test_synth_out_that_cannot_be_a_folder_is_an_error(tmp_path, capsys):
    from data_gen.__main__ import main

    (tmp_path / "afile").write_text("")
    assert main(["synth", "--out", str(tmp_path / "afile"), "--n", "1", "--size", "32", "--no-progress"]) == 2
    assert str(tmp_path / "afile") in capsys.readouterr().err


@pytest.mark.parametrize("argv, message", [
    (["--tile", "-100"], "--tile: a tile of -100 px is too small: give at least 32 px"),
    (["--tile", "400", "--overlap", "-5"], "--overlap: needs a whole number of at least 0"),
    (["--min-visible", "2"], "--min-visible: needs a number from 0 to 1"),
])
def test_tiling_options_out_of_range_are_usage_errors(tmp_path, capsys, argv, message):
    with pytest.raises(SystemExit) as e:
        run_convert(["dota", "--src", str(tmp_path), "--out", str(tmp_path / "o"), *argv])
    assert e.value.code == 2 and message in capsys.readouterr().err


def test_masks_and_levir_tiling_and_budget_checked_before_work(tmp_path, capsys):
    png(tmp_path / "a.png", 16, 16)
    png(tmp_path / "a_mask.png", 16, 16, mode="L")
    masks = ["masks", "--images", str(tmp_path), "--labels", str(tmp_path), "--binary", "x", "--out", str(tmp_path / "o")]
    with pytest.raises(ConversionError, match="--overlap 32 must be smaller than --tile 32"):
        run_convert([*masks, "--tile", "32", "--overlap", "32"])
    with pytest.raises(SystemExit):
        run_convert([*masks, "--budget", "3"])
    assert "--budget: needs a whole number of at least 8" in capsys.readouterr().err
    with pytest.raises(ConversionError, match="--overlap 33 must be smaller than --tile 32"):
        run_convert(["levir-cd", "--src", str(tmp_path), "--out", str(tmp_path / "o"), "--tile", "32", "--overlap", "33"])


def test_no_records_message_falls_back_on_the_notes(tmp_path, capsys):
    from data_gen.convert import main

    png(tmp_path / "a.png", 64, 48)
    (tmp_path / "a.txt").write_text("20 10 44 10 44 30 20 30 plane 0\n")  # half in each 32 px tile, 14/20 in the lower
    assert main(["dota", "--src", str(tmp_path), "--out", str(tmp_path / "o"), "--tile", "32", "--overlap", "0",
                 "--min-visible", "0.9", "--drop-cut"]) == 2
    assert "objects_lost_at_tile_borders" in capsys.readouterr().err


def test_modality_and_task_must_be_ones_the_records_loader_takes(tmp_path, capsys):
    png(tmp_path / "a.png", 8, 8)
    with pytest.raises(SystemExit):
        run_convert(["folder", "--src", str(tmp_path / "a.png"), "--out", str(tmp_path / "o"), "--modality", "lidar"])
    assert "argument --modality: invalid choice: 'lidar'" in capsys.readouterr().err
    (tmp_path / "l.json").write_text(json.dumps([{"id": 1, "images": [{"path": "a.png", "modality": "lidar"}],
                                                  "conversations": [{"from": "human", "value": "hi"},
                                                                    {"from": "gpt", "value": "yo"}]}]))
    llava = ["llava", "--src", str(tmp_path / "l.json"), "--images", str(tmp_path), "--out", str(tmp_path / "o")]
    with pytest.raises(SystemExit):
        run_convert([*llava, "--task", "chitchat"])
    assert "argument --task: invalid choice: 'chitchat'" in capsys.readouterr().err
    assert run_convert(llava)["skipped"] == {"unknown_modality": 1}


@pytest.mark.parametrize("palette, bad", [({"ship": "green"}, "ship: 'green'"), ({"ship": [0, 255]}, "ship: [0, 255]"),
                                          ({"ship": [0, 255, 0], "land": 3}, "land: 3")])
def test_masks_palette_values_are_checked(tmp_path, palette, bad):
    png(tmp_path / "a.png", 16, 16)
    png(tmp_path / "a_mask.png", 16, 16)
    (tmp_path / "p.json").write_text(json.dumps(palette))
    with pytest.raises(ConversionError, match=rf"p\.json: {re.escape(bad)} is not"):
        run_convert(["masks", "--images", str(tmp_path), "--labels", str(tmp_path), "--palette",
                     str(tmp_path / "p.json"), "--out", str(tmp_path / "o")])


def test_rsivqa_files_of_one_folder_give_distinct_ids(tmp_path):
    png(tmp_path / "a.png", 8, 8)
    (tmp_path / "q1.txt").write_text("a.png:what is this?church\n")
    (tmp_path / "q2.txt").write_text("a.png:is it big?yes\n")
    q1, q2 = str(tmp_path / "q1.txt"), str(tmp_path / "q2.txt")
    _, records = convert(tmp_path / "o", "rsivqa", "--src", q1, q2, q1, "--images", str(tmp_path))
    assert [r["id"] for r in records] == [f"rsivqa-{tmp_path.name}-q1-1", f"rsivqa-{tmp_path.name}-q2-1"]


def test_same_named_sources_keep_both_records(tmp_path):
    xml = ("<annotation><filename>{}</filename><object><name>ship</name>"
           "<bndbox><xmin>2</xmin><ymin>2</ymin><xmax>9</xmax><ymax>9</ymax></bndbox></object></annotation>")
    for sub in ("hbb", "obb"):  # DIOR's two annotation folders hold files of the same names
        (tmp_path / "ann" / sub).mkdir(parents=True)
        (tmp_path / "ann" / sub / "1.xml").write_text(xml.format("1.png"))
    png(tmp_path / "imgs" / "1.png", 16, 16)
    stats, records = convert(tmp_path / "o", "voc", "--src", str(tmp_path / "ann"), "--images", str(tmp_path / "imgs"))
    assert sorted(r["id"] for r in records) == ["voc-1-det-box", "voc-1-det-box-dup2", "voc-1-ground-ship",
                                                "voc-1-ground-ship-dup2"]
    assert stats["notes"]["duplicate_ids_renamed"] == 2
    lines = [{"id": 7, "image": "1.png", "conversations": [{"from": "human", "value": q}, {"from": "gpt", "value": "a"}]}
             for q in ("first?", "second?")]
    (tmp_path / "l.json").write_text(json.dumps(lines))
    stats, records = convert(tmp_path / "o2", "llava", "--src", str(tmp_path / "l.json"), "--images", str(tmp_path / "imgs"))
    assert [r["id"] for r in records] == ["7", "7-dup2"]
    with pytest.raises(ConversionError, match="duplicate record id '7'"):
        run_convert(["llava", "--strict", "--src", str(tmp_path / "l.json"), "--images", str(tmp_path / "imgs"),
                     "--out", str(tmp_path / "o3")])


def test_tiles_of_same_named_sources_do_not_overwrite_each_other(tmp_path):
    xml = ("<annotation><object><name>ship</name>"
           "<bndbox><xmin>2</xmin><ymin>2</ymin><xmax>9</xmax><ymax>9</ymax></bndbox></object></annotation>")
    for sub in ("2007", "2012"):  # two VOC years, one file name: two records, two tile files
        (tmp_path / "ann" / sub).mkdir(parents=True)
        (tmp_path / "ann" / sub / "1.xml").write_text(xml)
    png(tmp_path / "imgs" / "1.png", 64, 64)
    _, records = convert(tmp_path / "o", "voc", "--src", str(tmp_path / "ann"), "--images", str(tmp_path / "imgs"),
                         "--tile", "32", "--overlap", "0")
    paths = [r["images"][0]["path"] for r in records if "-0-0-det-box" in r["id"]]
    assert len(paths) == 2 and len(set(paths)) == 2


def test_image_names_in_several_folders_are_noted(tmp_path):
    png(tmp_path / "imgs" / "2007" / "a.png", 8, 8)
    png(tmp_path / "imgs" / "2012" / "a.png", 8, 8)
    (tmp_path / "q.txt").write_text("a.png:is there a plane?yes\n")
    stats, records = convert(tmp_path / "o", "rsivqa", "--src", str(tmp_path / "q.txt"), "--images", str(tmp_path / "imgs"))
    assert stats["notes"]["ambiguous_image_names"] == 1 and len(records) == 1


def test_objects_under_one_bin_are_skipped_so_perfect_answers_score_perfectly(tmp_path):
    from eval import grounding

    src = tmp_path / "dota"
    png(src / "a.png", 4000, 3000)
    (src / "a.txt").write_text("10 10 40 10 40 30 10 30 plane 0\n"  # 30 x 20 px: 7 x 6 bins
                               "100.2 100.2 101.5 100.2 101.5 101.5 100.2 101.5 ship 0\n")  # inside one 4 px bin
    stats, records = convert(tmp_path / "o", "dota", "--src", str(src))
    assert stats["skipped"] == {"smaller_than_a_bin": 1} and f"{src / 'a.txt'}:2" in stats["skipped_examples"][
        "smaller_than_a_bin"]
    pred = tmp_path / "pred.jsonl"
    pred.write_text("".join(json.dumps({"id": r["id"], "task": r["task"], "answer": r["conversations"][-1]["value"]})
                            + "\n" for r in records))
    assert grounding.main(["--gt", str(tmp_path / "o" / "records.jsonl"), "--pred", str(pred)])["mIoU"] == 1.0


def test_coco_shows_progress_over_annotations(tmp_path, capsys):
    png(tmp_path / "imgs" / "a.png", 64, 48)
    coco = {"images": [{"id": 1, "file_name": "a.png"}], "categories": [{"id": 1, "name": "car"}],
            "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [10, 10, 20, 20]}]}
    (tmp_path / "a.json").write_text(json.dumps(coco))
    convert(tmp_path / "o", "coco", "--ann", str(tmp_path / "a.json"), "--images", str(tmp_path / "imgs"))
    err = capsys.readouterr().err
    assert "coco annotations" in err and "coco images" in err


def test_geojson_one_feature_is_read_and_a_bad_file_among_many_is_counted(tmp_path):
    import numpy as np
    import rasterio
    from rasterio.transform import from_origin

    for d in ("tifs", "gjs"):
        (tmp_path / d).mkdir()
    for k in (1, 2, 3):
        with rasterio.open(tmp_path / "tifs" / f"img{k}.tif", "w", driver="GTiff", width=32, height=32, count=1,
                           dtype="uint8", crs="EPSG:32616", transform=from_origin(500000, 3700000, 1, 1)) as ds:
            ds.write(np.zeros((1, 32, 32), np.uint8))
    ring = [[500002, 3699998], [500010, 3699998], [500010, 3699990], [500002, 3699990], [500002, 3699998]]
    feature = {"type": "Feature", "crs": "EPSG:32616", "geometry": {"type": "Polygon", "coordinates": [ring]}}
    (tmp_path / "gjs" / "img1.geojson").write_text(json.dumps(feature))
    (tmp_path / "gjs" / "img2.geojson").write_text(json.dumps({"type": "FeatureCollection"}))
    (tmp_path / "gjs" / "img3.geojson").write_text('{"type": "FeatureCollection", "features": [')
    stats, records = convert(tmp_path / "o", "geojson", "--images", str(tmp_path / "tifs"), "--labels", str(tmp_path / "gjs"))
    assert stats["skipped"] == {"unparsable_labels": 2} and {r["task"] for r in records} == {"det", "ground", "seg"}
    assert "img2.geojson" in stats["skipped_examples"]["unparsable_labels"]


def test_text_inputs_with_a_byte_order_mark(tmp_path):
    bom = b"\xef\xbb\xbf"
    png(tmp_path / "a.png", 64, 48)
    (tmp_path / "q.txt").write_bytes(bom + b"a.png:what is this?church\r\n")
    assert convert(tmp_path / "o1", "rsivqa", "--src", str(tmp_path / "q.txt"), "--images", str(tmp_path))[0]["records"] == 1
    png(tmp_path / "dota" / "a.png", 64, 48)
    (tmp_path / "dota" / "a.txt").write_bytes(bom + b"imagesource:GoogleEarth\n10 10 40 10 40 30 10 30 plane 0\n")
    assert convert(tmp_path / "o2", "dota", "--src", str(tmp_path / "dota"))[0]["skipped"] == {}
    coco = {"images": [{"id": 1, "file_name": "a.png"}], "categories": [{"id": 1, "name": "car"}],
            "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [10, 10, 20, 20]}]}
    (tmp_path / "c.json").write_bytes(bom + json.dumps(coco).encode())
    assert convert(tmp_path / "o3", "coco", "--ann", str(tmp_path / "c.json"), "--images", str(tmp_path))[0]["records"]
    llava = [{"id": 1, "image": "a.png", "conversations": [{"from": "human", "value": "hi"}, {"from": "gpt", "value": "yo"}]}]
    (tmp_path / "l.json").write_bytes(bom + json.dumps(llava).encode())
    assert convert(tmp_path / "o4", "llava", "--src", str(tmp_path / "l.json"), "--images", str(tmp_path))[0]["records"] == 1
