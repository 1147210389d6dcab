"""Stop 68 tour of the dataset converters: a photo that passes the mask rules by its values alone (stretched over
a zero border, darkened to three levels) is told beside its own image, whose pixels it follows."""

from __future__ import annotations

import numpy as np
import pytest
from convert_helpers import convert
from PIL import Image

B10 = "ir_landsat8/LC08_L1TP_016037_20170813_20170814_01_RT_B10.TIF"


def _stretched_b10(realdata) -> np.ndarray:
    """Landsat 8 band 10 stretched to 8 bits (2-98% over every pixel, its zero border 32% of it): 13% mid-grey."""
    import rasterio

    with rasterio.open(realdata / B10) as src:
        t = src.read(1).astype(np.float64)
    lo, hi = np.percentile(t, [2, 98])
    return np.clip((t - lo) / (hi - lo) * 255, 0, 255).round().astype(np.uint8)


def _gamma5(realdata) -> np.ndarray:
    """The SIRST infrared image darkened at gamma 5: values 0…3."""
    grey = np.asarray(Image.open(realdata / "ir_sirst" / "Misc_100.png").convert("L"), np.float64)
    return (255 * (grey / 255) ** 5).round().astype(np.uint8)


def test_binary_mask_alone_cannot_tell_these_photos(tmp_path, realdata):
    """The two limits the value rules leave (docs/data-convert.md): by its values alone each passes as a mask."""
    from data_gen.convert.binmask import binary_mask
    from data_gen.convert.common import Output

    for name, photo in (("b10", _stretched_b10(realdata)), ("sirst", _gamma5(realdata))):
        assert binary_mask(photo, Output(tmp_path / name, "test")).any(), name


def test_masks_binary_refuses_band_10_stretched_as_its_own_label(tmp_path, realdata):
    """Landsat 8 band 10 given with its 8-bit stretch as the label (``scene_mask.png``): it was thresholded into the
    class, 68% of the scene, noted only as labels_not_binary. Its values follow the image's: label_not_a_mask."""
    (tmp_path / "img").mkdir()
    (tmp_path / "img" / "scene.tif").symlink_to(realdata / B10)
    Image.fromarray(_stretched_b10(realdata)).save(tmp_path / "img" / "scene_mask.png")
    stats, recs = convert(tmp_path / "o", "masks", "--images", str(tmp_path / "img"), "--labels",
                          str(tmp_path / "img"), "--binary", "warm area", "--modality", "ir")
    assert recs == [] and stats["skipped"] == {"label_not_a_mask": 1}
    assert "follow band 1 of img/scene.tif (rank agreement 1.00)" in stats["skipped_examples"]["label_not_a_mask"]
    assert "labels_not_binary" not in stats["notes"]  # the skipped label's notes go with it


def test_levir_refuses_a_darkened_image_as_the_label(tmp_path, realdata):
    """The SIRST image at gamma 5 (0…3, all under half the range) as a pair's label passed as class codes, 38% of it
    "changed". It follows A's (and B's) pixels: label_not_a_mask, naming the image."""
    src = tmp_path / "s"
    for tag in ("A", "B", "label"):
        (src / tag).mkdir(parents=True)
    for tag in ("A", "B"):
        (src / tag / "p.png").symlink_to(realdata / "ir_sirst" / "Misc_100.png")
    Image.fromarray(_gamma5(realdata)).save(src / "label" / "p.png")
    stats, recs = convert(tmp_path / "o", "levir-cd", "--src", str(src))
    assert recs == [] and stats["skipped"] == {"label_not_a_mask": 1}
    assert "follow band 1 of A/p.png" in stats["skipped_examples"]["label_not_a_mask"]


def _ramp() -> np.ndarray:
    """A grey ramp image (64, 96), rising left to right, noisy."""
    rng = np.random.default_rng(0)
    return np.clip(np.linspace(0, 250, 96)[None, :] + rng.normal(0, 2, (64, 96)), 0, 255).astype(np.uint8)


def masks_binary(tmp_path) -> tuple[dict, list[dict]]:
    """``masks --binary field`` of the images in ``tmp_path/img`` and the labels in ``tmp_path/lab``."""
    return convert(tmp_path / "o", "masks", "--images", str(tmp_path / "img"), "--labels", str(tmp_path / "lab"),
                   "--binary", "field")


