"""Tour 82 (D) of the dataset converters: ``--classes bus`` took a class ``bu`` (the plural rule read ``bus`` as the
plural of ``bu``), a 16-bit label of one value from 256 up to 8191 was the class over the whole image unsaid, and a
colour JPEG mask beside its image (red, blue or yellow on black, a Potsdam-like palette) was counted as a photo."""

import numpy as np
import pytest
import tifffile
from convert_helpers import convert, png
from PIL import Image, ImageFilter

from data_gen.convert.filters import ClassFilter, plural_of
from data_gen.convert.lookup import _palette_colours, not_a_mask


@pytest.mark.parametrize("word", ["bus", "gas", "glass", "class", "campus", "oasis"])
def test_a_singular_in_s_is_no_plural_of_the_word_without_it(word):
    assert not plural_of(word, word[:-1])
    assert not ClassFilter(word)(word[:-1]) and not ClassFilter(word[:-1])(word)
    assert ClassFilter(word)(word) and ClassFilter(word)(word + "es") and ClassFilter(word + "es")(word)


def test_plurals_in_s_still_read_as_their_singular():
    assert plural_of("buses", "bus") and plural_of("ships", "ship") and plural_of("areas", "area")
    assert plural_of("seas", "sea") and plural_of("taxis", "taxi") and plural_of("tanks", "tank")
    assert ClassFilter("ships")("ship") and ClassFilter("boat")("boats")


def test_dota_classes_bus_keeps_its_s(tmp_path):
    png(tmp_path / "d" / "images" / "a.png", 100, 80)
    (tmp_path / "d" / "labelTxt").mkdir()
    (tmp_path / "d" / "labelTxt" / "a.txt").write_text("10 10 30 10 30 20 10 20 bu 0\n50 10 70 10 70 20 50 20 buses 0\n"
                                                       "10 40 30 40 30 60 10 60 bus 0\n")
    stats, recs = convert(tmp_path / "o", "dota", "--src", str(tmp_path / "d"), "--classes", "bus")
    assert stats["filtered"] == {"--classes: bu": 1}
    assert stats["notes"]["--classes bus: read as buses too"] == 1 and len(recs) >= 1


def _one_value_labels(root, value, suffix):
    rng = np.random.default_rng(2)
    for d in ("img", "lab"):
        (root / d).mkdir(parents=True)
    for name in ("a", "b"):
        Image.fromarray(rng.integers(0, 255, (48, 48, 3), dtype=np.uint8)).save(root / "img" / f"{name}.png")
    full = np.full((48, 48), value, np.uint16)
    Image.fromarray(full).save(root / "lab" / f"a{suffix}.png")
    tifffile.imwrite(root / "lab" / f"b{suffix}.tif", full)


@pytest.mark.parametrize("value", [300, 1000, 4095, 8191, 9000, 40000])
def test_a_16_bit_label_of_one_grey_value_is_noted_as_an_8_bit_one(tmp_path, value):
    _one_value_labels(tmp_path, value, "")
    stats, recs = convert(tmp_path / "o", "masks", "--images", str(tmp_path / "img"), "--labels",
                          str(tmp_path / "lab"), "--binary", "building")
    assert len(recs) == 2 and stats["notes"]["labels_of_one_grey_value_taken_whole"] == 2, stats["notes"]
    assert stats["notes_examples"]["labels_of_one_grey_value_taken_whole"].endswith(
        f"a.png: every pixel {value}, the whole image the class (a flat photo, or a blank image given as the label?)")


@pytest.mark.parametrize("value", [1, 255, 65535, 60000])
def test_a_16_bit_label_wholly_the_class_is_not_noted(tmp_path, value):
    _one_value_labels(tmp_path, value, "")
    stats, recs = convert(tmp_path / "o", "masks", "--images", str(tmp_path / "img"), "--labels",
                          str(tmp_path / "lab"), "--binary", "building")
    assert len(recs) == 2 and "labels_of_one_grey_value_taken_whole" not in stats["notes"]


