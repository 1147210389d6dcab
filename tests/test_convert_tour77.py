"""Tour 77 (D) of the converters and tiling: a JPEG's dark shadow or bright snow at the edge is no collar; the
collar look reads the whole image only where its edge has a collar's value; a label PNG past PIL's pixel limit is
read, not skipped; ``note_near_copies`` lives beside ``edge_overlap``; a plural ``--classes`` note under ``--limit``
says it covers the files read."""

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from data_gen import tiling
from data_gen.__main__ import main


def stats_of(*argv) -> dict:
    out = argv[argv.index("--out") + 1]
    main(["convert", *argv, "--no-progress"])
    with open(f"{out}/stats.json") as f:
        return json.load(f)


def scene(h: int = 160, w: int = 200) -> np.ndarray:
    """(h, w, 3) uint8 textured ground, 60-200: no black or white."""
    rng = np.random.default_rng(7)
    return rng.integers(60, 200, (h, w, 3)).astype(np.uint8)


@pytest.mark.parametrize("fill, collar", [((0, 7), False), ((249, 256), False), ((255, 256), True)],
                         ids=["dark shadow", "bright snow", "snow saturated to 255"])
def test_a_jpeg_edge_merely_dark_or_bright_is_no_collar(tmp_path, fill, collar):
    """The commonest edge value of a JPEG within 8 levels of 0 or 255 was a collar: a shadow of 0-6 (decoded,
    mostly 3) over the bottom half was said as "of value 3 join its edge (a collar?)". Saturated snow of exactly
    255 still reads as one (it is said, not masked: the docstring's Cannot)."""
    a = scene()
    a[80:] = np.random.default_rng(1).integers(*fill, (80, a.shape[1], 3))
    Image.fromarray(a).save(tmp_path / "s.jpg", quality=90)
    found = tiling.constant_border(tmp_path / "s.jpg")
    assert (found is not None) == collar, found
    assert tiling.border_said(tmp_path / "s.jpg").startswith("s.jpg: ") == collar


@pytest.mark.parametrize("suffix", [".jpg", ".png"])
@pytest.mark.parametrize("value", [0, 255])
def test_a_rotated_scenes_collar_is_still_said_in_a_jpeg_and_a_png(tmp_path, suffix, value):
    rot = Image.fromarray(scene()).rotate(25, expand=True, fillcolor=(value,) * 3)
    rot.save(tmp_path / f"r{suffix}", **({"quality": 75} if suffix == ".jpg" else {}))
    found = tiling.constant_border(tmp_path / f"r{suffix}")
    assert found is not None and found[0] == (value,) * 3 and 0.3 < found[1] / found[2] < 0.5, found


def test_the_whole_image_is_read_into_an_array_only_where_the_edge_has_a_collar_value(tmp_path, monkeypatch):
    """np.asarray of the whole decoded image cost about as much again as its decode (83 ms, now 65, on a 3 MP
    PNG), for every image with no black or white edge."""
    shapes = []
    bands = tiling._bands
    monkeypatch.setattr(tiling, "_bands", lambda im: shapes.append(im.size) or bands(im))
    Image.fromarray(scene()).save(tmp_path / "plain.png")
    assert tiling.constant_border(tmp_path / "plain.png") is None
    assert shapes and all(1 in s for s in shapes), shapes  # the four edge strips alone
    shapes.clear()
    Image.fromarray(scene()).rotate(25, expand=True).save(tmp_path / "rot.png")
    assert tiling.constant_border(tmp_path / "rot.png") is not None
    assert any(1 not in s for s in shapes)  # a collar's value at the edge: the whole looked at


def test_a_grey_image_and_a_one_pixel_strip_are_looked_at_as_before(tmp_path):
    grey = np.full((50, 60), 150, np.uint8)
    grey[:, :40] = 0
    Image.fromarray(grey).save(tmp_path / "g.png")
    assert tiling.constant_border(tmp_path / "g.png") == ((0,), 2000, 3000)
    Image.fromarray(np.zeros((1, 40), np.uint8)).save(tmp_path / "strip.png")
    assert tiling.constant_border(tmp_path / "strip.png") == ((0,), 40, 40)


def mask_pair(folder, side: int = 64):
    folder.mkdir()
    Image.fromarray(scene(side, side)).save(folder / "a.png")
    label = np.zeros((side, side), np.uint8)
    label[10:30, 12:40] = 255
    Image.fromarray(label).save(folder / "a_mask.png")
    return folder


def test_a_label_png_past_pils_pixel_limit_is_read_not_skipped(tmp_path, monkeypatch):
    """A masks label past PIL's decompression-bomb limit (a DOTA-v2 scene's) was skipped as unreadable_label,
    "could be decompression bomb DOS attack", its image read by rasterio in strips all the same."""
    from data_gen.convert.labelread import read_label

    src = mask_pair(tmp_path / "m")
    want = read_label(src / "a_mask.png", rgb=False)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)  # 64 x 64 is past twice it: DecompressionBombError
    with pytest.raises(Image.DecompressionBombError):
        Image.open(src / "a_mask.png")
    np.testing.assert_array_equal(read_label(src / "a_mask.png", rgb=False), want)
    stats = stats_of("masks", "--images", str(src), "--labels", str(src), "--binary", "building",
                     "--out", str(tmp_path / "o"))
    assert stats["records"] >= 1 and stats["skipped"] == {}, stats