def levir_seg(src, out) -> tuple[dict, dict]:
    """The stats of ``levir-cd --src src`` and its one geometry record (not the ``-describe`` text)."""
    stats, recs = convert(out, "levir-cd", "--src", str(src))
    (seg,) = [r for r in recs if not r["id"].endswith("-describe")]
    return stats, seg


def _ramp_scene(tmp_path, label: np.ndarray) -> tuple[dict, list[dict]]:
    """``masks --binary`` of ``_ramp`` with ``label`` (64, 96)."""
    (tmp_path / "img").mkdir()
    (tmp_path / "lab").mkdir()
    Image.fromarray(_ramp()).save(tmp_path / "img" / "a.png")
    Image.fromarray(label).save(tmp_path / "lab" / "a.png")
    return masks_binary(tmp_path)


def test_masks_binary_refuses_its_image_quantised_to_three_codes(tmp_path):
    """The image cut into levels 0, 1, 2 (codes by their values: every non-zero pixel was the class, 2/3 of it)."""
    stats, recs = _ramp_scene(tmp_path, np.digitize(_ramp(), [90, 180]).astype(np.uint8))
    assert recs == [] and stats["skipped"] == {"label_not_a_mask": 1}
    assert "follow band 1 of img/a.png" in stats["skipped_examples"]["label_not_a_mask"]


@pytest.mark.parametrize("kind", ["threshold", "codes"])
def test_masks_binary_keeps_a_threshold_mask_and_codes_unlike_the_image(tmp_path, kind):
    """A mask made by thresholding its image (two values) is a mask; codes 0, 1, 2 in blocks the image does not
    follow are codes: both written as before."""
    lab = np.zeros((64, 96), np.uint8)
    if kind == "threshold":
        lab[:, 60:] = 255  # where the ramp is bright
    else:
        lab[8:30, 10:40], lab[34:60, 50:90], lab[34:60, 5:30] = 2, 1, 2
    stats, recs = _ramp_scene(tmp_path, lab)
    assert len(recs) == 1 and stats["skipped"] == {}


def right_part() -> np.ndarray:
    """A mask (64, 96) bool whose right part (x 51…) is the class."""
    mask = np.zeros((64, 96), bool)
    mask[:, 51:] = True
    return mask


def _quantized_mask(path) -> np.ndarray:
    """``right_part`` as 0/255 saved by PIL's ``quantize(2)``: an indexed PNG whose index 0 is white (the class) and
    1 black; returns the mask."""
    mask = right_part()
    path.parent.mkdir(parents=True, exist_ok=True)
    q = Image.fromarray(mask.astype(np.uint8) * 255).convert("RGB").quantize(2)
    assert q.getpalette()[:6] == [255, 255, 255, 0, 0, 0] and np.asarray(q)[0, 90] == 0
    q.save(path)
    return mask


def decoded_mask(rec) -> np.ndarray:
    from rsvlm import geometry

    d = geometry.decode(rec["conversations"][-1]["value"], rec["meta"]["width"], rec["meta"]["height"])
    return geometry.objects_to_mask(d.objects, rec["meta"]["width"], rec["meta"]["height"])


def test_masks_binary_reads_an_indexed_mask_by_its_colours(tmp_path):
    """An indexed mask whose palette has white at index 0 and black at 1 (PIL's quantize, an editor's indexed PNG):
    its indices were the values, so the black background (1) was the class and the white class (0) background."""
    from convert_helpers import png

    mask = _quantized_mask(tmp_path / "lab" / "a_mask.png")
    png(tmp_path / "img" / "a.png", 96, 64)
    _, (rec,) = masks_binary(tmp_path)
    assert (decoded_mask(rec) == mask).mean() > 0.97


def test_levir_reads_an_indexed_label_by_its_colours(tmp_path):
    """The same indexed label as a LEVIR-CD pair's: its unchanged black part was the change."""
    from convert_helpers import png

    mask = _quantized_mask(tmp_path / "s" / "label" / "p.png")
    for tag in ("A", "B"):
        png(tmp_path / "s" / tag / "p.png", 96, 64)
    _, seg = levir_seg(tmp_path / "s", tmp_path / "o")
    assert (decoded_mask(seg) == mask).mean() > 0.97