def test_a_16_bit_change_label_of_one_grey_value_is_noted(tmp_path):
    rng = np.random.default_rng(3)
    for part in ("A", "B", "label"):
        (tmp_path / "d" / part).mkdir(parents=True)
    for part in ("A", "B"):
        Image.fromarray(rng.integers(0, 255, (64, 64, 3), dtype=np.uint8)).save(tmp_path / "d" / part / "p.png")
    Image.fromarray(np.full((64, 64), 1000, np.uint16)).save(tmp_path / "d" / "label" / "p.png")
    stats, _ = convert(tmp_path / "o", "levir-cd", "--src", str(tmp_path / "d"))
    assert stats["notes"].get("labels_of_one_grey_value_taken_whole") == 1, stats


def _blobs(seed, share=0.3, blur=6):
    noise = np.random.default_rng(seed).integers(0, 256, (256, 256), dtype=np.uint8)
    n = np.asarray(Image.fromarray(noise).filter(ImageFilter.GaussianBlur(blur)), float)
    return n > np.percentile(n, 100 - share * 100)


def _beside(tmp_path, a, quality):
    """``a`` saved as p.jpg and p_mask.jpg beside it at ``quality``; ``not_a_mask``'s answer for the latter."""
    for name in ("p.jpg", "p_mask.jpg"):
        Image.fromarray(a).save(tmp_path / name, quality=quality)
    return not_a_mask(tmp_path / "p_mask.jpg", tmp_path / "p.jpg")


@pytest.mark.parametrize("colour", [(255, 0, 0), (0, 0, 255), (255, 255, 0), (0, 255, 255)])
def test_a_colour_jpeg_mask_beside_its_image_is_a_mask(tmp_path, colour):
    m = np.zeros((256, 256, 3), np.uint8)
    m[_blobs(0)] = colour
    for quality in (5, 30, 75, 95):
        assert _beside(tmp_path, m, quality) == "", quality


def test_a_jpeg_of_six_palette_colours_in_large_regions_is_a_mask(tmp_path):
    palette = np.array([[255, 255, 255], [0, 0, 255], [0, 255, 255], [0, 255, 0], [255, 255, 0], [255, 0, 0]], np.uint8)
    n = np.asarray(Image.fromarray(np.random.default_rng(1).integers(0, 256, (256, 256), dtype=np.uint8))
                   .filter(ImageFilter.GaussianBlur(12)), float)
    label = palette[np.digitize(n, np.percentile(n, [17, 34, 50, 67, 84]))]
    for quality in (30, 75, 95):
        assert _beside(tmp_path, label, quality) == "", quality


def _jet(x):
    return np.stack([np.clip(1.5 - np.abs(4 * x - c), 0, 1) for c in (3, 2, 1)], -1)


def _hue(x):
    """A full-saturation hue ramp (matplotlib's ``hsv``) of ``x`` in 0…1: one band 1, another 0 everywhere."""
    h = x * 6
    i, f = np.floor(h) % 6, h - np.floor(h)
    pick = [i == 0, i == 1, i == 2, i == 3, i == 4]
    return np.stack([np.select(pick, [1, 1 - f, 0, 0, f], 1), np.select(pick, [f, 1, 1, 1 - f, 0], 0),
                     np.select(pick, [0, 0, f, 1, 1], 1 - f)], -1)


@pytest.mark.parametrize("ramp", [_jet, _hue])
def test_a_colour_mapped_field_named_as_a_mask_is_still_an_image(tmp_path, ramp):
    # pure colours all over (a jet or hue rendering: 23-100% of its pixels), but few of them at the 0/255 levels alone
    n = np.asarray(Image.fromarray(np.random.default_rng(5).integers(0, 256, (256, 256), dtype=np.uint8))
                   .filter(ImageFilter.GaussianBlur(10)), float)
    x = np.clip((n - n.min()) / (n.max() - n.min()), 0, 1)
    rendered = (ramp(x) * 255).astype(np.uint8)
    for quality in (30, 75, 95):
        assert "flat 2x2 blocks" in _beside(tmp_path, rendered, quality), quality