def test_a_truncated_label_png_past_the_limit_is_still_caught(tmp_path, monkeypatch):
    """PIL (as GDAL) reads a truncated PNG whole without an error: its pixel data is checked first."""
    from data_gen.convert.common import ConversionError
    from data_gen.convert.labelread import read_label

    src = mask_pair(tmp_path / "m", side=256)
    data = (src / "a_mask.png").read_bytes()
    (src / "a_mask.png").write_bytes(data[: len(data) * 2 // 3] + data[-12:])  # IDAT cut, IEND kept
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    with pytest.raises(ConversionError, match="a_mask.png"):
        read_label(src / "a_mask.png", rgb=False)


def test_note_near_copies_lives_in_tiling_and_the_converters_still_find_it():
    from data_gen.convert import detection, levir, masks

    assert tiling.note_near_copies.__module__ == "data_gen.tiling"
    assert detection.note_near_copies is levir.note_near_copies is masks.note_near_copies is tiling.note_near_copies


def dota_folder(folder, n: int = 2):
    folder.mkdir(parents=True)
    for k in range(n):
        Image.fromarray(scene(96, 96)).save(folder / f"P{k}.png")
        (folder / f"P{k}.txt").write_text("10 10 40 10 40 30 10 30 small-vehicle 0\n")
    return folder


def test_a_plural_classes_note_under_limit_says_it_covers_the_files_read(tmp_path):
    """"--classes small vehicles: read as small vehicle" said nothing of the files --limit left unread, which
    may hold the plural as a class of its own."""
    src = dota_folder(tmp_path / "d", 3)
    stats = stats_of("dota", "--src", str(src), "--classes", "small vehicles", "--limit", "1", "--out", str(tmp_path / "o"))
    note = "--classes small vehicles: read as small vehicle in the 1 label file read, not looked at in the 2 label files "
    assert stats["notes"].get(note + "--limit 1 left unread") == 1, stats["notes"]
    whole = stats_of("dota", "--src", str(src), "--classes", "small vehicles", "--out", str(tmp_path / "all"))
    assert whole["notes"]["--classes small vehicles: read as small vehicle"] == 1


def test_a_jpeg_label_past_the_limit_is_skipped_saying_what_to_do(tmp_path, monkeypatch):
    """PIL's "could be decompression bomb DOS attack" alone named no way out."""
    src = mask_pair(tmp_path / "m")
    Image.open(src / "a_mask.png").save(src / "a_mask.jpg", quality=100)
    (src / "a_mask.png").unlink()
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    stats = stats_of("masks", "--images", str(src), "--labels", str(src), "--binary", "building",
                     "--out", str(tmp_path / "o"))
    said = stats["skipped_examples"]["unreadable_label"]
    assert stats["skipped"] == {"unreadable_label": 1} and "a_mask.jpg" in said and "4096 pixels" in said, stats
    assert "save it as a PNG or GeoTIFF" in said


def test_a_write_that_fails_midway_is_an_error_naming_the_file_not_a_traceback(tmp_path, monkeypatch, capsys):
    """A full disk (or a file that cannot be written) under --out ended the run in an OSError traceback."""
    import errno

    from data_gen.convert import common
    from data_gen.convert import main as convert_main

    src = dota_folder(tmp_path / "d", 2)
    copy = common.Output.copy_image

    def full(self, image, name=None):
        if image.name == "P1.png":
            raise OSError(errno.ENOSPC, "No space left on device", str(self.images_dir / image.name))
        return copy(self, image, name)

    monkeypatch.setattr(common.Output, "copy_image", full)
    assert convert_main(["dota", "--src", str(src), "--out", str(tmp_path / "o"), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert f"{tmp_path / 'o' / 'images' / 'P1.png'}: cannot write (No space left on device)" in err, err
    assert json.loads((tmp_path / "o" / "stats.json").read_text())["records"] == 3  # P0's three, kept and counted


def test_an_unwritable_images_folder_of_a_used_output_is_refused_up_front(tmp_path, monkeypatch):
    """The folder's own check passed; the first tile written into its images/ raised PermissionError."""
    import os

    from data_gen.convert.common import ConversionError, Output

    (tmp_path / "o" / "images").mkdir(parents=True)
    access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: Path(p).name != "images" and access(p, mode))
    with pytest.raises(ConversionError, match=r"o/images: cannot write the images folder \(permission denied\)"):
        Output(tmp_path / "o", "dota")


def test_the_real_dota_and_levir_images_have_no_collar_and_a_rotated_dota_jpeg_has(tmp_path, realdata):
    """On the real files: no collar said where there is none, a rotated DOTA scene's black fill said as one, and
    the DOTA converter's objects add up (64 quads in, 64 out)."""
    assert tiling.constant_border(realdata / "obb_dota" / "P1888.png") is None
    for tag in "AB":
        assert tiling.constant_border(realdata / "cd_levir" / f"test_7_0256_0512_{tag}.png") is None
    Image.open(realdata / "obb_dota" / "P1888.png").convert("RGB").rotate(20, expand=True).save(
        tmp_path / "rot.jpg", quality=80)
    value, pixels, total = tiling.constant_border(tmp_path / "rot.jpg")
    assert value == (0, 0, 0) and 0.35 < pixels / total < 0.45  # the fill of a 20° turn: 40%
    stats = stats_of("dota", "--src", str(realdata / "obb_dota"), "--out", str(tmp_path / "o"))
    assert "images_with_constant_border" not in stats["notes"] and stats["skipped_total"] == 0
    det = json.loads((tmp_path / "o" / "records.jsonl").read_text().splitlines()[0])
    assert det["conversations"][1]["value"].count("<obb>") == 64
