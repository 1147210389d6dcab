"""Tour 81 (D) of the dataset converters: a solid grey label taken whole, a singular --classes name of a plural class,
and the example of ``ground_left_out_for_several``."""

import re

import numpy as np
from convert_helpers import convert, png
from PIL import Image


def _labels(tmp_path, values, suffix=".jpg"):
    """An image folder of random RGB and a label folder of flat labels, one per value of ``values``."""
    rng = np.random.default_rng(0)
    (tmp_path / "img").mkdir()
    (tmp_path / "lab").mkdir()
    for i, v in enumerate(values):
        Image.fromarray(rng.integers(0, 255, (64, 64, 3), dtype=np.uint8)).save(tmp_path / "img" / f"a{i}.png")
        Image.fromarray(np.full((64, 64), v, np.uint8)).save(tmp_path / "lab" / f"a{i}{suffix}", quality=90)


def test_a_solid_grey_jpeg_label_taken_whole_is_noted_naming_it(tmp_path):
    # a solid grey JPEG given as a --binary mask was the class over the whole image, "notes": {} (item 1 of tour 80)
    _labels(tmp_path, [128, 128])
    stats, recs = convert(tmp_path / "o", "masks", "--images", str(tmp_path / "img"), "--labels",
                          str(tmp_path / "lab"), "--binary", "building")
    assert len(recs) == 2  # kept: a 0/128 mask wholly the class looks the same
    assert stats["notes"] == {"labels_of_one_grey_value_taken_whole": 2}
    example = stats["notes_examples"]["labels_of_one_grey_value_taken_whole"]
    assert example.startswith(str(tmp_path / "lab" / "a0.jpg")) and "every pixel 128" in example


def test_a_label_wholly_the_class_or_wholly_background_is_not_noted(tmp_path):
    _labels(tmp_path, [255, 1, 0], suffix=".png")
    stats, recs = convert(tmp_path / "o", "masks", "--images", str(tmp_path / "img"), "--labels",
                          str(tmp_path / "lab"), "--binary", "building")
    assert "labels_of_one_grey_value_taken_whole" not in stats["notes"]
    assert len(recs) == 2 and stats["notes"]["images_without_objects_not_read"] == 1


def _dota(tmp_path, lines):
    png(tmp_path / "d" / "images" / "a.png", 100, 80)
    (tmp_path / "d" / "labelTxt").mkdir()
    (tmp_path / "d" / "labelTxt" / "a.txt").write_text("".join(f"{q} {c} 0\n" for q, c in lines))
    return str(tmp_path / "d")


Q1, Q2, Q3 = "10 10 30 10 30 20 10 20", "50 10 70 10 70 20 50 20", "10 50 40 50 40 70 10 70"


def test_classes_given_in_the_singular_take_the_datas_plural_class_noted(tmp_path):
    # --classes plane over data whose class is "planes" left every plane out ("no annotation of this class"),
    # where --classes planes over "plane" took them
    src = _dota(tmp_path, [(Q1, "planes"), (Q2, "ship"), (Q3, "harbor")])
    stats, recs = convert(tmp_path / "o", "dota", "--src", src, "--classes", "plane,harbors")
    answers = [r["conversations"][1]["value"] for r in recs if r["task"] == "det"]
    assert answers and all(set(re.findall(r"<ref>(.*?)</ref>", a)) == {"planes", "harbor"} for a in answers)
    assert stats["notes"]["--classes plane: read as planes"] == 1
    assert stats["notes"]["--classes harbors: read as harbor"] == 1
    assert stats["filtered"] == {"--classes: ship": 1}


def test_a_singular_and_plural_both_in_the_data_are_both_taken_and_said_so(tmp_path):
    src = _dota(tmp_path, [(Q1, "plane"), (Q2, "planes")])
    stats, recs = convert(tmp_path / "o", "dota", "--src", src, "--classes", "plane")
    assert stats["filtered"] == {}
    assert stats["notes"]["--classes plane: read as planes too"] == 1


def test_a_plural_class_outside_the_default_dota_list_is_still_unknown(tmp_path):
    # the default list is no choice of the user's: "planes" there stays a bad annotation, counted, not taken quietly
    src = _dota(tmp_path, [(Q1, "planes"), (Q2, "ship")])
    stats, _ = convert(tmp_path / "o", "dota", "--src", src)
    assert stats["skipped"] == {"unknown_class": 1}


def test_ground_left_out_for_several_names_the_first_image_and_class(tmp_path):
    src = _dota(tmp_path, [(Q1, "ship"), (Q2, "ship"), (Q3, "plane")])
    stats, recs = convert(tmp_path / "o", "dota", "--src", src)
    assert [r["id"] for r in recs if r["task"] == "ground"] == ["dota-a-ground-plane"]
    assert stats["notes_examples"]["ground_left_out_for_several"] == "dota-a: 2 objects of class ship"


