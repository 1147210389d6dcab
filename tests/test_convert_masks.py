"""The label-mask converters (``masks``: palette, grey-value and binary label images; ``levir-cd``:
change pairs) on small synthetic inputs made in tmp_path."""

from __future__ import annotations

import json

import numpy as np
from convert_helpers import convert, near, objs, png, same_ring
from PIL import Image


# ---------------------------------------------------------------- masks
def test_masks_palette_unknown_values_tiles_and_grid(tmp_path):
    png(tmp_path / "img" / "t1.png", 120, 60)
    lab = np.zeros((60, 120, 3), np.uint8)
    lab[5:25, 5:45] = [0, 0, 255]  # building
    lab[30:50, 70:110] = [0, 255, 0]  # tree
    lab[55:58, 0:3] = [9, 9, 9]  # not in the palette
    (tmp_path / "lab").mkdir()
    Image.fromarray(lab).save(tmp_path / "lab" / "t1_label.png")
    pal = tmp_path / "pal.yaml"
    pal.write_text("building: [0, 0, 255]\ntree: [0, 255, 0]\n")
    palette_extra = tmp_path / "pal2.json"
    palette_extra.write_text(json.dumps({"building": [0, 0, 255], "tree": [0, 255, 0], "_ignore": [[9, 9, 9]]}))
    stats, recs = convert(tmp_path / "out", "masks", "--images", str(tmp_path / "img"), "--labels",
                          str(tmp_path / "lab"), "--palette", str(pal), "--form", "both")
    assert stats["skipped"] == {"unknown_label_value": 1}
    assert stats["tasks"] == {"seg": 4}
    by = {r["id"]: r for r in recs}
    (b,) = objs(by["seg-t1-building-poly"])
    assert same_ring(b["coords"], [[5, 5], [45, 5], [45, 25], [5, 25]], 120)
    (g,) = objs(by["seg-t1-tree-grid"])
    assert g["kind"] == "mask" and "grid mask" in by["seg-t1-tree-grid"]["conversations"][0]["value"]
    # tiles: the mask is cropped with the image; each tile's polygons are in its own coordinates
    stats, recs = convert(tmp_path / "tiled", "masks", "--images", str(tmp_path / "img"), "--labels",
                          str(tmp_path / "lab"), "--palette", str(palette_extra), "--tile", "60")
    assert stats["skipped_total"] == 0  # 9,9,9 is ignored by this palette
    tiles = {tuple(r["meta"]["tile"]): r for r in recs}
    assert set(tiles) == {(0, 0, 60, 60), (60, 0, 120, 60)}
    (t,) = objs(tiles[(60, 0, 120, 60)])
    assert t["label"] == "tree" and near(np.min(t["coords"], 0), [10, 30], 60)
    with Image.open(tmp_path / "tiled" / tiles[(60, 0, 120, 60)]["images"][0]["path"]) as im:
        assert im.size == (60, 60)


def test_masks_presets_read_isaid_colours_and_loveda_values(tmp_path):
    """iSAID's ``*_instance_color_RGB.png`` colours in RGB order (ship (0, 0, 63), plane (0, 127, 255)),
    and LoveDA's grey values (1 background, ignored; 2 building; 4 water), become the right classes."""
    png(tmp_path / "isaid" / "P0001.png", 40, 40)
    lab = np.zeros((40, 40, 3), np.uint8)
    lab[2:12, 2:12] = [0, 0, 63]
    lab[20:36, 20:36] = [0, 127, 255]
    Image.fromarray(lab).save(tmp_path / "isaid" / "P0001_instance_color_RGB.png")
    stats, recs = convert(tmp_path / "o1", "masks", "--images", str(tmp_path / "isaid" / "P0001.png"), "--labels",
                          str(tmp_path / "isaid" / "P0001_instance_color_RGB.png"), "--preset", "isaid")
    assert stats["skipped_total"] == 0
    found = {o["label"]: np.min(o["coords"], 0) for r in recs for o in objs(r)}
    assert set(found) == {"ship", "plane"}
    assert near(found["ship"], [2, 2], 40) and near(found["plane"], [20, 20], 40)

    png(tmp_path / "loveda" / "img" / "7.png", 40, 40)
    grey = np.ones((40, 40), np.uint8)  # background
    grey[0:20, :] = 2
    grey[30:40, 0:10] = 4
    grey[39, 39] = 0  # no-data
    png_path = tmp_path / "loveda" / "lab" / "7.png"
    png_path.parent.mkdir(parents=True)
    Image.fromarray(grey, mode="L").save(png_path)
    stats, recs = convert(tmp_path / "o2", "masks", "--images", str(tmp_path / "loveda" / "img"), "--labels",
                          str(png_path.parent), "--preset", "loveda")
    assert stats["skipped_total"] == 0
    assert sorted(o["label"] for r in recs for o in objs(r)) == ["building", "water"]


