"""Review of the stop 68 converter changes: the label-follows-its-image check (``photo_of_image``) refused masks made
by thresholding their own image once JPEG'd or given a void collar, and missed an image made grey by PIL's luma; a
GeoTIFF label's nodata 255 was no longer void in levir-cd; an indexed label's tRNS and a GeoTIFF's colormap were read
by index."""

from __future__ import annotations

import numpy as np
from convert_helpers import convert, png
from PIL import Image
from test_convert_tour68 import decoded_mask, levir_seg, masks_binary, right_part


def test_masks_binary_keeps_a_threshold_mask_of_a_smooth_image_saved_as_jpeg(tmp_path, realdata):
    """The SIRST sky thresholded at its median, saved as JPEG (quality 95): 0/255 with noise, a mask by its values.
    Against its smooth image it agreed 0.92: refused as ``label_not_a_mask``, the image given as the label?"""
    (tmp_path / "img").mkdir()
    (tmp_path / "lab").mkdir()
    (tmp_path / "img" / "a.png").symlink_to(realdata / "ir_sirst" / "Misc_100.png")
    grey = np.asarray(Image.open(realdata / "ir_sirst" / "Misc_100.png").convert("L"))
    truth = grey > np.median(grey)
    Image.fromarray(truth.astype(np.uint8) * 255).save(tmp_path / "lab" / "a_mask.jpg", quality=95)
    stats, recs = masks_binary(tmp_path)
    assert stats["skipped"] == {} and len(recs) == 1
    assert (decoded_mask(recs[0]) == truth).mean() > 0.97


def _collar_scene() -> tuple[np.ndarray, np.ndarray]:
    """A band (64, 96) rising left to right, its left 16 columns a zero collar; a 0/1 water mask thresholded from it
    (dark = 1) with 255 (void) over the collar."""
    rng = np.random.default_rng(1)
    band = np.clip(np.linspace(20, 250, 96)[None, :] + rng.normal(0, 3, (64, 96)), 1, 255).astype(np.uint8)
    band[:, :16] = 0
    label = (band < 90).astype(np.uint8)
    label[:, :16] = 255
    return band, label


def test_masks_binary_keeps_a_0_1_mask_with_void_over_the_collar_thresholded_from_its_band(tmp_path):
    """0, 1 and 255 (void) all follow the band, falling: the whole label agreed 1.0 and was refused. Its void left
    out, it is a mask of two values, not judged."""
    band, label = _collar_scene()
    (tmp_path / "lab").mkdir()
    Image.fromarray(band).save(png(tmp_path / "img" / "a.png", 96, 64))
    Image.fromarray(label).save(tmp_path / "lab" / "a_mask.png")
    stats, recs = masks_binary(tmp_path)
    assert stats["skipped"] == {} and len(recs) == 1 and stats["notes"]["label_pixels_ignored_255"] == 64 * 16
    assert (decoded_mask(recs[0]) == (label == 1)).mean() > 0.97


def test_masks_binary_refuses_the_image_made_grey_by_luma_and_quantised(tmp_path):
    """A colour image made grey by PIL's convert("L") and cut into codes 0, 1, 2: no band nor the band mean follows
    it past 0.6, so it passed as codes, 74% of it the class. Its values follow the image's luma."""
    rng = np.random.default_rng(0)
    r = np.clip(np.linspace(0, 255, 96)[None, :] + rng.normal(0, 20, (64, 96)), 0, 255)
    g = np.clip(np.linspace(0, 255, 64)[:, None] + rng.normal(0, 20, (64, 96)), 0, 255)
    rgb = np.stack([r, g, rng.integers(0, 256, (64, 96))], -1).astype(np.uint8)
    (tmp_path / "lab").mkdir()
    Image.fromarray(rgb).save(png(tmp_path / "img" / "a.png", 96, 64))
    codes = np.digitize(np.asarray(Image.fromarray(rgb).convert("L")), [90, 170]).astype(np.uint8)
    Image.fromarray(codes).save(tmp_path / "lab" / "a_mask.png")
    stats, recs = masks_binary(tmp_path)
    assert recs == [] and stats["skipped"] == {"label_not_a_mask": 1}
    assert "follow the luma of img/a.png" in stats["skipped_examples"]["label_not_a_mask"]