def test_coco_rings_dropped_name_the_first_annotation(tmp_path):
    # a 2-point ring and an odd value were counted with no example: which annotation was unsaid
    import json

    png(tmp_path / "imgs" / "a.png", 100, 50)
    data = {"images": [{"id": 1, "file_name": "a.png", "width": 100, "height": 50}],
            "categories": [{"id": 1, "name": "ship"}],
            "annotations": [{"id": 7, "image_id": 1, "category_id": 1, "bbox": [10, 10, 20, 20],
                             "segmentation": [[10, 10, 30, 30], [10, 10, 30, 10, 30, 30, 10]]}]}
    (tmp_path / "ann.json").write_text(json.dumps(data))
    stats, recs = convert(tmp_path / "o", "coco", "--ann", str(tmp_path / "ann.json"), "--images", str(tmp_path / "imgs"))
    where = f"{tmp_path / 'ann.json'}: annotations[0] (id 7)"
    assert stats["notes"]["polygon_ring_under_3_points_dropped"] == 1
    assert stats["notes_examples"]["polygon_ring_under_3_points_dropped"] == where
    assert stats["notes_examples"]["polygon_odd_value_dropped"] == where
    assert {r["task"] for r in recs} >= {"det", "seg"}


def test_a_solid_grey_jpeg_change_label_is_noted_too(tmp_path):
    # levir-cd reads its labels as masks --binary does: a solid grey JPEG was "all changed", unsaid
    rng = np.random.default_rng(1)
    for part in ("A", "B"):
        (tmp_path / "d" / part).mkdir(parents=True)
        Image.fromarray(rng.integers(0, 255, (64, 64, 3), dtype=np.uint8)).save(tmp_path / "d" / part / "p.png")
    (tmp_path / "d" / "label").mkdir()
    Image.fromarray(np.full((64, 64), 90, np.uint8)).save(tmp_path / "d" / "label" / "p.jpg")
    stats, _ = convert(tmp_path / "o", "levir-cd", "--src", str(tmp_path / "d"))
    assert stats["notes"].get("labels_of_one_grey_value_taken_whole") == 1, stats


def _lines_jpeg(path, step, quality):
    """A 0/255 mask of 1 px lines every ``step`` px, 256 x 256, saved as a JPEG at ``quality``."""
    m = np.zeros((256, 256), np.uint8)
    m[::step] = 255
    m[:, ::step] = 255
    Image.fromarray(m).save(path, quality=quality)


def test_a_jpeg_mask_of_thin_lines_beside_its_image_is_a_mask(tmp_path):
    # building outlines saved as JPEG were under half flat (0-51%) and so counted as photos ("images_named_as_masks")
    from data_gen.convert.lookup import not_a_mask

    image = tmp_path / "a.jpg"
    Image.fromarray(np.random.default_rng(2).integers(0, 255, (256, 256, 3), dtype=np.uint8)).save(image)
    for step in (4, 8, 16):
        for quality in (30, 75, 95):
            _lines_jpeg(tmp_path / "a_mask.jpg", step, quality)
            assert not_a_mask(tmp_path / "a_mask.jpg", image) == "", (step, quality)


def test_a_jpeg_photo_named_as_a_mask_is_still_an_image(tmp_path, realdata):
    # the rule for JPEG'd masks lets no real photo through: each of them JPEG'd, named as a mask beside itself
    from data_gen.convert.lookup import not_a_mask

    for photo in ("obb_dota/P1888.png", "cd_levir/test_7_0256_0512_A.png", "cls_aid/church_183.png",
                  "sar_hrsid/P0008_0_800_9000_9800.jpg", "ir_sirst/Misc_100.png"):
        im = Image.open(realdata / photo).convert("RGB")
        im.save(tmp_path / "p.jpg", quality=75)
        im.save(tmp_path / "p_mask.jpg", quality=75)
        assert "flat 2x2 blocks" in not_a_mask(tmp_path / "p_mask.jpg", tmp_path / "p.jpg"), photo


def test_a_png_of_thin_lines_left_noisy_is_still_judged_by_its_flat_share(tmp_path):
    # the two-levels rule is a JPEG's: a lossless label has no compression noise to excuse
    from data_gen.convert.lookup import not_a_mask

    rng = np.random.default_rng(3)
    noisy = np.where(rng.random((256, 256)) < 0.5, rng.integers(0, 20, (256, 256)), rng.integers(236, 256, (256, 256)))
    Image.fromarray(noisy.astype(np.uint8)).save(tmp_path / "a_mask.png")
    Image.fromarray(noisy.astype(np.uint8)).save(tmp_path / "a.png")
    assert "flat 2x2 blocks" in not_a_mask(tmp_path / "a_mask.png", tmp_path / "a.png")


def test_class_folders_without_images_name_the_first(tmp_path):
    # "class_folders_without_images": 1 said nothing of which folder (a class left out of the choices)
    png(tmp_path / "src" / "church" / "1.png", 30, 30)
    (tmp_path / "src" / "Größe").mkdir()
    (tmp_path / "src" / "Größe" / "notes.txt").write_text("x")
    stats, recs = convert(tmp_path / "o", "folder", "--src", str(tmp_path / "src"))
    assert len(recs) == 1 and stats["notes"]["class_folders_without_images"] == 1
    assert stats["notes_examples"]["class_folders_without_images"] == str(tmp_path / "src" / "Größe")
