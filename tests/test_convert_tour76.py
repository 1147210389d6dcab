"""Tour 76 (E) of the converters and tiling: what nodata hides of a mask's classes is counted per class in objects
and pixels; a class map that finds no class in the labels says their values and what to pass; a PNG's black collar
is said; near-copy edge tiles are said with the share of a tile they repeat."""

import json

import numpy as np
import pytest

from data_gen.__main__ import main


def stats_of(*argv) -> dict:
    out = argv[argv.index("--out") + 1]
    main(["convert", *argv, "--no-progress"])
    with open(f"{out}/stats.json") as f:
        return json.load(f)


def collar_tif(path, collar: int, width: int = 128, height: int = 64):
    """A 3-band uint8 GeoTIFF declaring nodata 0 in its first ``collar`` columns."""
    import rasterio
    from rasterio.transform import Affine

    image = np.full((3, height, width), 120, np.uint8)
    image[:, :, :collar] = 0
    with rasterio.open(path, "w", driver="GTiff", width=width, height=height, count=3, dtype="uint8",
                       crs="EPSG:32618", transform=Affine(30, 0, 300000, 0, -30, 4000000), nodata=0) as ds:
        ds.write(image)


def test_masks_counts_per_class_the_objects_and_pixels_its_nodata_hides(tmp_path):
    """It counted images alone (images_with_class_over_nodata: 1): not which class, nor how much was left out."""
    from PIL import Image

    collar_tif(tmp_path / "x.tif", 64)
    label = np.zeros((64, 128), np.uint8)
    label[8:24, 8:24] = 2  # a building wholly on the collar: left out
    label[40:50, 56:76] = 2  # a building half on it: 80 px of it left out, the instance kept
    label[30:34, 10:14] = 3  # a road on the collar
    label[8:24, 80:96] = 3  # a road on data
    Image.fromarray(label).save(tmp_path / "x_mask.png")
    (tmp_path / "p.json").write_text(json.dumps({"building": 2, "road": 3}))
    notes = stats_of("masks", "--images", str(tmp_path / "x.tif"), "--labels", str(tmp_path / "x_mask.png"),
                     "--palette", str(tmp_path / "p.json"), "--out", str(tmp_path / "o"))["notes"]
    assert notes["images_with_class_over_nodata"] == 1, notes
    assert notes["objects_over_nodata: building"] == 1 and notes["objects_over_nodata: road"] == 1, notes
    assert notes["objects_over_nodata"] == 2, notes
    assert notes["class_pixels_over_nodata: building"] == 16 * 16 + 10 * 8, notes
    assert notes["class_pixels_over_nodata: road"] == 16, notes


