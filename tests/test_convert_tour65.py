"""Tour 65 (converters): COCO crowd regions beside instances, wrapper folders, LEVIR-CD labels that are no mask."""

from __future__ import annotations

import json

from convert_helpers import convert, objs, png


def test_coco_crowd_region_is_never_merged_with_an_instance_of_the_same_box(tmp_path):
    """A box-only car and a crowd region (``iscrowd: 1``) of the same box with a polygon: the car was taken for a
    copy of the crowd (``duplicate_object``), so [det] held one object, flagged difficult: the car was never scored.
    Both are written now, only the crowd region difficult."""
    png(tmp_path / "imgs" / "a.png", 64, 48)
    box = [4, 4, 20, 12]
    anns = [{"id": 7, "image_id": 1, "category_id": 1, "bbox": box, "iscrowd": 0},
            {"id": 8, "image_id": 1, "category_id": 1, "bbox": box, "iscrowd": 1,
             "segmentation": [[4, 4, 24, 4, 24, 16, 4, 16]]}]
    ann = tmp_path / "a.json"
    ann.write_text(json.dumps({"images": [{"id": 1, "file_name": "a.png"}], "annotations": anns,
                               "categories": [{"id": 1, "name": "car"}]}))
    stats, recs = convert(tmp_path / "out", "coco", "--ann", str(ann), "--images", str(tmp_path / "imgs"))
    det = {r["id"]: r for r in recs}["coco-a-det-box"]
    assert len(objs(det)) == 2 and len(det["meta"]["difficult"]) == 1
    assert stats["skipped"] == {} and stats["notes"]["difficult_objects"] == 1


def test_folder_reads_through_a_single_wrapper_folder_of_class_folders(tmp_path):
    """EuroSAT's zip unpacks to ``2750/AnnualCrop/AnnualCrop_1.jpg``: the folder converter took ``2750`` for the one
    class of every image. A single top folder holding every image in class folders is read through, and said."""
    for c in ("AnnualCrop", "Forest"):
        for k in (1, 2):
            png(tmp_path / "src" / "EuroSAT" / "2750" / c / f"{c}_{k}.jpg", 64, 64)
    stats, recs = convert(tmp_path / "out", "folder", "--src", str(tmp_path / "src"))
    assert sorted(r["conversations"][-1]["value"] for r in recs) == ["annual crop"] * 2 + ["forest"] * 2
    assert stats["notes"]["wrapper_folders_descended"] == 2


def test_folder_keeps_one_class_of_band_file_scenes_as_it_is(tmp_path):
    """Scenes of one class given as band files in folders of their own are no wrapper: the class stays ``forest``."""
    for scene in ("s1", "s2"):
        for b in ("B02", "B03"):
            png(tmp_path / "src" / "forest" / scene / f"{b}.png", 32, 32, mode="L")
    stats, recs = convert(tmp_path / "out", "folder", "--src", str(tmp_path / "src"))
    assert [r["conversations"][-1]["value"] for r in recs] == ["forest"] * 2
    assert "wrapper_folders_descended" not in stats["notes"]


def _levir(src, label_rgb, save_label):
    import numpy as np
    from PIL import Image

    for tag in ("A", "B", "label"):
        (src / tag).mkdir(parents=True, exist_ok=True)
    photo = np.random.default_rng(3).integers(0, 255, (64, 64, 3), dtype=np.uint8)
    for tag in "AB":
        Image.fromarray(photo).save(src / tag / "p.png")
    save_label(Image.fromarray(label_rgb if label_rgb is not None else photo), src / "label")


def test_levir_refuses_a_photo_given_as_the_label(tmp_path):
    """An RGB JPEG photo (the A image saved as the label) was converted to grey and thresholded at 127.5: its
    bright half became "N building areas changed", unsaid. It is skipped as ``label_not_a_mask``, naming the file."""
    _levir(tmp_path / "s", None, lambda im, d: im.save(d / "p.jpg", quality=90))
    stats, recs = convert(tmp_path / "o", "levir-cd", "--src", str(tmp_path / "s"))
    assert recs == [] and stats["skipped"] == {"label_not_a_mask": 1}
    said = stats["skipped_examples"]["label_not_a_mask"]
    assert "p.jpg: label_not_a_mask (not a binary mask:" in said and "% of its pixels are mid-grey" in said