def _levir_geotiff_label(src, label: np.ndarray, nodata) -> None:
    import rasterio

    (src / "label").mkdir(parents=True)
    for tag in ("A", "B"):
        png(src / tag / "p.png", label.shape[1], label.shape[0])
    with rasterio.open(src / "label" / "p.tif", "w", driver="GTiff", width=label.shape[1], height=label.shape[0],
                       count=1, dtype=label.dtype.name, nodata=nodata) as dst:
        dst.write(label, 1)


def test_levir_geotiff_label_nodata_is_void_not_unchanged(tmp_path):
    """A 0/1 uint8 label GeoTIFF declaring nodata 255 over its right half: its 255 was void before (the change share
    of the labelled part, a window mostly void left out); read as nodata it became 0, "unchanged", and the right
    tile said "No change." of pixels nobody labelled."""
    label = np.zeros((64, 128), np.uint8)
    label[10:30, 10:40] = 1
    label[:, 64:] = 255
    _levir_geotiff_label(tmp_path / "s", label, 255)
    stats, recs = convert(tmp_path / "o", "levir-cd", "--src", str(tmp_path / "s"))
    (describe,) = [r for r in recs if r["id"].endswith("-describe")]
    assert "of the labelled part of the image" in describe["conversations"][-1]["value"]
    assert stats["notes"]["label_pixels_nodata"] == 64 * 64
    stats, recs = convert(tmp_path / "t", "levir-cd", "--src", str(tmp_path / "s"), "--tile", "64")
    assert stats["notes"]["windows_mostly_void"] == 1
    assert {r["id"] for r in recs if r["id"].endswith("-describe")} == {"levir-p-0-0-describe"}


def test_binary_label_transparent_index_of_an_indexed_png_is_no_class(tmp_path):
    """An indexed mask: index 0 red (the class), index 1 white made transparent by tRNS (the background), as an
    editor saves a layer. Read by index, the transparent background (1) was the class."""
    mask = right_part()
    im = Image.fromarray(np.where(mask, 0, 1).astype(np.uint8), "P")
    im.putpalette([255, 0, 0, 255, 255, 255] + [0] * 762)
    (tmp_path / "lab").mkdir()
    im.save(tmp_path / "lab" / "a_mask.png", transparency=1)
    assert "transparency" in Image.open(tmp_path / "lab" / "a_mask.png").info
    png(tmp_path / "img" / "a.png", 96, 64)
    _, (rec,) = masks_binary(tmp_path)
    assert (decoded_mask(rec) == mask).mean() > 0.97


def test_binary_geotiff_label_with_a_colormap_is_read_by_its_greys(tmp_path):
    """A paletted GeoTIFF mask whose colormap has white at index 0 (the class) and black at 1, as a PNG's palette
    is read: by index its black background was the change and the change background."""
    import rasterio

    mask = right_part()
    (tmp_path / "s" / "label").mkdir(parents=True)
    for tag in ("A", "B"):
        png(tmp_path / "s" / tag / "p.png", 96, 64)
    with rasterio.open(tmp_path / "s" / "label" / "p.tif", "w", driver="GTiff", width=96, height=64, count=1,
                       dtype="uint8", photometric="palette") as dst:
        dst.write(np.where(mask, 0, 1).astype(np.uint8), 1)
        dst.write_colormap(1, {0: (255, 255, 255, 255), 1: (0, 0, 0, 255)})
    _, seg = levir_seg(tmp_path / "s", tmp_path / "o")
    assert (decoded_mask(seg) == mask).mean() > 0.97