def test_real_masks_recoloured_and_jpegd_are_masks_and_real_photos_are_not_pure_colours(tmp_path, realdata):
    import rasterio

    with rasterio.open(realdata / "seg_detectree" / "1091-322_00_response.tif") as ds:
        tree = ds.read(1) > 0
    with rasterio.open(realdata / "cd_levir" / "test_7_0256_0512_label.png") as ds:
        change = ds.read(1) > 0
    for m in (tree, change):
        for colour in ((255, 0, 0), (0, 0, 255), (255, 255, 0)):
            c = np.zeros(m.shape + (3,), np.uint8)
            c[m] = colour
            for quality in (10, 50, 95):
                assert _beside(tmp_path, c, quality) == "", (colour, quality)
    for photo in ("cd_levir/test_7_0256_0512_A.png", "cls_aid/church_183.png", "obb_dota/P1888.png",
                  "seg_detectree/1091-322_00_img.tif"):
        with rasterio.open(realdata / photo) as ds:
            a = np.moveaxis(ds.read()[:3], 0, -1).astype(float)  # (H, W, 3)
        grey = a.mean(-1, keepdims=True)
        vivid = np.clip(grey + (a - grey) * 3, 0, 255)  # its saturation tripled, then stretched band by band
        lo, hi = np.percentile(vivid, [10, 90], axis=(0, 1))
        for variant in (a, vivid, np.clip((vivid - lo) / (hi - lo) * 255, 0, 255), a * 0.2):
            for quality in (30, 95):
                Image.fromarray(variant.astype(np.uint8)).save(tmp_path / "x.jpg", quality=quality)
                with rasterio.open(tmp_path / "x.jpg") as ds:
                    assert not _palette_colours(ds.read()), (photo, quality)


def test_a_rerun_into_an_out_inside_the_masks_labels_reads_none_of_it(tmp_path):
    # the first run's images under --labels DIR/o were labels of no image: 4 missing_image skips, and a warning
    # asking whether --images was the whole dataset
    import shutil

    rng = np.random.default_rng(6)
    for d in ("img", "lab"):
        (tmp_path / d).mkdir()
    Image.fromarray(rng.integers(0, 255, (64, 64, 3), dtype=np.uint8)).save(tmp_path / "img" / "a.png")
    m = np.zeros((64, 64), np.uint8)
    m[10:50, 10:50] = 255
    Image.fromarray(m).save(tmp_path / "lab" / "a.png")
    for out in (tmp_path / "lab" / "o", tmp_path / "lab"):
        runs = [convert(out, "masks", "--images", str(tmp_path / "img"), "--labels", str(tmp_path / "lab"),
                        "--binary", "building", "--tile", "32") for _ in range(2)]
        assert [len(recs) for _, recs in runs] == [4, 4]
        assert runs[1][0]["skipped"] == {} and runs[1][0]["notes"]["images_in_out_folder_ignored"] == 4, out
        if out.name == "o":  # else the next run's --out reads it: another run's output is input
            shutil.rmtree(out)


def test_a_rerun_into_an_out_inside_the_geojson_folders_reads_none_of_it(tmp_path, realdata):
    # the first run's tiles under --images were GeoTIFFs of no GeoJSON (16 missing_labels), and its stats.json under
    # --labels a GeoJSON of no GeoTIFF (missing_image)
    import shutil

    for d in ("tif", "gj"):
        (tmp_path / d).mkdir()
    shutil.copy(realdata / "bldg_spacenet4" / "sample_geotiff.tif", tmp_path / "tif" / "s.tif")
    shutil.copy(realdata / "bldg_spacenet4" / "geotiff_labels.geojson", tmp_path / "gj" / "s.geojson")
    for out in (tmp_path / "tif" / "o", tmp_path / "gj" / "o"):
        runs = [convert(out, "geojson", "--images", str(tmp_path / "tif"), "--labels", str(tmp_path / "gj"),
                        "--tile", "300", "--no-progress") for _ in range(2)]
        assert runs[0][0]["records"] == runs[1][0]["records"] > 0 and runs[1][0]["skipped"] == {}, runs[1][0]
        shutil.rmtree(out)