@pytest.mark.parametrize("mode", ["RGBA", "LA"])
def test_binary_label_transparent_pixels_are_no_class(tmp_path, mode):
    """A mask drawn white on a transparent layer (alpha 0 where nothing is, its colour white all over, as an editor
    exports a layer): read as grey without its alpha, every pixel was the class, the whole image one polygon."""
    from convert_helpers import png

    mask = right_part()
    lab = np.full((64, 96, len(mode)), 255, np.uint8)
    lab[..., -1] = np.where(mask, 255, 0)
    (tmp_path / "lab").mkdir()
    Image.fromarray(lab, mode).save(tmp_path / "lab" / "a_mask.png")
    png(tmp_path / "img" / "a.png", 96, 64)
    _, (rec,) = masks_binary(tmp_path)
    assert (decoded_mask(rec) == mask).mean() > 0.97
    for tag in ("A", "B"):
        png(tmp_path / "s" / tag / "p.png", 96, 64)
    (tmp_path / "s" / "label").mkdir()
    Image.fromarray(lab, mode).save(tmp_path / "s" / "label" / "p.png")
    _, seg = levir_seg(tmp_path / "s", tmp_path / "o2")
    assert (decoded_mask(seg) == mask).mean() > 0.97


@pytest.mark.parametrize("counts", ["abc", 5])
def test_coco_rle_that_does_not_decode_is_unparsable_not_degenerate(tmp_path, counts):
    """A compressed RLE whose counts pycocotools cannot decode was counted as ``degenerate`` (an object of no area);
    it is ``unparsable_annotation``, the example quoting its counts. The image's good box is written."""
    import json

    from convert_helpers import png

    png(tmp_path / "img" / "a.png", 100, 80)
    anns = [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [10, 10, 30, 20]},
            {"id": 2, "image_id": 1, "category_id": 1, "segmentation": {"size": [80, 100], "counts": counts}}]
    (tmp_path / "ann.json").write_text(json.dumps({"images": [{"id": 1, "file_name": "a.png", "width": 100, "height": 80}],
                                                   "annotations": anns, "categories": [{"id": 1, "name": "car"}]}))
    stats, recs = convert(tmp_path / "o", "coco", "--ann", str(tmp_path / "ann.json"), "--images", str(tmp_path / "img"))
    assert stats["skipped"] == {"unparsable_annotation": 1} and recs
    assert f"RLE counts {str(counts)!r} do not decode" in stats["skipped_examples"]["unparsable_annotation"]


def test_binary_geotiff_label_nodata_is_no_class(tmp_path):
    """A uint16 0/1 mask GeoTIFF declaring nodata 65535 (GDAL's usual for uint16) over a strip: 65535 was the
    commonest bright value, so the strip became the class and the 1s were lost. Its nodata pixels are no class,
    counted as label_pixels_nodata, in masks --binary and levir-cd alike."""
    import rasterio
    from convert_helpers import png

    lab = np.zeros((64, 96), np.uint16)
    lab[10:30, 10:40] = 1
    lab[:, 80:] = 65535
    for path in (tmp_path / "lab" / "a_mask.tif", tmp_path / "s" / "label" / "p.tif"):
        path.parent.mkdir(parents=True)
        with rasterio.open(path, "w", driver="GTiff", width=96, height=64, count=1, dtype="uint16",
                           nodata=65535) as dst:
            dst.write(lab, 1)
    png(tmp_path / "img" / "a.png", 96, 64)
    for tag in ("A", "B"):
        png(tmp_path / "s" / tag / "p.png", 96, 64)
    stats, (rec,) = masks_binary(tmp_path)
    assert (decoded_mask(rec) == (lab == 1)).mean() > 0.97 and stats["notes"]["label_pixels_nodata"] == 64 * 16
    stats, seg = levir_seg(tmp_path / "s", tmp_path / "o2")
    assert (decoded_mask(seg) == (lab == 1)).mean() > 0.97 and stats["notes"]["label_pixels_nodata"] == 64 * 16