def test_levir_jpeg_mask_is_thresholded_and_its_mid_grey_pixels_counted(tmp_path):
    """A 0/255 mask saved as JPEG (noise 0…30 and 225…255, a few pixels between at the edges) is no photo: it is
    thresholded at 127.5, noted as not binary, and the mid-grey pixels counted, so the user sees how noisy it was."""
    import numpy as np

    lab = np.zeros((64, 64), np.uint8)
    lab[16:40, 20:44], lab[40, 20:44] = 255, 100  # a blurred lower edge, below the threshold
    _levir(tmp_path / "s", lab, lambda im, d: im.save(d / "p.jpg", quality=30))
    stats, recs = convert(tmp_path / "o", "levir-cd", "--src", str(tmp_path / "s"))
    assert stats["skipped"] == {}
    assert {r["id"]: r for r in recs}["levir-p-describe"]["conversations"][-1]["value"] == \
        "1 building area changed, covering 14.1% of the image."
    assert stats["notes"]["labels_not_binary"] == 1 and 0 < stats["notes"]["label_pixels_mid_grey"] < 64 * 64 * 0.15


def test_masks_binary_refuses_a_photo_as_its_label_and_goes_on(tmp_path):
    """``masks --binary`` thresholded a photo given as the label into class polygons; skipped now, the next kept."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(4)
    for name in ("a", "b"):
        png(tmp_path / "img" / f"{name}.png", 64, 64)
    (tmp_path / "lab").mkdir()
    Image.fromarray(rng.integers(0, 255, (64, 64), dtype=np.uint8)).save(tmp_path / "lab" / "a.png")
    good = np.zeros((64, 64), np.uint8)
    good[8:30, 8:30] = 255
    Image.fromarray(good).save(tmp_path / "lab" / "b.png")
    stats, recs = convert(tmp_path / "o", "masks", "--images", str(tmp_path / "img"), "--labels",
                          str(tmp_path / "lab"), "--binary", "roof")
    assert [r["meta"]["file"] for r in recs] == ["b.png"] and stats["skipped"] == {"label_not_a_mask": 1}
    assert "a.png: label_not_a_mask (not a binary mask: " in stats["skipped_examples"]["label_not_a_mask"]


def test_folder_reads_through_a_wrapper_of_band_file_scenes(tmp_path):
    """EuroSAT-MS as band files under its wrapper (``2750/Forest/Forest_1_B02.png``, ``2750/River/s2/B02.png``): the
    first guard against band files kept ``2750`` as the class of every scene."""
    for c, k in (("Forest", 1), ("River", 2)):
        for b in ("B02", "B03"):
            png(tmp_path / "src" / "2750" / c / f"{c}_{k}_{b}.png", 32, 32, mode="L")
            png(tmp_path / "src" / "2750" / c / f"s{k}" / f"{b}.png", 32, 32, mode="L")
    stats, recs = convert(tmp_path / "out", "folder", "--src", str(tmp_path / "src"))
    assert sorted(r["conversations"][-1]["value"] for r in recs) == ["forest", "forest", "river", "river"]
    assert stats["notes"]["wrapper_folders_descended"] == 1


def test_llava_reads_an_image_name_of_another_case_written_on_windows(tmp_path):
    """A GeoChat-style file made on Windows names ``train\\A.PNG`` for ``train/a.png`` (Windows ignores case): the
    backslash was read, the case not, so every such record was ``missing_image``. The one file so named is taken
    and counted; where two files differ only in case, neither is guessed."""
    png(tmp_path / "imgs" / "train" / "a.png", 32, 32)
    png(tmp_path / "imgs" / "train" / "b.png", 32, 32)
    png(tmp_path / "imgs" / "train" / "B.png", 32, 32)
    turns = [{"from": "human", "value": "<image>\nWhat is this?"}, {"from": "gpt", "value": "a field"}]
    src = tmp_path / "s.json"
    src.write_text(json.dumps([{"id": "r1", "image": "train\\A.PNG", "conversations": turns},
                               {"id": "r2", "image": "train/b.PNG", "conversations": turns}]))
    stats, recs = convert(tmp_path / "o", "llava", "--src", str(src), "--images", str(tmp_path / "imgs"))
    assert [r["id"] for r in recs] == ["r1"] and recs[0]["images"][0]["path"] == "images/a.png"
    assert stats["notes"]["image_name_case_differs"] == 1 and stats["notes"]["windows_paths_read"] == 1
    assert stats["skipped"] == {"missing_image": 1}


def test_masks_reads_a_palette_saved_as_utf16_with_crlf(tmp_path):
    """A palette YAML saved by Windows Notepad as "Unicode" (UTF-16 with a BOM, CRLF) was "cannot read palette
    ('utf-8' codec can't decode byte 0xff …)", though a JSON palette so saved was read."""
    import numpy as np
    from PIL import Image

    png(tmp_path / "a.png", 32, 32)
    lab = np.zeros((32, 32), np.uint8)
    lab[4:20, 4:20] = 1
    Image.fromarray(lab).save(tmp_path / "a_mask.png")
    (tmp_path / "p.yaml").write_bytes("tree: 1\r\n_ignore: [0]\r\n".encode("utf-16"))
    stats, recs = convert(tmp_path / "o", "masks", "--images", str(tmp_path / "a.png"), "--labels",
                          str(tmp_path / "a_mask.png"), "--palette", str(tmp_path / "p.yaml"))
    assert [r["id"] for r in recs] and stats["skipped"] == {}
    assert "<ref>tree</ref>" in recs[0]["conversations"][-1]["value"]


def test_levir_real_pair_label_as_jpeg_and_photo_as_label(realdata, tmp_path):
    """On the real LEVIR-CD pair: its label saved as JPEG (quality 75) gives the 12 regions of the PNG one, its
    mid-grey pixels counted; its A image given as the label (an easy slip with ``A/ B/ label/`` folders) is
    refused, where it was thresholded into changes."""
    import shutil

    from PIL import Image

    src, pair = tmp_path / "s", realdata / "cd_levir" / "test_7_0256_0512"
    for tag in ("A", "B", "label"):
        (src / tag).mkdir(parents=True)
    for name in ("t", "u"):
        shutil.copy(f"{pair}_A.png", src / "A" / f"{name}.png")
        shutil.copy(f"{pair}_B.png", src / "B" / f"{name}.png")
    Image.open(f"{pair}_label.png").convert("RGB").save(src / "label" / "t.jpg", quality=75)
    shutil.copy(f"{pair}_A.png", src / "label" / "u.png")
    stats, recs = convert(tmp_path / "o", "levir-cd", "--src", str(src))
    assert {r["id"]: r for r in recs}["levir-t-describe"]["conversations"][-1]["value"] == \
        "12 building areas changed, covering 13.7% of the image."
    assert stats["skipped"] == {"label_not_a_mask": 1} and "u.png: label_not_a_mask" in \
        stats["skipped_examples"]["label_not_a_mask"]
    assert stats["notes"]["label_pixels_mid_grey"] > 0


def _flat_pair(folder, names):
    import numpy as np
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    lab = np.zeros((32, 32), np.uint8)
    lab[4:12, 4:12] = 255
    for tag, name in names.items():
        if tag == "label":
            Image.fromarray(lab).save(folder / name)
        else:
            png(folder / name, 32, 32)


def test_levir_flat_names_in_another_case_or_with_brackets_are_paired(tmp_path):
    """``T1_A.PNG``/``T1_LABEL.PNG`` (renamed on Windows) were "no LEVIR-CD label files", and ``tile [1]_A.png``
    was ``missing_image``: its name was globbed, ``[1]`` a pattern."""
    _flat_pair(tmp_path / "s", {"A": "T1_A.PNG", "B": "T1_b.png", "label": "T1_LABEL.PNG"})
    _flat_pair(tmp_path / "s", {"A": "tile [1]_A.png", "B": "tile [1]_B.png", "label": "tile [1]_label.png"})
    stats, recs = convert(tmp_path / "o", "levir-cd", "--src", str(tmp_path / "s"))
    assert stats["skipped"] == {} and sorted(r["id"] for r in recs if r["id"].endswith("describe")) == [
        "levir-T1-describe", "levir-tile [1]-describe"]


def test_levir_root_of_split_folders_names_the_src_to_give(tmp_path):
    """``--src LEVIR-CD`` (train/ val/ test/ each with A/ B/ label/) said only "no LEVIR-CD label files"."""
    import pytest

    from data_gen.convert.common import ConversionError

    for split in ("train", "val"):
        for tag in ("A", "B", "label"):
            (tmp_path / "LEVIR-CD" / split / tag).mkdir(parents=True)
    with pytest.raises(ConversionError, match=r"its folders train, val hold A/ B/ label/: give one of them as --src"
                                              r", once per split \(--src .*LEVIR-CD/train\)"):
        convert(tmp_path / "o", "levir-cd", "--src", str(tmp_path / "LEVIR-CD"))


def test_masks_label_suffix_in_another_case_pairs_in_one_folder(tmp_path):
    """Images and masks in one folder, ``IMG_1.JPG`` / ``IMG_1_MASK.PNG`` (a dataset renamed on Windows): the
    suffix was matched in its case only, so the run ended "no label images"."""
    _flat_pair(tmp_path / "d", {"A": "IMG_1.JPG", "label": "IMG_1_MASK.PNG"})
    _flat_pair(tmp_path / "d", {"A": "IMG_2.jpg", "label": "IMG_2_Mask.png"})
    stats, recs = convert(tmp_path / "o", "masks", "--images", str(tmp_path / "d"), "--labels", str(tmp_path / "d"),
                          "--binary", "roof")
    assert sorted(r["meta"]["file"] for r in recs) == ["IMG_1_MASK.PNG", "IMG_2_Mask.png"] and stats["skipped"] == {}


def test_dota_v15_label_folder_is_named_in_the_error(tmp_path):
    """DOTA-v1.5 ships ``labelTxt-v1.5/DOTA-v1.5_train/``: ``--src`` the split folder said only "no labelTxt
    files". The error names the folder holding them and the options to give, which then convert."""
    import pytest

    from data_gen.convert.common import ConversionError

    png(tmp_path / "s" / "images" / "P1.png", 64, 64)
    labels = tmp_path / "s" / "labelTxt-v1.5" / "DOTA-v1.5_train"
    labels.mkdir(parents=True)
    (labels / "P1.txt").write_text("4 4 30 4 30 30 4 30 container-crane 0\n")
    with pytest.raises(ConversionError, match=r"no labelTxt files; .*DOTA-v1\.5_train holds the label files: give "
                                              r"--src .*DOTA-v1\.5_train --images .*s/images$"):
        convert(tmp_path / "o", "dota", "--src", str(tmp_path / "s"))
    stats, recs = convert(tmp_path / "o", "dota", "--src", str(labels), "--images", str(tmp_path / "s" / "images"))
    assert stats["skipped"] == {} and "<ref>container crane</ref>" in recs[0]["conversations"][-1]["value"]


def test_folder_keeps_the_class_of_one_class_folder_of_dated_or_numbered_sub_folders(tmp_path):
    """One class folder whose images lie in sub-folders of dates or numbered tiles (``forest/2017/…``,
    ``forest/2018/…``; ``forest/tile_1/…``) is no wrapper: 55ac6fc read it through, every image of class ``2017``
    or ``2018``. Sub-folders named by no class of their own (digits, a word and a number) keep the class; a wrapper
    of class folders (``2750/Forest``, ``2750/River``) is still read through."""
    for sub in ("2017", "2018-06"):
        png(tmp_path / "dated" / "forest" / sub / "a_1.png", 32, 32)
    for sub in ("tile_1", "tile_2"):
        png(tmp_path / "tiled" / "forest" / sub / "a_1.png", 32, 32)
    for src in ("dated", "tiled"):
        stats, recs = convert(tmp_path / f"o_{src}", "folder", "--src", str(tmp_path / src))
        assert [r["conversations"][-1]["value"] for r in recs] == ["forest"] * 2, src
        assert "wrapper_folders_descended" not in stats["notes"], src
    for c in ("Forest", "River"):
        png(tmp_path / "wrap" / "2750" / c / f"{c}_1.png", 32, 32)
    stats, recs = convert(tmp_path / "o_wrap", "folder", "--src", str(tmp_path / "wrap"))
    assert sorted(r["conversations"][-1]["value"] for r in recs) == ["forest", "river"]


def test_rsivqa_questions_of_one_unreadable_image_are_each_skipped_and_it_is_read_once(tmp_path, monkeypatch):
    """rsivqa and rsvqa kept their own copy of ``readable_size`` with a cache of sizes; they share it now: each
    question of a truncated image is skipped as ``unreadable_image``, the image read once, a good one kept."""
    from data_gen.convert import images

    png(tmp_path / "imgs" / "good_1.png", 32, 32)
    (tmp_path / "imgs" / "bad_1.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    (tmp_path / "q.txt").write_text("bad_1.png:how many planes?2\nbad_1.png:is it a port?no\n"
                                    "good_1.png:is it a port?yes\n")
    reads = []
    real = images.image_size
    monkeypatch.setattr(images, "image_size", lambda p, out=None: reads.append(p.name) or real(p, out))
    stats, recs = convert(tmp_path / "o", "rsivqa", "--src", str(tmp_path / "q.txt"), "--images",
                          str(tmp_path / "imgs"))
    assert [r["conversations"][-1]["value"] for r in recs] == ["yes"]
    assert stats["skipped"] == {"unreadable_image": 2} and sorted(reads) == ["bad_1.png", "good_1.png"]


def test_levir_names_differing_only_in_case_are_two_pairs_not_one_image_twice(tmp_path):
    """Two pairs ``x`` and ``X`` (a case-sensitive disk), ``X``'s A image absent: e74839b matched names in any case,
    so ``X`` took ``x``'s A image and made a pair of images that are no pair, unsaid. Where two labels differ only
    in case, each takes its own case only: ``X`` is ``missing_image``, as before; a lone name of another case is
    still matched."""
    for layout in ("split", "flat"):
        src = tmp_path / layout
        for name in ("x", "X"):
            tags = {"B": f"{name}.png", "label": f"{name}.png"} if layout == "split" else \
                {"B": f"{name}_B.png", "label": f"{name}_label.png"}
            if name == "x":
                tags["A"] = "x.png" if layout == "split" else "x_A.png"
            for tag, file in tags.items():
                _flat_pair(src / tag if layout == "split" else src, {tag: file})
        stats, recs = convert(tmp_path / f"o_{layout}", "levir-cd", "--src", str(src))
        assert recs and all(r["id"].startswith("levir-x-") for r in recs), layout
        assert stats["skipped"] == {"missing_image": 1}, layout


def test_masks_binary_keeps_a_colour_mask_saved_as_jpeg(tmp_path):
    """A green (0, 255, 0) mask saved as JPEG reads as grey ~150 where the class is: 1744709 took every class pixel
    for mid-grey (32…223 of 0…255) and refused the mask as ``label_not_a_mask`` once the class covered 15%; it was
    thresholded right before (150 > 127.5). Mid-grey is now between an eighth and seven eighths of the label's
    brightest value, so the mask is kept; a photo is still refused (the other tests)."""
    import numpy as np
    from PIL import Image

    png(tmp_path / "img" / "a.png", 128, 128)
    lab = np.zeros((128, 128, 3), np.uint8)
    lab[10:80, 10:100] = (0, 255, 0)
    (tmp_path / "lab").mkdir()
    Image.fromarray(lab).save(tmp_path / "lab" / "a.jpg", quality=90)
    stats, recs = convert(tmp_path / "o", "masks", "--images", str(tmp_path / "img"), "--labels",
                          str(tmp_path / "lab"), "--binary", "field")
    assert stats["skipped"] == {} and [r["meta"]["file"] for r in recs] == ["a.jpg"]
    assert stats["notes"]["label_pixels_mid_grey"] < 128 * 128 * 0.15
