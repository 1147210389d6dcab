"""Tour 62b (converters, second round): an empty LLaVA file named, COCO's renamed duplicate ids named,
RGB photos named ``_bNN`` kept as images, an empty GeoJSON collection not counted as reprojected."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("text, said", [("", "empty file"), (" \n\n", "empty file"), ("[]", "empty JSON array")])
def test_an_empty_llava_file_is_named_in_the_no_records_error(tmp_path, capsys, text, said):
    """It ended 'no records written (nothing to convert)', naming no file (rsivqa names its own)."""
    from data_gen.convert import main

    (tmp_path / "img").mkdir()
    (tmp_path / "e.json").write_text(text)
    argv = ["llava", "--src", str(tmp_path / "e.json"), "--images", str(tmp_path / "img"), "--out", str(tmp_path / "o")]
    assert main(argv) == 2
    assert f"no records written ({tmp_path / 'e.json'}: {said})" in capsys.readouterr().err


def test_coco_renamed_duplicate_id_is_named_with_its_file(tmp_path):
    """``train/a.png`` and ``val/a.png`` give ids ``coco-a-…`` and ``coco-a-…-dup2``; the notes counted the
    renames (``duplicate_ids_renamed``) without naming a record or an image entry."""
    import json

    from convert_helpers import convert, png

    png(tmp_path / "imgs" / "train" / "a.png", 100, 50)
    png(tmp_path / "imgs" / "val" / "a.png", 60, 40)
    data = {"images": [{"id": 1, "file_name": "train/a.png"}, {"id": 2, "file_name": "val/a.png"}],
            "categories": [{"id": 1, "name": "ship"}],
            "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [10, 10, 20, 20]},
                            {"id": 2, "image_id": 2, "category_id": 1, "bbox": [5, 5, 20, 20]}]}
    (tmp_path / "ann.json").write_text(json.dumps(data))
    stats, recs = convert(tmp_path / "out", "coco", "--ann", str(tmp_path / "ann.json"), "--images", str(tmp_path / "imgs"))
    assert stats["notes"]["duplicate_ids_renamed"] == 2
    ann = tmp_path / "ann.json"
    first = (f"first duplicate id renamed: coco-a-det-box-dup2 ({ann}: image id 2 (val/a.png); "
             f"coco-a-det-box is {ann}: image id 1 (train/a.png))")
    assert stats["notes"][first] == 1 and "coco-a-det-box-dup2" in {r["id"] for r in recs}


def test_rgb_photos_named_like_band_files_stay_images_and_one_band_files_are_grouped(tmp_path):
    """``img_b2.png`` and ``img_b3.png`` (RGB photos) were grouped as one scene's band files, then refused as
    ``unreadable_image`` (3 bands, files given one per band must hold 1); one-band files of those names are still
    one scene."""
    import numpy as np
    from convert_helpers import convert
    from PIL import Image

    for name in ("img_b2.png", "img_b3.png", "photo_b12.jpg"):
        (tmp_path / "src" / "beach").mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (32, 32), (10, 200, 30)).save(tmp_path / "src" / "beach" / name)
    stats, recs = convert(tmp_path / "out", "folder", "--src", str(tmp_path / "src"))
    assert stats["skipped"] == {} and len(recs) == 3 and all("path" in r["images"][0] for r in recs)
    assert stats["notes"]["band_named_images_of_several_bands_read_as_images"] == 3
    assert "band_files_grouped" not in stats["notes"]
    rng = np.random.default_rng(0)
    for name in ("scene_b2.png", "scene_b3.png", "scene_b4.png"):  # one band each (L): a scene
        (tmp_path / "one" / "lake").mkdir(parents=True, exist_ok=True)
        Image.fromarray(rng.integers(0, 255, (32, 32), dtype=np.uint8)).save(tmp_path / "one" / "lake" / name)
    stats, recs = convert(tmp_path / "out1", "folder", "--src", str(tmp_path / "one"), "--modality", "msi")
    assert stats["notes"]["band_files_grouped"] == 3 and len(recs) == 1
    assert len(recs[0]["images"][0]["band_files"]) == 3


def test_an_empty_geojson_collection_is_not_counted_as_reprojected(tmp_path):
    """A tile's empty FeatureCollection (SpaceNet's tiles without a building) over a UTM GeoTIFF was noted as
    ``reprojected_files`` (its CRS, WGS84 by default, differs from the raster's) with nothing reprojected."""
    import json

    import numpy as np
    import rasterio
    from convert_helpers import convert
    from rasterio.transform import from_origin
    from rasterio.warp import transform_geom

    (tmp_path / "imgs").mkdir()
    (tmp_path / "labels").mkdir()
    for name in ("img1", "img2"):
        with rasterio.open(tmp_path / "imgs" / f"{name}.tif", "w", driver="GTiff", width=100, height=80, count=1,
                           dtype="uint16", crs="EPSG:32631", transform=from_origin(500000.0, 5800000.0, 2, 2)) as ds:
            ds.write(np.full((1, 80, 100), 7, np.uint16))
    utm = [[500000.0 + 2 * x, 5800000.0 - 2 * y] for x, y in ([10, 10], [40, 10], [40, 30], [10, 30], [10, 10])]
    wgs = transform_geom("EPSG:32631", "EPSG:4326", {"type": "Polygon", "coordinates": [utm]})
    for name, feats in (("img1", [{"type": "Feature", "properties": {}, "geometry": wgs}]), ("img2", [])):
        (tmp_path / "labels" / f"b_{name}.geojson").write_text(json.dumps({"type": "FeatureCollection",
                                                                            "features": feats}))
    stats, _ = convert(tmp_path / "out", "geojson", "--images", str(tmp_path / "imgs"), "--labels",
                       str(tmp_path / "labels"), "--match", r"img\d+")
    assert stats["notes"]["reprojected_files"] == 1 and stats["notes"]["images_without_objects_not_read"] == 1


def test_coco_file_name_written_on_windows_is_read_with_slashes(tmp_path):
    """``train\\a.png`` (a COCO file made on Windows) gave records ``coco-train\\a-det-box``, and beside an entry
    ``val/a.png`` was not held to its folder; it is read as ``train/a.png``, as ``llava`` reads its paths."""
    import json

    from convert_helpers import convert, png

    png(tmp_path / "imgs" / "train" / "a.png", 100, 50)
    png(tmp_path / "imgs" / "val" / "a.png", 60, 40)
    data = {"images": [{"id": 1, "file_name": "train\\a.png"}, {"id": 2, "file_name": "val\\a.png"}],
            "categories": [{"id": 1, "name": "ship"}],
            "annotations": [{"id": k, "image_id": k, "category_id": 1, "bbox": [10, 10, 20, 20]} for k in (1, 2)]}
    (tmp_path / "ann.json").write_text(json.dumps(data))
    stats, recs = convert(tmp_path / "out", "coco", "--ann", str(tmp_path / "ann.json"), "--images", str(tmp_path / "imgs"))
    assert stats["notes"]["windows_paths_read"] == 2 and not any("\\" in r["id"] for r in recs)
    assert {(r["meta"]["width"], r["meta"]["height"]) for r in recs} == {(100, 50), (60, 40)}


def test_a_loose_rgb_photo_named_like_a_band_file_takes_its_class_without_the_band(tmp_path):
    """``harbor_3_b2.jpg`` loose in --src (an RGB photo, a plain image) was class ``harbor 3 b``; its class
    comes from its name less the band part, as a band file's scene does: ``harbor``."""
    from convert_helpers import convert
    from PIL import Image

    (tmp_path / "src").mkdir()
    Image.new("RGB", (32, 32), (10, 200, 30)).save(tmp_path / "src" / "harbor_3_b2.jpg")
    Image.new("RGB", (32, 32), (10, 20, 30)).save(tmp_path / "src" / "forest_7.jpg")
    _, recs = convert(tmp_path / "out", "folder", "--src", str(tmp_path / "src"))
    assert sorted(r["conversations"][-1]["value"] for r in recs) == ["forest", "harbor"]


def test_a_converter_option_given_twice_is_refused(tmp_path, capsys):
    """``coco --ann a.json … --ann b.json`` converted b.json alone, a.json dropped unsaid."""
    from data_gen.convert import main

    with pytest.raises(SystemExit) as e:
        main(["coco", "--ann", "a.json", "--images", str(tmp_path), "--ann", "b.json", "--out", str(tmp_path / "o")])
    assert e.value.code == 2 and "--ann is given twice: '--ann a.json' and '--ann b.json'" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_rsivqa_src_given_twice_converts_both_files(tmp_path):
    """``--src`` takes several files (nargs "+"), so 6cbd3d5's one-value check left it out: ``--src a.txt --src
    b.txt`` converted b.txt alone, a.txt's records dropped unsaid; both option words add their files."""
    from convert_helpers import convert, png

    png(tmp_path / "img" / "a.png", 64, 64)
    for name in ("a", "b"):
        (tmp_path / f"{name}.txt").write_text(f"a.png:Is there a {name}?yes\n")
    stats, recs = convert(tmp_path / "out", "rsivqa", "--src", str(tmp_path / "a.txt"), "--src",
                          str(tmp_path / "b.txt"), "--images", str(tmp_path / "img"))
    assert sorted(r["meta"]["file"] for r in recs) == ["a.txt:1", "b.txt:1"], [r["meta"] for r in recs]