def test_a_preset_finding_no_class_in_a_binary_mask_says_its_values_and_binary(tmp_path, capsys):
    """masks --preset loveda on detectree's 0/1 mask said only "no records written (1
    images_without_objects_not_read)": LoveDA's 0 and 1 are no-data and background."""
    from PIL import Image

    Image.fromarray(np.full((40, 40, 3), 90, np.uint8)).save(tmp_path / "a.png")
    mask = np.zeros((40, 40), np.uint8)
    mask[5:20, 5:20] = 1
    Image.fromarray(mask).save(tmp_path / "a_mask.png")
    argv = ["convert", "masks", "--images", str(tmp_path / "a.png"), "--labels", str(tmp_path / "a_mask.png"),
            "--preset", "loveda", "--out", str(tmp_path / "o"), "--no-progress"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "no records written" in err and "they hold 0, 1" in err and "building 2" in err, err
    assert "(ignored: 0, 1)" in err and "--binary CLASS" in err, err
    argv[argv.index("--preset"):argv.index("--preset") + 2] = ["--binary", "building"]
    assert main(argv) == 0  # as told: a record


def test_masks_says_nothing_of_values_where_records_came(tmp_path):
    from PIL import Image

    for stem, value in (("a", 2), ("b", 1)):
        Image.fromarray(np.full((40, 40, 3), 90, np.uint8)).save(tmp_path / f"{stem}.png")
        mask = np.zeros((40, 40), np.uint8)
        mask[5:20, 5:20] = value
        Image.fromarray(mask).save(tmp_path / f"{stem}_mask.png")
    notes = stats_of("masks", "--images", str(tmp_path), "--labels", str(tmp_path), "--preset", "loveda",
                     "--out", str(tmp_path / "o"))["notes"]
    assert notes["images_without_objects_not_read"] == 1 and not any("no label holds" in k for k in notes), notes


def rotated_scene(path, size=(200, 160), fmt="PNG"):
    """A textured scene rotated 20 degrees in a black collar, as a satellite strip cut to its bounds."""
    from PIL import Image

    rng = np.random.default_rng(0)
    scene = Image.fromarray(rng.integers(40, 220, (120, 150, 3), dtype=np.uint8))
    canvas = scene.rotate(20, expand=True, fillcolor=(0, 0, 0)).resize(size)
    canvas.save(path, fmt)
    return np.asarray(canvas)


def test_constant_border_finds_a_png_collar_and_counts_its_pixels(tmp_path):
    from data_gen.tiling import border_said, constant_border

    a = rotated_scene(tmp_path / "s.png")
    value, pixels, total = constant_border(tmp_path / "s.png")
    assert value == (0, 0, 0) and total == 200 * 160
    assert pixels == int((a == 0).all(axis=-1).sum()) or abs(pixels - (a == 0).all(axis=-1).sum()) < 0.01 * total
    said = border_said(tmp_path / "s.png")
    assert f"{pixels} px" in said and "gdal_translate -of GTiff -a_nodata 0 s.png s.tif" in said, said
    rotated_scene(tmp_path / "s.jpg", fmt="JPEG")  # JPEG's ringing: within 8 levels of black
    found = constant_border(tmp_path / "s.jpg")
    assert found is not None and abs(found[1] - pixels) < 0.05 * total, (found, pixels)


def test_constant_border_leaves_a_scene_without_one_and_a_dark_sea(tmp_path):
    from PIL import Image

    from data_gen.tiling import constant_border

    rng = np.random.default_rng(1)
    Image.fromarray(rng.integers(0, 255, (64, 64, 3), dtype=np.uint8)).save(tmp_path / "n.png")
    assert constant_border(tmp_path / "n.png") is None
    sea = np.full((64, 64), 16, np.uint8)  # a SAR sea of one grey: no collar, which is black or white
    Image.fromarray(sea).save(tmp_path / "sea.png")
    assert constant_border(tmp_path / "sea.png") is None
    speck = rng.integers(40, 220, (100, 100, 3), dtype=np.uint8)
    speck[0, :3] = 0  # 3 black pixels at the edge: under 1% of the image
    Image.fromarray(speck).save(tmp_path / "speck.png")
    assert constant_border(tmp_path / "speck.png") is None


def test_dota_notes_a_png_collar_once_per_image_with_how_to_mask_it(tmp_path):
    src = tmp_path / "dota"
    src.mkdir()
    rotated_scene(src / "P1.png")
    (src / "P1.txt").write_text("90 70 110 70 110 90 90 90 small-vehicle 0\n")
    stats = stats_of("dota", "--src", str(src), "--out", str(tmp_path / "o"))
    assert stats["notes"]["images_with_constant_border"] == 1, stats["notes"]
    assert "P1.png" in stats["notes_examples"]["images_with_constant_border"]
    assert stats["records"] >= 1


@pytest.mark.parametrize("side,tile,share", [(256, 255, "99.6%"), (300, 256, "82.8%")])
def test_near_duplicate_edge_tiles_are_said_with_the_share_they_repeat(tmp_path, side, tile, share):
    """A count alone (images_with_near_duplicate_edge_tiles: 1) said not which image, how near, nor what to pass."""
    from PIL import Image

    from data_gen.tiling import edge_overlap, tile_windows

    said = edge_overlap(tile_windows(side, 64, tile))
    assert said.startswith(f"x: tiles at 0 and {side - tile} share {share}") and f"--tile {side} or more" in said
    assert "y:" not in said and edge_overlap(tile_windows(520, 64, 256)) == ""  # 0, 132, 264: spread evenly
    rng = np.random.default_rng(2)
    Image.fromarray(rng.integers(0, 255, (64, side, 3), dtype=np.uint8)).save(tmp_path / "a.png")
    mask = np.zeros((64, side), np.uint8)
    mask[10:40, 10:side - 10] = 1
    Image.fromarray(mask).save(tmp_path / "a_mask.png")
    stats = stats_of("masks", "--images", str(tmp_path / "a.png"), "--labels", str(tmp_path / "a_mask.png"),
                     "--binary", "building", "--tile", str(tile), "--out", str(tmp_path / "o"))
    assert stats["notes_examples"]["images_with_near_duplicate_edge_tiles"] == f"a.png: {said}", stats


def test_an_empty_labeltxt_is_named_and_an_empty_label_png_says_so(tmp_path):
    """An empty DOTA label file was a count alone; an empty mask PNG was PIL's "cannot identify image file"."""
    from PIL import Image

    src = tmp_path / "dota"
    src.mkdir()
    Image.fromarray(np.full((64, 64, 3), 90, np.uint8)).save(src / "P1.png")
    (src / "P1.txt").write_text("")
    argv = ["convert", "dota", "--src", str(src), "--out", str(tmp_path / "o"), "--no-progress"]
    assert main(argv) == 2  # no record: an error naming the run
    stats = json.loads((tmp_path / "o" / "stats.json").read_text())
    assert stats["notes_examples"]["images_without_objects_not_read"] == str(src / "P1.txt"), stats
    Image.fromarray(np.full((64, 64, 3), 90, np.uint8)).save(tmp_path / "a.png")
    (tmp_path / "a_mask.png").write_bytes(b"")
    argv = ["convert", "masks", "--images", str(tmp_path / "a.png"), "--labels", str(tmp_path / "a_mask.png"),
            "--binary", "building", "--out", str(tmp_path / "m"), "--no-progress"]
    assert main(argv) == 2
    stats = json.loads((tmp_path / "m" / "stats.json").read_text())
    assert "empty file, 0 bytes" in stats["skipped_examples"]["unreadable_label"], stats


def test_limit_converts_the_first_inputs_and_counts_the_rest(tmp_path):
    """No converter had --limit: a look at a 2806-image DOTA folder converted all of it."""
    from PIL import Image

    src = tmp_path / "dota"
    src.mkdir()
    for k in range(3):
        Image.fromarray(np.full((64, 64, 3), 90, np.uint8)).save(src / f"P{k}.png")
        (src / f"P{k}.txt").write_text("10 10 20 10 20 20 10 20 small-vehicle 0\n")
    stats = stats_of("dota", "--src", str(src), "--out", str(tmp_path / "o"), "--limit", "2")
    assert stats["notes"]["inputs_left_out_by_limit"] == 1, stats["notes"]
    assert stats["notes_examples"]["inputs_left_out_by_limit"] == "--limit 2: dota read 2 of 3 label files"
    assert stats["images"] == 2 and "images_without_label" not in stats["notes"], stats  # P2.png: unread, not unlabelled
    assert "inputs_left_out_by_limit" not in stats_of("dota", "--src", str(src), "--out", str(tmp_path / "o2"),
                                                      "--limit", "3")["notes"]
    with pytest.raises(SystemExit):
        main(["convert", "dota", "--src", str(src), "--out", str(tmp_path / "o3"), "--limit", "0"])


def test_limit_counts_coco_images_not_annotations_and_stops_a_stream(tmp_path):
    from PIL import Image

    from data_gen.convert.common import Output

    for k in (1, 2):
        Image.fromarray(np.full((64, 64, 3), 90, np.uint8)).save(tmp_path / f"{k}.png")
    ann = {"images": [{"id": k, "file_name": f"{k}.png", "width": 64, "height": 64} for k in (1, 2)],
           "categories": [{"id": 1, "name": "ship"}],
           "annotations": [{"id": a, "image_id": i, "category_id": 1, "bbox": [5, 5, 10 + a, 10], "iscrowd": 0}
                           for a, i in ((1, 1), (2, 1), (3, 2))]}
    (tmp_path / "a.json").write_text(json.dumps(ann))
    stats = stats_of("coco", "--ann", str(tmp_path / "a.json"), "--images", str(tmp_path), "--out",
                     str(tmp_path / "o"), "--limit", "1")
    assert stats["images"] == 1 and stats["notes"]["inputs_left_out_by_limit"] == 1, stats
    with Output(tmp_path / "s", "test", limit=2) as out:
        assert list(out.bar((n for n in range(5)), "llava", "record")) == [0, 1]
        assert out.notes == {"--limit 2: llava read its first 2 records, the rest unread": 1}


def test_a_large_png_is_looked_at_for_a_collar_only_as_the_tiler_decoded_it(tmp_path):
    """Decoded for the look alone, a 4000 px DOTA PNG took 1.4 s: over 2**22 px only the cropper's decode is used."""
    from PIL import Image

    from data_gen.crop import cropper
    from data_gen.tiling import border_said

    a = np.zeros((2000, 2100, 3), np.uint8)
    a[300:1700, 300:1800] = 120
    Image.fromarray(a).save(tmp_path / "big.png", compress_level=1)
    assert border_said(tmp_path / "big.png") == ""  # 4.2 M px, nothing decoded for it
    with cropper(tmp_path / "big.png") as crop:
        said = border_said(tmp_path / "big.png", crop.image)
    assert said.startswith(f"big.png: {2000 * 2100 - 1400 * 1500} px (50.0%) of value 0 join its edge"), said


def test_dota_counts_per_class_the_objects_on_nodata(tmp_path):
    src = tmp_path / "dota"
    src.mkdir()
    collar_tif(src / "P1.tif", 64)
    (src / "P1.txt").write_text("10 10 20 10 20 20 10 20 small-vehicle 0\n30 10 40 10 40 20 30 20 ship 0\n"
                                "40 40 50 40 50 50 40 50 ship 0\n100 40 110 40 110 50 100 50 ship 0\n")
    notes = stats_of("dota", "--src", str(src), "--out", str(tmp_path / "o"), "--max-nodata", "1")["notes"]
    assert notes["objects_over_nodata"] == 3, notes
    assert notes["objects_over_nodata: ship"] == 2 and notes["objects_over_nodata: small vehicle"] == 1, notes


def test_levir_cd_notes_a_collar_in_either_image_of_a_pair(tmp_path):
    from PIL import Image

    for d in ("A", "B", "label"):
        (tmp_path / d).mkdir()
    rotated_scene(tmp_path / "A" / "p.png")
    rotated_scene(tmp_path / "B" / "p.png")
    label = np.zeros((160, 200), np.uint8)
    label[60:90, 80:120] = 255
    Image.fromarray(label).save(tmp_path / "label" / "p.png")
    stats = stats_of("levir-cd", "--src", str(tmp_path), "--out", str(tmp_path / "o"))
    assert stats["notes"]["images_with_constant_border"] == 2, stats["notes"]
    tiled = stats_of("levir-cd", "--src", str(tmp_path), "--out", str(tmp_path / "t"), "--tile", "100")
    assert tiled["notes"]["images_with_constant_border"] == 2, tiled["notes"]  # the tiler's decode, looked at


def test_a_0_255_mask_under_a_preset_is_told_to_use_binary(tmp_path):
    from PIL import Image

    Image.fromarray(np.full((40, 40, 3), 90, np.uint8)).save(tmp_path / "a.png")
    mask = np.zeros((40, 40), np.uint8)
    mask[5:20, 5:20] = 255
    Image.fromarray(mask).save(tmp_path / "a_mask.png")
    stats_of("masks", "--images", str(tmp_path / "a.png"), "--labels", str(tmp_path / "a_mask.png"),
             "--preset", "loveda", "--out", str(tmp_path / "o"))
    said = json.loads((tmp_path / "o" / "stats.json").read_text())["skipped_examples"]["unknown_label_value"]
    assert said.endswith("(value 255 on 225 pixels; a mask of 0 and 255 alone is read by --binary CLASS)"), said