def test_masks_size_mismatch_and_missing_image(tmp_path):
    png(tmp_path / "img" / "a.png", 10, 10)
    png(tmp_path / "lab" / "a_mask.png", 12, 10, mode="L")
    png(tmp_path / "lab" / "b_mask.png", 10, 10, mode="L")
    stats, _ = convert(tmp_path / "out", "masks", "--images", str(tmp_path / "img"), "--labels",
                       str(tmp_path / "lab"), "--binary", "water")
    assert stats["skipped"] == {"missing_image": 1, "size_mismatch": 1}


def test_masks_in_one_folder_pair_by_their_suffixes(tmp_path):
    d = tmp_path / "deepglobe"  # DeepGlobe's layout: 1_sat.jpg beside 1_mask.png
    png(d / "1_sat.png", 10, 10)
    m = np.zeros((10, 10), np.uint8)
    m[2:6, 2:6] = 255
    Image.fromarray(m).save(d / "1_mask.png")
    png(d / "2_sat.png", 10, 10)  # an image with no mask: not a label, so not a skipped one
    png(d / "3_mask.png", 10, 10, mode="L")  # a mask with no image: reported
    stats, recs = convert(tmp_path / "out", "masks", "--images", str(d), "--labels", str(d), "--binary", "water")
    assert stats["skipped"] == {"missing_image": 1} and "3_mask.png" in stats["skipped_examples"]["missing_image"]
    (rec,) = recs
    assert rec["id"] == "seg-1_sat-water-poly" and rec["images"][0]["path"].endswith("1_sat.png")


# ---------------------------------------------------------------- levir-cd
def test_levir_cd_folders(tmp_path):
    for sub in ("A", "B", "label"):
        (tmp_path / "cd" / sub).mkdir(parents=True)
    for name in ("p1", "p2", "p3"):
        png(tmp_path / "cd" / "A" / f"{name}.png", 32, 32)
        if name != "p3":
            png(tmp_path / "cd" / "B" / f"{name}.png", 32, 32)
    lab = np.zeros((32, 32), np.uint8)
    lab[4:12, 4:12] = 255
    lab[20:28, 16:30] = 255
    Image.fromarray(lab).save(tmp_path / "cd" / "label" / "p1.png")
    Image.fromarray(np.zeros_like(lab)).save(tmp_path / "cd" / "label" / "p2.png")
    Image.fromarray(lab).save(tmp_path / "cd" / "label" / "p3.png")
    stats, recs = convert(tmp_path / "out", "levir-cd", "--src", str(tmp_path / "cd"))
    assert stats["skipped"] == {"missing_image": 1} and stats["notes"]["pairs_without_change"] == 1
    by = {r["id"]: r for r in recs}
    assert by["levir-p1-describe"]["conversations"][-1]["value"] == "2 building areas changed, covering 17.2% of the image."  # (64 + 112) / 1024
    assert by["levir-p2-describe"]["conversations"][-1]["value"] == "No change."
    polys = objs(by["levir-p1-building-poly"])
    assert len(polys) == 2 and len(by["levir-p1-building-poly"]["images"]) == 2
