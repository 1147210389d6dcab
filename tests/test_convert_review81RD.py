"""Review 81 (RD) of the dataset converters: a dark photo with a bright spot, JPEG'd and named as a mask beside its
image, was taken for a JPEG'd mask by the two-levels rule (``lookup._two_levels``) and so left out as a mask."""

import numpy as np
import pytest
from convert_helpers import convert, png
from PIL import Image, ImageFilter

from data_gen.convert.filters import ClassFilter, plural_of
from data_gen.convert.lookup import not_a_mask


def _pair(tmp_path, a, quality):
    """``a`` (H, W, 3) saved as ``p.jpg`` and as ``p_mask.jpg`` beside it, at ``quality``; the mask's path."""
    Image.fromarray(a).save(tmp_path / "p.jpg", quality=quality)
    Image.fromarray(a).save(tmp_path / "p_mask.jpg", quality=quality)
    return tmp_path / "p_mask.jpg"


def _night(seed, level):
    """A dark scene (smoothed noise about ``level``, 256 px) with a bright roof of 0.3% of its pixels."""
    noise = np.random.default_rng(seed).integers(0, 256, (256, 256), dtype=np.uint8)
    n = np.asarray(Image.fromarray(noise).filter(ImageFilter.GaussianBlur(3)), float)
    a = np.clip((n - n.mean()) * 3 + level, 0, 255)
    a[100:110, 100:120] = 250
    return np.repeat(a[..., None], 3, -1).astype(np.uint8)


@pytest.mark.parametrize("quality", [30, 75, 95])
def test_a_dark_jpeg_photo_with_a_bright_roof_named_as_a_mask_is_an_image(tmp_path, quality):
    # under 15% mid-grey and some pixels over 223 was all the rule asked: a night scene's roof made it a "mask"
    a = _night(0, 8)
    assert float(((a > 31) & (a < 224)).mean()) < 0.15 and (a > 223).any()  # what the rule alone let through
    assert "flat 2x2 blocks" in not_a_mask(_pair(tmp_path, a, quality), tmp_path / "p.jpg")


def test_darkened_real_photos_with_a_bright_roof_are_images(tmp_path, realdata):
    images = 0
    for photo in ("cd_levir/test_7_0256_0512_A.png", "cls_aid/church_183.png", "sar_hrsid/P0008_0_800_9000_9800.jpg"):
        a = np.asarray(Image.open(realdata / photo).convert("RGB"), float)
        for k in (0.12, 0.2, 0.3):  # a night scene: the roof, 0.7% of it, must not make it a mask
            d = a * k
            h, w = d.shape[:2]
            roofed = d.copy()
            roofed[h // 3:h // 3 + h // 12, w // 3:w // 3 + w // 12] = 245
            for quality in (50, 90):
                dark = not_a_mask(_pair(tmp_path, d.astype(np.uint8), quality), tmp_path / "p.jpg")
                why = not_a_mask(_pair(tmp_path, roofed.astype(np.uint8), quality), tmp_path / "p.jpg")
                assert ("flat 2x2 blocks" in why) == ("flat 2x2 blocks" in dark), (photo, k, quality, why, dark)
                images += "flat 2x2 blocks" in why
    assert images >= 12  # most are told as images (a scene all but black, flat, is not: a flat photo looks a mask)


def _lines(size, kind, step):
    """A 0/255 mask ``size`` px square of lines every ``step`` px: 1 px (``"1"``), 2 px (``"2"``) or diagonal (``"d"``)."""
    yy, xx = np.mgrid[:size, :size]
    width = 2 if kind == "2" else 1
    lines = (xx + yy) % step == 0 if kind == "d" else (xx % step < width) | (yy % step < width)
    return (lines * 255).astype(np.uint8)


@pytest.mark.parametrize("size", [256, 1000])
@pytest.mark.parametrize(("kind", "step"), [("1", 4), ("1", 16), ("1", 32), ("2", 12), ("2", 16), ("d", 24)])
def test_jpeg_masks_of_lines_read_off_the_centre_are_still_masks(tmp_path, size, kind, step):
    # a JPEG codes 8 px blocks: the centre of a 1000 px mask starts 4 px into one, and read there, 2 px lines every
    # 12-16 px and diagonals every 24 px (26-48% flat) showed blocks of one level textured by their neighbours' noise
    Image.fromarray(np.zeros((size, size), np.uint8)).save(tmp_path / "a.png")
    for quality in (50, 75, 95):
        for mode in ("L", "RGB"):
            Image.fromarray(_lines(size, kind, step)).convert(mode).save(tmp_path / "a_mask.jpg", quality=quality)
            assert not_a_mask(tmp_path / "a_mask.jpg", tmp_path / "a.png") == "", (quality, mode)


def test_plurals_follow_the_english_ending(tmp_path):
    # "+es" after s, x, z, ch, sh (or o), else "+s": --classes plan took the data's "planes", --classes bus its typo
    # "buss" (and then left its "buses" out, counted as another class)
    p = plural_of
    assert p("buses", "bus") and p("glasses", "glass") and p("churches", "church") and p("boxes", "box")
    assert p("planes", "plane") and p("small vehicles", "small vehicle") and p("tomatoes", "tomato") and p("photos", "photo")
    assert not p("planes", "plan") and not p("buss", "bus") and not p("boxs", "box") and not p("glasss", "glass")
    assert not ClassFilter("plan")("planes") and not ClassFilter("planes")("plan")

    png(tmp_path / "d" / "images" / "a.png", 100, 80)
    (tmp_path / "d" / "labelTxt").mkdir()
    (tmp_path / "d" / "labelTxt" / "a.txt").write_text("10 10 30 10 30 20 10 20 buss 0\n50 10 70 10 70 20 50 20 buses 0\n")
    stats, _ = convert(tmp_path / "o", "dota", "--src", str(tmp_path / "d"), "--classes", "bus")
    assert stats["filtered"] == {"--classes: buss": 1} and stats["notes"]["--classes bus: read as buses"] == 1


def test_a_solid_grey_lossless_label_taken_whole_is_noted_too(tmp_path):
    # tour 81 D noted a solid grey JPEG label alone: a PNG or TIFF blank grey tile was the class everywhere, unsaid
    rng = np.random.default_rng(4)
    for d in ("img", "lab"):
        (tmp_path / d).mkdir()
    for name in ("a", "b", "c"):
        Image.fromarray(rng.integers(0, 255, (48, 48, 3), dtype=np.uint8)).save(tmp_path / "img" / f"{name}.png")
    Image.fromarray(np.full((48, 48), 90, np.uint8)).save(tmp_path / "lab" / "a.png")
    Image.fromarray(np.full((48, 48), 0.5, np.float32)).save(tmp_path / "lab" / "b.tif")
    two = np.zeros((48, 48), np.uint8)
    two[8:20, 8:20] = 128
    Image.fromarray(two).save(tmp_path / "lab" / "c.png")  # a 0/128 mask: no note
    stats, recs = convert(tmp_path / "o", "masks", "--images", str(tmp_path / "img"), "--labels",
                          str(tmp_path / "lab"), "--binary", "building")
    assert len(recs) == 3 and stats["notes"]["labels_of_one_grey_value_taken_whole"] == 2
    assert stats["notes_examples"]["labels_of_one_grey_value_taken_whole"].startswith(f"{tmp_path / 'lab' / 'a.png'}: every pixel 90")
